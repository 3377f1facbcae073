/**
 * What really happened when MSAL could not read the tenant's discovery document.
 *
 * @azure/identity (MSAL) reports a refused connection, a DNS failure, an HTML page from a proxy and
 * an unknown tenant with one identical text, `endpoints_resolution_error`, and no cause. Waiting or
 * fixing the tenant id cannot help an admin whose proxy blocks the host, so verify asks the same
 * URL itself, once, and names the failure and the host.
 */
import { describeFetchFailure } from "../shared/networkFailure";

/** The outcome of one GET of `<authority>/<tenant>/v2.0/.well-known/openid-configuration`. */
export type DiscoveryProbe =
  /** No HTTP answer: `reason` is the network error code or text (ECONNREFUSED, ENOTFOUND, timeout…). */
  | { kind: "unreachable"; host: string; reason: string }
  /** An answer that is not JSON (an HTML login page of a proxy, a captive portal, a wrong host). */
  | { kind: "not-json"; host: string; status: number; contentType: string }
  /** Entra's JSON error, e.g. 400 with AADSTS90002 for an unknown tenant. */
  | { kind: "entra-error"; host: string; status: number; error: string; description: string }
  /** The document is there: the failure lies elsewhere. */
  | { kind: "ok"; host: string };

const MIN_PROBE_MS = 1_000;

function discoveryUrl(authorityHost: string, tenantId: string): string {
  return `${new URL(authorityHost).origin}/${encodeURIComponent(tenantId)}/v2.0/.well-known/openid-configuration`;
}

function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "no answer before the deadline";
  return describeFetchFailure(error);
}

/**
 * One GET, bounded by `timeoutMs`, at least {@link MIN_PROBE_MS}: MSAL may have spent the whole
 * deadline on its own network retries (about 6 s for a refused connection), and the cause is worth
 * one more second. Never throws.
 */
export async function probeDiscovery(authorityHost: string, tenantId: string, timeoutMs: number): Promise<DiscoveryProbe> {
  const url = discoveryUrl(authorityHost, tenantId);
  const host = new URL(url).host;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      headers: { accept: "application/json" },
      signal: AbortSignal.timeout(Math.max(MIN_PROBE_MS, timeoutMs)),
    });
    text = await response.text();
  } catch (error) {
    return { kind: "unreachable", host, reason: networkReason(error) };
  }
  const contentType = response.headers.get("content-type") ?? "";
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { kind: "not-json", host, status: response.status, contentType: contentType || "none" };
  }
  if (response.ok) return { kind: "ok", host };
  const record = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  return {
    kind: "entra-error",
    host,
    status: response.status,
    error: typeof record.error === "string" ? record.error : "",
    description: typeof record.error_description === "string" ? record.error_description : "",
  };
}
