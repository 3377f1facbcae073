/**
 * The checks CMiC makes on an access token, done with jose the way CMiC does them:
 * the signature against the registered Keyset ID (JWKS), `iss` against the registered Issuer URL
 * byte for byte, the application id, the audience, nbf/exp, the token version, the `cmicuser`
 * claim, and a note on CMiC's IP check.
 *
 * Every check runs even when an earlier one fails, so one run shows everything to fix. The claim
 * checks ({@link checkClaims}) are pure; only the signature check fetches keys, through a
 * {@link JwksFetcher} the caller provides (the runner caches it: one JWKS request per run).
 */
import { CONFIG_NAMESPACE, DEFAULT_CLAIM_NAME } from "../../contract/kinds";
import { CmicError, EXIT_FAILED } from "../../contract/errors";
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JSONWebKeySet, type JWK } from "jose";
import {
  CLOUD_HOSTS,
  cloudOfIssuer,
  issuerUrlFor,
  issuerUrlV1,
  issuerUrlV2,
  jwksUriFor,
  withAuthorityHost,
} from "../../contract/entraEndpoints";
import type { AzureCloud } from "../../contract/kinds";
import { CLOUD_SEPARATOR, isEmailUsername, type Deployment } from "../../contract/cmicUser";
import type { CheckResult, DecodedToken } from "./report";

/** The only algorithm Entra signs access tokens with, and the only one accepted. */
export const ACCEPTED_ALGORITHM = "RS256";
export { DEFAULT_CLAIM_NAME };
/**
 * Allowed clock difference in seconds. 60 s is the default of the Java validators a server like
 * CMiC's is built on (Nimbus JOSE+JWT's DefaultJWTClaimsVerifier): a token we accept with a larger
 * skew could still be refused by CMiC, and a smaller one would fail on ordinary NTP drift.
 */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;

const CONFIG = CONFIG_NAMESPACE;

/** What CMiC has registered, and what the token must therefore say. */
export interface TokenExpectations {
  tenantId: string;
  /** Application (client) id: CMiC's "Application ID". */
  clientId: string;
  /** The app's Application ID URI: the audience of a v1 token. */
  identifierUri: string;
  /** CMiC's "Issuer URL", compared with `iss` byte for byte. */
  issuerUrl: string;
  /** CMiC's "Keyset ID" as registered (public Entra URL). */
  jwksUri: string;
  /** Expected `cmicuser` value; null when the claim is not expected (claimSource=registration). */
  expectedCmicUser: string | null;
  deployment?: Deployment;
  /** CMiC's `cmic.oauth2.user.claim.name`; default `cmicuser`. */
  claimName?: string;
  clockSkewSeconds?: number;
  /** Where JWKS requests go (emulator); only the origin of the URL is replaced. */
  authorityHost?: string;
  /**
   * The token version the stack's app asks for (the `accessTokenVersion` setting), so the one CMiC's
   * registration holds. Default: the version of the registered Issuer URL (v1 `sts.windows.net/…/`).
   */
  accessTokenVersion?: 1 | 2;
  /** The tenant's cloud (the `azureCloud` setting). Default: the cloud of the registered Issuer URL, else public. */
  azureCloud?: AzureCloud;
  /** The access-token optional claims the app asks for (the `optionalClaims` setting). */
  optionalClaims?: readonly string[];
}

type VersionExpectations = Pick<TokenExpectations, "accessTokenVersion" | "issuerUrl" | "tenantId" | "azureCloud">;

/** The cloud of the stack: the setting, else the one the registered Issuer URL is on. */
export function expectedCloud(expect: VersionExpectations): AzureCloud {
  return expect.azureCloud ?? cloudOfIssuer(expect.issuerUrl, expect.tenantId)?.cloud ?? "public";
}

/** The version CMiC's registration expects: the stack's, else the registered issuer's form. */
export function expectedVersion(expect: VersionExpectations): 1 | 2 {
  return expect.accessTokenVersion ?? (expect.issuerUrl === issuerUrlV1(expect.tenantId, expectedCloud(expect)) ? 1 : 2);
}

/** Fetch a JWKS document from a network URL. Throws on HTTP or parse failure. */
export type JwksFetcher = (url: string) => Promise<JSONWebKeySet>;

