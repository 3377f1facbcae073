/**
 * Injected faults: latency on every matching request, then throttling (429 + Retry-After) and
 * server errors for the next N matching requests, so retry logic can be exercised.
 */
import { aadstsErrorBody, odataErrorBody } from "./errors";
import type { EmulatorResponse } from "./http";

export interface Faults {
  /** Added before every matching request is handled. */
  latencyMs?: number;
  /** The next `count` matching requests get 429 with `Retry-After: retryAfterSeconds`. */
  throttle?: { count: number; retryAfterSeconds: number };
  /** After any throttling, the next `count` matching requests get `status` (default 503). */
  serverErrors?: { count: number; status?: number };
  /** Only requests whose path starts with this are affected (e.g. "/v1.0/" or "/<tid>/oauth2/"). */
  pathPrefix?: string;
}

export type FaultDecision =
  | { kind: "none"; latencyMs: number }
  | { kind: "throttle"; latencyMs: number; retryAfterSeconds: number }
  | { kind: "serverError"; latencyMs: number; status: number };

function checkCount(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) throw new Error(`setFaults: ${name} must be a non-negative integer (got ${value}).`);
}

export class FaultInjector {
  private faults: Faults = {};
  private throttleLeft = 0;
  private serverErrorsLeft = 0;

  /** Replace the current faults (an empty object clears them). */
  set(faults: Faults): void {
    if (faults.latencyMs !== undefined && !(faults.latencyMs >= 0)) throw new Error("setFaults: latencyMs must be >= 0.");
    if (faults.throttle) {
      checkCount(faults.throttle.count, "throttle.count");
      if (!(faults.throttle.retryAfterSeconds >= 0)) throw new Error("setFaults: throttle.retryAfterSeconds must be >= 0.");
    }
    if (faults.serverErrors) {
      checkCount(faults.serverErrors.count, "serverErrors.count");
      const status = faults.serverErrors.status ?? 503;
      if (status < 500 || status > 599) throw new Error(`setFaults: serverErrors.status must be 5xx (got ${status}).`);
    }
    this.faults = { ...faults };
    this.throttleLeft = faults.throttle?.count ?? 0;
    this.serverErrorsLeft = faults.serverErrors?.count ?? 0;
  }

  /** Decide (and consume) the fault for one request. */
  next(path: string): FaultDecision {
    const { pathPrefix, latencyMs = 0 } = this.faults;
    if (pathPrefix && !path.startsWith(pathPrefix)) return { kind: "none", latencyMs: 0 };
    if (this.throttleLeft > 0) {
      this.throttleLeft -= 1;
      return { kind: "throttle", latencyMs, retryAfterSeconds: this.faults.throttle?.retryAfterSeconds ?? 1 };
    }
    if (this.serverErrorsLeft > 0) {
      this.serverErrorsLeft -= 1;
      return { kind: "serverError", latencyMs, status: this.faults.serverErrors?.status ?? 503 };
    }
    return { kind: "none", latencyMs };
  }
}

/** The response a fault produces, in the shape of the service being faked (Graph or Entra), stamped `now` (the directory's clock). */
export function faultResponse(
  decision: Exclude<FaultDecision, { kind: "none" }>,
  isGraph: boolean,
  now: number,
  clientRequestId?: string,
): EmulatorResponse {
  if (decision.kind === "throttle") {
    const headers = { "retry-after": String(decision.retryAfterSeconds) };
    if (isGraph) {
      return {
        status: 429,
        headers,
        body: odataErrorBody({ status: 429, code: "TooManyRequests", message: "Too many requests", clientRequestId }, now),
      };
    }
    const body = aadstsErrorBody(
      {
        status: 429,
        error: "temporarily_unavailable",
        code: 50196,
        message: "The server terminated an operation because it encountered a client request loop. Please contact your app vendor.",
        correlationId: clientRequestId,
      },
      now,
    );
    return { status: 429, headers, body };
  }
  if (isGraph) {
    const code = decision.status === 503 ? "serviceNotAvailable" : "generalException";
    return {
      status: decision.status,
      body: odataErrorBody(
        { status: decision.status, code, message: "The service is temporarily unavailable (emulator fault).", clientRequestId },
        now,
      ),
    };
  }
  const body = aadstsErrorBody(
    {
      status: decision.status,
      error: "temporarily_unavailable",
      code: 90033,
      message: "A transient error has occurred. Please try again.",
      correlationId: clientRequestId,
    },
    now,
  );
  return { status: decision.status, body };
}
