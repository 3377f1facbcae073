/** The request/response shapes the emulator's handlers work with, kept apart from node:http. */
import type { IncomingHttpHeaders } from "node:http";

export interface EmulatorRequest {
  method: string;
  /** Decoded path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /**
   * The TCP peer of the connection the request came on, as the server's socket reports it
   * (undefined once the socket is gone): the address Entra sees a client at. Never a header.
   */
  peerAddress: string | undefined;
}

export interface EmulatorResponse {
  status: number;
  /** Serialised as JSON unless undefined (then no body). */
  body?: unknown;
  headers?: Record<string, string>;
}

export function header(request: Pick<EmulatorRequest, "headers">, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, body, headers };
}

/**
 * The client's IP address as Entra would write it (a token's `ipaddr`): the connection's peer, an
 * IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, what a dual-stack socket reports for an IPv4
 * client) written as the IPv4 address it is. A header such as X-Forwarded-For is never consulted:
 * Entra sees the connection, and a client cannot choose the address its token carries.
 */
export function clientIpAddress(request: Pick<EmulatorRequest, "peerAddress">): string | undefined {
  const peer = request.peerAddress;
  if (peer === undefined || peer === "") return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(peer);
  return mapped ? mapped[1] : peer;
}
