/**
 * The HTTPS server: listens on loopback, logs every request, applies injected faults, hands `/v1.0`
 * to Graph and everything else to the login endpoints, and writes the answer as JSON.
 */
import crypto from "node:crypto";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { ChangeNotifier } from "./changes";
import type { EmulatorContext } from "./context";
import { errorResponse, HttpError } from "./errors";
import { faultResponse, type FaultInjector } from "./faults";
import { handleGraph } from "./graph";
import { header, type EmulatorRequest, type EmulatorResponse } from "./http";
import { handleLogin } from "./oidc";
import type { RequestLog } from "./requestLog";
import type { TlsMaterial } from "./tls";

const MAX_BODY_BYTES = 1024 * 1024;

export interface ServerParts {
  context: EmulatorContext;
  tls: Pick<TlsMaterial, "serverKeyPem" | "serverCertPem">;
  faults: FaultInjector;
  log: RequestLog;
  changes: ChangeNotifier;
}

export interface RunningServer {
  close(): Promise<void>;
}

/** One arriving request, before its body is read. */
interface Arrival {
  at: number;
  url: URL;
  method: string;
  isGraph: boolean;
  clientRequestId: string | undefined;
  /** Index of its entry in the request log. */
  logIndex: number;
  /** Set when handling it wrote to the directory (itself, or a request its `$batch` carried). */
  changedDirectory: boolean;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(
          new HttpError(413, { error: "request_too_large", error_description: `Request bodies are limited to ${MAX_BODY_BYTES} bytes.` }),
        );
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, result: EmulatorResponse, extraHeaders: Record<string, string>): void {
  const headers: Record<string, string> = { ...extraHeaders, ...(result.headers ?? {}) };
  if (result.body === undefined) {
    response.writeHead(result.status, headers);
    response.end();
    return;
  }
  const payload = JSON.stringify(result.body);
  headers["content-type"] = "application/json; charset=utf-8";
  headers["content-length"] = String(Buffer.byteLength(payload));
  response.writeHead(result.status, headers);
  response.end(payload);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function decodedPath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/** Graph answers every request with a fresh `request-id` and echoes (or invents) `client-request-id`. */
function graphResponseHeaders(arrival: Arrival): Record<string, string> {
  if (!arrival.isGraph) return {};
  return { "request-id": crypto.randomUUID(), "client-request-id": arrival.clientRequestId ?? crypto.randomUUID() };
}

/** A fault if one is due, else the Graph or login handler's answer. */
async function answer(parts: ServerParts, incoming: IncomingMessage, arrival: Arrival, body: Buffer): Promise<EmulatorResponse> {
  const { context, faults, log } = parts;
  const { url, method, isGraph } = arrival;
  const decision = faults.next(url.pathname);
  if (decision.latencyMs > 0) await sleep(decision.latencyMs);
  if (decision.kind !== "none") return faultResponse(decision, isGraph, context.store.now(), arrival.clientRequestId);
  const request: EmulatorRequest = {
    method,
    path: decodedPath(url.pathname),
    query: url.searchParams,
    headers: incoming.headers,
    body,
    peerAddress: incoming.socket.remoteAddress,
  };
  if (isGraph) {
    return handleGraph(context, request, {
      onBatched: (record) => log.batched(record, arrival.at, arrival.logIndex),
      onDirectoryChanged: () => {
        arrival.changedDirectory = true;
      },
    });
  }
  return (
    (await handleLogin(context, request)) ?? {
      status: 404,
      body: { error: "not_found", error_description: `The emulator has no endpoint ${method} ${url.pathname}.` },
    }
  );
}

async function handle(parts: ServerParts, incoming: IncomingMessage, response: ServerResponse): Promise<void> {
  // On the directory's clock, like every other time the emulator reports.
  const at = parts.context.store.now();
  const url = new URL(incoming.url ?? "/", parts.context.origin);
  const method = (incoming.method ?? "GET").toUpperCase();
  // Reserve the log slot now so batched entries can point at their batch.
  const logged = parts.log.arrived(method, url.pathname, at);
  const arrival: Arrival = {
    at,
    url,
    method,
    isGraph: /^\/(v1\.0|beta)(\/|$)/.test(url.pathname),
    clientRequestId: header(incoming, "client-request-id") ?? url.searchParams.get("client-request-id") ?? undefined,
    logIndex: logged.index,
    changedDirectory: false,
  };
  let result: EmulatorResponse;
  try {
    result = await answer(parts, incoming, arrival, await readBody(incoming));
  } catch (error) {
    // Graph answers its own errors (OData); what arrives here is a login endpoint's AADSTS error,
    // a body over the limit, a broken stream or a bug: all in the OAuth `{error, …}` shape.
    result = errorResponse(error, { dialect: "oauth", now: parts.context.store.now() });
  }
  logged.entry.status = result.status;
  // Before the answer goes out: a listener that saves the world has saved it when the client sees success.
  if (arrival.changedDirectory) parts.changes.notify();
  if (!response.destroyed) send(response, result, graphResponseHeaders(arrival));
}

function listen(server: https.Server, host: string, wantedPort: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(wantedPort, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Listen on `port` (0: a free one) and set `context.origin` to `https://localhost:<port>`. */
export async function startServer(port: number, parts: ServerParts): Promise<RunningServer> {
  const servers: https.Server[] = [];
  const createServer = () => {
    const server = https.createServer({ key: parts.tls.serverKeyPem, cert: parts.tls.serverCertPem }, (req, res) => {
      void handle(parts, req, res);
    });
    servers.push(server);
    return server;
  };
  // `localhost` resolves to 127.0.0.1 or ::1 depending on the machine: answer on both.
  const boundPort = await listen(createServer(), "127.0.0.1", port);
  const ipv6 = createServer();
  try {
    await listen(ipv6, "::1", boundPort);
  } catch {
    servers.pop(); // no IPv6 loopback here: IPv4 alone serves "localhost"
  }
  parts.context.origin = `https://localhost:${boundPort}`;
  return {
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