/** The registered JWKS could not be loaded (network, HTTP status, not JSON, not a key set). */
export class JwksFetchError extends CmicError {
  constructor(
    readonly url: string,
    message: string,
  ) {
    super("ERR_JWKS_FETCH", message, {
      fix: `check that ${url} is the JWKS URI Entra publishes for the tenant and that this machine can reach it (network path, proxy).`,
      exitCode: EXIT_FAILED,
    });
  }
}

/**
 * A JWKS fetcher with a per-instance cache (one request per URL), using node's fetch, which
 * trusts NODE_EXTRA_CA_CERTS like the rest of node.
 */
export function createJwksFetcher(options: { timeoutMs?: number | (() => number) } = {}): JwksFetcher & { requests: number } {
  // A function gives each request the time left of the caller's deadline at the moment it starts.
  const timeoutMs = (): number => (typeof options.timeoutMs === "function" ? options.timeoutMs() : (options.timeoutMs ?? 10_000));
  const cache = new Map<string, Promise<JSONWebKeySet>>();
  const fetcher = (async (url: string): Promise<JSONWebKeySet> => {
    let pending = cache.get(url);
    if (!pending) {
      fetcher.requests += 1;
      pending = loadJwks(url, timeoutMs());
      cache.set(url, pending);
      // A failed load must not poison later attempts (the runner may retry the whole check).
      pending.catch(() => cache.delete(url));
    }
    return pending;
  }) as JwksFetcher & { requests: number };
  fetcher.requests = 0;
  return fetcher;
}

async function loadJwks(url: string, timeoutMs: number): Promise<JSONWebKeySet> {
  // Keys fetched in clear text could be swapped on the way; Entra and CMiC only use https.
  if (new URL(url).protocol !== "https:")
    throw new JwksFetchError(url, `${url} is not https: signing keys are never fetched in clear text`);
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    throw new JwksFetchError(url, `cannot reach ${url}: ${cause?.message ?? (error as Error).message}`);
  }
  if (!response.ok) throw new JwksFetchError(url, `${url} answered HTTP ${response.status}`);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new JwksFetchError(url, `${url} did not return JSON`);
  }
  if (typeof body !== "object" || body === null || !Array.isArray((body as { keys?: unknown }).keys)) {
    throw new JwksFetchError(url, `${url} is not a JWKS (no "keys" array)`);
  }
  return body as JSONWebKeySet;
}

/** The app-specific key set Entra publishes when an app has its own signing key. */
export function appSpecificJwksUri(jwksUri: string, clientId: string): string {
  const url = new URL(jwksUri);
  url.searchParams.set("appid", clientId);
  return url.toString();
}

export interface TokenCheckOutcome {
  checks: CheckResult[];
  /** null when the string is not a decodable JWT. */
  decoded: DecodedToken | null;
}

/**
 * Member names that appear more than once in the top-level object of a JSON text. `JSON.parse` keeps
 * the last one silently, while other parsers (CMiC's Java one among them) may keep the first: a
 * token that repeats a claim can mean one thing to us and another to CMiC, so it is refused.
 */
export function repeatedMemberNames(jsonText: string): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  const containers: string[] = [];
  let expectName = false;
  for (let index = 0; index < jsonText.length; index += 1) {
    const char = jsonText[index];
    if (char === '"') {
      let end = index + 1;
      while (end < jsonText.length && jsonText[end] !== '"') end += jsonText[end] === "\\" ? 2 : 1;
      if (expectName && containers.length === 1) {
        const name = JSON.parse(jsonText.slice(index, end + 1)) as string;
        if (seen.has(name)) repeated.add(name);
        seen.add(name);
      }
      expectName = false;
      index = end;
    } else if (char === "{" || char === "[") {
      containers.push(char);
      expectName = char === "{";
    } else if (char === "}" || char === "]") {
      containers.pop();
    } else if (char === ",") {
      expectName = containers[containers.length - 1] === "{";
    }
  }
  return [...repeated];
}

function repeatedClaimsIn(token: string): string[] {
  const [header = "", payload = ""] = token.split(".");
  const names = (part: string, where: string) =>
    repeatedMemberNames(Buffer.from(part, "base64url").toString("utf8")).map((name) => `${where} ${name}`);
  return [...names(header, "header"), ...names(payload, "claim")];
}

