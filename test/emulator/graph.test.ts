/** Graph v1.0 through the project's Graph client (and raw fetch where the client would hide the shape). */
import { generateTestCertificate } from "../support/certificates";
import { addSecret, createApplicationWithServicePrincipal, useEmulatorFixture } from "../support/emulatorFixture";
import { expectAadsts, rawRequest, tokenWithSecret } from "./helpers";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "contoso.onmicrosoft.com", verifiedDomains: ["contoso.com"] } });

const definition = (value: string) =>
  JSON.stringify({
    ClaimsMappingPolicy: { Version: 1, IncludeBasicClaimSet: "true", ClaimsSchema: [{ Value: value, JwtClaimType: "cmicuser" }] },
  });

async function graphToken(): Promise<string> {
  const token = await fixture().deployerCredential.getToken("https://graph.microsoft.com/.default");
  if (!token) throw new Error("no token");
  return token.token;
}

async function graphFetch(path: string, init: RequestInit = {}, token?: string) {
  const headers: Record<string, string> = { "content-type": "application/json", ...((init.headers as Record<string, string>) ?? {}) };
  if (token) headers.authorization = `Bearer ${token}`;
  return rawRequest(`${fixture().emulator.url}/v1.0${path}`, { ...init, headers });
}

describe("organization and domains", () => {
  it("lists the tenant's verified domains, marking the initial one; unverified domains only under /domains", async () => {
    const f = fixture();
    f.emulator.addDomain(f.tenant.tenantId, "pending.contoso.net");
    const organization = (await f.graph.api("/organization").get()) as {
      value: Array<{ id: string; verifiedDomains: Array<{ name: string; isInitial: boolean }> }>;
    };
    expect(organization.value).toHaveLength(1);
    expect(organization.value[0].id).toBe(f.tenant.tenantId);
    expect(organization.value[0].verifiedDomains).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "contoso.onmicrosoft.com", isInitial: true }),
        expect.objectContaining({ name: "contoso.com", isInitial: false }),
      ]),
    );
    expect(organization.value[0].verifiedDomains.map((d) => d.name)).not.toContain("pending.contoso.net");
    const domains = (await f.graph.api("/domains").get()) as {
      value: Array<{ id: string; isVerified: boolean; isInitial: boolean; isRoot: boolean }>;
    };
    expect(domains.value).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "pending.contoso.net", isVerified: false }),
        expect.objectContaining({ id: "contoso.com", isVerified: true, isRoot: true }),
      ]),
    );
  });
});

