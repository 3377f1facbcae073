/**
 * Graph representations of directory objects, and parsing of Graph request bodies into the store's
 * shapes (validation errors are Graph's 400s).
 */
import crypto from "node:crypto";
import { parseClaimsMappingDefinition } from "../claimsMapping";
import { badRequest } from "../errors";
import {
  GRAPH_APP_ID,
  hostOnVerifiedDomain,
  MICROSOFT_TENANT_ID,
  type Application,
  type ClaimsMappingPolicy,
  type DirectoryStore,
  type KeyCredential,
  type PasswordCredential,
  type ServicePrincipal,
  type Tenant,
} from "../store";
import { sha1Thumbprint, sha256Thumbprint } from "../x509";
import { graphResource, type EmulatorCloud } from "../clouds";
import { graphDateTime } from "./dates";
import { optionalClaimsView, parseOptionalClaims } from "./optionalClaims";

export const SIGN_IN_AUDIENCES = ["AzureADMyOrg", "AzureADMultipleOrgs", "AzureADandPersonalMicrosoftAccount", "PersonalMicrosoftAccount"];

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function keyCredentialView(credential: KeyCredential, includeKey: boolean): Record<string, unknown> {
  return {
    customKeyIdentifier: credential.customKeyIdentifier,
    displayName: credential.displayName,
    endDateTime: credential.endDateTime,
    key: includeKey ? credential.key : null,
    keyId: credential.keyId,
    startDateTime: credential.startDateTime,
    type: credential.type,
    usage: credential.usage,
  };
}

function passwordCredentialView(credential: PasswordCredential): Record<string, unknown> {
  return {
    customKeyIdentifier: null,
    displayName: credential.displayName,
    endDateTime: credential.endDateTime,
    hint: credential.hint,
    keyId: credential.keyId,
    secretText: null,
    startDateTime: credential.startDateTime,
  };
}

export function applicationView(app: Application, tenant: Tenant, includeKeys: boolean): Record<string, unknown> {
  const initial = tenant.domains.find((domain) => domain.isInitial);
  return {
    id: app.id,
    deletedDateTime: null,
    appId: app.appId,
    createdDateTime: app.createdDateTime,
    displayName: app.displayName,
    publisherDomain: initial?.name ?? null,
    signInAudience: app.signInAudience,
    identifierUris: [...app.identifierUris],
    tags: [],
    appRoles: [],
    requiredResourceAccess: [],
    ...app.other,
    // null for an app that never set them, as Graph answers (graph/optionalClaims.ts).
    optionalClaims: optionalClaimsView(app.optionalClaims),
    api: {
      knownClientApplications: [],
      preAuthorizedApplications: [],
      ...app.api,
    },
    keyCredentials: app.keyCredentials.map((credential) => keyCredentialView(credential, includeKeys)),
    passwordCredentials: app.passwordCredentials.map(passwordCredentialView),
  };
}

export function servicePrincipalView(store: DirectoryStore, sp: ServicePrincipal): Record<string, unknown> {
  const app = store.findApplicationByAppId(sp.appId);
  return {
    id: sp.id,
    deletedDateTime: null,
    accountEnabled: true,
    appDisplayName: app?.displayName ?? sp.displayName,
    appId: sp.appId,
    appOwnerOrganizationId: sp.firstParty?.ownerTenantId ?? app?.tenantId ?? null,
    appRoleAssignmentRequired: false,
    displayName: app?.displayName ?? sp.displayName,
    preferredTokenSigningKeyThumbprint: sp.preferredTokenSigningKeyThumbprint,
    servicePrincipalNames: sp.firstParty ? [...sp.firstParty.names] : [sp.appId, ...(app?.identifierUris ?? [])],
    servicePrincipalType: "Application",
    signInAudience: app?.signInAudience ?? "AzureADMultipleOrgs",
    tags: [],
    keyCredentials: sp.tokenSigningKeys.map((key) => ({
      customKeyIdentifier: key.thumbprintHex,
      displayName: null,
      endDateTime: graphDateTime(key.notAfter),
      key: null,
      keyId: key.kid,
      startDateTime: graphDateTime(key.notBefore),
      type: "AsymmetricX509Cert",
      usage: "Verify",
    })),
    passwordCredentials: [],
  };
}

