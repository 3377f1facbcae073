/**
 * Snapshot and restore: a world built in one emulator continues in another (new port, JSON in
 * between): same deployer, same objects, working credentials, old tokens still verifying; a
 * snapshot that cannot be restored is refused with the field at fault.
 */
import crypto from "node:crypto";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import type { Client } from "@microsoft/microsoft-graph-client";
import {
  EmulatorSnapshotError,
  SNAPSHOT_FORMAT,
  startEmulator,
  type Emulator,
  type EmulatorSnapshot,
  type EmulatorTenant,
} from "../../emulator";
import { generateTestCertificate, type TestCertificate } from "../support/certificates";
import {
  addSecret,
  assertEmulatorCaTrusted,
  createApplicationWithServicePrincipal,
  signInAsDeployer,
  type CreatedApplication,
  type EmulatorFixture,
} from "../support/emulatorFixture";
import { decodePayload, expectAadsts, rawRequest, tokenWithCertificate, tokenWithSecret, uploadCertificate } from "./helpers";

const DAY_MS = 86_400_000;
const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
const START = Math.floor(Date.now() / 1000) * 1000;
let worldNow = START;

const policyDefinition = JSON.stringify({
  ClaimsMappingPolicy: { Version: 1, IncludeBasicClaimSet: "true", ClaimsSchema: [{ Value: "SVC_USER", JwtClaimType: "cmicuser" }] },
});

interface World {
  emulator: Emulator;
  tenant: EmulatorTenant;
  resource: CreatedApplication;
  resourceScope: string;
  client: CreatedApplication;
  clientSecret: string;
  /** Added while replication took an hour: still pending in the snapshot. */
  pendingSecret: string;
  certificate: TestCertificate;
  policyId: string;
  /** Issued before the snapshot: a Graph token (emulator-wide key) and a resource token (the resource's own key). */
  graphToken: string;
  resourceToken: string;
  /** Taken, then sent through JSON as a world directory would keep it. */
  snapshot: EmulatorSnapshot;
}

/** Everything the store holds, at least once: domains, api settings, other properties, both credential kinds, a policy, an app signing key. */
async function buildWorld(): Promise<World> {
  const emulator = await startEmulator({ clock: () => worldNow });
  assertEmulatorCaTrusted(emulator.caCertFile);
  const tenant = emulator.addTenant({
    initialDomain: "fabrikam.onmicrosoft.com",
    verifiedDomains: ["fabrikam.com"],
    displayName: "Fabrikam",
  });
  emulator.addDomain(tenant.tenantId, "pending.fabrikam.net");
  const fixture = { emulator, tenant, authorityHost: emulator.url, ...signInAsDeployer(emulator.url, tenant) };
  const { graph } = fixture;

  const resource = await createApplicationWithServicePrincipal(graph, {
    displayName: "cmic-api",
    api: { requestedAccessTokenVersion: 2, acceptMappedClaims: true },
    tags: ["cmic"],
    notes: "restored worlds keep what was sent",
  });
  const resourceUri = `api://${resource.appId}.fabrikam.com`;
  await graph.api(`/applications/${resource.id}`).patch({ identifierUris: [resourceUri] });
  const policy = (await graph
    .api("/policies/claimsMappingPolicies")
    .post({ displayName: "cmic user", definition: [policyDefinition] })) as {
    id: string;
  };
  await graph.api(`/servicePrincipals/${resource.servicePrincipalId}/claimsMappingPolicies/$ref`).post({
    "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policy.id}`,
  });
  await graph
    .api(`/servicePrincipals/${resource.servicePrincipalId}/addTokenSigningCertificate`)
    .post({ displayName: "CN=cmic-api signing" });

  const client = await createApplicationWithServicePrincipal(graph, { displayName: "connector" });
  const clientSecret = await addSecret(graph, client.id);
  const certificate = generateTestCertificate({ commonName: "connector" });
  await uploadCertificate(graph, client.id, certificate);
  emulator.setPropagationDelay(3_600_000);
  const pendingSecret = await addSecret(graph, client.id, "pending");
  emulator.setPropagationDelay(0);

  const resourceScope = `${resourceUri}/.default`;
  const resourceToken = await tokenWithSecret(fixture, client.appId, clientSecret, resourceScope);
  const graphToken = await tokenWithSecret(fixture, tenant.deployer.clientId, tenant.deployer.clientSecret, GRAPH_SCOPE);
  const snapshot = JSON.parse(JSON.stringify(emulator.snapshot())) as EmulatorSnapshot;
  return {
    emulator,
    tenant,
    resource,
    resourceScope,
    client,
    clientSecret,
    pendingSecret,
    certificate,
    policyId: policy.id,
    graphToken,
    resourceToken,
    snapshot,
  };
}