describe("applications", () => {
  it("creates, reads (by id, by appId, by $filter), patches (merging api) and deletes", async () => {
    const { graph } = fixture();
    const created = (await graph.api("/applications").post({
      displayName: "cmic-api",
      signInAudience: "AzureADMyOrg",
      api: { requestedAccessTokenVersion: 2, oauth2PermissionScopes: [] },
    })) as Record<string, unknown>;
    expect(created).toMatchObject({ displayName: "cmic-api", passwordCredentials: [], keyCredentials: [], identifierUris: [] });
    expect(String(created.id)).toMatch(/^[0-9a-f-]{36}$/);
    expect(String(created.appId)).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof created.createdDateTime).toBe("string");

    const byAppId = (await graph.api(`/applications(appId='${String(created.appId)}')`).get()) as { id: string };
    expect(byAppId.id).toBe(created.id);
    const filtered = (await graph
      .api("/applications")
      .filter(`appId eq '${String(created.appId)}'`)
      .select("id,appId")
      .get()) as { value: Array<Record<string, unknown>> };
    expect(filtered.value).toEqual([{ id: created.id, appId: created.appId }]);
    const byName = (await graph.api("/applications").filter("displayName eq 'cmic-api'").get()) as { value: unknown[] };
    expect(byName.value.length).toBeGreaterThanOrEqual(1);

    await graph
      .api(`/applications/${String(created.id)}`)
      .patch({ api: { acceptMappedClaims: true }, identifierUris: [`api://${String(created.appId)}.contoso.com`] });
    const patched = (await graph.api(`/applications/${String(created.id)}`).get()) as {
      api: Record<string, unknown>;
      identifierUris: string[];
    };
    expect(patched.api).toMatchObject({ requestedAccessTokenVersion: 2, acceptMappedClaims: true });
    expect(patched.identifierUris).toEqual([`api://${String(created.appId)}.contoso.com`]);

    await graph.api(`/applications/${String(created.id)}`).delete();
    await expect(graph.api(`/applications/${String(created.id)}`).get()).rejects.toMatchObject({
      statusCode: 404,
      code: "Request_ResourceNotFound",
    });
  });

  it("rejects a duplicate identifier URI and an https URI outside the verified domains", async () => {
    const { graph } = fixture();
    const first = (await graph.api("/applications").post({ displayName: "one", identifierUris: ["api://shared-name.contoso.com"] })) as {
      id: string;
    };
    await expect(
      graph.api("/applications").post({ displayName: "two", identifierUris: ["api://shared-name.contoso.com/"] }),
    ).rejects.toMatchObject({ statusCode: 400, code: "Request_BadRequest" });
    await expect(graph.api(`/applications/${first.id}`).patch({ identifierUris: ["https://api.example.org/cmic"] })).rejects.toMatchObject({
      statusCode: 400,
    });
    // A rejected PATCH changes nothing.
    const unchanged = (await graph.api(`/applications/${first.id}`).get()) as { identifierUris: string[] };
    expect(unchanged.identifierUris).toEqual(["api://shared-name.contoso.com"]);
  });

  it("stores certificate key credentials with the SHA-1 thumbprint and the certificate's validity", async () => {
    const { graph } = fixture();
    const app = (await graph.api("/applications").post({ displayName: "cert-app" })) as { id: string };
    const certificate = generateTestCertificate({
      commonName: "connector",
      notBefore: new Date("2026-01-01T00:00:00Z"),
      notAfter: new Date("2027-01-01T00:00:00Z"),
    });
    await graph.api(`/applications/${app.id}`).patch({
      keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: certificate.certDerBase64, displayName: "CN=connector" }],
    });
    const read = (await graph.api(`/applications/${app.id}`).get()) as { keyCredentials: Array<Record<string, unknown>> };
    expect(read.keyCredentials).toEqual([
      expect.objectContaining({
        customKeyIdentifier: certificate.thumbprintSha1Hex,
        // Graph writes dates at whole seconds, without a fraction.
        startDateTime: "2026-01-01T00:00:00Z",
        endDateTime: "2027-01-01T00:00:00Z",
        type: "AsymmetricX509Cert",
        usage: "Verify",
        key: null,
      }),
    ]);
    await expect(
      graph
        .api(`/applications/${app.id}`)
        .patch({ keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: "bm90IGEgY2VydA==" }] }),
    ).rejects.toMatchObject({ statusCode: 400 });
  });

  it("addPassword returns the secret once; removePassword revokes it", async () => {
    const f = fixture();
    const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "secret-app" });
    const added = (await f.graph
      .api(`/applications/${client.id}/addPassword`)
      .post({ passwordCredential: { displayName: "connector" } })) as Record<string, string>;
    expect(added.secretText).toHaveLength(40);
    expect(added.hint).toBe(added.secretText.slice(0, 3));
    expect(Date.parse(added.endDateTime) - Date.parse(added.startDateTime)).toBeGreaterThan(700 * 24 * 3600 * 1000);
    const read = (await f.graph.api(`/applications/${client.id}`).get()) as { passwordCredentials: Array<Record<string, unknown>> };
    expect(read.passwordCredentials).toEqual([
      expect.objectContaining({ keyId: added.keyId, hint: added.hint, secretText: null, displayName: "connector" }),
    ]);

    await tokenWithSecret(f, client.appId, added.secretText, "https://graph.microsoft.com/.default");
    await f.graph.api(`/applications/${client.id}/removePassword`).post({ keyId: added.keyId });
    await expectAadsts(tokenWithSecret(f, client.appId, added.secretText, "https://graph.microsoft.com/.default"), 7000215);
  });
});

