/**
 * The emulator's directory: tenants, applications, service principals, credentials and
 * claims-mapping policies, in memory.
 *
 * Eventual consistency is modelled with a `readyAt` time stamped on what Entra replicates slowly
 * (credentials, service principals, policy assignments): the token endpoint ignores an object until
 * then, while Graph reads see everything at once. `readyAt` uses the propagation delay in force
 * when the object was created.
 *
 * Time is the store's clock ({@link DirectoryStore.now}), never the host's: a persistent world runs
 * on a simulated clock that jumps ahead between runs, and every date the directory writes or checks
 * (creation dates, credential validity, `readyAt`, token times) must agree with it.
 */
import crypto from "node:crypto";
import type { EmulatorCloud } from "./clouds";
import type { SigningKey } from "./signingKeys";

export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
export const GRAPH_RESOURCE = "https://graph.microsoft.com";
/** Microsoft's own tenant, which owns first-party apps such as Graph. */
export const MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";
/** Application permissions the seeded deployer holds on Graph (its token's `roles`). */
export const DEPLOYER_GRAPH_ROLES = [
  "Application.ReadWrite.All",
  "Policy.ReadWrite.ApplicationConfiguration",
  "Policy.Read.All",
  "Domain.Read.All",
  // Drift reads the credential sign-in report with it (graph/reports.ts); the README lists it as optional.
  "AuditLog.Read.All",
];

export interface Domain {
  name: string;
  isVerified: boolean;
  isInitial: boolean;
  isDefault: boolean;
}

export interface Tenant {
  id: string;
  displayName: string;
  domains: Domain[];
  createdAt: number;
  /**
   * Microsoft Entra ID P1 or P2: the tenant has the sign-in reports, Graph's
   * appCredentialSignInActivities among them (graph/reports.ts). False unless set.
   */
  premiumLicense: boolean;
  /** The Entra cloud the tenant lives in: its tokens' issuers and login host (clouds.ts). */
  cloud: EmulatorCloud;
}

/**
 * What Entra keeps of one credential's sign-ins, for the appCredentialSignInActivities report:
 * epoch ms of the last attempt (successful or not) and the last success, and the resource (app id)
 * the last successful token was for.
 */
export interface CredentialSignIns {
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  lastResourceAppId: string | null;
}

export interface PasswordCredential {
  keyId: string;
  displayName: string | null;
  hint: string;
  startDateTime: string;
  endDateTime: string;
  /** SHA-256 of the secret: the secret itself is returned once and never kept. */
  secretHash: Buffer;
  readyAt: number;
  /** Absent until the token endpoint first sees this secret (oidc/signIns.ts). */
  signIns?: CredentialSignIns;
}

export interface KeyCredential {
  keyId: string;
  displayName: string | null;
  type: string;
  usage: string;
  /** Base64 DER of the certificate. */
  key: string;
  /** SHA-1 thumbprint, uppercase hex. */
  customKeyIdentifier: string;
  startDateTime: string;
  endDateTime: string;
  thumbprintSha1: Buffer;
  thumbprintSha256: Buffer;
  publicKey: crypto.KeyObject;
  readyAt: number;
  /** Absent until the token endpoint first sees this certificate (oidc/signIns.ts). */
  signIns?: CredentialSignIns;
}

export interface ApiSettings {
  requestedAccessTokenVersion: number | null;
  acceptMappedClaims: boolean | null;
  oauth2PermissionScopes: unknown[];
  [other: string]: unknown;
}

/**
 * One optional claim of an application (Graph's optionalClaim resource,
 * https://learn.microsoft.com/graph/api/resources/optionalclaim), as stored and returned.
 */
export interface OptionalClaim {
  name: string;
  /** null: a predefined optional claim; "user": `name` is an extension property of the user object. */
  source: string | null;
  essential: boolean;
  additionalProperties: string[];
}

/**
 * The optional claims an application asks for in each kind of token it receives (Graph's
 * optionalClaims resource, https://learn.microsoft.com/graph/api/resources/optionalclaims).
 */