/** Decode without verifying; null when the string is not a JWS-compact JWT. */
export function decodeToken(token: string): DecodedToken | null {
  try {
    const header = decodeProtectedHeader(token) as Record<string, unknown>;
    const claims = decodeJwt(token) as Record<string, unknown>;
    return { header, claims };
  } catch {
    return null;
  }
}

/** Run every check on a token. `nowSeconds` is the validation time (Unix seconds). */
export async function checkToken(
  token: string,
  expect: TokenExpectations,
  fetchJwks: JwksFetcher,
  nowSeconds: number,
): Promise<TokenCheckOutcome> {
  const decoded = decodeToken(token.trim());
  if (!decoded) {
    return {
      decoded: null,
      checks: [
        {
          id: "token",
          ok: false,
          detail: "the value is not a JWT (expected three base64url parts: header.payload.signature)",
          fix: "Pass the access_token value of the token response (it starts with eyJ), not the whole JSON or an id/refresh token.",
        },
      ],
    };
  }
  const signature = await checkSignature(token.trim(), decoded.header, expect, fetchJwks);
  const checks = [signature, ...checkClaims(decoded.claims, expect, nowSeconds)];
  const repeated = repeatedClaimsIn(token.trim());
  if (repeated.length > 0) {
    checks.unshift({
      id: "token",
      ok: false,
      detail: `the token repeats ${repeated.join(", ")}: a repeated name is ambiguous (this check reads the last value, CMiC's parser may read the first)`,
      fix: "Use the token exactly as Entra issued it; Entra never repeats a header field or claim.",
    });
  }
  return { decoded, checks };
}

// ---------------------------------------------------------------------------------------------
// signature

function usableRsaKeys(jwks: JSONWebKeySet): JWK[] {
  return jwks.keys.filter((key) => key.kty === "RSA" && (key.use === undefined || key.use === "sig"));
}

/**
 * Every key of the set the header may name. A set may hold several keys with one kid (during a key
 * rollover, or in a set merged from two sources); like jose's `createLocalJWKSet`, each is tried.
 */
function findKeys(jwks: JSONWebKeySet, header: Record<string, unknown>): JWK[] {
  const keys = usableRsaKeys(jwks);
  if (typeof header.kid === "string") return keys.filter((key) => key.kid === header.kid);
  // v1 tokens carry x5t as well; without a kid it is the only selector.
  if (typeof header.x5t === "string") return keys.filter((key) => key.x5t === header.x5t || key.kid === header.x5t);
  return [];
}

async function verifiesWithAny(token: string, keys: JWK[]): Promise<boolean> {
  for (const key of keys) if (await signatureMatches(token, key)) return true;
  return false;
}

async function signatureMatches(token: string, jwk: JWK): Promise<boolean> {
  try {
    const key = await importJWK({ ...jwk, alg: ACCEPTED_ALGORITHM }, ACCEPTED_ALGORITHM);
    await compactVerify(token, key, { algorithms: [ACCEPTED_ALGORITHM] });
    return true;
  } catch {
    return false;
  }
}

function algorithmProblem(alg: unknown): CheckResult | null {
  if (alg === ACCEPTED_ALGORITHM) return null;
  const common = "CMiC only accepts tokens Entra signed with its RSA keys (RS256).";
  if (typeof alg !== "string" || alg.toLowerCase() === "none") {
    return {
      id: "signature",
      ok: false,
      detail: `the token is unsigned (alg "${String(alg)}"); an unsigned token is never accepted`,
      fix: `${common} Use a token issued by Entra's token endpoint; never a hand-made or re-encoded one.`,
    };
  }
  if (/^HS/i.test(alg)) {
    return {
      id: "signature",
      ok: false,
      detail: `the token uses the symmetric algorithm ${alg}: refused (key confusion: the public key must never act as an HMAC secret)`,
      fix: `${common} Request the token from Entra; do not re-sign it.`,
    };
  }
  return {
    id: "signature",
    ok: false,
    detail: `the token is signed with ${alg}, not RS256`,
    fix: `${common} Use a token issued by Entra's token endpoint for this app.`,
  };
}

/**
 * `signature`: RS256 only, and the key must be in the registered JWKS, because that is the only set
 * CMiC fetches. A key published only in the app-specific set (`?appid=`) verifies the signature, yet
 * CMiC answers "Unable to validate signature": that is a failure, named with both fixes.
 */