describe("service principals", () => {
  it("creates one per app (409 on a second), reads by appId, deletes with the application", async () => {
    const { graph } = fixture();
    const app = (await graph.api("/applications").post({ displayName: "sp-app" })) as { id: string; appId: string };
    const sp = (await graph.api("/servicePrincipals").post({ appId: app.appId })) as {
      id: string;
      appId: string;
      servicePrincipalType: string;
    };
    expect(sp).toMatchObject({ appId: app.appId, servicePrincipalType: "Application" });
    await expect(graph.api("/servicePrincipals").post({ appId: app.appId })).rejects.toMatchObject({ statusCode: 409 });
    await expect(graph.api("/servicePrincipals").post({ appId: "0b0b0b0b-0000-4000-8000-000000000000" })).rejects.toMatchObject({
      statusCode: 400,
    });
    const byAppId = (await graph.api(`/servicePrincipals(appId='${app.appId}')`).get()) as { id: string };
    expect(byAppId.id).toBe(sp.id);
    const listed = (await graph.api("/servicePrincipals").filter(`appId eq '${app.appId}'`).get()) as { value: Array<{ id: string }> };
    expect(listed.value.map((s) => s.id)).toEqual([sp.id]);
    await graph.api(`/applications/${app.id}`).delete();
    await expect(graph.api(`/servicePrincipals/${sp.id}`).get()).rejects.toMatchObject({ statusCode: 404 });
  });

  it("has Microsoft Graph's service principal in every tenant", async () => {
    const { graph } = fixture();
    const sp = (await graph.api("/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')").get()) as { displayName: string };
    expect(sp.displayName).toBe("Microsoft Graph");
  });
});

