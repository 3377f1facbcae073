/**
 * Restoring a snapshot: check an untrusted value against format.ts field by field (each failure an
 * {@link EmulatorSnapshotError} naming the field and what was expected), rebuild what the store
 * derives (thumbprints, public keys), check the references between collections, then load it.
 */
import crypto from "node:crypto";
import { DEFAULT_CLOUD, EMULATOR_CLOUDS, isEmulatorCloud, type EmulatorCloud } from "../clouds";
import { signingKeyFromParts, type SigningKey } from "../signingKeys";
import type {
  ApiSettings,
  Application,
  ClaimsMappingPolicy,
  CredentialSignIns,
  DeployerCredentials,
  DirectoryStore,
  Domain,
  KeyCredential,
  OptionalClaim,
  OptionalClaims,
  PasswordCredential,
  ServicePrincipal,
  Tenant,
} from "../store";
import { OPTIONAL_CLAIM_TOKEN_KINDS, parseOptionalClaims } from "../graph/optionalClaims";
import { sha1Thumbprint, sha256Thumbprint } from "../x509";
import { EmulatorSnapshotError, READABLE_SNAPSHOT_FORMATS, SNAPSHOT_FORMAT } from "./format";
import { SnapshotField } from "./reader";

/** A snapshot read and checked, ready to load into an empty store. */
export interface RestoredWorld {
  signingKey: SigningKey;
  tenants: Tenant[];
  deployers: Map<string, DeployerCredentials>;
  applications: Application[];
  servicePrincipals: ServicePrincipal[];
  policies: ClaimsMappingPolicy[];
}

const RSA_JWK_FIELDS = ["kty", "n", "e", "d", "p", "q", "dp", "dq", "qi"] as const;

function readCertificate(field: SnapshotField): { der: Buffer; certificate: crypto.X509Certificate } {
  const der = field.base64("a DER X.509 certificate");
  try {
    return { der, certificate: new crypto.X509Certificate(der) };
  } catch {
    return field.fail("base64 of a DER X.509 certificate");
  }
}

function readSigningKey(field: SnapshotField): SigningKey {
  field.object(["privateJwk", "certificate", "notBefore", "notAfter"]);
  const jwkField = field.get("privateJwk");
  jwkField.object(RSA_JWK_FIELDS);
  if (jwkField.get("kty").string() !== "RSA") jwkField.get("kty").fail('"RSA"');
  const jwk: crypto.JsonWebKey = { kty: "RSA" };
  for (const name of RSA_JWK_FIELDS.slice(1)) jwk[name] = jwkField.get(name).nonEmptyString();
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey({ key: jwk, format: "jwk" });
  } catch {
    return jwkField.fail("an RSA private key as a JSON Web Key");
  }
  const certificateField = field.get("certificate");
  const { der, certificate } = readCertificate(certificateField);
  if (!certificate.checkPrivateKey(privateKey)) certificateField.fail("the certificate of privateJwk's public key");
  const notBefore = new Date(field.get("notBefore").dateTime());
  const notAfter = new Date(field.get("notAfter").dateTime());
  return signingKeyFromParts(privateKey, der, notBefore, notAfter);
}

function readDomain(field: SnapshotField): Domain {
  field.object(["name", "isVerified", "isInitial", "isDefault"]);
  return {
    name: field.get("name").nonEmptyString(),
    isVerified: field.get("isVerified").boolean(),
    isInitial: field.get("isInitial").boolean(),
    isDefault: field.get("isDefault").boolean(),
  };
}

/** Absent in snapshots of tenants in the global cloud, and in every one from before clouds (format.ts). */
function readCloud(field: SnapshotField): EmulatorCloud {
  if (field.isAbsent()) return DEFAULT_CLOUD;
  const cloud = field.string();
  if (!isEmulatorCloud(cloud)) field.fail(`one of ${EMULATOR_CLOUDS.map((name) => `"${name}"`).join(", ")}`);
  return cloud;
}

function readTenant(field: SnapshotField): { tenant: Tenant; deployer: DeployerCredentials } {
  field.object(["id", "displayName", "domains", "createdAt", "deployer", "premiumLicense", "cloud"]);
  const domainsField = field.get("domains");
  const domains = domainsField.items().map(readDomain);
  if (domains.filter((domain) => domain.isInitial).length !== 1) domainsField.fail("a list with exactly one initial domain");
  const deployerField = field.get("deployer");
  deployerField.object(["clientId", "clientSecret"]);
  return {
    tenant: {
      id: field.get("id").guid(),
      displayName: field.get("displayName").string(),
      domains,
      createdAt: field.get("createdAt").instant(),
      premiumLicense: field.get("premiumLicense").isAbsent() ? false : field.get("premiumLicense").boolean(),
      cloud: readCloud(field.get("cloud")),
    },
    deployer: { clientId: deployerField.get("clientId").guid(), clientSecret: deployerField.get("clientSecret").nonEmptyString() },
  };
}