export async function checkSignature(
  token: string,
  header: Record<string, unknown>,
  expect: TokenExpectations,
  fetchJwks: JwksFetcher,
): Promise<CheckResult> {
  const badAlgorithm = algorithmProblem(header.alg);
  if (badAlgorithm) return badAlgorithm;
  const keyName = typeof header.kid === "string" ? `kid ${header.kid}` : typeof header.x5t === "string" ? `x5t ${header.x5t}` : null;
  if (!keyName) {
    return {
      id: "signature",
      ok: false,
      detail: "the token header names no key (no kid or x5t), so it cannot be matched with the registered JWKS",
      fix: "Use a token issued by Entra's token endpoint; Entra always names its signing key.",
    };
  }

  const registered = expect.jwksUri;
  let registeredSet: JSONWebKeySet;
  try {
    registeredSet = await fetchJwks(withAuthorityHost(registered, expect.authorityHost));
  } catch (error) {
    return {
      id: "signature",
      ok: false,
      detail: `cannot load the registered JWKS: ${(error as Error).message}`,
      fix:
        `CMiC's Keyset ID must be ${registered} and reachable from the CMiC server (CMiC reports "Failed to load JSON web key set" otherwise): ` +
        "check the URL and the network path / proxy to login.microsoftonline.com.",
    };
  }

  const keys = findKeys(registeredSet, header);
  if (keys.length > 0) {
    if (await verifiesWithAny(token, keys)) {
      return { id: "signature", ok: true, detail: `RS256 signature valid with ${keyName} from ${registered}` };
    }
    return {
      id: "signature",
      ok: false,
      detail: `the RS256 signature does not verify with ${keyName} from ${registered}: the token was altered or not signed by Entra`,
      fix: 'Use the token exactly as Entra returned it; a modified token is refused by CMiC with "Unable to validate signature".',
    };
  }

  // Apps with their own signing key (claims mapping without acceptMappedClaims) sign with a key
  // published only in the app-specific set. Looking there turns "not in the JWKS" into the precise diagnosis.
  if (!new URL(registered).searchParams.has("appid")) {
    const appSpecific = appSpecificJwksUri(registered, expect.clientId);
    try {
      const appSet = await fetchJwks(withAuthorityHost(appSpecific, expect.authorityHost));
      if (await verifiesWithAny(token, findKeys(appSet, header))) {
        return {
          id: "signature",
          ok: false,
          detail:
            `${keyName} is an application-specific key published only at ${appSpecific}, not at the registered Keyset ID ${registered}: ` +
            `CMiC fetches only the registered set and answers "Unable to validate signature"`,
          fix:
            `Register CMiC's Keyset ID as ${appSpecific} (with ?appid=) and check again with --jwks-uri ${appSpecific}, ` +
            "or remove the app's own token-signing key from its service principal so Entra signs with the tenant's keys " +
            "(Entra uses an app key for mapped claims only while acceptMappedClaims is off: this project turns it on).",
        };
      }
    } catch {
      // The app-specific set only refines the diagnosis; its absence is not the problem to report.
    }
  }
  return {
    id: "signature",
    ok: false,
    detail: `${keyName} is not in the registered JWKS ${registered}`,
    fix:
      `The token was not signed by tenant ${expect.tenantId}'s keys: request it from this tenant's token endpoint; ` +
      `CMiC's Keyset ID must be ${registered}.`,
  };
}

// ---------------------------------------------------------------------------------------------
// claims (pure)

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function quote(value: unknown): string {
  return value === undefined ? "(absent)" : JSON.stringify(value);
}

function isV1(claims: Record<string, unknown>): boolean {
  return claims.ver === "1.0" || (claims.ver === undefined && typeof claims.appid === "string" && claims.azp === undefined);
}

/** The fix when the app issues another version than the stack (and CMiC's registration) says. */
function versionFix(expect: VersionExpectations): string {
  const wanted = expectedVersion(expect);
  const other = wanted === 1 ? 2 : 1;
  return (
    `Set api.requestedAccessTokenVersion = ${wanted} on the app registration (the stack's ${CONFIG}:accessTokenVersion; \`pulumi up\` sets it back), then request a new token; ` +
    `or, to keep v${other} tokens, set \`pulumi config set ${CONFIG}:accessTokenVersion ${other}\`, run \`pulumi up\`, and change CMiC's registration to ` +
    `Issuer URL ${issuerUrlFor(other, expect.tenantId, expectedCloud(expect))} and Keyset URI ${jwksUriFor(other, expect.tenantId, expectedCloud(expect))}.`
  );
}

