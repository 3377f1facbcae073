/**
 * Seeding the directory from the test or CLI side: tenants (each with Microsoft Graph's service
 * principal and a deployer app allowed to call Graph) and further domains. Input mistakes throw
 * plain Errors: they are the caller's bugs, not HTTP answers.
 */
import crypto from "node:crypto";
import { cloudOrDefault, type EmulatorCloud } from "./clouds";
import { generateSecretText, graphServicePrincipal } from "./graph/objects";
import { graphDateTime } from "./graph/dates";
import { addServicePrincipal } from "./graph/servicePrincipals";
import {
  DEPLOYER_GRAPH_ROLES,
  hashSecret,
  type Application,
  type DeployerCredentials,
  type DirectoryStore,
  type Domain,
  type ServicePrincipal,
  type Tenant,
} from "./store";

export interface AddTenantInput {
  tenantId?: string;
  /** `<name>.onmicrosoft.com`: verified, initial and default. */
  initialDomain: string;
  /** Further verified (custom) domains. */
  verifiedDomains?: string[];
  displayName?: string;
  /** Microsoft Entra ID P1/P2: the sign-in reports are offered (default false, as in a tenant without the licence). */
  premiumLicense?: boolean;
  /**
   * The Entra cloud the tenant lives in (default "public"): its tokens carry that cloud's issuers
   * and its client assertions name that cloud's token URL (clouds.ts).
   */
  cloud?: EmulatorCloud;
}

export interface EmulatorTenant {
  tenantId: string;
  initialDomain: string;
  verifiedDomains: string[];
  cloud: EmulatorCloud;
  /** An app that may call Graph in this tenant; its secret works at once, whatever the delay. */
  deployer: DeployerCredentials;
}

const DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function validateDomain(domain: string, what: string): string {
  if (!DOMAIN_PATTERN.test(domain)) throw new Error(`${what} '${domain}' is not a valid domain name (e.g. contoso.onmicrosoft.com).`);
  return domain.toLowerCase();
}

/** The tenant's domain names, initial first; each must be free, since domain names are global. */
function newTenantDomains(store: DirectoryStore, input: AddTenantInput): Domain[] {
  const initialDomain = validateDomain(input.initialDomain, "initialDomain");
  const verified = (input.verifiedDomains ?? []).map((domain) => validateDomain(domain, "verifiedDomain"));
  const names = [initialDomain, ...verified.filter((domain) => domain !== initialDomain)];
  for (const name of names) {
    if (store.findTenant(name)) throw new Error(`Domain ${name} already belongs to another emulator tenant: domain names are global.`);
  }
  return names.map((name) => ({ name, isVerified: true, isInitial: name === initialDomain, isDefault: name === initialDomain }));
}

/**
 * Ten years, not the two Entra gives a secret by default: the deployer is the emulator's fixture,
 * and a persistent world whose clock jumps years ahead must still be able to deploy with it.
 * (A password credential's endDateTime is the caller's choice,
 * https://learn.microsoft.com/en-us/graph/api/resources/passwordcredential, unless an app management
 * policy sets a maxLifetime: https://learn.microsoft.com/en-us/graph/api/resources/passwordcredentialconfiguration.)
 */
const DEPLOYER_SECRET_LIFETIME_MS = 10 * 365 * 86_400_000;

function deployerApplication(tenantId: string, secret: string, created: number): Application {
  return {
    tenantId,
    id: crypto.randomUUID(),
    appId: crypto.randomUUID(),
    displayName: "emulator-deployer",
    signInAudience: "AzureADMyOrg",
    identifierUris: [],
    api: { requestedAccessTokenVersion: null, acceptMappedClaims: null, oauth2PermissionScopes: [] },
    keyCredentials: [],
    passwordCredentials: [
      {
        keyId: crypto.randomUUID(),
        displayName: "emulator deployer secret",
        hint: secret.slice(0, 3),
        startDateTime: graphDateTime(created),
        endDateTime: graphDateTime(created + DEPLOYER_SECRET_LIFETIME_MS),
        secretHash: hashSecret(secret),
        readyAt: 0,
      },
    ],
    createdDateTime: graphDateTime(created),
    other: {},
    graphRoles: [...DEPLOYER_GRAPH_ROLES],
    optionalClaims: null,
  };
}

/** The deployer exists "from before": usable at once, whatever the propagation delay. */
function seedDeployer(store: DirectoryStore, tenantId: string): EmulatorTenant["deployer"] {
  const secret = generateSecretText();
  const created = store.now();
  const deployer = deployerApplication(tenantId, secret, created);
  store.applications.set(deployer.id, deployer);
  const deployerSp: ServicePrincipal = {
    tenantId,
    id: crypto.randomUUID(),
    appId: deployer.appId,
    displayName: deployer.displayName,
    createdDateTime: graphDateTime(created),
    readyAt: 0,
    claimsMappingPolicies: [],
    tokenSigningKeys: [],
    preferredTokenSigningKeyThumbprint: null,
  };
  store.servicePrincipals.set(deployerSp.id, deployerSp);
  const credentials = { clientId: deployer.appId, clientSecret: secret };
  store.deployers.set(tenantId, credentials);
  return { ...credentials };
}

