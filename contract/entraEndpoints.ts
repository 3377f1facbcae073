/**
 * The Entra ID endpoint strings CMiC and the connector are given.
 *
 * They are Entra's real public strings, byte for byte: CMiC compares the token's `iss` with the
 * registered Issuer URL as plain strings, so nothing here may vary by machine or network.
 * Where a tool must *reach* Entra somewhere else (the local emulator), it rewrites only the origin
 * of a URL with {@link withAuthorityHost}; the issuer is never rewritten.
 */

import type { AzureCloud } from "./kinds";

/** The hosts of one Entra cloud: where tokens come from, who issues them, where Graph answers. */
export interface CloudHosts {
  /** Login host: token URL, keys and the v2 issuer. */
  authorityHost: string;
  /** Host of the v1 issuer (`https://<host>/<tenant>/`). */
  v1IssuerHost: string;
  /** Microsoft Graph's root. */
  graphUrl: string;
  /** The azuread provider's `environment` values that sign in to this cloud. */
  providerEnvironments: readonly string[];
}

/**
 * Each cloud's hosts, as Microsoft publishes them:
 *  - login hosts: https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud
 *    ("Microsoft Entra authentication endpoints": login.microsoftonline.us, login.partner.microsoftonline.cn).
 *    China's v2 issuer is on login.partner.microsoftonline.cn even when asked through
 *    login.chinacloudapi.cn (OIDC discovery quoted in Azure/azure-dev#5912, jenkinsci/azure-ad-plugin#679).
 *  - v1 issuers: China `https://sts.chinacloudapi.cn/<tid>/` (MicrosoftDocs/azure-docs#123050); US
 *    Government keeps sts.windows.net (a Microsoft Q&A answer, "what-are-the-token-issuers-for-the-
 *    sovereign-cloud", 1190472; the claims reference names no v1 host). Check a real token before
 *    relying on it: `npm run verify` compares the token's iss with these.
 *  - Graph: https://learn.microsoft.com/graph/deployments (graph.microsoft.us for US Government L4,
 *    microsoftgraph.chinacloudapi.cn). DoD (L5, dod-graph.microsoft.us) is not offered.
 *  - provider environments: @pulumi/azuread's `environment` ("global (also public), usgovernmentl4
 *    (also usgovernment), usgovernmentl5 (also dod), and china"; config/vars.d.ts).
 */
export const CLOUD_HOSTS: Readonly<Record<AzureCloud, CloudHosts>> = {
  public: {
    authorityHost: "https://login.microsoftonline.com",
    v1IssuerHost: "https://sts.windows.net",
    graphUrl: "https://graph.microsoft.com",
    providerEnvironments: ["global", "public"],
  },
  usgovernment: {
    authorityHost: "https://login.microsoftonline.us",
    v1IssuerHost: "https://sts.windows.net",
    graphUrl: "https://graph.microsoft.us",
    providerEnvironments: ["usgovernment", "usgovernmentl4"],
  },
  china: {
    authorityHost: "https://login.partner.microsoftonline.cn",
    v1IssuerHost: "https://sts.chinacloudapi.cn",
    graphUrl: "https://microsoftgraph.chinacloudapi.cn",
    providerEnvironments: ["china"],
  },
};

/** The public cloud's login host: the origin of every issuer, token and JWKS URL of a public-cloud stack. */
export const ENTRA_AUTHORITY_HOST = CLOUD_HOSTS.public.authorityHost;

/** Microsoft Graph in the public cloud (drift's default; the emulator stands in for it in tests). */
export const GRAPH_URL = CLOUD_HOSTS.public.graphUrl;
/** Reach Graph elsewhere (the local emulator): drift and rotate read it. */
export const GRAPH_URL_ENV = "CMIC_GRAPH_URL";

/** Issuer (`iss`) of v2.0 access tokens; what CMiC registers as Issuer URL. */
export function issuerUrlV2(tenantId: string, cloud: AzureCloud = "public"): string {
  return `${CLOUD_HOSTS[cloud].authorityHost}/${tenantId}/v2.0`;
}

/** Issuer of v1.0 access tokens (note the trailing slash): CMiC's Issuer URL for a v1 app. */
export function issuerUrlV1(tenantId: string, cloud: AzureCloud = "public"): string {
  return `${CLOUD_HOSTS[cloud].v1IssuerHost}/${tenantId}/`;
}

/**
 * The keys CMiC's page "How to Get Issuer and jwks_uri" lists for v1 tokens: the common endpoint,
 * which serves the same signing keys as every tenant's (v1 tokens name no tenant in their keys URL).
 */
export function jwksUriV1(cloud: AzureCloud = "public"): string {
  return `${CLOUD_HOSTS[cloud].authorityHost}/common/discovery/keys`;
}
export const JWKS_URI_V1 = jwksUriV1("public");

/** CMiC's Issuer URL for tokens of `version`. */
export function issuerUrlFor(version: 1 | 2, tenantId: string, cloud: AzureCloud = "public"): string {
  return version === 1 ? issuerUrlV1(tenantId, cloud) : issuerUrlV2(tenantId, cloud);
}

/** CMiC's Keyset ID (JWKS URI) for tokens of `version`, as CMiC's page lists them. */
export function jwksUriFor(version: 1 | 2, tenantId: string, cloud: AzureCloud = "public"): string {
  return version === 1 ? jwksUriV1(cloud) : jwksUri(tenantId, cloud);
}

/** The signing keys (JWKS) CMiC downloads to validate signatures; its "Keyset ID". */
export function jwksUri(tenantId: string, cloud: AzureCloud = "public"): string {
  return `${CLOUD_HOSTS[cloud].authorityHost}/${tenantId}/discovery/v2.0/keys`;
}

/** The OAuth 2.0 v2 token endpoint the connector posts its client credentials to. */
export function tokenUrl(tenantId: string, cloud: AzureCloud = "public"): string {
  return `${CLOUD_HOSTS[cloud].authorityHost}/${tenantId}/oauth2/v2.0/token`;
}

/** The cloud whose v1 or v2 issuer `iss` is for this tenant, or null (another tenant, or no Entra issuer). */
export function cloudOfIssuer(iss: string, tenantId: string): { cloud: AzureCloud; version: 1 | 2 } | null {
  for (const cloud of Object.keys(CLOUD_HOSTS) as AzureCloud[]) {
    if (iss === issuerUrlV2(tenantId, cloud)) return { cloud, version: 2 };
  }
  // sts.windows.net is the v1 host of two clouds: the public cloud is named first.
  for (const cloud of Object.keys(CLOUD_HOSTS) as AzureCloud[]) {
    if (iss === issuerUrlV1(tenantId, cloud)) return { cloud, version: 1 };
  }
  return null;
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