/**
 * A token of one version against CMiC's issuer of the other: when the token is the version the
 * stack asks for, CMiC's registration is what is wrong; otherwise the app was changed.
 */
function issuerVersionFix(tokenVersion: 1 | 2, expect: VersionExpectations): string {
  if (expect.accessTokenVersion !== tokenVersion) return versionFix(expect);
  const other = tokenVersion === 1 ? 2 : 1;
  return (
    `The app issues v${tokenVersion} tokens, as the stack says: change CMiC's registration (API Security → Application Registration) to ` +
    `Issuer URL ${issuerUrlFor(tokenVersion, expect.tenantId, expectedCloud(expect))} and Keyset URI ${jwksUriFor(tokenVersion, expect.tenantId, expectedCloud(expect))} (the stack output cmicRegistration); ` +
    `or, to keep CMiC's v${other} values, set \`pulumi config set ${CONFIG}:accessTokenVersion ${other}\` and run \`pulumi up\`.`
  );
}

/** The tenant an Entra issuer names (v2 or v1 form), or null for any other issuer. */
function issuerTenant(iss: string): string | null {
  for (const hosts of Object.values(CLOUD_HOSTS)) {
    for (const [prefix, suffix] of [
      [`${hosts.authorityHost}/`, "/v2.0"],
      [`${hosts.v1IssuerHost}/`, "/"],
    ]) {
      if (!iss.startsWith(prefix) || !iss.endsWith(suffix)) continue;
      const tenant = iss.slice(prefix.length, iss.length - suffix.length);
      if (tenant.length > 0 && !tenant.includes("/")) return tenant;
    }
  }
  return null;
}

export function checkIssuer(claims: Record<string, unknown>, expect: TokenExpectations): CheckResult {
  const iss = asString(claims.iss);
  // Entra writes the issuing tenant twice, in iss and tid. A token where they differ was not made
  // by Entra, and a validator that reads the tenant from tid would be judging another tenant.
  const tenantOfIssuer = iss === undefined ? null : issuerTenant(iss);
  if (claims.tid !== undefined && tenantOfIssuer !== null && claims.tid !== tenantOfIssuer) {
    return {
      id: "issuer",
      ok: false,
      detail: `tid is ${quote(claims.tid)} but iss ${iss} names tenant ${tenantOfIssuer}: the two disagree, which no token Entra issues does`,
      fix: "Use the token exactly as Entra's token endpoint returned it.",
    };
  }
  if (iss === expect.issuerUrl) return { id: "issuer", ok: true, detail: `iss is ${iss}` };
  if (iss === undefined) {
    return { id: "issuer", ok: false, detail: "the token has no iss claim", fix: "Use an access token issued by Entra for this app." };
  }
  const cloud = expectedCloud(expect);
  if (iss === issuerUrlV1(expect.tenantId, cloud)) {
    return {
      id: "issuer",
      ok: false,
      detail: `iss is ${iss}: a v1.0 token, but CMiC's registered Issuer URL is ${expect.issuerUrl}`,
      fix: issuerVersionFix(1, expect),
    };
  }
  if (iss === issuerUrlV2(expect.tenantId, cloud) && expect.issuerUrl === issuerUrlV1(expect.tenantId, cloud)) {
    return {
      id: "issuer",
      ok: false,
      detail: `iss is ${iss}: a v2.0 token, but CMiC's registered Issuer URL is the v1.0 one, ${expect.issuerUrl}`,
      fix: issuerVersionFix(2, expect),
    };
  }
  const issuerCloud = cloudOfIssuer(iss, expect.tenantId);
  if (
    issuerCloud !== null &&
    issuerCloud.cloud !== cloud &&
    !(issuerCloud.version === 1 && CLOUD_HOSTS[issuerCloud.cloud].v1IssuerHost === CLOUD_HOSTS[cloud].v1IssuerHost)
  ) {
    return {
      id: "issuer",
      ok: false,
      detail: `iss is ${iss}: the tenant is in the ${issuerCloud.cloud} cloud, but the stack's values (and CMiC's registered Issuer URL ${expect.issuerUrl}) are the ${cloud} cloud's`,
      fix:
        `Set \`pulumi config set ${CONFIG}:azureCloud ${issuerCloud.cloud}\` (and azuread:environment ${CLOUD_HOSTS[issuerCloud.cloud].providerEnvironments[0]}), run \`pulumi up\`, ` +
        `and register CMiC's Issuer URL ${issuerUrlFor(issuerCloud.version, expect.tenantId, issuerCloud.cloud)} and Keyset URI ${jwksUriFor(issuerCloud.version, expect.tenantId, issuerCloud.cloud)}.`,
    };
  }
  if (iss.replace(/\/+$/, "") === expect.issuerUrl.replace(/\/+$/, "")) {
    return {
      id: "issuer",
      ok: false,
      detail: `iss is ${iss}, registered Issuer URL is ${expect.issuerUrl}: they differ only in a trailing slash, and CMiC compares byte for byte`,
      fix: `Set CMiC's Issuer URL to exactly ${iss}.`,
    };
  }
  if (tenantOfIssuer !== null && tenantOfIssuer !== expect.tenantId) {
    return {
      id: "issuer",
      ok: false,
      detail: `iss is ${iss}: the token comes from tenant ${tenantOfIssuer}, not ${expect.tenantId}`,
      fix: `Request the token from tenant ${expect.tenantId}'s token endpoint, or register the issuer of the tenant the app lives in.`,
    };
  }
  return {
    id: "issuer",
    ok: false,
    detail: `iss is ${iss}, but CMiC's registered Issuer URL is ${expect.issuerUrl}`,
    fix: `Register CMiC's Issuer URL as exactly ${issuerUrlFor(expectedVersion(expect), expect.tenantId, cloud)} (the stack output issuerUrl) and request tokens from that tenant.`,
  };
}

