/**
 * Crafted tokens for the check tests: keys are generated at run time (none committed), tokens are
 * signed with jose exactly like Entra's (RS256, kid in the header).
 */
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, base64url, type JSONWebKeySet, type JWK, type KeyLike } from "jose";
import { issuerUrlV2 } from "../../contract/entraEndpoints";
import type { TokenExpectations } from "../../scripts/verify/tokenChecks";

export const TENANT_ID = "11111111-2222-3333-4444-555555555555";
export const CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
export const IDENTIFIER_URI = `api://${CLIENT_ID}.contoso.com`;
export const JWKS_URI = `https://login.microsoftonline.com/${TENANT_ID}/discovery/v2.0/keys`;

export interface SigningKey {
  kid: string;
  privateKey: KeyLike;
  publicJwk: JWK;
  publicPem: string;
}

export async function newSigningKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, use: "sig", alg: "RS256" };
  return { kid, privateKey, publicJwk, publicPem: await exportSPKI(publicKey) };
}

export function jwks(...keys: SigningKey[]): JSONWebKeySet {
  return { keys: keys.map((key) => key.publicJwk) };
}

export function expectations(overrides: Partial<TokenExpectations> = {}): TokenExpectations {
  return {
    tenantId: TENANT_ID,
    clientId: CLIENT_ID,
    identifierUri: IDENTIFIER_URI,
    issuerUrl: issuerUrlV2(TENANT_ID),
    jwksUri: JWKS_URI,
    expectedCmicUser: "svc-arcoro",
    deployment: "enterprise",
    ...overrides,
  };
}

/** The claims of a good v2 app-only token at time `now` (seconds). */
export function goodClaims(now: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    aud: CLIENT_ID,
    iss: issuerUrlV2(TENANT_ID),
    iat: now - 10,
    nbf: now - 10,
    exp: now + 3600,
    azp: CLIENT_ID,
    azpacr: "1",
    oid: "99999999-0000-0000-0000-000000000000",
    sub: "99999999-0000-0000-0000-000000000000",
    tid: TENANT_ID,
    ver: "2.0",
    cmicuser: "svc-arcoro",
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete claims[key];
    else claims[key] = value;
  }
  return claims;
}

export async function signToken(key: SigningKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: key.kid, ...header }).sign(key.privateKey);
}

/** An unsigned token (`alg: none`), built by hand because jose will not sign one. */
export function unsignedToken(claims: Record<string, unknown>, kid: string): string {
  const part = (value: unknown) => base64url.encode(JSON.stringify(value));
  return `${part({ alg: "none", typ: "JWT", kid })}.${part(claims)}.`;
}

/** HS256 signed with the RSA public key's PEM as the HMAC secret: the classic key-confusion attack. */
export async function keyConfusionToken(key: SigningKey, claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT", kid: key.kid }).sign(new TextEncoder().encode(key.publicPem));
}

/** A JWKS fetcher over a fixed map of URL → set, counting requests; unknown URLs answer 404. */
export function staticJwks(sets: Record<string, JSONWebKeySet>): ((url: string) => Promise<JSONWebKeySet>) & { calls: string[] } {
  const fetcher = (async (url: string) => {
    fetcher.calls.push(url);
    const set = sets[url];
    if (!set) throw new Error(`${url} answered HTTP 404`);
    return set;
  }) as ((url: string) => Promise<JSONWebKeySet>) & { calls: string[] };
  fetcher.calls = [];
  return fetcher;
}
