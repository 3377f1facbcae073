/**
 * Builds @azure/identity credentials for Entra ID or for the local emulator.
 *
 * Against any host other than Microsoft's own, MSAL's instance discovery (a call to
 * login.microsoftonline.com/common/discovery/instance) must be turned off, or every request fails
 * offline. MSAL also refuses plain-http authorities, which is why the emulator speaks HTTPS.
 */
import { ClientCertificateCredential, ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from "@azure/identity";
import { ENTRA_AUTHORITY_HOST } from "../../contract/entraEndpoints";

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
 * The credential a deployer or pipeline uses to read Graph. With AZURE_CLIENT_SECRET set (a service
 * principal, or the emulator's deployer) it is built explicitly so a private AZURE_AUTHORITY_HOST
 * works; otherwise DefaultAzureCredential covers workload identity federation, managed identity and
 * `az login`.
 */
export function createDeployerCredential(env: NodeJS.ProcessEnv = process.env, tenantId?: string): TokenCredential {
  const { AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_AUTHORITY_HOST } = env;
  const tenant = tenantId ?? AZURE_TENANT_ID;
  if (tenant && AZURE_CLIENT_ID && AZURE_CLIENT_SECRET) {
    return createClientCredential({
      tenantId: tenant,
      clientId: AZURE_CLIENT_ID,
      credential: { kind: "secret", clientSecret: AZURE_CLIENT_SECRET },
      authorityHost: AZURE_AUTHORITY_HOST,
    });
  }
  if (tenantId === undefined) return new DefaultAzureCredential();
  return inTenant(new DefaultAzureCredential({ tenantId, additionallyAllowedTenants: ["*"] }), tenantId);
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