export function policyView(policy: ClaimsMappingPolicy): Record<string, unknown> {
  return {
    id: policy.id,
    deletedDateTime: null,
    definition: [...policy.definition],
    displayName: policy.displayName,
    isOrganizationDefault: policy.isOrganizationDefault,
  };
}

export function organizationView(tenant: Tenant): Record<string, unknown> {
  return {
    id: tenant.id,
    displayName: tenant.displayName,
    createdDateTime: graphDateTime(tenant.createdAt),
    tenantType: "AAD",
    verifiedDomains: tenant.domains
      .filter((domain) => domain.isVerified)
      .map((domain) => ({
        capabilities: "Email, OfficeCommunicationsOnlineService",
        isDefault: domain.isDefault,
        isInitial: domain.isInitial,
        name: domain.name,
        type: "Managed",
      })),
  };
}

export function domainView(tenant: Tenant, name: string): Record<string, unknown> | undefined {
  const domain = tenant.domains.find((d) => d.name.toLowerCase() === name.toLowerCase());
  if (!domain) return undefined;
  const isRoot = !tenant.domains.some((other) => other !== domain && domain.name.toLowerCase().endsWith(`.${other.name.toLowerCase()}`));
  return {
    id: domain.name,
    authenticationType: "Managed",
    isAdminManaged: true,
    isDefault: domain.isDefault,
    isInitial: domain.isInitial,
    isRoot,
    isVerified: domain.isVerified,
    supportedServices: domain.isVerified ? ["Email", "OfficeCommunicationsOnlineService"] : [],
  };
}

// ---- request bodies ----

function optionalString(body: Record<string, unknown>, name: string): string | null | undefined {
  const value = body[name];
  if (value === undefined || value === null) return value;
  if (typeof value !== "string") throw badRequest(`Property '${name}' must be a string.`);
  return value;
}

function dateTime(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || Number.isNaN(Date.parse(value))) {
    throw badRequest(`Invalid value specified for property '${name}': expected an ISO 8601 date-time.`);
  }
  return graphDateTime(value);
}

/** Identifier URIs as Entra checks them: absolute, unique in the tenant, http(s) hosts on verified domains. */
export function validateIdentifierUris(store: DirectoryStore, tenant: Tenant, value: unknown, exceptAppId?: string): string[] {
  if (!Array.isArray(value) || value.some((uri) => typeof uri !== "string")) {
    throw badRequest("Property 'identifierUris' must be an array of strings.");
  }
  const uris = value as string[];
  for (const uri of uris) {
    let parsed: URL;
    try {
      parsed = new URL(uri);
    } catch {
      throw badRequest(`Invalid value specified for property 'identifierUris' of resource 'Application': '${uri}' is not an absolute URI.`);
    }
    if (uri.includes("*")) throw badRequest(`Wildcards are not allowed in identifierUris: '${uri}'.`);
    if ((parsed.protocol === "https:" || parsed.protocol === "http:") && !hostOnVerifiedDomain(uri, store.verifiedDomains(tenant))) {
      throw badRequest(`Values of identifierUris property must use a verified domain of the organization or its subdomain: '${uri}'`, [
        {
          code: "HostNameNotOnVerifiedDomain",
          message: `Values of identifierUris property must use a verified domain of the organization or its subdomain: '${uri}'`,
          target: "identifierUris",
        },
      ]);
    }
  }
  const normalise = (uri: string) => uri.replace(/\/+$/, "").toLowerCase();
  const taken = new Set(
    store
      .applicationsOf(tenant.id)
      .filter((app) => app.appId !== exceptAppId)
      .flatMap((app) => app.identifierUris.map(normalise)),
  );
  const clash = uris.find((uri) => taken.has(normalise(uri)));
  if (clash) {
    throw badRequest("Another object with the same value for property identifierUris already exists.", [
      {
        code: "ObjectConflict",
        message: `Another object with the same value for property identifierUris already exists: '${clash}'.`,
        target: "identifierUris",
      },
    ]);
  }
  return [...uris];
}

/**
 * A keyCredentials array as sent to PATCH /applications: certificates as base64 DER. Existing
 * credentials (same keyId or same certificate) keep their replication time; new ones start now.
 */
