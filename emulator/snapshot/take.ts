/** Taking a snapshot: the store and the signing key as a detached JSON value (format.ts). */
import { DEFAULT_CLOUD } from "../clouds";
import type { SigningKey } from "../signingKeys";
import type {
  Application,
  ClaimsMappingPolicy,
  DirectoryStore,
  KeyCredential,
  OptionalClaim,
  OptionalClaims,
  PasswordCredential,
  ServicePrincipal,
  Tenant,
} from "../store";
import {
  SNAPSHOT_FORMAT,
  type ApplicationSnapshot,
  type ClaimsMappingPolicySnapshot,
  type EmulatorSnapshot,
  type KeyCredentialSnapshot,
  type OptionalClaimsSnapshot,
  type PasswordCredentialSnapshot,
  type RsaPrivateJwk,
  type ServicePrincipalSnapshot,
  type SigningKeySnapshot,
  type TenantSnapshot,
} from "./format";
import { SnapshotField } from "./reader";

export function signingKeySnapshot(key: SigningKey): SigningKeySnapshot {
  return {
    privateJwk: key.privateKey.export({ format: "jwk" }) as RsaPrivateJwk,
    certificate: key.certDer.toString("base64"),
    notBefore: key.notBefore.toISOString(),
    notAfter: key.notAfter.toISOString(),
  };
}

function tenantSnapshot(store: DirectoryStore, tenant: Tenant): TenantSnapshot {
  const deployer = store.deployers.get(tenant.id);
  if (!deployer) throw new Error(`Emulator bug: tenant ${tenant.id} has no seeded deployer.`);
  return {
    id: tenant.id,
    displayName: tenant.displayName,
    domains: tenant.domains.map((domain) => ({ ...domain })),
    createdAt: tenant.createdAt,
    deployer: { ...deployer },
    premiumLicense: tenant.premiumLicense,
    // Only outside the global cloud (format.ts): a public world's snapshot keeps its older shape.
    ...(tenant.cloud !== DEFAULT_CLOUD ? { cloud: tenant.cloud } : {}),
  };
}

function passwordCredentialSnapshot(credential: PasswordCredential): PasswordCredentialSnapshot {
  return {
    keyId: credential.keyId,
    displayName: credential.displayName,
    hint: credential.hint,
    startDateTime: credential.startDateTime,
    endDateTime: credential.endDateTime,
    secretHash: credential.secretHash.toString("base64"),
    readyAt: credential.readyAt,
    ...(credential.signIns ? { signIns: { ...credential.signIns } } : {}),
  };
}

function keyCredentialSnapshot(credential: KeyCredential): KeyCredentialSnapshot {
  return {
    keyId: credential.keyId,
    displayName: credential.displayName,
    type: credential.type,
    usage: credential.usage,
    key: credential.key,
    startDateTime: credential.startDateTime,
    endDateTime: credential.endDateTime,
    readyAt: credential.readyAt,
    ...(credential.signIns ? { signIns: { ...credential.signIns } } : {}),
  };
}

function optionalClaimsSnapshot(claims: OptionalClaims): OptionalClaimsSnapshot {
  const copy = (list: OptionalClaim[]) =>
    list.map((claim) => ({
      name: claim.name,
      source: claim.source,
      essential: claim.essential,
      additionalProperties: [...claim.additionalProperties],
    }));
  return { accessToken: copy(claims.accessToken), idToken: copy(claims.idToken), saml2Token: copy(claims.saml2Token) };
}

function applicationSnapshot(app: Application, index: number): ApplicationSnapshot {
  const path = `applications[${index}]`;
  return {
    tenantId: app.tenantId,
    id: app.id,
    appId: app.appId,
    displayName: app.displayName,
    signInAudience: app.signInAudience,
    identifierUris: [...app.identifierUris],
    // Copies: Graph bodies as sent, JSON by construction (the reader checks it all the same).
    api: new SnapshotField(app.api, `${path}.api`).jsonObject(),
    keyCredentials: app.keyCredentials.map(keyCredentialSnapshot),
    passwordCredentials: app.passwordCredentials.map(passwordCredentialSnapshot),
    createdDateTime: app.createdDateTime,
    other: new SnapshotField(app.other, `${path}.other`).jsonObject(),
    graphRoles: [...app.graphRoles],
    // Only when set (format.ts): an app without them keeps the older shape.
    ...(app.optionalClaims !== null ? { optionalClaims: optionalClaimsSnapshot(app.optionalClaims) } : {}),
  };
}

function servicePrincipalSnapshot(sp: ServicePrincipal): ServicePrincipalSnapshot {
  return {
    tenantId: sp.tenantId,
    id: sp.id,
    appId: sp.appId,
    displayName: sp.displayName,
    createdDateTime: sp.createdDateTime,
    readyAt: sp.readyAt,
    claimsMappingPolicies: sp.claimsMappingPolicies.map((assignment) => ({ policyId: assignment.policyId, readyAt: assignment.readyAt })),
    tokenSigningKeys: sp.tokenSigningKeys.map(signingKeySnapshot),
    preferredTokenSigningKeyThumbprint: sp.preferredTokenSigningKeyThumbprint,
    firstParty: sp.firstParty ? { names: [...sp.firstParty.names], ownerTenantId: sp.firstParty.ownerTenantId } : null,
    ...(sp.graphRoles !== undefined ? { graphRoles: [...sp.graphRoles] } : {}),
    customClaimsPolicy: sp.customClaimsPolicy
      ? {
          id: sp.customClaimsPolicy.id,
          includeBasicClaimSet: sp.customClaimsPolicy.includeBasicClaimSet,
          claims: sp.customClaimsPolicy.claims.map((claim, index) => ({
            name: claim.name,
            value: claim.value,
            tokenFormat: [...claim.tokenFormat],
            raw: new SnapshotField(claim.raw, `servicePrincipals.customClaimsPolicy.claims[${index}].raw`).jsonObject(),
          })),
        }
      : null,
  };
}

function policySnapshot(policy: ClaimsMappingPolicy): ClaimsMappingPolicySnapshot {
  return {
    tenantId: policy.tenantId,
    id: policy.id,
    displayName: policy.displayName,
    definition: [...policy.definition],
    isOrganizationDefault: policy.isOrganizationDefault,
  };
}

/** Everything needed to continue: shares nothing with the live store, so later changes do not leak into it. */
export function takeSnapshot(store: DirectoryStore, signingKey: SigningKey): EmulatorSnapshot {
  return {
    format: SNAPSHOT_FORMAT,
    signingKey: signingKeySnapshot(signingKey),
    tenants: [...store.tenants.values()].map((tenant) => tenantSnapshot(store, tenant)),
    applications: [...store.applications.values()].map(applicationSnapshot),
    servicePrincipals: [...store.servicePrincipals.values()].map(servicePrincipalSnapshot),
    claimsMappingPolicies: [...store.policies.values()].map(policySnapshot),
  };
}
