/** The request/response shapes the emulator's handlers work with, kept apart from node:http. */
import type { IncomingHttpHeaders } from "node:http";

export interface EmulatorRequest {
  method: string;
  /** Decoded path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
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