export interface OptionalClaims {
  accessToken: OptionalClaim[];
  idToken: OptionalClaim[];
  saml2Token: OptionalClaim[];
}

export interface Application {
  tenantId: string;
  id: string;
  appId: string;
  displayName: string;
  signInAudience: string;
  identifierUris: string[];
  api: ApiSettings;
  keyCredentials: KeyCredential[];
  passwordCredentials: PasswordCredential[];
  createdDateTime: string;
  /** Other writable properties, stored as sent and returned as stored. */
  other: Record<string, unknown>;
  /** Graph application permissions granted to this app (the `roles` of its Graph tokens). */
  graphRoles: string[];
  /**
   * The app's optionalClaims (graph/optionalClaims.ts): null until a POST or PATCH sets them, as
   * Graph answers for a new app. As a RESOURCE, its `accessToken` list shapes the tokens issued for it.
   */
  optionalClaims: OptionalClaims | null;
}

export interface PolicyAssignment {
  policyId: string;
  readyAt: number;
}

export interface ServicePrincipal {
  tenantId: string;
  id: string;
  appId: string;
  displayName: string;
  createdDateTime: string;
  readyAt: number;
  claimsMappingPolicies: PolicyAssignment[];
  tokenSigningKeys: SigningKey[];
  preferredTokenSigningKeyThumbprint: string | null;
  /** Set for first-party resources (Graph) that have no application object in the tenant. */
  firstParty?: { names: string[]; ownerTenantId: string };
  /** The portal's claim configuration (Attributes & Claims); null or absent when none is set. */
  customClaimsPolicy?: CustomClaimsPolicy | null;
  /**
   * Graph application permissions an admin of THIS tenant consented to for a multi-tenant app
   * registered in another (seed.ts grantAdminConsent): the `roles` of its Graph tokens here.
   * Absent for an app in its own tenant, whose roles are the application's `graphRoles`.
   */
  graphRoles?: string[];
}

/** One claim of a customClaimsPolicy: a name and, for a `valueBasedAttribute`, its fixed value. */
export interface CustomClaim {
  name: string;
  value: string | null;
  tokenFormat: string[];
  /** The claim as Graph was sent it, returned as stored. */
  raw: Record<string, unknown>;
}

/** The service principal's customClaimsPolicy (beta), as the portal's Attributes & Claims writes it. */
export interface CustomClaimsPolicy {
  id: string;
  includeBasicClaimSet: boolean;
  claims: CustomClaim[];
}

/** The seeded deployer of a tenant, as `addTenant` handed it out. */
export interface DeployerCredentials {
  clientId: string;
  clientSecret: string;
}

export interface ClaimsMappingPolicy {
  tenantId: string;
  id: string;
  displayName: string;
  definition: string[];
  isOrganizationDefault: boolean;
}

export function hashSecret(secret: string): Buffer {
  return crypto.createHash("sha256").update(secret, "utf8").digest();
}

/** Identifier comparison as Entra does it for resources: case- and trailing-slash-insensitive. */
export function sameIdentifier(a: string, b: string): boolean {
  return a.replace(/\/+$/, "").toLowerCase() === b.replace(/\/+$/, "").toLowerCase();
}

/** True when an identifier's host is a verified domain of the tenant or a subdomain of one. */
export function hostOnVerifiedDomain(identifier: string, verifiedDomains: string[]): boolean {
  let host: string;
  try {
    host = new URL(identifier).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === "") return false;
  return verifiedDomains.some((domain) => host === domain.toLowerCase() || host.endsWith(`.${domain.toLowerCase()}`));
}

/** Epoch milliseconds: the time of the emulated directory. */
export type Clock = () => number;

export class DirectoryStore {
  readonly tenants = new Map<string, Tenant>();
  readonly applications = new Map<string, Application>();
  readonly servicePrincipals = new Map<string, ServicePrincipal>();
  readonly policies = new Map<string, ClaimsMappingPolicy>();
  /**
   * Each tenant's seeded deployer, by tenant id, secret text included: the emulator's own fixture,
   * not a directory object (the directory keeps only the secret's hash), kept so that whoever owns
   * a persistent world can sign in as the deployer again after a restore.
   */
  readonly deployers = new Map<string, DeployerCredentials>();