/** The fixture shape the token helpers take, for an emulator and tenant (a fresh deployer sign-in). */
function fixtureFor(emulator: Emulator, tenant: EmulatorTenant): EmulatorFixture {
  return { emulator, tenant, authorityHost: emulator.url, ...signInAsDeployer(emulator.url, tenant) };
}

/** A Graph answer without its `@odata.context`, which names the emulator's origin (its port). */
async function graphGet(graph: Client, path: string): Promise<unknown> {
  const { "@odata.context": _context, ...rest } = (await graph.api(path).get()) as Record<string, unknown>;
  return rest;
}

let world: World;
let restored: Emulator;

beforeAll(async () => {
  world = await buildWorld();
  restored = await startEmulator({ snapshot: world.snapshot, clock: () => worldNow });
});

afterAll(async () => {
  await world?.emulator.close();
  await restored?.close();
});

beforeEach(() => {
  worldNow = START;
});

describe("a restored world", () => {
  it("is the same world: a snapshot of it equals the one it was restored from, in the versioned format", () => {
    expect(world.snapshot.format).toBe(SNAPSHOT_FORMAT);
    expect(restored.snapshot()).toEqual(world.snapshot);
    expect(restored.url).not.toBe(world.emulator.url);
  });

  it("hands out the same tenants and deployers, and the deployer gets a Graph token", async () => {
    expect(restored.tenants()).toEqual(world.emulator.tenants());
    const [tenant] = restored.tenants();
    expect(tenant.deployer).toEqual(world.tenant.deployer);
    expect(tenant.verifiedDomains).toEqual(["fabrikam.onmicrosoft.com", "fabrikam.com"]);
    const token = await tokenWithSecret(fixtureFor(restored, tenant), tenant.deployer.clientId, tenant.deployer.clientSecret, GRAPH_SCOPE);
    expect(decodePayload(token).roles).toEqual(expect.arrayContaining(["Application.ReadWrite.All"]));
  });

  it("answers Graph GETs with identical objects (ids, dates, credentials, assignments)", async () => {
    const before = signInAsDeployer(world.emulator.url, world.tenant).graph;
    const after = signInAsDeployer(restored.url, world.tenant).graph;
    const paths = [
      "/organization",
      "/domains",
      "/applications",
      `/applications/${world.client.id}?$select=id,keyCredentials,passwordCredentials`,
      `/applications(appId='${world.resource.appId}')`,
      "/servicePrincipals",
      `/servicePrincipals/${world.resource.servicePrincipalId}/claimsMappingPolicies`,
      "/policies/claimsMappingPolicies",
    ];
    for (const path of paths) expect({ path, body: await graphGet(after, path) }).toEqual({ path, body: await graphGet(before, path) });
  });

  it("accepts the app's existing secret and certificate, and keeps the mapped claim and the resource's signing key", async () => {
    const f = fixtureFor(restored, world.tenant);
    const token = await tokenWithSecret(f, world.client.appId, world.clientSecret, world.resourceScope);
    expect(decodePayload(token)).toMatchObject({ cmicuser: "SVC_USER", aud: world.resource.appId });
    expect(decodeProtectedHeader(token).kid).toBe(decodeProtectedHeader(world.resourceToken).kid);
    const byCertificate = await tokenWithCertificate(f, world.client.appId, world.certificate, world.resourceScope);
    expect(decodePayload(byCertificate).azpacr).toBe("2");
  });

  it("keeps pending replication pending until its readyAt on the clock", async () => {
    await expectAadsts(tokenWithSecret(fixtureFor(restored, world.tenant), world.client.appId, world.pendingSecret, GRAPH_SCOPE), 7000215);
    worldNow = START + 3_600_000;
    await tokenWithSecret(fixtureFor(restored, world.tenant), world.client.appId, world.pendingSecret, GRAPH_SCOPE);
  });

  it("verifies tokens issued before the restart with its JWKS, and takes the old Graph token as a bearer", async () => {
    const { tenantId } = world.tenant;
    const commonKeys = createRemoteJWKSet(new URL(`${restored.url}/common/discovery/keys`));
    await jwtVerify(world.graphToken, commonKeys, { issuer: `https://sts.windows.net/${tenantId}/`, currentDate: new Date(START) });
    const appKeys = createRemoteJWKSet(new URL(`${restored.url}/${tenantId}/discovery/v2.0/keys?appid=${world.resource.appId}`));
    const { payload } = await jwtVerify(world.resourceToken, appKeys, { audience: world.resource.appId, currentDate: new Date(START) });
    expect(payload.cmicuser).toBe("SVC_USER");
    const organization = await rawRequest(`${restored.url}/v1.0/organization`, {
      headers: { authorization: `Bearer ${world.graphToken}` },
    });
    expect(organization.status).toBe(200);
  });
});