export function checkApplicationId(claims: Record<string, unknown>, expect: TokenExpectations): CheckResult {
  const v1 = isV1(claims);
  const claimName = v1 ? "appid" : "azp";
  const value = asString(claims[claimName]);
  if (value === expect.clientId) {
    return { id: "application-id", ok: true, detail: `${claimName} is ${value}, the registered Application ID` };
  }
  return {
    id: "application-id",
    ok: false,
    detail: `${claimName} is ${quote(claims[claimName])}, but CMiC's registered Application ID is ${expect.clientId}`,
    fix:
      value === undefined
        ? `Use a client-credentials access token for app ${expect.clientId}; CMiC reads the app id from ${claimName}.`
        : `The token was requested by client ${value}: request it with client id ${expect.clientId}, or register ${value} in CMiC's Application ID (CMiC answers "Application is not registered" otherwise).`,
  };
}

export function checkAudience(claims: Record<string, unknown>, expect: TokenExpectations): CheckResult {
  const audiences = Array.isArray(claims.aud)
    ? claims.aud.filter((a): a is string => typeof a === "string")
    : typeof claims.aud === "string"
      ? [claims.aud]
      : [];
  const v1 = isV1(claims);
  const uri = expect.identifierUri.replace(/\/+$/, "");
  const accepted = v1 ? [uri, `${uri}/`, expect.clientId] : [expect.clientId];
  const match = audiences.find((aud) => accepted.includes(aud));
  if (match) {
    return {
      id: "audience",
      ok: true,
      detail: v1 ? `aud is ${match} (v1 token: the Application ID URI)` : `aud is ${match}, the app's client id (v2 token)`,
    };
  }
  return {
    id: "audience",
    ok: false,
    detail: `aud is ${quote(claims.aud)}, expected ${v1 ? `the Application ID URI ${uri}` : `the client id ${expect.clientId}`}`,
    fix: `Request the token for scope ${uri}/.default (the stack output scope): the audience follows the resource the scope names.`,
  };
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
}

