/**
 * Tenants in sovereign clouds (emulator/clouds.ts): each tenant's tokens, discovery documents,
 * JWKS and client assertions carry its own cloud's public strings; the cloud survives a snapshot,
 * an older snapshot without it restores as public, and an unknown cloud is refused.
 *
 * The expected strings are written out here, not taken from emulator/clouds.ts, so that a wrong
 * table there fails these tests.
 */
import { createRemoteJWKSet, jwtVerify } from "jose";
import { EmulatorSnapshotError, startEmulator, type Emulator, type EmulatorCloud, type EmulatorTenant } from "../../emulator";
import { parseEmulatorArgs, UsageError } from "../../scripts/emulator/cli";
import { generateTestCertificate } from "../support/certificates";
import {
  addSecret,
  assertEmulatorCaTrusted,
  createApplicationWithServicePrincipal,
  signInAsDeployer,
  type EmulatorFixture,
} from "../support/emulatorFixture";
import { clientAssertion, decodePayload, postToken, rawRequest, tokenWithSecret, uploadCertificate } from "./helpers";

/** Login host (token URL, JWKS, v2 issuer), v1 issuer host and Graph resource per cloud (learn.microsoft.com graph/deployments). */
const EXPECTED: Record<EmulatorCloud, { loginHost: string; v1Host: string; graph: string }> = {
  public: { loginHost: "https://login.microsoftonline.com", v1Host: "https://sts.windows.net", graph: "https://graph.microsoft.com" },
  usgovernment: { loginHost: "https://login.microsoftonline.us", v1Host: "https://sts.windows.net", graph: "https://graph.microsoft.us" },
  china: {
    loginHost: "https://login.partner.microsoftonline.cn",
    v1Host: "https://sts.chinacloudapi.cn",
    graph: "https://microsoftgraph.chinacloudapi.cn",
  },
};
const CLOUDS = Object.keys(EXPECTED) as EmulatorCloud[];
const v2Issuer = (cloud: EmulatorCloud, tenantId: string) => `${EXPECTED[cloud].loginHost}/${tenantId}/v2.0`;
const v1Issuer = (cloud: EmulatorCloud, tenantId: string) => `${EXPECTED[cloud].v1Host}/${tenantId}/`;
const tokenUrl = (cloud: EmulatorCloud, tenantId: string) => `${EXPECTED[cloud].loginHost}/${tenantId}/oauth2/v2.0/token`;
/** A cloud other than `cloud`: its token URL must not be accepted for `cloud`'s tenants. */
const otherCloud = (cloud: EmulatorCloud): EmulatorCloud => (cloud === "public" ? "china" : "public");

let emulator: Emulator;
/** One fixture per cloud, all in the same emulator: the cloud is per tenant, not per emulator. */
const fixtures = {} as Record<EmulatorCloud, EmulatorFixture>;

function fixtureFor(tenant: EmulatorTenant): EmulatorFixture {
  return { emulator, tenant, authorityHost: emulator.url, ...signInAsDeployer(emulator.url, tenant) };
}

beforeAll(async () => {
  emulator = await startEmulator();
  assertEmulatorCaTrusted(emulator.caCertFile);
  // Public is the default: its tenant is added without naming a cloud.
  fixtures.public = fixtureFor(emulator.addTenant({ initialDomain: "publiccloud.onmicrosoft.com" }));
  fixtures.usgovernment = fixtureFor(emulator.addTenant({ initialDomain: "govcloud.onmicrosoft.us", cloud: "usgovernment" }));
  fixtures.china = fixtureFor(emulator.addTenant({ initialDomain: "chinacloud.partner.onmschina.cn", cloud: "china" }));
});

afterAll(async () => {
  await emulator?.close();
});

/** A resource asking for `version` tokens and a client with a secret, created through Graph as the tenant's deployer. */
async function resourceAndClient(f: EmulatorFixture, version: 1 | 2) {
  const resource = await createApplicationWithServicePrincipal(f.graph, {
    displayName: `resource-v${version}`,
    api: { requestedAccessTokenVersion: version },
  });
  const identifierUri = `api://${resource.appId}`;
  await f.graph.api(`/applications/${resource.id}`).patch({ identifierUris: [identifierUri] });
  const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "client" });
  const secret = await addSecret(f.graph, client.id);
  return { resource, client, secret, scope: `${identifierUri}/.default`, identifierUri };
}