/** A credential's sign-ins: absent before @3, and for a credential never used. */
function readSignIns(field: SnapshotField): { signIns?: CredentialSignIns } {
  if (field.isAbsent()) return {};
  field.object(["lastAttemptAt", "lastSuccessAt", "lastResourceAppId"]);
  const instantOrNull = (name: string) => (field.get(name).is(null) ? null : field.get(name).instant());
  return {
    signIns: {
      lastAttemptAt: instantOrNull("lastAttemptAt"),
      lastSuccessAt: instantOrNull("lastSuccessAt"),
      lastResourceAppId: field.get("lastResourceAppId").is(null) ? null : field.get("lastResourceAppId").guid(),
    },
  };
}

function readPasswordCredential(field: SnapshotField): PasswordCredential {
  field.object(["keyId", "displayName", "hint", "startDateTime", "endDateTime", "secretHash", "readyAt", "signIns"]);
  return {
    keyId: field.get("keyId").nonEmptyString(),
    displayName: field.get("displayName").nullableString(),
    hint: field.get("hint").string(),
    startDateTime: field.get("startDateTime").dateTime(),
    endDateTime: field.get("endDateTime").dateTime(),
    secretHash: field.get("secretHash").base64("the SHA-256 hash of the secret", 32),
    readyAt: field.get("readyAt").instant(),
    ...readSignIns(field.get("signIns")),
  };
}

function readKeyCredential(field: SnapshotField): KeyCredential {
  field.object(["keyId", "displayName", "type", "usage", "key", "startDateTime", "endDateTime", "readyAt", "signIns"]);
  const { der, certificate } = readCertificate(field.get("key"));
  const thumbprintSha1 = sha1Thumbprint(der);
  return {
    keyId: field.get("keyId").nonEmptyString(),
    displayName: field.get("displayName").nullableString(),
    type: field.get("type").nonEmptyString(),
    usage: field.get("usage").nonEmptyString(),
    key: der.toString("base64"),
    customKeyIdentifier: thumbprintSha1.toString("hex").toUpperCase(),
    startDateTime: field.get("startDateTime").dateTime(),
    endDateTime: field.get("endDateTime").dateTime(),
    thumbprintSha1,
    thumbprintSha256: sha256Thumbprint(der),
    publicKey: certificate.publicKey,
    readyAt: field.get("readyAt").instant(),
    ...readSignIns(field.get("signIns")),
  };
}

/** `api` as sent through Graph; the two settings the token endpoint reads are checked as Graph checks them. */
function readApi(field: SnapshotField): ApiSettings {
  const api = field.jsonObject();
  const version = field.get("requestedAccessTokenVersion");
  if (api.requestedAccessTokenVersion !== null && api.requestedAccessTokenVersion !== 1 && api.requestedAccessTokenVersion !== 2) {
    version.fail("1, 2 or null");
  }
  const accept = field.get("acceptMappedClaims");
  if (api.acceptMappedClaims !== null && typeof api.acceptMappedClaims !== "boolean") accept.fail("true, false or null");
  if (!("oauth2PermissionScopes" in api)) field.get("oauth2PermissionScopes").fail("present (an array of scopes)");
  return api as ApiSettings;
}

function readOptionalClaim(field: SnapshotField): OptionalClaim {
  field.object(["name", "source", "essential", "additionalProperties"]);
  const source = field.get("source");
  // The two values Graph accepts (graph/optionalClaims.ts).
  if (!source.is(null) && !source.is("user")) source.fail('null or "user"');
  return {
    name: field.get("name").nonEmptyString(),
    source: source.is(null) ? null : "user",
    essential: field.get("essential").boolean(),
    additionalProperties: field.get("additionalProperties").strings(),
  };
}

/**
 * The app's optionalClaims. Absent: null, unless `other` holds them: before they were modelled,
 * the emulator stored the property as sent among the other properties (and the provider sends it on every
 * create), so they move from there, checked as Graph checks a body.
 */
function readOptionalClaims(field: SnapshotField, otherField: SnapshotField, other: Application["other"]): OptionalClaims | null {
  if (field.isAbsent()) {
    if (!Object.prototype.hasOwnProperty.call(other, "optionalClaims")) return null;
    const legacy = other.optionalClaims;
    delete other.optionalClaims;
    return parseOptionalClaims(legacy, (message) => {
      throw new EmulatorSnapshotError(otherField.get("optionalClaims").path, `optionalClaims Graph accepts (${message})`, "");
    });
  }
  field.object(OPTIONAL_CLAIM_TOKEN_KINDS);
  return {
    accessToken: field.get("accessToken").items().map(readOptionalClaim),
    idToken: field.get("idToken").items().map(readOptionalClaim),
    saml2Token: field.get("saml2Token").items().map(readOptionalClaim),
  };
}

