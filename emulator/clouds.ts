/**
 * The Entra clouds a tenant lives in, and the public strings each one puts in tokens and discovery.
 *
 * A tenant belongs to exactly one cloud; its tokens are issued by that cloud's login host and carry
 * that cloud's issuers, so a validator configured for a sovereign cloud rejects a public-cloud token
 * (and the other way round). The emulator serves every cloud from its own origin: only the strings
 * a validator compares (issuers, the token URL a client assertion names) change with the cloud.
 *
 * Sources:
 * - Login hosts: "Microsoft Entra authentication endpoints" in
 *   https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud
 *   (Azure Government https://login.microsoftonline.us, Microsoft Azure operated by 21Vianet
 *   https://login.partner.microsoftonline.cn, global https://login.microsoftonline.com).
 * - v2.0 issuer = `<login host>/<tid>/v2.0`. China's is on login.partner.microsoftonline.cn even when
 *   the discovery document is asked for through the older login.chinacloudapi.cn: the OIDC discovery
 *   documents quoted in https://github.com/Azure/azure-dev/issues/5912 and
 *   https://github.com/jenkinsci/azure-ad-plugin/issues/679 ("issuer" …
 *   "https://login.partner.microsoftonline.cn/<tid>/v2.0").
 * - v1.0 issuer: global `https://sts.windows.net/<tid>/` (the access token claims reference,
 *   https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference); China
 *   `https://sts.chinacloudapi.cn/<tid>/`: https://github.com/MicrosoftDocs/azure-docs/issues/123050;
 *   US Government keeps `https://sts.windows.net/<tid>/`: community answer, not in the claims
 *   reference, https://learn.microsoft.com/en-us/answers/questions/1190472/what-are-the-token-issuers-for-the-sovereign-cloud
 * - Microsoft Graph's resource per cloud ("Microsoft Graph and Graph Explorer service root
 *   endpoints" in https://learn.microsoft.com/graph/deployments): https://graph.microsoft.com,
 *   https://graph.microsoft.us (US Government L4), https://microsoftgraph.chinacloudapi.cn.
 */

/** The clouds a tenant may be in; `public` is the global Azure cloud and the default. */
export const EMULATOR_CLOUDS = ["public", "usgovernment", "china"] as const;
export type EmulatorCloud = (typeof EMULATOR_CLOUDS)[number];

export const DEFAULT_CLOUD: EmulatorCloud = "public";

interface CloudStrings {
  /** The login host, scheme included, no trailing slash: token URL, JWKS and v2.0 issuer. */
  loginHost: string;
  /** The host of the v1.0 issuer (`https://<host>/<tid>/`). */
  v1IssuerHost: string;
  /** Microsoft Graph's resource: what a Graph token of this cloud is for (its `aud`). */
  graphResource: string;
}

const CLOUDS: Record<EmulatorCloud, CloudStrings> = {
  public: {
    loginHost: "https://login.microsoftonline.com",
    v1IssuerHost: "https://sts.windows.net",
    graphResource: "https://graph.microsoft.com",
  },
  usgovernment: {
    loginHost: "https://login.microsoftonline.us",
    v1IssuerHost: "https://sts.windows.net",
    graphResource: "https://graph.microsoft.us",
  },
  china: {
    loginHost: "https://login.partner.microsoftonline.cn",
    v1IssuerHost: "https://sts.chinacloudapi.cn",
    graphResource: "https://microsoftgraph.chinacloudapi.cn",
  },
};

export function isEmulatorCloud(value: unknown): value is EmulatorCloud {
  return typeof value === "string" && (EMULATOR_CLOUDS as readonly string[]).includes(value);
}

/** The cloud named, or the default when none is; anything else is the caller's mistake. */
export function cloudOrDefault(value: unknown, where: string): EmulatorCloud {
  if (value === undefined) return DEFAULT_CLOUD;
  if (isEmulatorCloud(value)) return value;
  const shown = typeof value === "string" ? `'${value}'` : String(value);
  throw new Error(`${where} must be one of ${EMULATOR_CLOUDS.map((cloud) => `"${cloud}"`).join(", ")} (got ${shown}).`);
}

/** `https://login.microsoftonline.com` and its sovereign counterparts. */
export function loginHost(cloud: EmulatorCloud): string {
  return CLOUDS[cloud].loginHost;
}

/** Microsoft Graph's resource in `cloud` (a tenant's Graph service principal answers to it). */
export function graphResource(cloud: EmulatorCloud): string {
  return CLOUDS[cloud].graphResource;
}

export function issuerV1(cloud: EmulatorCloud, tenantId: string): string {
  return `${CLOUDS[cloud].v1IssuerHost}/${tenantId}/`;
}

export function issuerV2(cloud: EmulatorCloud, tenantId: string): string {
  return `${CLOUDS[cloud].loginHost}/${tenantId}/v2.0`;
}
