/**
 * Builds @azure/identity credentials for Entra ID or for the local emulator.
 *
 * Against any host other than Microsoft's own, MSAL's instance discovery (a call to
 * login.microsoftonline.com/common/discovery/instance) must be turned off, or every request fails
 * offline. MSAL also refuses plain-http authorities, which is why the emulator speaks HTTPS.
 */
import { ClientCertificateCredential, ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { CLOUD_HOSTS, ENTRA_AUTHORITY_HOST } from "../../contract/entraEndpoints";
import type { AzureCloud } from "../../contract/kinds";
import { credentialsFileFromEnv, entryVariable, readEntryCertificatePem, type CredentialsFile } from "./credentialsFile";

/** Hosts Microsoft runs (public and sovereign clouds); everything else is a private authority. */
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  "login.microsoftonline.com",
  "login.microsoftonline.us",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
]);

export function isMicrosoftAuthorityHost(authorityHost: string): boolean {
  return MICROSOFT_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname);
}

export type ClientCredentialSecret =
  | { kind: "secret"; clientSecret: string }
  /** A PEM holding the certificate and its private key, as @azure/identity expects. */
  | { kind: "certificate"; certificatePem: string };

export interface CredentialTarget {
  tenantId: string;
  clientId: string;
  credential: ClientCredentialSecret;
  /** Where to reach Entra; defaults to the public cloud. */
  authorityHost?: string;
}

/**
 * A fresh credential for one client. MSAL caches tokens per credential instance, so a caller that
 * needs a *new* token (e.g. to see a just-assigned claim) must build a new credential each try.
 */
export function createClientCredential(target: CredentialTarget): TokenCredential {
  const authorityHost = target.authorityHost ?? ENTRA_AUTHORITY_HOST;
  const options = {
    authorityHost,
    disableInstanceDiscovery: !isMicrosoftAuthorityHost(authorityHost),
  };
  if (target.credential.kind === "secret") {
    return new ClientSecretCredential(target.tenantId, target.clientId, target.credential.clientSecret, options);
  }
  return new ClientCertificateCredential(target.tenantId, target.clientId, { certificate: target.credential.certificatePem }, options);
}

/**
 * The credential a deployer or pipeline uses to read Graph. A tenant listed in the credentials file
 * `CMIC_CREDENTIALS_FILE` names (set-up "b", scripts/shared/credentialsFile.ts) signs in as that
 * entry's app. Any other tenant keeps set-up "a": with AZURE_CLIENT_SECRET set (a service principal,
 * the multi-tenant operator app, or the emulator's deployer) it is built explicitly so a private
 * AZURE_AUTHORITY_HOST works; otherwise DefaultAzureCredential covers workload identity federation,
 * managed identity and `az login`.
 *
 * Throws a CmicError when the file is unusable (ERR_CREDENTIALS_FILE) or the tenant's entry names a
 * variable that is unset (ERR_CREDENTIALS_ENV) or a certificate that cannot be read: callers build
 * one credential per tenant on first use, so that error belongs to that tenant's stacks alone.
 */
export function createDeployerCredential(
  env: NodeJS.ProcessEnv = process.env,
  tenantId?: string,
  cloud: AzureCloud = "public",
): TokenCredential {
  const { AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET } = env;
  // A sovereign cloud's tenant signs in at its own login host; AZURE_AUTHORITY_HOST (the emulator,
  // a private authority) or the file's entry still wins.
  const AZURE_AUTHORITY_HOST = env.AZURE_AUTHORITY_HOST || (cloud !== "public" ? CLOUD_HOSTS[cloud].authorityHost : undefined);
  const tenant = tenantId ?? AZURE_TENANT_ID;
  const fromFile = tenant ? tenantCredentialTarget(tenant, { ...env, ...(AZURE_AUTHORITY_HOST ? { AZURE_AUTHORITY_HOST } : {}) }) : null;
  if (fromFile) return createClientCredential(fromFile);
  if (tenant && AZURE_CLIENT_ID && AZURE_CLIENT_SECRET) {
    return createClientCredential({
      tenantId: tenant,
      clientId: AZURE_CLIENT_ID,
      credential: { kind: "secret", clientSecret: AZURE_CLIENT_SECRET },
      authorityHost: AZURE_AUTHORITY_HOST,
    });
  }
  const authority = AZURE_AUTHORITY_HOST ? { authorityHost: AZURE_AUTHORITY_HOST } : {};
  if (tenantId === undefined) return new DefaultAzureCredential(authority);
  return inTenant(new DefaultAzureCredential({ tenantId, additionallyAllowedTenants: ["*"], ...authority }), tenantId);
}

/**
 * A credential whose every token is for `tenantId`. DefaultAzureCredential's chain reads
 * AZURE_TENANT_ID from the process environment (EnvironmentCredential, WorkloadIdentityCredential)
 * or uses the `az login` tenant, whatever the caller meant: a multi-tenant app then signs in to its
 * home tenant, where a customer's objects are "not found". `getToken(scope, { tenantId })` asks each
 * credential of the chain for that tenant (allowed by `additionallyAllowedTenants`,
 * https://learn.microsoft.com/en-us/javascript/api/@azure/identity/defaultazurecredentialoptions).
 */
function inTenant(base: TokenCredential, tenantId: string): TokenCredential {
  return { getToken: (scopes, options) => base.getToken(scopes, { ...options, tenantId }) };
}

/**
 * What the credentials file says `tenantId` signs in as, with its secret or certificate read from
 * where the entry names it; null when no file is set or the tenant is not listed (set-up "a").
 */
export function tenantCredentialTarget(
  tenantId: string,
  env: NodeJS.ProcessEnv = process.env,
  file: CredentialsFile | null = credentialsFileFromEnv(env),
): CredentialTarget | null {
  const entry = file?.tenants.get(tenantId.toLowerCase());
  if (!file || !entry) return null;
  const authorityHost = entry.authorityHost ?? env.AZURE_AUTHORITY_HOST;
  const credential: ClientCredentialSecret =
    entry.credential.kind === "secret"
      ? { kind: "secret", clientSecret: entryVariable(entry, file.path, "clientSecretEnv", entry.credential.secretEnv, env) }
      : { kind: "certificate", certificatePem: readEntryCertificatePem(entry, entry.credential.pemPath, file.path, env) };
  return { tenantId: entry.tenantId, clientId: entry.clientId, credential, ...(authorityHost ? { authorityHost } : {}) };
}

/**
 * The client id {@link createDeployerCredential} signs in to `tenantId` as, when known (for consent
 * links): the credentials file's app for a tenant it lists, else AZURE_CLIENT_ID; null for a
 * DefaultAzureCredential whose identity is only known from its token.
 */
export function deployerClientId(env: NodeJS.ProcessEnv, tenantId: string): string | null {
  return credentialsFileFromEnv(env)?.tenants.get(tenantId.toLowerCase())?.clientId ?? (env.AZURE_CLIENT_ID || null);
}
