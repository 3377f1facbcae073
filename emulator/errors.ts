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

/** An Entra token/discovery error: the body MSAL and @azure/identity wrap into their messages. */
export function aadstsError(input: AadstsErrorInput): HttpError {
  const now = new Date();
  const traceId = crypto.randomUUID();
  const correlationId = input.correlationId ?? crypto.randomUUID();
  const timestamp = entraTimestamp(now);
  const body = {
    error: input.error,
    error_description:
      `AADSTS${input.code}: ${input.message}\r\n` + `Trace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [input.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${input.code}`,
  };
  return new HttpError(input.status, body, input.headers);
}

export interface ODataErrorInput {
  status: number;
  code: string;
  message: string;
  clientRequestId?: string;
  details?: Array<{ code: string; message: string; target?: string }>;
  headers?: Record<string, string>;
}

export function odataErrorBody(input: ODataErrorInput): unknown {
  const requestId = crypto.randomUUID();
  return {
    error: {
      code: input.code,
      message: input.message,
      ...(input.details ? { details: input.details } : {}),
      innerError: {
        date: new Date().toISOString().slice(0, 19),
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

/**
 * The one place a thrown error becomes a wire response. An {@link HttpError} keeps its status, body
 * and headers, a pending Graph error becoming Graph's OData body with the caller's client-request-id;
 * anything else is an emulator bug, answered 500 in the given dialect.
 */
export function errorResponse(error: unknown, dialect: ErrorDialect, clientRequestId?: string): EmulatorResponse {
  if (error instanceof HttpError) {
    const body = isPendingGraphError(error.body) ? odataErrorBody({ ...error.body, clientRequestId }) : error.body;
    return { status: error.status, body, headers: error.headers };
  }
  const message = `Emulator bug: ${(error as Error).message}`;
  if (dialect === "odata") {
    return { status: 500, body: odataErrorBody({ status: 500, code: "generalException", message, clientRequestId }) };
  }
  return { status: 500, body: { error: "server_error", error_description: message } };
}