export function checkLifetime(claims: Record<string, unknown>, nowSeconds: number, skewSeconds = DEFAULT_CLOCK_SKEW_SECONDS): CheckResult {
  const { exp, nbf, iat } = claims;
  if (typeof exp !== "number") {
    return {
      id: "lifetime",
      ok: false,
      detail: "the token has no numeric exp claim",
      fix: "Use an access token issued by Entra; they always carry exp.",
    };
  }
  if (nbf !== undefined && typeof nbf !== "number") {
    return { id: "lifetime", ok: false, detail: `nbf is not a number (${quote(nbf)})`, fix: "Use an access token issued by Entra." };
  }
  if (iat !== undefined && typeof iat !== "number") {
    return { id: "lifetime", ok: false, detail: `iat is not a number (${quote(iat)})`, fix: "Use an access token issued by Entra." };
  }
  // Entra backdates iat by about five minutes; a token issued in the future was not made by it,
  // or one of the two clocks is wrong.
  if (typeof iat === "number" && iat > nowSeconds + skewSeconds) {
    return {
      id: "lifetime",
      ok: false,
      detail: `issued in the future: iat is ${isoTime(iat)} (${Math.round(iat - nowSeconds)} s from now)`,
      fix: "Use a token issued by Entra's token endpoint, and synchronise this machine's clock (NTP) with the CMiC server's.",
    };
  }
  if (exp <= nowSeconds - skewSeconds) {
    return {
      id: "lifetime",
      ok: false,
      detail: `expired at ${isoTime(exp)} (${Math.round(nowSeconds - exp)} s ago); CMiC answers "Token expired"`,
      fix: "Request a new token; the connector must refresh tokens before exp. If the token is fresh, correct this machine's clock (NTP).",
    };
  }
  if (typeof nbf === "number" && nbf > nowSeconds + skewSeconds) {
    return {
      id: "lifetime",
      ok: false,
      detail: `not valid before ${isoTime(nbf)} (${Math.round(nbf - nowSeconds)} s from now)`,
      fix: "Synchronise the clocks (NTP) of this machine and the CMiC server; a token is refused until its nbf.",
    };
  }
  const minutes = Math.floor((exp - nowSeconds) / 60);
  return {
    id: "lifetime",
    ok: true,
    detail: `${typeof nbf === "number" ? `valid from ${isoTime(nbf)} ` : ""}until ${isoTime(exp)} (${minutes} min left, ±${skewSeconds} s skew)`,
  };
}

export function checkVersion(claims: Record<string, unknown>, expect: VersionExpectations): CheckResult {
  const wanted = `${expectedVersion(expect)}.0`;
  if (claims.ver === wanted) return { id: "version", ok: true, detail: `ver is ${wanted}` };
  return {
    id: "version",
    ok: false,
    detail: `ver is ${quote(claims.ver)}, CMiC's registration expects a v${wanted} token`,
    fix: versionFix(expect),
  };
}

