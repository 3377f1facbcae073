/**
 * The kinds of a CMiC integration, the config namespace and the claim name: one definition, with
 * the runtime lists the validators and parsers check against. Every side (the Pulumi program, the
 * tools, the sandbox) imports them from here; nothing else spells them out.
 */

/** The Pulumi project name: namespace of every stack setting (`cmic-entra-oauth:deployment`). */
export const CONFIG_NAMESPACE = "cmic-entra-oauth";

/** `enterprise` (CMiC on premises) or `cloud` (CMiC Cloud): decides the claim's value format. */
export const DEPLOYMENTS = ["enterprise", "cloud"] as const;
export type Deployment = (typeof DEPLOYMENTS)[number];

/** `token`: a claims-mapping policy puts the user in the token; `registration`: CMiC after Patch 22 reads it from its registration. */
export const CLAIM_SOURCES = ["token", "registration"] as const;
export type ClaimSource = (typeof CLAIM_SOURCES)[number];

/** How the connector authenticates to Entra. */
export const CREDENTIAL_KINDS = ["secret", "certificate", "both"] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** The claim CMiC reads its service user from, unless `cmic.oauth2.user.claim.name` says otherwise. */
export const DEFAULT_CLAIM_NAME = "cmicuser";

/**
 * The access-token format the app asks Entra for (`api.requestedAccessTokenVersion`): 2 (the
 * default, as the Arcoro guide registers), or 1 (what CMiC's own guide registers: "the JWT access
 * token always matches version 1" unless the app asks for v2). CMiC's registration must hold the
 * issuer and keys of the version the app really issues.
 */
export const ACCESS_TOKEN_VERSIONS = [2, 1] as const;
export type AccessTokenVersion = (typeof ACCESS_TOKEN_VERSIONS)[number];
export const DEFAULT_ACCESS_TOKEN_VERSION: AccessTokenVersion = 2;

/**
 * The connector that requests tokens, for the handoff sheet's connector section: `arcoro` (the
 * default: Arcoro's Integration module asks for Token URL, Client ID, Secret and Scope),
 * `informatica-cai` (Informatica CAI's Microsoft Azure service connector: Azure_Tenant_ID,
 * Client_ID, Resource = the App ID URI, a PKCS#12/JKS keystore and the SHA-1 fingerprint with
 * colons; ../shared/reference/004_ba614d1e6f9bcab4.txt), or `generic` (every OAuth value). It
 * changes no resource in Entra: only what the sheet tells the connector admin.
 */
export const CONNECTOR_PROFILES = ["arcoro", "informatica-cai", "generic"] as const;
export type ConnectorProfile = (typeof CONNECTOR_PROFILES)[number];
export const DEFAULT_CONNECTOR_PROFILE: ConnectorProfile = "arcoro";

/**
 * The Entra cloud the customer's tenant lives in: `public` (the default), `usgovernment` (Azure
 * Government, GCC High; login.microsoftonline.us) or `china` (operated by 21Vianet). It decides
 * every login and Graph host the project hands out or calls (contract/entraEndpoints.ts).
 */
export const AZURE_CLOUDS = ["public", "usgovernment", "china"] as const;
export type AzureCloud = (typeof AZURE_CLOUDS)[number];
export const DEFAULT_AZURE_CLOUD: AzureCloud = "public";

/**
 * The access-token optional claims CMiC's Entra guide asks for (entra-facts.md): `ipaddr` (what
 * CMiC's IP check compares with the caller's address), `email` and `upn`. Entra emits `email` and
 * `upn` only for a user, so client-credentials tokens never carry them (optional claims reference).
 */
export const OPTIONAL_CLAIMS = ["ipaddr", "email", "upn"] as const;
export type OptionalClaim = (typeof OPTIONAL_CLAIMS)[number];

/** Type guard: `value` is one of `allowed`. */
export function isOneOf<T extends string>(allowed: readonly T[], value: unknown): value is T {
  return typeof value === "string" && (allowed as readonly string[]).includes(value);
}

/** The component's Pulumi type token: in every URN of a stack, and in adoption's import file. */
export const COMPONENT_TYPE = "cmic-entra-oauth:index:CmicEntraIntegration";
