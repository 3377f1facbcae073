/**
 * CMiC's REST API OAuth filter (logger `cmic.oauth2.filter`, 000_78a7e1c56f2dc7af.txt), modelled as
 * ordered checks. The first that fails decides the answer; README.md lists them with their sources.
 *
 * The order follows 001_a1d8c07974acf98e.txt, "Check Point: CMiC Security Expectations":
 *   "1. The token signature will be validated. 2. Token "iss" and "appid" are registered in CMiC.
 *    3. The token is valid (check the Not Before Time and Expiration claims). 4. Token IP matches
 *    client IP. [...] 5. The user of the token is valid in CMiC."
 * except that 1 and 2 are taken together in the only order that can work: the signature is checked
 * with the keys at the registration's keyset URI, so the registration must be found first (000_…,
 * Phase 3: "CMiC will use the Keyset ID to fetch the IdP's public keys and validate the JWT
 * signature on every API call"). A token is therefore decoded unverified, its registration looked
 * up, the key set loaded, and only then is the signature verified.
 */
import { compactVerify, decodeJwt, errors as joseErrors } from "jose";
import { KeySetLoadError, type KeySetLoader } from "./keySets";
import type { CmicProperties } from "./properties";
import { parseUserValue, type CmicUser, type UserDirectory } from "./users";

/** The texts CMiC answers with. Sources: entra-facts.md "Tokens" and 000_… "Common Errors". */
export const TEXTS = {
  /** 000_…, "Common Errors": "401 Unauthorized | Missing/expired/invalid token". */
  unauthorized: "Unauthorized",
  /** entra-facts.md: 500 "Application is not registered"; 000_…: "500 – Application not registered". */
  notRegistered: "Application is not registered",
  /** entra-facts.md and 000_…: 500 "Failed to load JSON web key set". */
  keySet: "Failed to load JSON web key set",
  /** entra-facts.md: 401 "Unable to validate signature". */
  signature: "Unable to validate signature",
  /** entra-facts.md: 401 "Token expired". */
  expired: "Token expired",
  /** entra-facts.md: 401 "Client validation failed (ip check)". */
  ipCheck: "Client validation failed (ip check)",
  /** entra-facts.md: 401 "Missing required claim". */
  missingClaim: "Missing required claim",
  /** Not documented: the stand-in's assumption (README). */
  userNotFound: "User not found",
} as const;

export interface CmicRegistration {
  applicationId: string;
  issuerUrl: string;
  keysetUri: string;
  /** Post-Patch-22: the registration names the service user (002_5daa6092bff03785.txt). */
  serviceUser?: string;
}

export interface FilterRequest {
  authorization: string | undefined;
  /** The caller's IP: `x-forwarded-for`'s first entry, else the socket's address. */
  clientIp: string | undefined;
}

export type FilterOutcome =
  | { ok: true; status: 200; reason: string; user: CmicUser; registration: CmicRegistration }
  | { ok: false; status: 401 | 500; text: string; reason: string };

export interface FilterContext {
  registrations: readonly CmicRegistration[];
  users: UserDirectory;
  properties: Readonly<CmicProperties>;
  keySets: KeySetLoader;
  now: () => Date;
}

const fail = (status: 401 | 500, text: string, reason: string): FilterOutcome => ({ ok: false, status, text, reason });