describe("claims-mapping policies", () => {
  it("validates the definition, supports CRUD, and allows one policy per service principal", async () => {
    const { graph } = fixture();
    await expect(graph.api("/policies/claimsMappingPolicies").post({ displayName: "bad", definition: ["not json"] })).rejects.toMatchObject(
      { statusCode: 400 },
    );
    await expect(
      graph.api("/policies/claimsMappingPolicies").post({ displayName: "bad", definition: ['{"Other":{}}'] }),
    ).rejects.toMatchObject({ statusCode: 400 });

    const first = (await graph
      .api("/policies/claimsMappingPolicies")
      .post({ displayName: "one", definition: [definition("A")], isOrganizationDefault: false })) as { id: string; definition: string[] };
    expect(first.definition).toEqual([definition("A")]);
    await graph.api(`/policies/claimsMappingPolicies/${first.id}`).patch({ definition: [definition("B")] });
    expect(((await graph.api(`/policies/claimsMappingPolicies/${first.id}`).get()) as { definition: string[] }).definition).toEqual([
      definition("B"),
    ]);
    const second = (await graph.api("/policies/claimsMappingPolicies").post({ displayName: "two", definition: [definition("C")] })) as {
      id: string;
    };

    const resource = await createApplicationWithServicePrincipal(graph, { displayName: "policy-target" });
    const ref = (id: string) => ({ "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${id}` });
    const assignments = `/servicePrincipals/${resource.servicePrincipalId}/claimsMappingPolicies`;
    await graph.api(`${assignments}/$ref`).post(ref(first.id));
    await expect(graph.api(`${assignments}/$ref`).post(ref(first.id))).rejects.toMatchObject({ statusCode: 400 });
    await expect(graph.api(`${assignments}/$ref`).post(ref(second.id))).rejects.toMatchObject({ statusCode: 400 });
    await graph.api(`${assignments}/${first.id}/$ref`).delete();
    await graph.api(`${assignments}/$ref`).post(ref(second.id));
    expect(((await graph.api(assignments).get()) as { value: Array<{ id: string }> }).value.map((p) => p.id)).toEqual([second.id]);

    await graph.api(`/policies/claimsMappingPolicies/${second.id}`).delete();
    expect(((await graph.api(assignments).get()) as { value: unknown[] }).value).toEqual([]);
  });
});

describe("authentication and errors", () => {
  it("requires a bearer token (401 InvalidAuthenticationToken in OData shape)", async () => {
    const response = await graphFetch("/applications", { headers: { "client-request-id": "abc-123" } });
    expect(response.status).toBe(401);
    const error = response.body.error as Record<string, unknown>;
    expect(error.code).toBe("InvalidAuthenticationToken");
    expect(error.innerError).toMatchObject({ "client-request-id": "abc-123" });
    expect(typeof (error.innerError as Record<string, unknown>)["request-id"]).toBe("string");
  });

  it("rejects a token issued for another audience, and a client without Graph permissions", async () => {
    const f = fixture();
    const resource = await createApplicationWithServicePrincipal(f.graph, {
      displayName: "not-graph",
      api: { requestedAccessTokenVersion: 2 },
    });
    const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "no-roles" });
    const secret = await addSecret(f.graph, client.id);
    const wrongAudience = await tokenWithSecret(f, client.appId, secret, `${resource.appId}/.default`);
    expect((await graphFetch("/organization", {}, wrongAudience)).status).toBe(401);
    const noRoles = await tokenWithSecret(f, client.appId, secret, "https://graph.microsoft.com/.default");
    const denied = await graphFetch("/organization", {}, noRoles);
    expect(denied.status).toBe(403);
    expect((denied.body.error as Record<string, unknown>).code).toBe("Authorization_RequestDenied");
  });

  it("answers 404 with Request_ResourceNotFound and @odata.context on success", async () => {
    const token = await graphToken();
    const missing = await graphFetch("/applications/6e0f7c6a-0000-4000-8000-000000000000", {}, token);
    expect(missing.status).toBe(404);
    expect((missing.body.error as Record<string, unknown>).code).toBe("Request_ResourceNotFound");
    const list = await graphFetch("/applications", {}, token);
    expect(String(list.body["@odata.context"])).toMatch(/\/v1\.0\/\$metadata#applications$/);
  });
});

describe("$batch", () => {
  it("runs up to 20 requests, returns 200 with inner failures, and logs one round trip", async () => {
    const f = fixture();
    const token = await graphToken();
    f.emulator.clearRequestLog();
    const response = await graphFetch(
      "/$batch",
      {
        method: "POST",
        body: JSON.stringify({
          requests: [
            { id: "1", method: "GET", url: "/organization" },
            { id: "2", method: "GET", url: "applications/6e0f7c6a-0000-4000-8000-000000000000" },
            {
              id: "3",
              method: "POST",
              url: "/applications",
              headers: { "Content-Type": "application/json" },
              body: { displayName: "batched" },
            },
            { id: "4", method: "POST", url: "/applications", body: { displayName: "no content type" } },
          ],
        }),
      },
      token,
    );
    expect(response.status).toBe(200);
    const statuses = Object.fromEntries((response.body.responses as Array<{ id: string; status: number }>).map((r) => [r.id, r.status]));
    expect(statuses).toEqual({ "1": 200, "2": 404, "3": 201, "4": 400 });
    expect(f.emulator.requests.filter((r) => r.path.startsWith("/v1.0/"))).toEqual([
      expect.objectContaining({ method: "POST", path: "/v1.0/$batch", status: 200 }),
    ]);
    expect(f.emulator.batchedRequests.map((r) => r.status)).toEqual([200, 404, 201, 400]);
  });

  it("refuses more than 20 requests with 400", async () => {
    const token = await graphToken();
    const requests = Array.from({ length: 21 }, (_, i) => ({ id: String(i + 1), method: "GET", url: "/organization" }));
    const response = await graphFetch("/$batch", { method: "POST", body: JSON.stringify({ requests }) }, token);
    expect(response.status).toBe(400);
    expect(String((response.body.error as Record<string, unknown>).message)).toContain("20");
  });

  it("works through the Graph client's api('/$batch')", async () => {
    const { graph } = fixture();
    const result = (await graph.api("/$batch").post({ requests: [{ id: "a", method: "GET", url: "/domains" }] })) as {
      responses: Array<{ id: string; status: number; body: { value: unknown[] } }>;
    };
    expect(result.responses[0]).toMatchObject({ id: "a", status: 200 });
    expect(result.responses[0].body.value.length).toBeGreaterThan(0);
  });
});