export function parseKeyCredentials(store: DirectoryStore, value: unknown, existing: KeyCredential[]): KeyCredential[] {
  if (!Array.isArray(value)) throw badRequest("Property 'keyCredentials' must be an array.");
  return value.map((entry, index) => {
    if (!isObject(entry)) throw badRequest(`keyCredentials[${index}] must be an object.`);
    const type = entry.type ?? "AsymmetricX509Cert";
    const usage = entry.usage ?? "Verify";
    if (type !== "AsymmetricX509Cert" || usage !== "Verify") {
      throw badRequest(
        `keyCredentials[${index}]: the emulator supports type 'AsymmetricX509Cert' with usage 'Verify' (got '${String(type)}'/'${String(usage)}').`,
      );
    }
    if (typeof entry.key !== "string" || entry.key === "") {
      throw badRequest(
        `Invalid value specified for property 'keyCredentials' of resource 'Application': keyCredentials[${index}].key must be the base64 DER certificate.`,
      );
    }
    let certificate: crypto.X509Certificate;
    try {
      certificate = new crypto.X509Certificate(Buffer.from(entry.key, "base64"));
    } catch {
      throw badRequest(
        `Invalid value specified for property 'keyCredentials' of resource 'Application': keyCredentials[${index}].key is not a base64 DER X.509 certificate.`,
      );
    }
    const der = certificate.raw;
    const thumbprintSha1 = sha1Thumbprint(der);
    const keyId = typeof entry.keyId === "string" && entry.keyId !== "" ? entry.keyId.toLowerCase() : undefined;
    const previous = existing.find(
      (credential) => (keyId && credential.keyId === keyId) || credential.thumbprintSha1.equals(thumbprintSha1),
    );
    // Entra names an unnamed certificate credential after its subject ("CN=…").
    const displayName = typeof entry.displayName === "string" ? entry.displayName : certificate.subject;
    return {
      keyId: keyId ?? previous?.keyId ?? crypto.randomUUID(),
      displayName,
      type: "AsymmetricX509Cert",
      usage: "Verify",
      key: der.toString("base64"),
      customKeyIdentifier: thumbprintSha1.toString("hex").toUpperCase(),
      startDateTime: dateTime(entry.startDateTime, "startDateTime") ?? graphDateTime(certificate.validFrom),
      endDateTime: dateTime(entry.endDateTime, "endDateTime") ?? graphDateTime(certificate.validTo),
      thumbprintSha1,
      thumbprintSha256: sha256Thumbprint(der),
      publicKey: certificate.publicKey,
      readyAt: previous && previous.thumbprintSha1.equals(thumbprintSha1) ? previous.readyAt : store.readyAtFromNow(),
    };
  });
}

/** Apply an application POST/PATCH body onto an application (merging `api`). */
export function applyApplicationBody(store: DirectoryStore, tenant: Tenant, app: Application, body: Record<string, unknown>): void {
  for (const [name, value] of Object.entries(body)) {
    switch (name) {
      case "id":
      case "appId":
      case "createdDateTime":
      case "publisherDomain":
      case "deletedDateTime":
      case "owners@odata.bind":
      case "owners":
        break; // read-only or not modelled
      case "displayName": {
        const displayName = optionalString(body, name);
        if (!displayName) throw badRequest("Property 'displayName' must be a non-empty string.");
        app.displayName = displayName;
        break;
      }
      case "signInAudience":
        if (typeof value !== "string" || !SIGN_IN_AUDIENCES.includes(value)) {
          throw badRequest(`Invalid value for signInAudience '${String(value)}': use one of ${SIGN_IN_AUDIENCES.join(", ")}.`);
        }
        app.signInAudience = value;
        break;
      case "identifierUris":
        app.identifierUris = validateIdentifierUris(store, tenant, value, app.appId);
        break;
      case "api": {
        if (!isObject(value)) throw badRequest("Property 'api' must be an object.");
        const version = value.requestedAccessTokenVersion;
        if (version !== undefined && version !== null && version !== 1 && version !== 2) {
          throw badRequest("Property 'api.requestedAccessTokenVersion' must be null, 1 or 2.");
        }
        const accept = value.acceptMappedClaims;
        if (accept !== undefined && accept !== null && typeof accept !== "boolean") {
          throw badRequest("Property 'api.acceptMappedClaims' must be a boolean or null.");
        }
        app.api = { ...app.api, ...value } as Application["api"];
        break;
      }
      case "keyCredentials":
        app.keyCredentials = parseKeyCredentials(store, value, app.keyCredentials);
        break;
      case "optionalClaims":
        app.optionalClaims = parseOptionalClaims(value, (message) => {
          throw badRequest(message);
        });
        break;
      case "passwordCredentials":
        if (Array.isArray(value) && value.length === 0) break;
        throw badRequest("Secrets cannot be set through passwordCredentials: use POST /applications/{id}/addPassword.");
      default:
        if (name.startsWith("@odata.")) break;
        app.other[name] = value;
    }
  }
}

