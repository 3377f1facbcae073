/**
 * Access-token claims in Entra's v1.0 and v2.0 shapes, and their RS256 signature.
 *
 * The resource's `requestedAccessTokenVersion` picks the shape, never the endpoint the client used.
 * Issuers are Entra's real strings, those of the tenant's cloud (clouds.ts), so validators
 * configured for that cloud accept emulator tokens.
 */
import crypto from "node:crypto";
import { SignJWT } from "jose";
import { issuerV1 as cloudIssuerV1, issuerV2 as cloudIssuerV2, type EmulatorCloud } from "./clouds";
import type { SigningKey } from "./signingKeys";

export type TokenVersion = 1 | 2;
/** How the client authenticated: Entra's appidacr / azpacr values. */
export type ClientAuthMethod = "secret" | "certificate";

/** The tenant's v1.0 issuer (`iss` and `idp` of v1 tokens), in the tenant's cloud. */
export function issuerV1(tenant: { id: string; cloud: EmulatorCloud }): string {
  return cloudIssuerV1(tenant.cloud, tenant.id);
}

/** The tenant's v2.0 issuer, in the tenant's cloud. */
export function issuerV2(tenant: { id: string; cloud: EmulatorCloud }): string {
  return cloudIssuerV2(tenant.cloud, tenant.id);
}

export interface AccessTokenClaimsInput {
  version: TokenVersion;
  tenantId: string;
  /** The tenant's cloud: it picks the issuers. */
  cloud: EmulatorCloud;
  clientAppId: string;
  /** Object id of the client's service principal: `oid` and `sub` of an app-only token. */
  clientServicePrincipalId: string;
  clientAuth: ClientAuthMethod;
  resourceAppId: string;
  /** The resource identifier exactly as requested (the scope without `/.default`): v1 `aud`. */
  requestedResource: string;
  issuedAt: number;
  lifetimeSeconds: number;
  roles?: string[];
  /** Claims from a claims-mapping policy. */
  mappedClaims?: Record<string, string>;
  /** The resource's access-token optional claims this token carries (oidc/optionalClaims.ts), e.g. `ipaddr`. */
  optionalClaims?: Record<string, string>;
}

const opaque = (bytes: number) => crypto.randomBytes(bytes).toString("base64url");

/** The claims of an app-only access token, as Entra emits them for the given version. */
export function accessTokenClaims(input: AccessTokenClaimsInput): Record<string, unknown> {
  const times = {
    iat: input.issuedAt,
    nbf: input.issuedAt,
    exp: input.issuedAt + input.lifetimeSeconds,
  };
  const common = {
    aio: opaque(40),
    // In Entra's alphabetical place, between aio and oid; the same in v1 and v2.
    ...(input.optionalClaims ?? {}),
    oid: input.clientServicePrincipalId,
    rh: `0.${opaque(48)}.`,
    ...(input.roles && input.roles.length > 0 ? { roles: input.roles } : {}),
    sub: input.clientServicePrincipalId,
    tid: input.tenantId,
    uti: opaque(16),
  };
  const tenant = { id: input.tenantId, cloud: input.cloud };
  const acr = input.clientAuth === "certificate" ? "2" : "1";
  const claims =
    input.version === 2
      ? {
          aud: input.resourceAppId,
          iss: issuerV2(tenant),
          ...times,
          azp: input.clientAppId,
          azpacr: acr,
          ...common,
          ver: "2.0",
        }
      : {
          aud: input.requestedResource,
          iss: issuerV1(tenant),
          ...times,
          appid: input.clientAppId,
          appidacr: acr,
          idp: issuerV1(tenant),
          ...common,
          ver: "1.0",
        };
  return { ...(input.mappedClaims ?? {}), ...claims };
}

export async function signAccessToken(claims: Record<string, unknown>, key: SigningKey): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ typ: "JWT", alg: "RS256", x5t: key.x5t, kid: key.kid }).sign(key.privateKey);
}