describe("a world restored two years later", () => {
  const TWO_YEARS_LATER = START + 2 * 365 * DAY_MS + DAY_MS;
  let later: Emulator;

  beforeAll(async () => {
    later = await startEmulator({ snapshot: world.snapshot, clock: () => TWO_YEARS_LATER });
  });

  afterAll(async () => {
    await later?.close();
  });

  it("still verifies the tokens of its past with the same key, and signs new ones with it", async () => {
    const keys = createRemoteJWKSet(new URL(`${later.url}/${world.tenant.tenantId}/discovery/v2.0/keys`));
    await jwtVerify(world.graphToken, keys, { currentDate: new Date(START) });
    const f = fixtureFor(later, world.tenant);
    const token = await tokenWithSecret(f, world.tenant.deployer.clientId, world.tenant.deployer.clientSecret, GRAPH_SCOPE);
    expect(decodeProtectedHeader(token).kid).toBe(decodeProtectedHeader(world.graphToken).kid);
    const { payload } = await jwtVerify(token, keys, { currentDate: new Date(TWO_YEARS_LATER) });
    expect(payload.iat).toBe(Math.floor(TWO_YEARS_LATER / 1000));
  });

  it("judges the credentials of its past on its clock: a two-year secret has expired (AADSTS7000222)", async () => {
    const f = fixtureFor(later, world.tenant);
    await expectAadsts(tokenWithSecret(f, world.client.appId, world.clientSecret, world.resourceScope), 7000222);
  });
});

describe("the portal's claim configuration across a restart", () => {
  it("keeps a service principal's claimsPolicy, and restores an @1 snapshot (from before it was modelled) with none", async () => {
    const first = await startEmulator({ snapshot: world.snapshot, clock: () => worldNow });
    let second: Emulator | undefined;
    let legacy: Emulator | undefined;
    try {
      const claimsPolicy = `/servicePrincipals/${world.resource.servicePrincipalId}/claimsPolicy`;
      await signInAsDeployer(first.url, world.tenant)
        .graph.api(claimsPolicy)
        .version("beta")
        .put({
          claims: [
            {
              name: "cmicuser",
              configurations: [{ attribute: { "@odata.type": "#microsoft.graph.valueBasedAttribute", value: "PORTAL" } }],
            },
          ],
        });
      second = await startEmulator({ snapshot: first.snapshot(), clock: () => worldNow });
      const read = (await signInAsDeployer(second.url, world.tenant).graph.api(claimsPolicy).version("beta").get()) as {
        claims: { name: string }[];
      };
      expect(read.claims.map((claim) => claim.name)).toEqual(["cmicuser"]);
      const older = {
        ...world.snapshot,
        format: "cmic-entra-oauth/emulator-snapshot@1",
        servicePrincipals: world.snapshot.servicePrincipals.map(({ customClaimsPolicy: _none, ...sp }) => sp),
      };
      legacy = await startEmulator({ snapshot: older as unknown as typeof world.snapshot, clock: () => worldNow });
      await expect(signInAsDeployer(legacy.url, world.tenant).graph.api(claimsPolicy).version("beta").get()).rejects.toMatchObject({
        statusCode: 404,
      });
      expect(legacy.snapshot().format).toBe(SNAPSHOT_FORMAT);
    } finally {
      await first.close();
      await second?.close();
      await legacy?.close();
    }
  });
});