describe.each(CLOUDS)("a tenant in the %s cloud", (cloud) => {
  const f = () => fixtures[cloud];

  it("is reported with its cloud by addTenant and tenants()", () => {
    expect(f().tenant.cloud).toBe(cloud);
    expect(emulator.tenants().find((tenant) => tenant.tenantId === f().tenant.tenantId)?.cloud).toBe(cloud);
  });

  it("issues v2 tokens with the cloud's v2 issuer, verifiable with the tenant's published keys", async () => {
    const { resource, client, secret, scope } = await resourceAndClient(f(), 2);
    const token = await tokenWithSecret(f(), client.appId, secret, scope);
    const jwks = createRemoteJWKSet(new URL(`${emulator.url}/${f().tenant.tenantId}/discovery/v2.0/keys`));
    const { payload } = await jwtVerify(token, jwks, { issuer: v2Issuer(cloud, f().tenant.tenantId), audience: resource.appId });
    expect(payload).toMatchObject({ ver: "2.0", tid: f().tenant.tenantId });
  });

  it("issues v1 tokens (requestedAccessTokenVersion 1) with the cloud's v1 issuer as iss and idp", async () => {
    const { client, secret, scope, identifierUri } = await resourceAndClient(f(), 1);
    const token = await tokenWithSecret(f(), client.appId, secret, scope);
    const jwks = createRemoteJWKSet(new URL(`${emulator.url}/${f().tenant.tenantId}/discovery/keys`));
    const { payload } = await jwtVerify(token, jwks, { issuer: v1Issuer(cloud, f().tenant.tenantId), audience: identifierUri });
    expect(payload).toMatchObject({ ver: "1.0", idp: v1Issuer(cloud, f().tenant.tenantId) });
  });

  it("issues the deployer's Graph token (v1) for its cloud's Graph, and Graph accepts it; another cloud's Graph is no resource here", async () => {
    const { tenant } = f();
    const token = await tokenWithSecret(f(), tenant.deployer.clientId, tenant.deployer.clientSecret, `${EXPECTED[cloud].graph}/.default`);
    expect(decodePayload(token)).toMatchObject({ iss: v1Issuer(cloud, tenant.tenantId), aud: EXPECTED[cloud].graph });
    await expect(
      tokenWithSecret(f(), tenant.deployer.clientId, tenant.deployer.clientSecret, `${EXPECTED[otherCloud(cloud)].graph}/.default`),
    ).rejects.toThrow("AADSTS500011");
    const domains = (await f().graph.api("/domains").get()) as { value: { id: string }[] };
    expect(domains.value.map((domain) => domain.id)).toContain(tenant.initialDomain);
  });

  it("publishes discovery documents and v2 keys naming the cloud's issuers, endpoints on the emulator", async () => {
    const { tenantId, initialDomain } = f().tenant;
    const v2 = await rawRequest(`${emulator.url}/${initialDomain}/v2.0/.well-known/openid-configuration`);
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({
      issuer: v2Issuer(cloud, tenantId),
      token_endpoint: `${emulator.url}/${tenantId}/oauth2/v2.0/token`,
      jwks_uri: `${emulator.url}/${tenantId}/discovery/v2.0/keys`,
    });
    const v1 = await rawRequest(`${emulator.url}/${tenantId}/.well-known/openid-configuration`);
    expect(v1.status).toBe(200);
    expect(v1.body).toMatchObject({ issuer: v1Issuer(cloud, tenantId), token_endpoint: `${emulator.url}/${tenantId}/oauth2/token` });
    const keys = await rawRequest(`${emulator.url}/${tenantId}/discovery/v2.0/keys`);
    const issuers = (keys.body.keys as Array<{ issuer?: string }>).map((key) => key.issuer);
    expect(issuers.length).toBeGreaterThan(0);
    expect(new Set(issuers)).toEqual(new Set([v2Issuer(cloud, tenantId)]));
  });

  it("accepts a certificate client's assertion whose aud is the cloud's token URL (or the emulator's), AADSTS700027 for another cloud's", async () => {
    const { tenant, graph } = f();
    const { client, scope } = await resourceAndClient(f(), 2);
    const certificate = generateTestCertificate({ commonName: `connector-${cloud}` });
    await uploadCertificate(graph, client.id, certificate);
    const post = async (audience: string) =>
      postToken(emulator.url, tenant.tenantId, {
        grant_type: "client_credentials",
        client_id: client.appId,
        client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        client_assertion: await clientAssertion({ clientId: client.appId, audience, certificate }),
        scope,
      });
    for (const audience of [tokenUrl(cloud, tenant.tenantId), `${emulator.url}/${tenant.tenantId}/oauth2/v2.0/token`]) {
      const accepted = await post(audience);
      expect({ audience, status: accepted.status }).toEqual({ audience, status: 200 });
      expect(decodePayload(String(accepted.body.access_token))).toMatchObject({ azpacr: "2", iss: v2Issuer(cloud, tenant.tenantId) });
    }
    const refused = await post(tokenUrl(otherCloud(cloud), tenant.tenantId));
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: "invalid_client", error_codes: [700027] });
    // The error names the token URL this tenant's cloud expects.
    expect(String(refused.body.error_description)).toContain(`(${tokenUrl(cloud, tenant.tenantId)})`);
  });
});

