/**
 * The access-token optional claims of an app-only (client-credentials) token: which of the names
 * the RESOURCE app lists under `optionalClaims.accessToken` the token carries, and their values.
 *
 * "When you add claims to the access token, the claims apply to access tokens requested for the
 * application (a web API), not claims requested by the application" (optional claims reference,
 * https://learn.microsoft.com/entra/identity-platform/optional-claims-reference): the resource's
 * configuration counts, never the client's.
 *
 * The one place the emulator decides `ipaddr`; no other claim source (claims mapping included)
 * writes it.
 */
import type { Application } from "../store";

/** What the token request tells about the caller, beyond its client id. */
export interface TokenCaller {
  /** The connection's peer address (http.ts clientIpAddress), undefined when unknown. */
  ipAddress: string | undefined;
}

/**
 * Claims about a USER, which an app-only token has none of, so they are not emitted however the
 * resource asks for them (optional claims reference: "email: The addressable email for this
 * user", "upn: An identifier for the user"). The project's guide asks for both; they are the
 * names CMiC's guide lists, not an exhaustive list of user claims.
 */
const USER_CLAIMS = new Set(["email", "upn"]);

/**
 * The claims added to an app-only access token (v1 and v2 alike) for the resource's configured
 * access-token optional claims:
 * - `ipaddr`: "The IP address the client logged in from" (optional claims reference): the address
 *   the token request came from, the connection's peer. Real Entra app-only tokens normally carry no
 *   `ipaddr`; when the resource configures it, the token carries it here as CMiC's Entra guide
 *   expects (CMiC's IP check compares it with the caller's IP). To be confirmed against a real
 *   tenant. Not emitted when the peer address is unknown.
 * - `email`, `upn` ({@link USER_CLAIMS}): no user, no claim.
 * - any other name: not modelled, so not emitted; never an error (Graph accepted the configuration).
 */
export function appOnlyOptionalClaims(resourceApp: Application | undefined, caller: TokenCaller): Record<string, string> {
  const configured = resourceApp?.optionalClaims?.accessToken ?? [];
  const claims: Record<string, string> = {};
  for (const claim of configured) {
    // Only predefined claims (source null): with source "user", `name` is a user extension property.
    if (claim.source !== null || USER_CLAIMS.has(claim.name)) continue;
    if (claim.name === "ipaddr" && caller.ipAddress !== undefined) claims.ipaddr = caller.ipAddress;
  }
  return claims;
}
