/**
 * Graph requests terraform-provider-azuread v3.8.0 sends that the emulator must answer as Graph does:
 * a policy assignment referenced through `/directoryObjects/{id}`, a duplicate identifier URI, a
 * `$filter` with an unescaped apostrophe, and a certificate list sent back with `key: null`.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { generateTestCertificate } from "../support/certificates";
import { createApplicationWithServicePrincipal, useEmulatorFixture } from "../support/emulatorFixture";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "northwind.onmicrosoft.com", verifiedDomains: ["northwind.com"] } });

const definition = JSON.stringify({
  ClaimsMappingPolicy: { Version: 1, IncludeBasicClaimSet: "true", ClaimsSchema: [{ Value: "SVC", JwtClaimType: "cmicuser" }] },
});

/** The Graph error a call rejects with (status, code, message), or a failure when it resolves. */
async function graphFailure(call: Promise<unknown>): Promise<{ statusCode: number; code: string | null; message: string }> {
  try {
    await call;
  } catch (error) {
    const failure = error as { statusCode: number; code: string | null; message: string };
    return { statusCode: failure.statusCode, code: failure.code, message: failure.message };
  }
  throw new Error("the Graph call succeeded; it should have failed");
}

async function newPolicy(graph: Client): Promise<string> {
  const policy = (await graph.api("/policies/claimsMappingPolicies").post({ displayName: "cmic", definition: [definition] })) as {
    id: string;
  };
  return policy.id;
}

async function assignedPolicyIds(graph: Client, servicePrincipalId: string): Promise<string[]> {
  const list = (await graph.api(`/servicePrincipals/${servicePrincipalId}/claimsMappingPolicies`).get()) as { value: { id: string }[] };
  return list.value.map((policy) => policy.id);
}