  constructor(
    public propagationDelayMs = 0,
    private clock: Clock = Date.now,
  ) {}

  /** The directory's time: every date the emulator stamps or checks comes from here. */
  now(): number {
    return this.clock();
  }

  /**
   * Replace the clock. `readyAt` values are instants on the clock, so a clock that keeps the pace
   * of real time (real time plus an offset) leaves pending replication pending for as long as before.
   */
  setClock(clock: Clock): void {
    this.clock = clock;
  }

  /** When an object created now becomes visible to the token endpoint. */
  readyAtFromNow(): number {
    return this.now() + this.propagationDelayMs;
  }

  isReady(readyAt: number): boolean {
    return this.now() >= readyAt;
  }

  /**
   * End the replication of everything still pending, now: credentials, service principals and
   * policy assignments. Lets a test wait for an event (a client reporting that it waits) instead of
   * a clock, so nothing depends on how fast a process starts.
   */
  completePropagation(): void {
    const now = this.now();
    const settle = <T extends { readyAt: number }>(item: T): void => {
      item.readyAt = Math.min(item.readyAt, now);
    };
    for (const app of this.applications.values()) {
      app.passwordCredentials.forEach(settle);
      app.keyCredentials.forEach(settle);
    }
    for (const sp of this.servicePrincipals.values()) {
      settle(sp);
      sp.claimsMappingPolicies.forEach(settle);
    }
  }

  /** A tenant by GUID or by any of its domain names (case-insensitive). */
  findTenant(segment: string): Tenant | undefined {
    const wanted = segment.toLowerCase();
    const byId = this.tenants.get(wanted);
    if (byId) return byId;
    for (const tenant of this.tenants.values()) {
      if (tenant.domains.some((domain) => domain.name.toLowerCase() === wanted)) return tenant;
    }
    return undefined;
  }

  verifiedDomains(tenant: Tenant): string[] {
    return tenant.domains.filter((domain) => domain.isVerified).map((domain) => domain.name);
  }

  applicationsOf(tenantId: string): Application[] {
    return [...this.applications.values()].filter((app) => app.tenantId === tenantId);
  }

  findApplicationByAppId(appId: string): Application | undefined {
    const wanted = appId.toLowerCase();
    return [...this.applications.values()].find((app) => app.appId === wanted);
  }

  servicePrincipalsOf(tenantId: string): ServicePrincipal[] {
    return [...this.servicePrincipals.values()].filter((sp) => sp.tenantId === tenantId);
  }

  findServicePrincipal(tenantId: string, appId: string): ServicePrincipal | undefined {
    const wanted = appId.toLowerCase();
    return this.servicePrincipalsOf(tenantId).find((sp) => sp.appId === wanted);
  }

  /** Every name a resource answers to: its app id, api://appId and the app's identifier URIs. */
  resourceNames(sp: ServicePrincipal): string[] {
    if (sp.firstParty) return sp.firstParty.names;
    const app = this.findApplicationByAppId(sp.appId);
    return [sp.appId, `api://${sp.appId}`, ...(app?.identifierUris ?? [])];
  }

  policiesOf(tenantId: string): ClaimsMappingPolicy[] {
    return [...this.policies.values()].filter((policy) => policy.tenantId === tenantId);
  }

  deleteApplication(app: Application): void {
    this.applications.delete(app.id);
    // Entra deletes the app's service principal in its home tenant with it.
    for (const sp of this.servicePrincipalsOf(app.tenantId)) {
      if (sp.appId === app.appId) this.servicePrincipals.delete(sp.id);
    }
  }

  deletePolicy(policy: ClaimsMappingPolicy): void {
    this.policies.delete(policy.id);
    for (const sp of this.servicePrincipals.values()) {
      sp.claimsMappingPolicies = sp.claimsMappingPolicies.filter((assignment) => assignment.policyId !== policy.id);
    }
  }
}
