/**
 * The claims-mapping policy that puts the constant `cmicuser` claim in the app's tokens.
 *
 * The azuread provider stores `definitions` verbatim and diffs it as a string, so the JSON must be
 * byte-for-byte the same for the same inputs: keys are written in one fixed order and nothing
 * depends on time or environment.
 */

/** Claim names Entra will not let a policy emit or override in a JWT (subset of the restricted set that matters here). */
const RESTRICTED_JWT_CLAIMS = new Set([
  "aud", "iss", "iat", "nbf", "exp", "sub", "oid", "tid", "azp", "azpacr", "appid", "appidacr",
  "ver", "scp", "roles", "idtyp", "uti", "rh", "aio", "ipaddr", "nonce", "acr", "amr",
]);

export function isRestrictedClaimName(name: string): boolean {
  return RESTRICTED_JWT_CLAIMS.has(name.toLowerCase());
}

import { DEFAULT_CLAIM_NAME } from "../contract/kinds";

export { DEFAULT_CLAIM_NAME };

/**
 * The single definition string for the policy: the basic claim set kept (so the token stays a normal
 * Entra access token) plus one constant claim.
 */
export function claimsMappingDefinition(claimValue: string, claimName: string = DEFAULT_CLAIM_NAME): string {
  return JSON.stringify({
    ClaimsMappingPolicy: {
      Version: 1,
      IncludeBasicClaimSet: "true",
      ClaimsSchema: [{ Value: claimValue, JwtClaimType: claimName }],
    },
  });
}