export async function runFilter(request: FilterRequest, context: FilterContext): Promise<FilterOutcome> {
  // Check 1: the bearer token. 000_…, "Quick Checklist": "The [Authorization: Bearer <token>] header
  // is present on every request." "How It Works": "attaching the token in the [Authorization: Bearer
  // <token>] header". Its error table's 401 row ("401 Unauthorized | Missing/expired/invalid token")
  // is the only documented answer for a missing token, so the text is "Unauthorized".
  const bearer = /^Bearer[ ]+(\S+)\s*$/i.exec(request.authorization ?? "");
  if (!bearer) {
    return fail(
      401,
      TEXTS.unauthorized,
      request.authorization === undefined ? "no Authorization header" : "Authorization is not 'Bearer <token>'",
    );
  }
  const token = bearer[1];

  // Check 2a: decode the claims unverified. 001_…, "Token Format: Should follow the JWT format, which
  // includes three parts". A token that is no JWT cannot have its signature validated: 401 "Unable
  // to validate signature" (assumption: no document names the text for a malformed token).
  let claims: Record<string, unknown>;
  try {
    claims = decodeJwt(token) as Record<string, unknown>;
  } catch (error) {
    return fail(401, TEXTS.signature, `not a JWT (${error instanceof Error ? error.message : String(error)})`);
  }

  // Check 2b: the registration. 001_…: "Token "iss" and "appid" are registered in CMiC"; 000_…: "500 –
  // Application not registered | App ID or issuer not found in CMiC". v1 tokens carry the client in
  // `appid`, v2 tokens in `azp` (entra-facts.md "Tokens"); the Arcoro guide 000_… registers a v2 app
  // (Step 2.2, "requestedAccessTokenVersion ... [2]", Issuer URL ".../v2.0") and reports it working,
  // so CMiC must read `azp` when `appid` is absent: the application id is `appid ?? azp`. The issuer
  // compares as an exact string (entra-facts.md: v1 `https://sts.windows.net/<tid>/` has a trailing
  // slash; CMiC's pages: "the registration must match the token's version").
  const issuer = typeof claims.iss === "string" ? claims.iss : undefined;
  const applicationId = typeof claims.appid === "string" ? claims.appid : typeof claims.azp === "string" ? claims.azp : undefined;
  const registration = context.registrations.find((r) => r.issuerUrl === issuer && r.applicationId === applicationId);
  if (!registration) {
    return fail(
      500,
      TEXTS.notRegistered,
      `no registration for iss ${JSON.stringify(issuer ?? null)} and application id ${JSON.stringify(applicationId ?? null)}`,
    );
  }

  // Check 2c: the key set. 000_…: "500 – Failed to load JSON web key set | CMiC cannot reach the JWKS
  // URI". Check 2d: the signature. 001_…: "The token signature will be validated"; entra-facts.md:
  // 401 "Unable to validate signature". Entra signs access tokens RS256 with a `kid` (entra-facts.md,
  // emulator tokens): only RS256 is accepted, the key picked by `kid`. A `kid` missing from a cached
  // set reloads the set once (keySets.ts).
  let verified = await verifySignature(token, registration, context.keySets);
  if (verified.kind === "noKey" && verified.cached) verified = await verifySignature(token, registration, context.keySets, true);
  if (verified.kind === "loadFailed") return fail(500, TEXTS.keySet, verified.reason);
  if (verified.kind !== "ok") return fail(401, TEXTS.signature, verified.reason);

  // Check 3: validity in time. 001_…: "The token is valid (check the Not Before Time and Expiration
  // claims)"; its "Required Claims: ... sub ... exp ... aud ... iss" (a missing one: 401 "Missing
  // required claim", entra-facts.md). An expired token: 401 "Token expired" (entra-facts.md). A
  // not-yet-valid `nbf` is the same check point, and "Token expired" is the only text documented for
  // it (assumption: CMiC may word it differently). No clock skew is allowed (none is documented).
  for (const name of ["sub", "exp", "aud"]) {
    if (claims[name] === undefined || claims[name] === null) return fail(401, TEXTS.missingClaim, `the token has no ${name} claim`);
  }
  const nowSeconds = Math.floor(context.now().getTime() / 1000);
  if (typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) return fail(401, TEXTS.expired, "exp is not a number");
  if (nowSeconds >= claims.exp) return fail(401, TEXTS.expired, `exp ${claims.exp} is not after now ${nowSeconds}`);
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== "number" || !Number.isFinite(claims.nbf)) return fail(401, TEXTS.expired, "nbf is not a number");
    if (nowSeconds < claims.nbf) return fail(401, TEXTS.expired, `nbf ${claims.nbf} is after now ${nowSeconds} (not yet valid)`);
  }

  // Check 4: the IP check. 001_…: "Token IP matches client IP. The default is enabled. To disable IP
  // check, set the cmic.oauth2.ipcheck.enabled property to "false""; entra-facts.md: "CMiC's IP check
  // compares `ipaddr` with the caller's `x-forwarded-for`", 401 "Client validation failed (ip
  // check)", and "`ipaddr` is normally absent from app-only tokens": with the check on, a token
  // without `ipaddr` fails (it matches no client IP).
  if (context.properties.ipCheckEnabled) {
    const tokenIp = typeof claims.ipaddr === "string" ? normaliseIp(claims.ipaddr) : undefined;
    const clientIp = request.clientIp === undefined ? undefined : normaliseIp(request.clientIp);
    if (tokenIp === undefined)
      return fail(401, TEXTS.ipCheck, `the token has no ipaddr claim and the IP check is enabled (client ${clientIp ?? "unknown"})`);
    if (tokenIp !== clientIp) return fail(401, TEXTS.ipCheck, `ipaddr ${tokenIp} is not the client IP ${clientIp ?? "unknown"}`);
  }

  // Check 5: the user. 002_…: Patch 22 takes the user from the cmicuser claim; "Post-Patch 22
  // Behavior: The cmicuser claim is no longer required and can be overridden by specifying the
  // service user in CMiC API Security during app registration": the registration's serviceUser wins.
  // The claim's name is `cmic.oauth2.user.claim.name` (entra-facts.md); absent: 401 "Missing required
  // claim" (entra-facts.md). `cmic.oauth2.remove.domainFromUser` strips a domain from the claim's
  // value (assumption: not from a registration's serviceUser, which an administrator types as the
  // CMiC user name). 001_…: "The user of the token is valid in CMiC": unknown → 401 "User not found"
  // (assumption: no text is documented).
  let source: string;
  let value: string;
  if (registration.serviceUser !== undefined) {
    source = "the registration's service user";
    value = registration.serviceUser;
  } else {
    const claim = claims[context.properties.userClaimName];
    if (typeof claim !== "string" || claim === "") {
      return fail(
        401,
        TEXTS.missingClaim,
        `the token has no ${context.properties.userClaimName} claim and the registration names no service user`,
      );
    }
    source = `claim ${context.properties.userClaimName}`;
    value = claim;
  }
  const parsed = parseUserValue(value, registration.serviceUser === undefined && context.properties.removeDomainFromUser);
  const user = context.users.find(parsed);
  const shown =
    parsed.cmicTenant === undefined
      ? JSON.stringify(parsed.name)
      : `${JSON.stringify(parsed.name)} in tenant ${JSON.stringify(parsed.cmicTenant)}`;
  if (!user) return fail(401, TEXTS.userNotFound, `user ${shown} (from ${source} ${JSON.stringify(value)}) is not a CMiC user`);
  return { ok: true, status: 200, reason: `authenticated as ${shown} (from ${source})`, user, registration };
}