function readApplication(field: SnapshotField): Application {
  field.object([
    "tenantId",
    "id",
    "appId",
    "displayName",
    "signInAudience",
    "identifierUris",
    "api",
    "keyCredentials",
    "passwordCredentials",
    "createdDateTime",
    "other",
    "graphRoles",
    "optionalClaims",
  ]);
  const other = field.get("other").jsonObject();
  const optionalClaims = readOptionalClaims(field.get("optionalClaims"), field.get("other"), other);
  return {
    tenantId: field.get("tenantId").guid(),
    id: field.get("id").guid(),
    appId: field.get("appId").guid(),
    displayName: field.get("displayName").nonEmptyString(),
    signInAudience: field.get("signInAudience").nonEmptyString(),
    identifierUris: field.get("identifierUris").strings(),
    api: readApi(field.get("api")),
    keyCredentials: field.get("keyCredentials").items().map(readKeyCredential),
    passwordCredentials: field.get("passwordCredentials").items().map(readPasswordCredential),
    createdDateTime: field.get("createdDateTime").dateTime(),
    other,
    graphRoles: field.get("graphRoles").strings(),
    optionalClaims,
  };
}

function readFirstParty(field: SnapshotField): ServicePrincipal["firstParty"] {
  if (field.is(null)) return undefined;
  field.object(["names", "ownerTenantId"], "an object or null");
  return { names: field.get("names").strings(), ownerTenantId: field.get("ownerTenantId").guid() };
}

/** Absent (an @1 snapshot) or null: the portal never configured claims for this service principal. */
function readCustomClaimsPolicy(field: SnapshotField): ServicePrincipal["customClaimsPolicy"] {
  if (field.is(null) || field.isAbsent()) return null;
  field.object(["id", "includeBasicClaimSet", "claims"], "an object or null");
  return {
    id: field.get("id").nonEmptyString(),
    includeBasicClaimSet: field.get("includeBasicClaimSet").boolean(),
    claims: field
      .get("claims")
      .items()
      .map((claim) => {
        claim.object(["name", "value", "tokenFormat", "raw"]);
        return {
          name: claim.get("name").nonEmptyString(),
          value: claim.get("value").nullableString(),
          tokenFormat: claim.get("tokenFormat").strings(),
          raw: claim.get("raw").jsonObject(),
        };
      }),
  };
}

function readServicePrincipal(field: SnapshotField): ServicePrincipal {
  field.object([
    "tenantId",
    "id",
    "appId",
    "displayName",
    "createdDateTime",
    "readyAt",
    "claimsMappingPolicies",
    "tokenSigningKeys",
    "preferredTokenSigningKeyThumbprint",
    "firstParty",
    "customClaimsPolicy",
    "graphRoles",
  ]);
  const firstParty = readFirstParty(field.get("firstParty"));
  const customClaimsPolicy = readCustomClaimsPolicy(field.get("customClaimsPolicy"));
  return {
    tenantId: field.get("tenantId").guid(),
    id: field.get("id").guid(),
    appId: field.get("appId").guid(),
    displayName: field.get("displayName").string(),
    createdDateTime: field.get("createdDateTime").dateTime(),
    readyAt: field.get("readyAt").instant(),
    claimsMappingPolicies: field
      .get("claimsMappingPolicies")
      .items()
      .map((assignment) => {
        assignment.object(["policyId", "readyAt"]);
        return { policyId: assignment.get("policyId").guid(), readyAt: assignment.get("readyAt").instant() };
      }),
    tokenSigningKeys: field.get("tokenSigningKeys").items().map(readSigningKey),
    preferredTokenSigningKeyThumbprint: field.get("preferredTokenSigningKeyThumbprint").nullableString(),
    ...(firstParty ? { firstParty } : {}),
    ...(field.get("graphRoles").isAbsent() ? {} : { graphRoles: field.get("graphRoles").strings() }),
    customClaimsPolicy,
  };
}

function readPolicy(field: SnapshotField): ClaimsMappingPolicy {
  field.object(["tenantId", "id", "displayName", "definition", "isOrganizationDefault"]);
  return {
    tenantId: field.get("tenantId").guid(),
    id: field.get("id").guid(),
    displayName: field.get("displayName").string(),
    definition: field.get("definition").strings(),
    isOrganizationDefault: field.get("isOrganizationDefault").boolean(),
  };
}