/** Why an actual `cmicuser` value is not the expected one, in CMiC's format terms. */
export function explainCmicUserMismatch(expected: string, actual: string, deployment?: Deployment): string {
  const reasons: string[] = [];
  if (actual.trim() !== actual) reasons.push("the value has leading or trailing spaces");
  if (/^["'].*["']$/.test(actual)) reasons.push("the value is wrapped in quotes (enter it without quotes)");
  if (actual.toLowerCase() === expected.toLowerCase() && actual !== expected) reasons.push("only the letter case differs");
  const cloudFormat = "CMiC Cloud expects tenant||username (TWO pipes) or the service user's unique email-format username";
  const enterpriseFormat = "CMiC Enterprise expects the plain CMiC username";
  if (expected.includes(CLOUD_SEPARATOR)) {
    const [tenant, user] = [expected.slice(0, expected.indexOf(CLOUD_SEPARATOR)), expected.slice(expected.indexOf(CLOUD_SEPARATOR) + 2)];
    if (actual === `${tenant}|${user}`) reasons.push(`a single pipe separates tenant and user; ${cloudFormat}`);
    else if (actual === user) reasons.push(`the tenant prefix "${tenant}||" is missing; ${cloudFormat}`);
  } else if (actual.includes(CLOUD_SEPARATOR) && actual.endsWith(`${CLOUD_SEPARATOR}${expected}`)) {
    reasons.push(
      deployment === "enterprise"
        ? `the token has the Cloud format tenant||username; ${enterpriseFormat}`
        : "the token has a tenant prefix the stack does not expect",
    );
  } else if (deployment === "cloud" && !isEmailUsername(expected) && !expected.includes(CLOUD_SEPARATOR)) {
    reasons.push(cloudFormat);
  }
  if (reasons.length === 0) {
    reasons.push(deployment === "cloud" ? cloudFormat : deployment === "enterprise" ? enterpriseFormat : "the values differ");
  }
  return reasons.join("; ");
}

export function checkCmicUser(claims: Record<string, unknown>, expect: TokenExpectations): CheckResult {
  const name = expect.claimName ?? DEFAULT_CLAIM_NAME;
  const value = claims[name];
  const expected = expect.expectedCmicUser;
  if (expected === null) {
    return value === undefined
      ? {
          id: "cmicuser",
          ok: true,
          detail: `no ${name} claim, as configured (claimSource=registration): CMiC takes the service user from its Application Registration (after Patch 22)`,
        }
      : {
          id: "cmicuser",
          ok: true,
          warning: true,
          detail: `${name} is ${quote(value)} although claimSource=registration: CMiC's registration's service user is used instead`,
          fix: "Remove the leftover claims-mapping policy from the service principal if the claim is not meant to be in the token.",
        };
  }
  const userFix =
    expect.deployment === "cloud"
      ? `pulumi config set ${CONFIG}:serviceUser <username> and ${CONFIG}:cmicTenant <tenant> (the claim becomes tenant||username), then \`pulumi up\``
      : `pulumi config set ${CONFIG}:serviceUser <exact CMiC username>, then \`pulumi up\``;
  if (value === undefined) {
    return {
      id: "cmicuser",
      ok: false,
      detail: `the token has no ${name} claim; CMiC answers "Missing required claim"`,
      fix:
        `The claims-mapping policy is missing, not assigned to the app's service principal, or not yet propagated (allow a few minutes after \`pulumi up\`), ` +
        "or acceptMappedClaims is not true on the app. Run `pulumi up` (it creates and assigns the policy) and verify again; " +
        "on CMiC after Patch 22 you may instead set claimSource=registration and enter the service user in CMiC's registration.",
    };
  }
  if (value === expected) return { id: "cmicuser", ok: true, detail: `${name} is ${quote(value)}` };
  if (typeof value !== "string") {
    return { id: "cmicuser", ok: false, detail: `${name} is ${quote(value)}, not a string`, fix: userFix };
  }
  return {
    id: "cmicuser",
    ok: false,
    detail: `${name} is ${quote(value)}, expected ${quote(expected)}: ${explainCmicUserMismatch(expected, value, expect.deployment)}`,
    fix: userFix,
  };
}

export function checkIpAddress(claims: Record<string, unknown>, expect: Pick<TokenExpectations, "optionalClaims"> = {}): CheckResult {
  const fix = "Request the token from the same egress IP that calls CMiC, or set cmic.oauth2.ipcheck.enabled=false in cmicapp.properties.";
  if (typeof claims.ipaddr !== "string" && expect.optionalClaims?.includes("ipaddr")) {
    return {
      id: "ip-check",
      ok: true,
      warning: true,
      detail:
        'no ipaddr claim, although the app asks for it (optionalClaims): CMiC\'s IP check (cmic.oauth2.ipcheck.enabled, on by default) refuses such a token with "Client validation failed (ip check)"',
      fix:
        "Check the app's optional claims (Token configuration in the portal; `npm run drift` names a removed one, `pulumi up` puts it back) and request a new token; " +
        "if Entra still leaves it out of app-only tokens, set cmic.oauth2.ipcheck.enabled=false in cmicapp.properties.",
    };
  }
  if (typeof claims.ipaddr === "string") {
    return {
      id: "ip-check",
      ok: true,
      warning: true,
      detail: `the token carries ipaddr ${claims.ipaddr}: CMiC's IP check (cmic.oauth2.ipcheck.enabled, on by default) refuses calls from another IP with "Client validation failed (ip check)"`,
      fix,
    };
  }
  return {
    id: "ip-check",
    ok: true,
    warning: true,
    detail:
      "no ipaddr claim (usual for app-only tokens); CMiC's IP check (cmic.oauth2.ipcheck.enabled, on by default) compares it with the caller's IP",
    fix: `If CMiC answers "Client validation failed (ip check)": ${fix}`,
  };
}

/** Every claim check, pure. */
export function checkClaims(claims: Record<string, unknown>, expect: TokenExpectations, nowSeconds: number): CheckResult[] {
  return [
    checkIssuer(claims, expect),
    checkApplicationId(claims, expect),
    checkAudience(claims, expect),
    checkLifetime(claims, nowSeconds, expect.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS),
    checkVersion(claims, expect),
    checkCmicUser(claims, expect),
    checkIpAddress(claims, expect),
  ];
}