describe("a snapshot that cannot be restored", () => {
  /** A copy of the world's snapshot with one change; `startEmulator` must refuse it. */
  async function refusal(change: (snapshot: Record<string, unknown> & EmulatorSnapshot) => unknown): Promise<EmulatorSnapshotError> {
    const copy = structuredClone(world.snapshot) as Record<string, unknown> & EmulatorSnapshot;
    const replaced = change(copy);
    let error: unknown;
    try {
      const started = await startEmulator({ snapshot: replaced === undefined ? copy : replaced });
      await started.close();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EmulatorSnapshotError);
    return error as EmulatorSnapshotError;
  }

  const clientIndex = () => world.snapshot.applications.findIndex((app) => app.id === world.client.id);
  const resourceSpIndex = () => world.snapshot.servicePrincipals.findIndex((sp) => sp.id === world.resource.servicePrincipalId);

  it("refuses what is not a snapshot, and another format or version", async () => {
    expect((await refusal(() => null)).message).toBe(
      `Emulator snapshot: the snapshot must be an object with format "${SNAPSHOT_FORMAT}" (found null).`,
    );
    const newer = await refusal((snapshot) => ({ ...snapshot, format: "cmic-entra-oauth/emulator-snapshot@4" }));
    expect(newer.field).toBe("format");
    expect(newer.message).toContain(`format must be "${SNAPSHOT_FORMAT}"`);
    expect(newer.message).toContain('(found "cmic-entra-oauth/emulator-snapshot@4")');
  });

  it("names a missing or mistyped field and what it must be", async () => {
    const missing = await refusal((snapshot) => {
      delete (snapshot.applications[clientIndex()].passwordCredentials[0] as Partial<{ secretHash: string }>).secretHash;
    });
    expect(missing.field).toBe(`applications[${clientIndex()}].passwordCredentials[0].secretHash`);
    expect(missing.message).toContain("must be base64 of 32 bytes (the SHA-256 hash of the secret) (found nothing)");

    const mistyped = await refusal((snapshot) => {
      (snapshot.tenants[0] as unknown as Record<string, unknown>).createdAt = "yesterday";
    });
    expect(mistyped.message).toBe(
      'Emulator snapshot: tenants[0].createdAt must be a time in epoch milliseconds (a finite number) (found "yesterday").',
    );

    const swapped = await refusal((snapshot) => {
      const { clientId, clientSecret } = snapshot.tenants[0].deployer;
      snapshot.tenants[0].deployer = { clientId: clientSecret, clientSecret: clientId };
    });
    expect(swapped.field).toBe("tenants[0].deployer.clientId");
    expect(swapped.message).not.toContain(world.tenant.deployer.clientSecret);
    expect(swapped.message).toContain("must be a lower-case GUID (found a string of");

    const unknown = await refusal((snapshot) => {
      (snapshot.applications[0] as unknown as Record<string, unknown>).secretText = "kept by mistake";
    });
    expect(unknown.field).toBe("applications[0].secretText");
    expect(unknown.message).toContain("must be absent");
  });

  it("refuses broken references and a signing key whose certificate is another key's", async () => {
    const dangling = await refusal((snapshot) => {
      snapshot.servicePrincipals[resourceSpIndex()].claimsMappingPolicies[0].policyId = crypto.randomUUID();
    });
    expect(dangling.field).toBe(`servicePrincipals[${resourceSpIndex()}].claimsMappingPolicies[0].policyId`);
    expect(dangling.expected).toBe("the id of one of claimsMappingPolicies");

    const mismatched = await refusal((snapshot) => {
      snapshot.signingKey.certificate = snapshot.servicePrincipals[resourceSpIndex()].tokenSigningKeys[0].certificate;
    });
    expect(mismatched.field).toBe("signingKey.certificate");
    expect(mismatched.expected).toBe("the certificate of privateJwk's public key");
  });
});
