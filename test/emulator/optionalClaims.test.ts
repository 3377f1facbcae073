/**
 * An application's optionalClaims: Graph's shapes (POST, PATCH, GET) and validation; the
 * access-token optional claims CMiC's guide asks for (`ipaddr` from the connection, never a header;
 * `email` and `upn` absent from app-only tokens); and their life across a snapshot.
 */
import { lookup } from "node:dns/promises";
import type { Client } from "@microsoft/microsoft-graph-client";
import { EmulatorSnapshotError, SNAPSHOT_FORMAT, startEmulator, type Emulator, type EmulatorSnapshot } from "../../emulator";
import { clientIpAddress } from "../../emulator/http";
import { addSecret, createApplicationWithServicePrincipal, signInAsDeployer, useEmulatorFixture } from "../support/emulatorFixture";
import { decodePayload, postToken, tokenWithSecret } from "./helpers";

const fixture = useEmulatorFixture();

/** What Graph returns for a claim sent with just its name. */
const claim = (name: string) => ({ additionalProperties: [], essential: false, name, source: null });
const EMPTY = { accessToken: [], idToken: [], saml2Token: [] };

/** What terraform-provider-azuread v3.8.0 sends for access_token claims (expandApplicationOptionalClaims). */
const providerBody = (...names: string[]) => ({
  accessToken: names.map((name) => ({ name, essential: false, additionalProperties: [] })),
  idToken: [],
  saml2Token: [],
});

async function optionalClaimsOf(graph: Client, id: string): Promise<unknown> {
  return ((await graph.api(`/applications/${id}`).get()) as { optionalClaims: unknown }).optionalClaims;
}

/** The token endpoint on 127.0.0.1 itself: the emulator's certificate names that address too (tls.ts). */
function ipv4Origin(emulator: Emulator): string {
  return emulator.url.replace("//localhost:", "//127.0.0.1:");
}

/** The address this process connects to `localhost` from: what @azure/identity's requests come from. */
async function localhostAddress(): Promise<string> {
  return (await lookup("localhost")).address;
}

/** A resource (with an identifier URI) whose optionalClaims are `optionalClaims`, and a client with a secret. */
async function setup(graph: Client, optionalClaims: unknown, requestedAccessTokenVersion: number | null) {
  const resource = await createApplicationWithServicePrincipal(graph, {
    displayName: `resource-v${requestedAccessTokenVersion}`,
    api: { requestedAccessTokenVersion },
    ...(optionalClaims === undefined ? {} : { optionalClaims }),
  });
  const identifierUri = `api://${resource.appId}`;
  await graph.api(`/applications/${resource.id}`).patch({ identifierUris: [identifierUri] });
  const client = await createApplicationWithServicePrincipal(graph, { displayName: "connector" });
  const secret = await addSecret(graph, client.id);
  return { resource, client, secret, scope: `${identifierUri}/.default`, identifierUri };
}