type Verification =
  | { kind: "ok" }
  | { kind: "noKey"; cached: boolean; reason: string }
  | { kind: "invalid"; reason: string }
  | { kind: "loadFailed"; reason: string };

async function verifySignature(
  token: string,
  registration: CmicRegistration,
  keySets: KeySetLoader,
  reload = false,
): Promise<Verification> {
  let loaded;
  try {
    loaded = await keySets.load(registration.keysetUri, { reload });
  } catch (error) {
    if (error instanceof KeySetLoadError) return { kind: "loadFailed", reason: `key set ${error.message}` };
    throw error;
  }
  try {
    await compactVerify(token, loaded.resolver, { algorithms: ["RS256"] });
    return { kind: "ok" };
  } catch (error) {
    const reason = `signature: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    if (error instanceof joseErrors.JWKSNoMatchingKey) return { kind: "noKey", cached: loaded.cached, reason };
    return { kind: "invalid", reason };
  }
}

/** `::ffff:127.0.0.1` → `127.0.0.1`; IPv6 in lower case. */
export function normaliseIp(ip: string): string {
  const trimmed = ip.trim().toLowerCase();
  return trimmed.startsWith("::ffff:") && trimmed.includes(".") ? trimmed.slice("::ffff:".length) : trimmed;
}