describe("clouds in snapshots", () => {
  it("keeps each tenant's cloud through a snapshot and restore (JSON in between)", async () => {
    const snapshot = JSON.parse(JSON.stringify(emulator.snapshot())) as ReturnType<Emulator["snapshot"]>;
    const restored = await startEmulator({ snapshot });
    try {
      for (const cloud of CLOUDS) {
        const { tenantId, deployer } = fixtures[cloud].tenant;
        expect(restored.tenants().find((tenant) => tenant.tenantId === tenantId)?.cloud).toBe(cloud);
        const f = { ...fixtures[cloud], emulator: restored, authorityHost: restored.url };
        const token = await tokenWithSecret(f, deployer.clientId, deployer.clientSecret, `${EXPECTED[cloud].graph}/.default`);
        expect(decodePayload(token).iss).toBe(v1Issuer(cloud, tenantId));
      }
    } finally {
      await restored.close();
    }
  });

  it("restores a tenant of an older snapshot, written before clouds, as public", async () => {
    const snapshot = JSON.parse(JSON.stringify(emulator.snapshot())) as ReturnType<Emulator["snapshot"]>;
    // What a world saved before this change holds: no `cloud` on any tenant.
    for (const tenant of snapshot.tenants) delete (tenant as { cloud?: unknown }).cloud;
    const restored = await startEmulator({ snapshot });
    try {
      const { tenantId, deployer } = fixtures.china.tenant;
      for (const cloud of CLOUDS) {
        expect(restored.tenants().find((tenant) => tenant.tenantId === fixtures[cloud].tenant.tenantId)?.cloud).toBe("public");
      }
      const f = { ...fixtures.china, emulator: restored, authorityHost: restored.url };
      // The snapshot keeps the Graph principal the tenant was seeded with; only the cloud field is gone.
      const token = await tokenWithSecret(f, deployer.clientId, deployer.clientSecret, `${EXPECTED.china.graph}/.default`);
      expect(decodePayload(token).iss).toBe(v1Issuer("public", tenantId));
    } finally {
      await restored.close();
    }
  });

  it("refuses a snapshot naming an unknown cloud, naming the field", async () => {
    const snapshot = JSON.parse(JSON.stringify(emulator.snapshot())) as ReturnType<Emulator["snapshot"]>;
    const index = snapshot.tenants.findIndex((tenant) => tenant.id === fixtures.china.tenant.tenantId);
    (snapshot.tenants[index] as { cloud?: unknown }).cloud = "azurecloud";
    let error: unknown;
    try {
      await (await startEmulator({ snapshot })).close();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EmulatorSnapshotError);
    expect((error as EmulatorSnapshotError).field).toBe(`tenants[${index}].cloud`);
    expect((error as Error).message).toContain('"public", "usgovernment", "china"');
  });
});

describe("an unknown cloud", () => {
  it("is refused by addTenant with the allowed values, and no tenant is added", () => {
    const before = emulator.tenants().length;
    expect(() => emulator.addTenant({ initialDomain: "mars.onmicrosoft.com", cloud: "germany" as unknown as EmulatorCloud })).toThrow(
      'addTenant: cloud must be one of "public", "usgovernment", "china" (got \'germany\').',
    );
    expect(emulator.tenants()).toHaveLength(before);
    // The domain is still free: nothing of the refused tenant was stored.
    expect(emulator.addTenant({ initialDomain: "mars.onmicrosoft.com" }).cloud).toBe("public");
  });

  it("is refused by npm run emulator -- --cloud, which passes the known ones through", () => {
    expect(parseEmulatorArgs(["--cloud", "china"]).cloud).toBe("china");
    expect(parseEmulatorArgs(["--cloud=USGovernment"]).cloud).toBe("usgovernment");
    expect(parseEmulatorArgs([]).cloud).toBeUndefined();
    expect(() => parseEmulatorArgs(["--cloud", "germany"])).toThrow(UsageError);
    expect(() => parseEmulatorArgs(["--cloud", "germany"])).toThrow("--cloud must be one of public, usgovernment, china");
    // A world's tenant keeps the cloud it was saved with.
    expect(() => parseEmulatorArgs(["--state", "world-dir", "--cloud", "china"])).toThrow("--cloud does not go with --state");
  });
});