describe("optionalClaims through Graph", () => {
  it("is null for an app created without them, in the POST answer, GET and the list", async () => {
    const { graph } = fixture();
    const created = (await graph.api("/applications").post({ displayName: "plain" })) as { id: string; optionalClaims: unknown };
    expect(created).toHaveProperty("optionalClaims", null);
    expect(await optionalClaimsOf(graph, created.id)).toBeNull();
    const list = (await graph.api("/applications").get()) as { value: Array<{ id: string; optionalClaims: unknown }> };
    expect(list.value.find((app) => app.id === created.id)).toHaveProperty("optionalClaims", null);
  });

  it("returns what POST set: all three collections, every claim with its four properties, as given or defaulted", async () => {
    const { graph } = fixture();
    const created = (await graph.api("/applications").post({
      displayName: "with claims",
      optionalClaims: {
        accessToken: [
          { name: "ipaddr" },
          { name: "email", essential: true, additionalProperties: ["include_externally_authenticated_upn"] },
        ],
        idToken: [{ name: "upn", source: null, essential: false, additionalProperties: [] }],
      },
    })) as { id: string; optionalClaims: unknown };
    const expected = {
      accessToken: [
        claim("ipaddr"),
        { additionalProperties: ["include_externally_authenticated_upn"], essential: true, name: "email", source: null },
      ],
      idToken: [claim("upn")],
      saml2Token: [],
    };
    expect(created.optionalClaims).toEqual(expected);
    expect(await optionalClaimsOf(graph, created.id)).toEqual(expected);
  });

  it("round-trips what the provider sends: its body on create, and `{}` (no block) as three empty collections, not null", async () => {
    const { graph } = fixture();
    const configured = (await graph
      .api("/applications")
      .post({ displayName: "provider", optionalClaims: providerBody("ipaddr", "upn") })) as {
      id: string;
    };
    expect(await optionalClaimsOf(graph, configured.id)).toEqual({
      accessToken: [claim("ipaddr"), claim("upn")],
      idToken: [],
      saml2Token: [],
    });
    const none = (await graph.api("/applications").post({ displayName: "provider, no block", optionalClaims: {} })) as { id: string };
    expect(await optionalClaimsOf(graph, none.id)).toEqual(EMPTY);
    const empty = (await graph.api("/applications").post({ displayName: "empty lists", optionalClaims: EMPTY })) as { id: string };
    expect(await optionalClaimsOf(graph, empty.id)).toEqual(EMPTY);
  });

  it("PATCH replaces them as a whole, keeps them when it does not name them, and clears them with null", async () => {
    const { graph } = fixture();
    const app = (await graph.api("/applications").post({
      displayName: "patched",
      optionalClaims: { accessToken: [{ name: "ipaddr" }], idToken: [{ name: "email" }] },
    })) as { id: string };
    await graph.api(`/applications/${app.id}`).patch({ optionalClaims: { accessToken: [{ name: "upn", source: "user" }] } });
    const replaced = { accessToken: [{ ...claim("upn"), source: "user" }], idToken: [], saml2Token: [] };
    expect(await optionalClaimsOf(graph, app.id)).toEqual(replaced);
    await graph.api(`/applications/${app.id}`).patch({ displayName: "patched again" });
    expect(await optionalClaimsOf(graph, app.id)).toEqual(replaced);
    await graph.api(`/applications/${app.id}`).patch({ optionalClaims: {} });
    expect(await optionalClaimsOf(graph, app.id)).toEqual(EMPTY);
    await graph.api(`/applications/${app.id}`).patch({ optionalClaims: null });
    expect(await optionalClaimsOf(graph, app.id)).toBeNull();
  });

  it.each([
    ["a claim without a name", { accessToken: [{ essential: false }] }, "optionalClaims.accessToken[0].name"],
    ["an empty name", { accessToken: [{ name: " " }] }, "optionalClaims.accessToken[0].name"],
    ["a source other than null or user", { idToken: [{ name: "ipaddr", source: "directory" }] }, "optionalClaims.idToken[0].source"],
    ["a non-boolean essential", { accessToken: [{ name: "ipaddr", essential: "yes" }] }, "optionalClaims.accessToken[0].essential"],
    ["additionalProperties not strings", { accessToken: [{ name: "upn", additionalProperties: [1] }] }, "additionalProperties"],
    ["a null collection", { accessToken: null }, "optionalClaims.accessToken"],
    ["a collection that is no array", { saml2Token: { name: "upn" } }, "optionalClaims.saml2Token"],
    ["a property the type does not define", { accessTokens: [{ name: "ipaddr" }] }, "'accessTokens' does not exist"],
    ["a claim property the type does not define", { accessToken: [{ name: "ipaddr", value: "x" }] }, "'value' does not exist"],
    ["a string instead of the object", "ipaddr", "optionalClaims"],
  ])(
    "refuses %s with 400 Request_BadRequest, on POST and PATCH, and a refused PATCH changes nothing",
    async (_case, optionalClaims, inMessage) => {
      const { graph } = fixture();
      const before = ((await graph.api("/applications").get()) as { value: unknown[] }).value.length;
      const refused = { statusCode: 400, code: "Request_BadRequest", message: expect.stringContaining(inMessage) as unknown };
      await expect(graph.api("/applications").post({ displayName: "refused", optionalClaims })).rejects.toMatchObject(refused);
      expect(((await graph.api("/applications").get()) as { value: unknown[] }).value).toHaveLength(before);

      const app = (await graph.api("/applications").post({ displayName: "kept", optionalClaims: providerBody("ipaddr") })) as {
        id: string;
      };
      await expect(graph.api(`/applications/${app.id}`).patch({ displayName: "renamed", optionalClaims })).rejects.toMatchObject(refused);
      const after = (await graph.api(`/applications/${app.id}`).get()) as { displayName: string; optionalClaims: unknown };
      expect(after.displayName).toBe("kept");
      expect(after.optionalClaims).toEqual({ ...EMPTY, accessToken: [claim("ipaddr")] });
    },
  );
});

