/**
 * Steps 2 and 3 of the token endpoint: find the client in the tenant, then check what it presented
 * (a client secret, or a client assertion: clientAssertion.ts).
 */
import type { EmulatorContext } from "../context";
import { aadstsError, type HttpError } from "../errors";
import type { Application, KeyCredential, PasswordCredential, ServicePrincipal, Tenant } from "../store";
import type { ClientAuthMethod } from "../tokens";
import type { Correlation } from "./call";
import { authenticateWithAssertion } from "./clientAssertion";
import { replicatedClient, replicatedSecret } from "./replication";
import type { ClientCredentials } from "./tokenForm";

export interface Client {
  app: Application;
  sp: ServicePrincipal;
}

/** How the client proved who it is, and with which of its credentials. */
export interface ClientProof {
  method: ClientAuthMethod;
  credential: PasswordCredential | KeyCredential;
}

/** Told of a recognised credential whose use failed (an expired secret, a bad assertion): oidc/signIns.ts. */
export type FailedAttemptListener = (credential: PasswordCredential | KeyCredential) => void;

/** The client: its service principal must exist (and have replicated) in the tenant. */
export function requireClient(context: EmulatorContext, tenant: Tenant, clientId: string, correlation: Correlation): Client {
  const client = replicatedClient(context.store, tenant, clientId);
  if (client) return client;
  // The app is registered in this tenant but its service principal is missing or still
  // replicating: Entra says so with 7000229 ("The client application … is missing service
  // principal in the tenant …"), seen right after an app is created; 700016 is for an unknown app.
  const app = context.store.findApplicationByAppId(clientId);
  if (app && app.tenantId === tenant.id) {
    throw aadstsError({
      status: 400,
      error: "invalid_client",
      code: 7000229,
      message: `The client application ${clientId} is missing service principal in the tenant ${tenant.id}.`,
      ...correlation,
    });
  }
  throw aadstsError({
    status: 400,
    error: "unauthorized_client",
    code: 700016,
    message:
      `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. ` +
      "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
      "You may have sent your authentication request to the wrong tenant.",
    ...correlation,
  });
}

function invalidClientSecret(appId: string, correlation: Correlation): HttpError {
  return aadstsError({
    status: 401,
    error: "invalid_client",
    code: 7000215,
    message:
      "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, " +
      `not the client secret ID, for a secret added to app '${appId}'.`,
    ...correlation,
  });
}

function authenticateWithSecret(
  context: EmulatorContext,
  app: Application,
  secret: string,
  correlation: Correlation,
  onFailedAttempt: FailedAttemptListener,
): PasswordCredential {
  const match = replicatedSecret(context.store, app, secret);
  const now = context.store.now();
  // A secret that has not replicated yet is indistinguishable from a wrong one, as in Entra.
  if (!match || Date.parse(match.startDateTime) > now) {
    throw invalidClientSecret(app.appId, correlation);
  }
  if (Date.parse(match.endDateTime) <= now) {
    onFailedAttempt(match);
    throw aadstsError({
      status: 401,
      error: "invalid_client",
      code: 7000222,
      message:
        `The provided client secret keys for app '${app.appId}' are expired. Visit the Azure portal to create new keys for your app: ` +
        "https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
      ...correlation,
    });
  }
  return match;
}

/** Check the presented credential (an assertion wins over a secret); how it was done goes into the token's acr. */
export async function authenticateClient(
  context: EmulatorContext,
  tenant: Tenant,
  app: Application,
  credentials: ClientCredentials,
  correlation: Correlation,
  onFailedAttempt: FailedAttemptListener,
): Promise<ClientProof> {
  if (credentials.assertion !== undefined) {
    const key = await authenticateWithAssertion(context, tenant, app, credentials.assertion, correlation, onFailedAttempt);
    return { method: "certificate", credential: key };
  }
  if (credentials.secret !== undefined && credentials.secret !== "") {
    return { method: "secret", credential: authenticateWithSecret(context, app, credentials.secret, correlation, onFailedAttempt) };
  }
  throw aadstsError({
    status: 401,
    error: "invalid_client",
    code: 7000216,
    message: "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
    ...correlation,
  });
}
