/**
 * What the project knows about requests that got no HTTP answer: the error texts that mean it, and
 * how to describe the cause. Node's fetch throws "fetch failed" and keeps the reason in `cause`
 * (`UND_ERR_SOCKET: other side closed`, `ECONNREFUSED`…); a dual-stack connect wraps one error per
 * address tried in an AggregateError. Light (no imports), so verify's `--help` path stays lean.
 */

/** A request that got no HTTP answer, in node's, undici's and MSAL's words (MSAL writes `network_error`). */
export const NETWORK_FAILURE =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|EPIPE|UND_ERR_\w+|socket hang up|network[ _]error|fetch failed/i;

/** `fetch failed (UND_ERR_SOCKET: other side closed)`: the error and its causes, innermost last. */
export function describeFetchFailure(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === "object" && current !== null; depth += 1) {
    const { code, message, cause, errors } = current as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    const perAddress = Array.isArray(errors)
      ? [...new Set(errors.map((each) => (each as { code?: unknown }).code).filter((each): each is string => typeof each === "string"))]
      : [];
    const part = [typeof code === "string" ? code : perAddress.join(", "), typeof message === "string" ? message : ""]
      .filter(Boolean)
      .join(": ");
    if (part && !parts.includes(part)) parts.push(part);
    current = cause;
  }
  const [first = "fetch failed", ...causes] = parts;
  return causes.length > 0 ? `${first} (${causes.join(" ← ")})` : first;
}
