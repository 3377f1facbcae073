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
  "cmic-issuer":
    "CMiC's registration holds the other token version's Issuer URL (CMiC's guide lists both) → 500 Application is not registered",
  "cmic-app-id": "CMiC's registration holds the app's object id, not its application (client) id → 500 Application is not registered",
  "cmic-keyset": "CMiC's Keyset ID is a URL the CMiC server cannot reach → 500 Failed to load JSON web key set",
  "cmic-user": "the CMiC service user was never created → 401 User not found",
  "cmic-single-pipe":
    "CMiC Cloud: the registration's service user is entered as tenant|username, one pipe (as the Arcoro guide prints it) → 401 User not found",
} as const;
export type BreakName = keyof typeof BREAKS;

/** The breaks made on the CMiC side: Entra is deployed as configured, CMiC's registration or users are wrong. */
export function isCmicBreak(name: BreakName | undefined): boolean {
  return name !== undefined && name.startsWith("cmic-");
}

/** `--break cmic-keyset`: a Keyset ID nothing answers (port 9, discard, on loopback). */
export const UNREACHABLE_KEYSET_URI = "https://127.0.0.1:9/discovery/v2.0/keys";

/** With `--break domain` the stack's Application ID URI is put on this domain, which the tenant has not verified. */
export const UNVERIFIED_DOMAIN = "not-verified.example";