describe("access-token optional claims in app-only tokens", () => {
  it("writes the peer address as a client sees it: IPv4-mapped IPv6 unwrapped, others as they are", () => {
    expect(clientIpAddress({ peerAddress: "::ffff:127.0.0.1" })).toBe("127.0.0.1");
    expect(clientIpAddress({ peerAddress: "::FFFF:10.1.2.3" })).toBe("10.1.2.3");
    expect(clientIpAddress({ peerAddress: "127.0.0.1" })).toBe("127.0.0.1");
    expect(clientIpAddress({ peerAddress: "::1" })).toBe("::1");
    expect(clientIpAddress({ peerAddress: "2001:db8::ffff:1" })).toBe("2001:db8::ffff:1");
    expect(clientIpAddress({ peerAddress: undefined })).toBeUndefined();
  });

  it("carries ipaddr, the caller's own address, in a v2 token of a resource that configures it (and in v1 endpoint answers)", async () => {
    const f = fixture();
    const { resource, client, secret, scope, identifierUri } = await setup(f.graph, providerBody("ipaddr"), 2);
    const token = decodePayload(await tokenWithSecret(f, client.appId, secret, scope));
    expect(token).toMatchObject({ ver: "2.0", aud: resource.appId, ipaddr: await localhostAddress() });

    const origin = ipv4Origin(f.emulator);
    const form = { grant_type: "client_credentials", client_id: client.appId, client_secret: secret };
    const v2 = await postToken(origin, f.tenant.tenantId, { ...form, scope });
    expect(v2.status).toBe(200);
    expect(decodePayload(v2.body.access_token as string)).toMatchObject({ ver: "2.0", ipaddr: "127.0.0.1" });
    const v1Endpoint = await postToken(origin, f.tenant.tenantId, { ...form, resource: identifierUri }, { v1: true });
    expect(v1Endpoint.status).toBe(200);
    expect(decodePayload(v1Endpoint.body.access_token as string)).toMatchObject({ ver: "2.0", ipaddr: "127.0.0.1" });
  });

  it("carries ipaddr in a v1 token of a resource that configures it", async () => {
    const f = fixture();
    const { client, secret, scope, identifierUri } = await setup(f.graph, providerBody("ipaddr", "email", "upn"), null);
    const token = decodePayload(await tokenWithSecret(f, client.appId, secret, scope));
    expect(token).toMatchObject({ ver: "1.0", aud: identifierUri, ipaddr: await localhostAddress() });
    const raw = await postToken(
      ipv4Origin(f.emulator),
      f.tenant.tenantId,
      {
        grant_type: "client_credentials",
        client_id: client.appId,
        client_secret: secret,
        resource: identifierUri,
      },
      { v1: true },
    );
    expect(raw.status).toBe(200);
    expect(decodePayload(raw.body.access_token as string)).toMatchObject({ ver: "1.0", ipaddr: "127.0.0.1" });
  });

  it.each([
    ["no optionalClaims", undefined],
    ["empty collections", EMPTY],
    ["ipaddr asked for in ID tokens only", { accessToken: [], idToken: [{ name: "ipaddr" }], saml2Token: [] }],
    ["ipaddr as a user extension property (source user)", { accessToken: [{ name: "ipaddr", source: "user" }] }],
  ])("carries no ipaddr in v1 or v2 tokens of a resource with %s", async (_case, optionalClaims) => {
    const f = fixture();
    for (const version of [2, null]) {
      const { client, secret, scope } = await setup(f.graph, optionalClaims, version);
      const token = decodePayload(await tokenWithSecret(f, client.appId, secret, scope));
      expect(token.ver).toBe(version === 2 ? "2.0" : "1.0");
      expect(token).not.toHaveProperty("ipaddr");
    }
  });

  it("leaves out the user claims email and upn, and names it does not model, without an error", async () => {
    const f = fixture();
    for (const version of [2, null]) {
      const { client, secret, scope } = await setup(f.graph, providerBody("email", "upn", "family_name", "no_such_claim"), version);
      const token = decodePayload(await tokenWithSecret(f, client.appId, secret, scope));
      for (const name of ["email", "upn", "family_name", "no_such_claim", "ipaddr"]) expect(token).not.toHaveProperty(name);
      expect(token).toHaveProperty("sub");
    }
  });

  it("follows the resource's configuration, not the client's", async () => {
    const f = fixture();
    const { client, secret, scope } = await setup(f.graph, undefined, 2);
    await f.graph.api(`/applications/${client.id}`).patch({ optionalClaims: providerBody("ipaddr") });
    expect(decodePayload(await tokenWithSecret(f, client.appId, secret, scope))).not.toHaveProperty("ipaddr");
  });

  it("ignores X-Forwarded-For and its kin: ipaddr is the connection's peer", async () => {
    const f = fixture();
    const { client, secret, scope, identifierUri } = await setup(f.graph, providerBody("ipaddr"), 2);
    const headers = { "x-forwarded-for": "203.0.113.7, 198.51.100.1", "x-real-ip": "203.0.113.8", forwarded: "for=203.0.113.9" };
    const form = { grant_type: "client_credentials", client_id: client.appId, client_secret: secret };
    const v2 = await postToken(ipv4Origin(f.emulator), f.tenant.tenantId, { ...form, scope }, { headers });
    expect(v2.status).toBe(200);
    expect(decodePayload(v2.body.access_token as string).ipaddr).toBe("127.0.0.1");
    const v1 = await postToken(ipv4Origin(f.emulator), f.tenant.tenantId, { ...form, resource: identifierUri }, { v1: true, headers });
    expect(decodePayload(v1.body.access_token as string).ipaddr).toBe("127.0.0.1");
  });
});