describe("claims-mapping policy assignment references", () => {
  it("accepts @odata.id = https://graph.microsoft.com/v1.0/directoryObjects/{id}, as the azuread provider sends it", async () => {
    const { graph } = fixture();
    const app = await createApplicationWithServicePrincipal(graph, { displayName: "directory-object-ref" });
    const policyId = await newPolicy(graph);
    await graph
      .api(`/servicePrincipals/${app.servicePrincipalId}/claimsMappingPolicies/$ref`)
      .post({ "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${policyId}` });
    expect(await assignedPolicyIds(graph, app.servicePrincipalId)).toEqual([policyId]);
  });

  it("still accepts the policies/claimsMappingPolicies form, and removes either through /{policyId}/$ref", async () => {
    const { graph } = fixture();
    const app = await createApplicationWithServicePrincipal(graph, { displayName: "policy-path-ref" });
    const policyId = await newPolicy(graph);
    await graph
      .api(`/servicePrincipals/${app.servicePrincipalId}/claimsMappingPolicies/$ref`)
      .post({ "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policyId}` });
    expect(await assignedPolicyIds(graph, app.servicePrincipalId)).toEqual([policyId]);
    await graph.api(`/servicePrincipals/${app.servicePrincipalId}/claimsMappingPolicies/${policyId}/$ref`).delete();
    expect(await assignedPolicyIds(graph, app.servicePrincipalId)).toEqual([]);
  });

  it("refuses a reference to something else, and a directoryObjects id that is no policy", async () => {
    const { graph } = fixture();
    const app = await createApplicationWithServicePrincipal(graph, { displayName: "bad-ref" });
    const wrongPath = await graphFailure(
      graph
        .api(`/servicePrincipals/${app.servicePrincipalId}/claimsMappingPolicies/$ref`)
        .post({ "@odata.id": `https://graph.microsoft.com/v1.0/servicePrincipals/${app.servicePrincipalId}` }),
    );
    expect(wrongPath).toMatchObject({ statusCode: 400, code: "Request_BadRequest" });
    const notAPolicy = await graphFailure(
      graph
        .api(`/servicePrincipals/${app.servicePrincipalId}/claimsMappingPolicies/$ref`)
        .post({ "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${app.servicePrincipalId}` }),
    );
    expect(notAPolicy.statusCode).toBe(404);
  });
});

describe("identifierUris", () => {
  it("a URI another application of the tenant holds: 400 Request_BadRequest, and the PATCH changes nothing", async () => {
    const { graph } = fixture();
    const first = await createApplicationWithServicePrincipal(graph, { displayName: "uri-owner" });
    const second = await createApplicationWithServicePrincipal(graph, { displayName: "uri-claimant" });
    const uri = `api://shared-${first.appId}.northwind.com`;
    await graph.api(`/applications/${first.id}`).patch({ identifierUris: [uri] });
    const failure = await graphFailure(graph.api(`/applications/${second.id}`).patch({ identifierUris: [uri] }));
    expect(failure).toEqual({
      statusCode: 400,
      code: "Request_BadRequest",
      message: "Another object with the same value for property identifierUris already exists.",
    });
    const unchanged = (await graph.api(`/applications/${second.id}`).get()) as { identifierUris: string[] };
    expect(unchanged.identifierUris).toEqual([]);
    // The owner itself may PATCH its own URI again (the provider sends the whole list back).
    await graph.api(`/applications/${first.id}`).patch({ identifierUris: [uri, `api://${first.appId}`] });
  });
});

describe("$filter string literals", () => {
  it("an unescaped apostrophe is Graph's syntax error: 400 BadRequest 'Invalid filter clause'", async () => {
    const { graph } = fixture();
    await graph.api("/applications").post({ displayName: "O'Brien app" });
    const failure = await graphFailure(graph.api("/applications").filter("displayName eq 'O'Brien app'").get());
    expect(failure).toEqual({ statusCode: 400, code: "BadRequest", message: "Invalid filter clause" });
    // An unterminated literal is the same error.
    expect(await graphFailure(graph.api("/applications").filter("displayName eq 'O''Brien app").get())).toMatchObject({
      statusCode: 400,
      message: "Invalid filter clause",
    });
  });

  it("'' is an escaped quote, and 'and' inside a literal is text", async () => {
    const { graph } = fixture();
    await graph.api("/applications").post({ displayName: "O'Brien app" });
    await graph.api("/applications").post({ displayName: "Tom and Jerry" });
    const escaped = (await graph.api("/applications").filter("displayName eq 'O''Brien app'").get()) as {
      value: { displayName: string }[];
    };
    expect(escaped.value.map((app) => app.displayName)).toContain("O'Brien app");
    expect(escaped.value.every((app) => app.displayName === "O'Brien app")).toBe(true);
    const withAnd = (await graph.api("/applications").filter("displayName eq 'Tom and Jerry'").get()) as {
      value: { displayName: string }[];
    };
    expect(withAnd.value.map((app) => app.displayName)).toEqual(["Tom and Jerry"]);
    const joined = (await graph
      .api("/applications")
      .filter("displayName eq 'Tom and Jerry' and signInAudience eq 'AzureADMyOrg'")
      .get()) as {
      value: unknown[];
    };
    expect(joined.value).toHaveLength(1);
  });
});

describe("keyCredentials sent back as read", () => {
  it("an entry with its keyId and key null keeps the stored certificate; leaving it out removes it", async () => {
    const { graph } = fixture();
    const app = await createApplicationWithServicePrincipal(graph, { displayName: "two-certificates" });
    const first = generateTestCertificate({ commonName: "first" });
    const second = generateTestCertificate({ commonName: "second" });
    await graph
      .api(`/applications/${app.id}`)
      .patch({ keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: first.certDerBase64 }] });
    const read = (await graph.api(`/applications/${app.id}`).get()) as { keyCredentials: Record<string, unknown>[] };
    expect(read.keyCredentials[0].key).toBeNull();
    await graph.api(`/applications/${app.id}`).patch({
      keyCredentials: [...read.keyCredentials, { type: "AsymmetricX509Cert", usage: "Verify", key: second.certDerBase64 }],
    });
    const withKeys = (await graph.api(`/applications/${app.id}`).select("keyCredentials").get()) as {
      keyCredentials: { keyId: string; key: string; customKeyIdentifier: string }[];
    };
    expect(withKeys.keyCredentials.map((credential) => credential.customKeyIdentifier)).toEqual([
      first.thumbprintSha1Hex,
      second.thumbprintSha1Hex,
    ]);
    expect(withKeys.keyCredentials[0].key).toBe(first.certDerBase64);
    expect(withKeys.keyCredentials[0].keyId).toBe(read.keyCredentials[0].keyId);

    const again = (await graph.api(`/applications/${app.id}`).get()) as { keyCredentials: Record<string, unknown>[] };
    await graph.api(`/applications/${app.id}`).patch({ keyCredentials: again.keyCredentials.slice(1) });
    const remaining = (await graph.api(`/applications/${app.id}`).get()) as { keyCredentials: { customKeyIdentifier: string }[] };
    expect(remaining.keyCredentials.map((credential) => credential.customKeyIdentifier)).toEqual([second.thumbprintSha1Hex]);
  });

  it("an entry with key null and an unknown keyId is still refused", async () => {
    const { graph } = fixture();
    const app = await createApplicationWithServicePrincipal(graph, { displayName: "unknown-key" });
    const failure = await graphFailure(
      graph.api(`/applications/${app.id}`).patch({
        keyCredentials: [{ keyId: "00000000-0000-0000-0000-000000000001", type: "AsymmetricX509Cert", usage: "Verify", key: null }],
      }),
    );
    expect(failure).toMatchObject({ statusCode: 400, code: "Request_BadRequest" });
  });
});