export function newApplication(store: DirectoryStore, tenant: Tenant, body: Record<string, unknown>): Application {
  if (typeof body.displayName !== "string" || body.displayName === "") {
    throw badRequest("Property 'displayName' is required when creating an application.");
  }
  const app: Application = {
    tenantId: tenant.id,
    id: crypto.randomUUID(),
    appId: crypto.randomUUID(),
    displayName: body.displayName,
    signInAudience: "AzureADMyOrg",
    identifierUris: [],
    api: { requestedAccessTokenVersion: null, acceptMappedClaims: null, oauth2PermissionScopes: [] },
    keyCredentials: [],
    passwordCredentials: [],
    createdDateTime: graphDateTime(store.now()),
    other: {},
    graphRoles: [],
    optionalClaims: null,
  };
  applyApplicationBody(store, tenant, app, body);
  return app;
}

/** A secret shaped like Entra's: 40 characters, the first three being the `hint`. */
export function generateSecretText(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const tailAlphabet = `${alphabet}_-.~`;
  const pick = (chars: string, count: number) => Array.from({ length: count }, () => chars[crypto.randomInt(chars.length)]).join("");
  return `${pick(alphabet, 3)}8Q~${pick(tailAlphabet, 34)}`;
}

export function parseClaimsMappingPolicyBody(body: Record<string, unknown>, partial: boolean): Partial<ClaimsMappingPolicy> {
  const result: Partial<ClaimsMappingPolicy> = {};
  if (body.definition !== undefined || !partial) {
    const definition = body.definition;
    if (!Array.isArray(definition) || definition.length === 0 || definition.some((d) => typeof d !== "string")) {
      throw badRequest('Property \'definition\' must be an array holding one JSON string: ["{\\"ClaimsMappingPolicy\\":{…}}"].');
    }
    try {
      parseClaimsMappingDefinition(definition[0] as string);
    } catch (error) {
      throw badRequest(`Invalid value specified for property 'definition' of resource 'ClaimsMappingPolicy': ${(error as Error).message}.`);
    }
    result.definition = [...(definition as string[])];
  }
  if (body.displayName !== undefined || !partial) {
    if (typeof body.displayName !== "string" || body.displayName === "") throw badRequest("Property 'displayName' is required.");
    result.displayName = body.displayName;
  }
  if (body.isOrganizationDefault !== undefined) {
    if (typeof body.isOrganizationDefault !== "boolean") throw badRequest("Property 'isOrganizationDefault' must be a boolean.");
    result.isOrganizationDefault = body.isOrganizationDefault;
  }
  return result;
}

/** Microsoft Graph's own service principal, present in every tenant; `createdAt` is epoch ms on the directory's clock. */
export function graphServicePrincipal(
  tenantId: string,
  createdAt: number,
  readyAt: number,
  cloud: EmulatorCloud = "public",
): ServicePrincipal {
  // A sovereign cloud's Graph answers to its own resource only (clouds.ts).
  const names =
    cloud === "public"
      ? [
          GRAPH_APP_ID,
          "https://graph.microsoft.com",
          "https://graph.microsoft.com/",
          "https://canary.graph.microsoft.com",
          "https://ags.windows.net",
        ]
      : [GRAPH_APP_ID, graphResource(cloud), `${graphResource(cloud)}/`];
  return {
    tenantId,
    id: crypto.randomUUID(),
    appId: GRAPH_APP_ID,
    displayName: "Microsoft Graph",
    createdDateTime: graphDateTime(createdAt),
    readyAt,
    claimsMappingPolicies: [],
    tokenSigningKeys: [],
    preferredTokenSigningKeyThumbprint: null,
    firstParty: {
      names,
      ownerTenantId: MICROSOFT_TENANT_ID,
    },
  };
}
