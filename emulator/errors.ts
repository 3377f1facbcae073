/**
 * Error bodies in the two shapes clients parse: Entra's token-endpoint JSON (AADSTS codes) and
 * Graph's OData error. Handlers throw {@link HttpError}; {@link errorResponse} is the one place that
 * turns a thrown error into a response.
 */
import crypto from "node:crypto";
import type { EmulatorResponse } from "./http";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`HTTP ${status}`);
  }
}

/** Entra's timestamp format in error bodies: `2024-05-01 12:34:56Z`. */
function entraTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace("T", " ")}Z`;
}

export interface AadstsErrorInput {
  /** HTTP status: 400 for most, 401 for client authentication failures. */
  status: number;
  /** OAuth `error`: invalid_client, invalid_request, unauthorized_client, invalid_resource… */
  error: string;
  code: number;
  /** The text after `AADSTSnnnn: `. */
  message: string;
  /** The caller's `client-request-id`, echoed as the correlation id as Entra does. */
  correlationId?: string;
  headers?: Record<string, string>;
}

/**
 * An Entra token/discovery error: the body MSAL and @azure/identity wrap into their messages. Its
 * time stamp is the directory's clock at answer time, so the body is written by {@link errorResponse}.
 */
export function aadstsError(input: AadstsErrorInput): HttpError {
  return new HttpError(input.status, { ...input, aadsts: true }, input.headers);
}

function isPendingAadstsError(body: unknown): body is AadstsErrorInput & { aadsts: true } {
  return typeof body === "object" && body !== null && (body as { aadsts?: unknown }).aadsts === true;
}

/** Entra's error body, stamped `now` (epoch ms on the directory's clock). */
export function aadstsErrorBody(input: AadstsErrorInput, now: number): unknown {
  const traceId = crypto.randomUUID();
  const correlationId = input.correlationId ?? crypto.randomUUID();
  const timestamp = entraTimestamp(new Date(now));
  return {
    error: input.error,
    error_description:
      `AADSTS${input.code}: ${input.message}\r\n` + `Trace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [input.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${input.code}`,
  };
}

export interface ODataErrorInput {
  status: number;
  code: string;
  message: string;
  clientRequestId?: string;
  details?: Array<{ code: string; message: string; target?: string }>;
  headers?: Record<string, string>;
}

/** Graph's OData error body; `innerError.date` is `now` (epoch ms on the directory's clock). */
export function odataErrorBody(input: ODataErrorInput, now: number): unknown {
  const requestId = crypto.randomUUID();
  return {
    error: {
      code: input.code,
      message: input.message,
      ...(input.details ? { details: input.details } : {}),
      innerError: {
        date: new Date(now).toISOString().slice(0, 19),
        "request-id": requestId,
        "client-request-id": input.clientRequestId ?? requestId,
      },
    },
  };
}

/** A Graph error; the client-request-id is filled in by the Graph router. */
export function graphError(status: number, code: string, message: string, extra: Partial<ODataErrorInput> = {}): HttpError {
  return new HttpError(status, { status, code, message, ...extra, odata: true }, extra.headers);
}

/** Graph errors are built late so they can carry the request's client-request-id. */
export function isPendingGraphError(body: unknown): body is ODataErrorInput & { odata: true } {
  return typeof body === "object" && body !== null && (body as { odata?: unknown }).odata === true;
}

export const notFound = (id: string) =>
  graphError(
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

export const badRequest = (message: string, details?: ODataErrorInput["details"]) =>
  graphError(400, "Request_BadRequest", message, details ? { details } : {});

/** The wire shape an unexpected (non-{@link HttpError}) failure is reported in: the faked service's. */
export type ErrorDialect = "oauth" | "odata";

/** What an error response is written with: the directory's time, and the caller's client-request-id. */
export interface Answering {
  dialect: ErrorDialect;
  /** Epoch ms on the directory's clock: the time stamp of the body. */
  now: number;
  /** Echoed in Graph errors. */
  clientRequestId?: string;
}

/**
 * The one place a thrown error becomes a wire response. An {@link HttpError} keeps its status, body
 * and headers, a pending AADSTS or Graph error becoming Entra's or Graph's body stamped with the
 * directory's time (Graph's with the caller's client-request-id); anything else is an emulator bug,
 * answered 500 in the given dialect.
 */
export function errorResponse(error: unknown, answering: Answering): EmulatorResponse {
  const { dialect, now, clientRequestId } = answering;
  if (error instanceof HttpError) {
    let body = error.body;
    if (isPendingGraphError(body)) body = odataErrorBody({ ...body, clientRequestId }, now);
    else if (isPendingAadstsError(body)) body = aadstsErrorBody(body, now);
    return { status: error.status, body, headers: error.headers };
  }
  const message = `Emulator bug: ${(error as Error).message}`;
  if (dialect === "odata") {
    return { status: 500, body: odataErrorBody({ status: 500, code: "generalException", message, clientRequestId }, now) };
  }
  return { status: 500, body: { error: "server_error", error_description: message } };
}