/** Each item's key must be new; `what` names the key in the error. */
function requireUnique<T>(items: T[], collection: string, what: string, keyOf: (item: T) => string): void {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    if (seen.has(key)) throw new EmulatorSnapshotError(`${collection}[${index}]`, `the only one with its ${what}`, `'${key}' again`);
    seen.add(key);
  });
}

/** The invariants the store keeps: unique keys, and every reference to a tenant or policy resolves. */
function checkReferences(world: RestoredWorld): void {
  const { tenants, applications, servicePrincipals, policies } = world;
  requireUnique(tenants, "tenants", "id", (tenant) => tenant.id);
  const domainNames = new Set<string>();
  tenants.forEach((tenant, index) =>
    tenant.domains.forEach((domain, domainIndex) => {
      const name = domain.name.toLowerCase();
      if (domainNames.has(name)) {
        throw new EmulatorSnapshotError(
          `tenants[${index}].domains[${domainIndex}].name`,
          "a domain name no other domain has (they are global)",
          name,
        );
      }
      domainNames.add(name);
    }),
  );
  requireUnique(applications, "applications", "id", (app) => app.id);
  requireUnique(applications, "applications", "appId", (app) => app.appId);
  requireUnique(servicePrincipals, "servicePrincipals", "id", (sp) => sp.id);
  requireUnique(servicePrincipals, "servicePrincipals", "appId in its tenant", (sp) => `${sp.tenantId}/${sp.appId}`);
  requireUnique(policies, "claimsMappingPolicies", "id", (policy) => policy.id);
  const tenantIds = new Set(tenants.map((tenant) => tenant.id));
  const policyIds = new Set(policies.map((policy) => policy.id));
  const requireTenant = (collection: string, items: Array<{ tenantId: string }>) =>
    items.forEach((item, index) => {
      if (!tenantIds.has(item.tenantId))
        throw new EmulatorSnapshotError(`${collection}[${index}].tenantId`, "the id of one of tenants", item.tenantId);
    });
  requireTenant("applications", applications);
  requireTenant("servicePrincipals", servicePrincipals);
  requireTenant("claimsMappingPolicies", policies);
  servicePrincipals.forEach((sp, index) =>
    sp.claimsMappingPolicies.forEach((assignment, assignmentIndex) => {
      if (!policyIds.has(assignment.policyId)) {
        throw new EmulatorSnapshotError(
          `servicePrincipals[${index}].claimsMappingPolicies[${assignmentIndex}].policyId`,
          "the id of one of claimsMappingPolicies",
          assignment.policyId,
        );
      }
    }),
  );
}

/** Read and check a snapshot (anything: it usually comes from a file); throws {@link EmulatorSnapshotError}. */
export function readSnapshot(value: unknown): RestoredWorld {
  const root = new SnapshotField(value, "");
  if (typeof value !== "object" || value === null || Array.isArray(value)) root.fail(`an object with format "${SNAPSHOT_FORMAT}"`);
  const format = root.get("format");
  if (!READABLE_SNAPSHOT_FORMATS.some((readable) => format.is(readable))) {
    format.fail(`"${SNAPSHOT_FORMAT}" (a snapshot of another format or version cannot be restored)`);
  }
  root.object(["format", "signingKey", "tenants", "applications", "servicePrincipals", "claimsMappingPolicies"]);
  const tenants = root.get("tenants").items().map(readTenant);
  const world: RestoredWorld = {
    signingKey: readSigningKey(root.get("signingKey")),
    tenants: tenants.map((entry) => entry.tenant),
    deployers: new Map(tenants.map((entry) => [entry.tenant.id, entry.deployer])),
    applications: root.get("applications").items().map(readApplication),
    servicePrincipals: root.get("servicePrincipals").items().map(readServicePrincipal),
    policies: root.get("claimsMappingPolicies").items().map(readPolicy),
  };
  checkReferences(world);
  return world;
}

/** Fill an empty store with a restored world, in the snapshot's order. */
export function loadSnapshot(store: DirectoryStore, world: RestoredWorld): void {
  if (store.tenants.size > 0 || store.applications.size > 0)
    throw new Error("Emulator bug: a snapshot is loaded into an empty store only.");
  for (const tenant of world.tenants) store.tenants.set(tenant.id, tenant);
  for (const [tenantId, deployer] of world.deployers) store.deployers.set(tenantId, deployer);
  for (const app of world.applications) store.applications.set(app.id, app);
  for (const sp of world.servicePrincipals) store.servicePrincipals.set(sp.id, sp);
  for (const policy of world.policies) store.policies.set(policy.id, policy);
}