describe("optionalClaims across a snapshot", () => {
  /** A snapshot, sent through JSON as a world directory keeps it. */
  const snapshotOf = (emulator: Emulator) => JSON.parse(JSON.stringify(emulator.snapshot())) as EmulatorSnapshot;

  it("keeps them, writes the field only for an app that has them, and the restored resource's tokens carry ipaddr", async () => {
    const f = fixture();
    const { resource, client, secret, scope } = await setup(
      f.graph,
      { accessToken: [{ name: "ipaddr", essential: true, additionalProperties: ["x"] }], idToken: [{ name: "email" }] },
      2,
    );
    const empty = (await f.graph.api("/applications").post({ displayName: "empty", optionalClaims: {} })) as { id: string };
    const snapshot = snapshotOf(f.emulator);
    expect(snapshot.format).toBe(SNAPSHOT_FORMAT);
    const byId = (id: string) => snapshot.applications.find((app) => app.id === id);
    expect(byId(client.id)).not.toHaveProperty("optionalClaims");
    expect(byId(empty.id)?.optionalClaims).toEqual(EMPTY);
    expect(byId(resource.id)?.optionalClaims).toEqual({
      accessToken: [{ name: "ipaddr", source: null, essential: true, additionalProperties: ["x"] }],
      idToken: [{ name: "email", source: null, essential: false, additionalProperties: [] }],
      saml2Token: [],
    });

    const restored = await startEmulator({ snapshot });
    try {
      const again = { emulator: restored, tenant: f.tenant, authorityHost: restored.url, ...signInAsDeployer(restored.url, f.tenant) };
      expect(await optionalClaimsOf(again.graph, resource.id)).toEqual(await optionalClaimsOf(f.graph, resource.id));
      expect(await optionalClaimsOf(again.graph, empty.id)).toEqual(EMPTY);
      expect(await optionalClaimsOf(again.graph, client.id)).toBeNull();
      expect(decodePayload(await tokenWithSecret(again, client.appId, secret, scope)).ipaddr).toBe(await localhostAddress());
      // Taken again, the restored world writes them as it read them (sign-ins aside, which its tokens changed).
      const claimsOf = (world: EmulatorSnapshot) => world.applications.map((app) => [app.id, app.optionalClaims]);
      expect(claimsOf(snapshotOf(restored))).toEqual(claimsOf(snapshot));
    } finally {
      await restored.close();
    }
  });

  it("restores an older snapshot without the field as null, and one whose `other` holds them as sent (before they were modelled) with them", async () => {
    const f = fixture();
    const { resource } = await setup(f.graph, providerBody("ipaddr"), 2);
    const snapshot = snapshotOf(f.emulator);
    const older = {
      ...snapshot,
      applications: snapshot.applications.map(({ optionalClaims: _dropped, ...app }) => app),
    };
    const legacy = {
      ...snapshot,
      applications: snapshot.applications.map(({ optionalClaims: _modelled, ...app }) =>
        app.id === resource.id ? { ...app, other: { ...app.other, optionalClaims: { accessToken: [{ name: "ipaddr" }] } } } : app,
      ),
    };
    expect(snapshot.applications.find((app) => app.id === resource.id)).toHaveProperty("optionalClaims");
    for (const [world, expected] of [
      [older, null],
      [legacy, { ...EMPTY, accessToken: [claim("ipaddr")] }],
    ] as const) {
      const restored = await startEmulator({ snapshot: world as EmulatorSnapshot });
      try {
        const app = (await signInAsDeployer(restored.url, f.tenant).graph.api(`/applications/${resource.id}`).get()) as Record<
          string,
          unknown
        >;
        expect(app.optionalClaims).toEqual(expected);
        // Moved, not copied: `other` no longer holds them.
        expect(restored.snapshot().applications.find((entry) => entry.id === resource.id)?.other).not.toHaveProperty("optionalClaims");
      } finally {
        await restored.close();
      }
    }
  });

  it("refuses a snapshot whose optionalClaims Graph would not have taken, naming the field", async () => {
    const f = fixture();
    const { resource } = await setup(f.graph, providerBody("ipaddr"), 2);
    const snapshot = snapshotOf(f.emulator);
    const index = snapshot.applications.findIndex((app) => app.id === resource.id);
    const refusal = async (change: (app: Record<string, unknown>) => void): Promise<EmulatorSnapshotError> => {
      const copy = structuredClone(snapshot);
      change(copy.applications[index] as unknown as Record<string, unknown>);
      let error: unknown;
      try {
        await (await startEmulator({ snapshot: copy })).close();
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(EmulatorSnapshotError);
      return error as EmulatorSnapshotError;
    };
    const badSource = await refusal((app) => {
      (app.optionalClaims as { accessToken: Array<{ source: unknown }> }).accessToken[0].source = "directory";
    });
    expect(badSource.field).toBe(`applications[${index}].optionalClaims.accessToken[0].source`);
    const missingList = await refusal((app) => {
      delete (app.optionalClaims as Record<string, unknown>).saml2Token;
    });
    expect(missingList.field).toBe(`applications[${index}].optionalClaims.saml2Token`);
    const badLegacy = await refusal((app) => {
      delete app.optionalClaims;
      (app.other as Record<string, unknown>).optionalClaims = { accessToken: [{ essential: true }] };
    });
    expect(badLegacy.field).toBe(`applications[${index}].other.optionalClaims`);
  });
});
