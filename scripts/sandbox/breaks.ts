/**
 * The sandbox's `--break` choices, in a module of their own so the sandbox CLI can print and check
 * them without loading the deploy machinery (Graph client, verify runner).
 */

/** Ways to make the sandbox deploy a broken app, each a real misconfiguration admins make. */
export const BREAKS = {
  "mapped-claims": "the app does not accept mapped claims (acceptMappedClaims false) → AADSTS50146",
  domain: "the Application ID URI is on a domain the tenant has not verified, with v1 tokens (whose aud it is) → AADSTS501461",
  "token-version": "the app asks for v1 tokens (requestedAccessTokenVersion 1) → issuer sts.windows.net",
  claim: "the claims-mapping policy is never assigned → no cmicuser claim",
  secret: "the connector is handed a wrong client secret → AADSTS7000215",
} as const;
export type BreakName = keyof typeof BREAKS;

/** With `--break domain` the stack's Application ID URI is put on this domain, which the tenant has not verified. */
export const UNVERIFIED_DOMAIN = "not-verified.example";
