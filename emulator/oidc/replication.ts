/**
 * Replication lag as the token endpoint sees it: an object whose `readyAt` has not passed does not
 * exist yet for sign-ins (Graph reads see it at once; see store.ts). Every `readyAt` rule of the
 * token endpoint is here; each caller decides which AADSTS error "not there yet" becomes.
 */
import crypto from "node:crypto";
import { parseClaimsMappingDefinition } from "../claimsMapping";
import {
  hashSecret,
  sameIdentifier,
  type Application,
  type DirectoryStore,
  type KeyCredential,
  type PasswordCredential,
  type ServicePrincipal,
  type Tenant,
} from "../store";

/** The client's service principal in the tenant, with its application, once the SP has replicated. */
export function replicatedClient(
  store: DirectoryStore,
  tenant: Tenant,
  clientId: string,
): { sp: ServicePrincipal; app: Application } | undefined {
  const sp = store.findServicePrincipal(tenant.id, clientId);
  const app = store.findApplicationByAppId(clientId);
  if (!sp || !app || !store.isReady(sp.readyAt)) return undefined;
  return { sp, app };
}

/** The app's password credential with this secret, once replicated. */
export function replicatedSecret(store: DirectoryStore, app: Application, secret: string): PasswordCredential | undefined {
  const hash = hashSecret(secret);
  const match = app.passwordCredentials.find((credential) => crypto.timingSafeEqual(credential.secretHash, hash));
  return match && store.isReady(match.readyAt) ? match : undefined;
}

/** The key credential, once replicated. */
export function replicatedKey(store: DirectoryStore, key: KeyCredential | undefined): KeyCredential | undefined {
  return key && store.isReady(key.readyAt) ? key : undefined;
}

/** The replicated service principal in the tenant that answers to a resource identifier. */
export function replicatedResource(store: DirectoryStore, tenant: Tenant, resource: string): ServicePrincipal | undefined {
  return store
    .servicePrincipalsOf(tenant.id)
    .find((sp) => store.isReady(sp.readyAt) && store.resourceNames(sp).some((name) => sameIdentifier(name, resource)));
}

/** The constant claims a resource's effective (assigned and replicated) policy adds, if any. */
export function replicatedPolicyClaims(store: DirectoryStore, resource: ServicePrincipal): Record<string, string> | undefined {
  const assignment = resource.claimsMappingPolicies.find((a) => store.isReady(a.readyAt) && store.policies.has(a.policyId));
  if (!assignment) return undefined;
  const policy = store.policies.get(assignment.policyId);
  try {
    return parseClaimsMappingDefinition(policy?.definition[0] ?? "").constantClaims;
  } catch {
    return {};
  }
}

/**
 * The fixed-value JWT claims of the resource's portal configuration (Enterprise applications →
 * Single sign-on → Attributes & Claims, kept as the service principal's customClaimsPolicy:
 * https://learn.microsoft.com/en-us/graph/api/resources/customclaimspolicy?view=graph-rest-beta),
 * or undefined when it has none. Only `valueBasedAttribute` values are modelled: app-only tokens
 * have no user whose attributes a sourced claim could read. Written through Graph, it applies at
 * once (no replication modelled for it).
 */
export function portalClaims(resource: ServicePrincipal): Record<string, string> | undefined {
  const claims = resource.customClaimsPolicy?.claims ?? [];
  const emitted = claims.filter((claim) => claim.value !== null && (claim.tokenFormat.length === 0 || claim.tokenFormat.includes("jwt")));
  if (emitted.length === 0) return undefined;
  return Object.fromEntries(emitted.map((claim) => [claim.name, claim.value as string]));
}
