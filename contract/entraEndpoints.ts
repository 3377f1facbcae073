/**
 * The Entra ID endpoint strings CMiC and the connector are given.
 *
 * They are Entra's real public strings, byte for byte: CMiC compares the token's `iss` with the
 * registered Issuer URL as plain strings, so nothing here may vary by machine or network.
 * Where a tool must *reach* Entra somewhere else (the local emulator), it rewrites only the origin
 * of a URL with {@link withAuthorityHost}; the issuer is never rewritten.
 */

/** The public cloud's login host: the origin of every issuer, token and JWKS URL we hand out. */
export const ENTRA_AUTHORITY_HOST = "https://login.microsoftonline.com";

/** Microsoft Graph in the public cloud (drift's default; the emulator stands in for it in tests). */
export const GRAPH_URL = "https://graph.microsoft.com";
/** Reach Graph elsewhere (the local emulator): drift and rotate read it. */
export const GRAPH_URL_ENV = "CMIC_GRAPH_URL";

/** Issuer (`iss`) of v2.0 access tokens; what CMiC registers as Issuer URL. */
export function issuerUrlV2(tenantId: string): string {
  return `${ENTRA_AUTHORITY_HOST}/${tenantId}/v2.0`;
}

/** Issuer of v1.0 access tokens (note the trailing slash): CMiC's Issuer URL for a v1 app. */
export function issuerUrlV1(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

/**
 * The keys CMiC's page "How to Get Issuer and jwks_uri" lists for v1 tokens: the common endpoint,
 * which serves the same signing keys as every tenant's (v1 tokens name no tenant in their keys URL).
 */
export const JWKS_URI_V1 = `${ENTRA_AUTHORITY_HOST}/common/discovery/keys`;

/** CMiC's Issuer URL for tokens of `version`. */
export function issuerUrlFor(version: 1 | 2, tenantId: string): string {
  return version === 1 ? issuerUrlV1(tenantId) : issuerUrlV2(tenantId);
}

/** CMiC's Keyset ID (JWKS URI) for tokens of `version`, as CMiC's page lists them. */
export function jwksUriFor(version: 1 | 2, tenantId: string): string {
  return version === 1 ? JWKS_URI_V1 : jwksUri(tenantId);
}

/** The signing keys (JWKS) CMiC downloads to validate signatures; its "Keyset ID". */
export function jwksUri(tenantId: string): string {
  return `${ENTRA_AUTHORITY_HOST}/${tenantId}/discovery/v2.0/keys`;
}

/** The OAuth 2.0 v2 token endpoint the connector posts its client credentials to. */
export function tokenUrl(tenantId: string): string {
  return `${ENTRA_AUTHORITY_HOST}/${tenantId}/oauth2/v2.0/token`;
}

/** Client-credentials scope for a resource: always the identifier URI plus `/.default` (AADSTS1002012 otherwise). */
export function defaultScope(identifierUri: string): string {
  return `${identifierUri.replace(/\/+$/, "")}/.default`;
}

/**
 * Replace the origin of an Entra URL with another authority host (the emulator, or a sovereign
 * cloud), keeping path and query. Used only for network calls, never for values compared with a token.
 */
export function withAuthorityHost(url: string, authorityHost: string | undefined): string {
  if (!authorityHost) return url;
  const source = new URL(url);
  const target = new URL(authorityHost);
  return `${target.origin}${source.pathname}${source.search}`;
}