export function addTenant(store: DirectoryStore, input: AddTenantInput): EmulatorTenant {
  const tenantId = (input.tenantId ?? crypto.randomUUID()).toLowerCase();
  if (!GUID_PATTERN.test(tenantId)) throw new Error(`tenantId '${input.tenantId}' must be a GUID.`);
  if (store.tenants.has(tenantId)) throw new Error(`Tenant ${tenantId} already exists in this emulator.`);
  // Checked at run time too: callers in plain JavaScript, or a CLI value passed on unchecked.
  const cloud = cloudOrDefault(input.cloud, "addTenant: cloud");
  const domains = newTenantDomains(store, input);
  const initialDomain = domains[0].name;
  const tenant: Tenant = {
    id: tenantId,
    displayName: input.displayName ?? initialDomain.split(".")[0],
    domains,
    createdAt: store.now(),
    premiumLicense: input.premiumLicense === true,
    cloud,
  };
  store.tenants.set(tenant.id, tenant);
  const graph = graphServicePrincipal(tenant.id, tenant.createdAt, 0, tenant.cloud);
  store.servicePrincipals.set(graph.id, graph);
  seedDeployer(store, tenant.id);
  return emulatorTenant(store, tenant);
}

/** What `addTenant` hands out, as of now: the tenant's verified domains (initial first) and its deployer. */
function emulatorTenant(store: DirectoryStore, tenant: Tenant): EmulatorTenant {
  const initial = tenant.domains.find((domain) => domain.isInitial) ?? tenant.domains[0];
  const deployer = store.deployers.get(tenant.id);
  if (!deployer) throw new Error(`Emulator bug: tenant ${tenant.id} has no seeded deployer.`);
  return {
    tenantId: tenant.id,
    initialDomain: initial.name,
    verifiedDomains: store.verifiedDomains(tenant),
    cloud: tenant.cloud,
    deployer: { ...deployer },
  };
}

/** Every tenant with its deployer, in the order they were added (restored ones included). */
export function listTenants(store: DirectoryStore): EmulatorTenant[] {
  return [...store.tenants.values()].map((tenant) => emulatorTenant(store, tenant));
}

/** Add a domain to a tenant; unverified unless `verified` is true. */
export function addDomain(store: DirectoryStore, tenantId: string, domain: string, options: { verified?: boolean } = {}): void {
  const tenant = store.tenants.get(tenantId.toLowerCase());
  if (!tenant) throw new Error(`addDomain: no tenant ${tenantId} in this emulator; call addTenant first.`);
  const name = validateDomain(domain, "domain");
  if (store.findTenant(name)) throw new Error(`addDomain: domain ${name} is already in use.`);
  tenant.domains.push({ name, isVerified: options.verified === true, isInitial: false, isDefault: false });
}

/** Give a tenant Microsoft Entra ID P1/P2, or take it away (the sign-in reports follow it). */
export function setPremiumLicense(store: DirectoryStore, tenantId: string, premium: boolean): void {
  const tenant = store.tenants.get(tenantId.toLowerCase());
  if (!tenant) throw new Error(`setPremiumLicense: no tenant ${tenantId} in this emulator; call addTenant first.`);
  tenant.premiumLicense = premium;
}

/**
 * The Graph application permissions an app of the tenant holds (its Graph tokens' `roles`), as an
 * admin's consent grants or revokes them; a token issued before keeps the roles it was issued with.
 */
export function setGraphRoles(store: DirectoryStore, tenantId: string, clientId: string, roles: readonly string[]): void {
  const app = store.findApplicationByAppId(clientId);
  if (!app || app.tenantId !== tenantId.toLowerCase()) {
    throw new Error(`setGraphRoles: no app ${clientId} in tenant ${tenantId}.`);
  }
  app.graphRoles = [...roles];
}

/**
 * An admin of `tenantId` consents to a multi-tenant app registered in another tenant, granting it
 * Graph application permissions (the admin consent URL `/{tenant}/adminconsent?client_id=…`, or
 * `az ad sp create --id` plus app role assignments): the app gets a service principal in this tenant
 * (if it has none) whose Graph tokens carry `roles`. A single-tenant app cannot be consented to
 * elsewhere (Graph: NoBackingApplicationObject). `roles` replaces what was granted before.
 */
export function grantAdminConsent(store: DirectoryStore, tenantId: string, clientId: string, roles: readonly string[]): void {
  const tenant = store.tenants.get(tenantId.toLowerCase());
  if (!tenant) throw new Error(`grantAdminConsent: no tenant ${tenantId} in this emulator; call addTenant first.`);
  const app = store.findApplicationByAppId(clientId);
  if (!app) throw new Error(`grantAdminConsent: no app ${clientId} in this emulator.`);
  if (app.tenantId === tenant.id) throw new Error(`grantAdminConsent: app ${clientId} is registered in ${tenantId}: use setGraphRoles.`);
  if (app.signInAudience === "AzureADMyOrg") {
    throw new Error(`grantAdminConsent: app ${clientId} is single-tenant (AzureADMyOrg): another tenant cannot consent to it.`);
  }
  const existing = store.findServicePrincipal(tenant.id, app.appId);
  if (existing) {
    existing.graphRoles = [...roles];
    return;
  }
  addServicePrincipal(store, tenant.id, app).graphRoles = [...roles];
}
