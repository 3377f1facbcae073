/** Every AADSTS error the token endpoint produces, as @azure/identity surfaces it, and the raw body shape. */
import { generateTestCertificate } from "../support/certificates";
import { addSecret, createApplicationWithServicePrincipal, useEmulatorFixture } from "../support/emulatorFixture";
import { clientAssertion, expectAadsts, postToken, rawRequest, tokenWithCertificate, tokenWithSecret, uploadCertificate } from "./helpers";
import { createClientCredential } from "../../scripts/shared/credentials";

const fixture = useEmulatorFixture();

async function resourceAndClient() {
  const { graph } = fixture();
  const resource = await createApplicationWithServicePrincipal(graph, { displayName: "resource", api: { requestedAccessTokenVersion: 2 } });
  await graph.api(`/applications/${resource.id}`).patch({ identifierUris: [`api://${resource.appId}`] });
  const client = await createApplicationWithServicePrincipal(graph, { displayName: "client" });
  return { resource, client, scope: `api://${resource.appId}/.default` };
}

describe("token endpoint errors", () => {
  it("answers in Entra's error body shape (AADSTS7000215, 401, trace and correlation ids)", async () => {
    const f = fixture();
    const { client, scope } = await resourceAndClient();
    const response = await postToken(
      `${f.emulator.url}`,
      f.tenant.tenantId,
      { grant_type: "client_credentials", client_id: client.appId, client_secret: "not-the-secret", scope },
      { headers: { "client-request-id": "11111111-2222-3333-4444-555555555555" } },
    );
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({
      error: "invalid_client",
      error_codes: [7000215],
      correlation_id: "11111111-2222-3333-4444-555555555555",
      error_uri: "https://login.microsoftonline.com/error?code=7000215",
    });
    const description = String(response.body.error_description);
    expect(description).toMatch(/^AADSTS7000215: Invalid client secret provided\./);
    expect(description).toContain(`Trace ID: ${String(response.body.trace_id)}`);
    expect(description).toContain("Correlation ID: 11111111-2222-3333-4444-555555555555");
    expect(String(response.body.timestamp)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  });

  it("AADSTS7000215 through ClientSecretCredential for a wrong secret", async () => {
    const f = fixture();
    const { client, scope } = await resourceAndClient();
    await addSecret(f.graph, client.id);
    await expectAadsts(tokenWithSecret(f, client.appId, "wrong-secret-value", scope), 7000215);
  });

  it("AADSTS7000222 for an expired secret", async () => {
    const f = fixture();
    const { client, scope } = await resourceAndClient();
    const { secretText } = (await f.graph.api(`/applications/${client.id}/addPassword`).post({
      passwordCredential: { displayName: "old", startDateTime: "2020-01-01T00:00:00Z", endDateTime: "2021-01-01T00:00:00Z" },
    })) as { secretText: string };
    const message = await expectAadsts(tokenWithSecret(f, client.appId, secretText, scope), 7000222);
    expect(message).toContain(client.appId);
  });

  it("AADSTS700016 for an unknown client, AADSTS7000229 for an app of the tenant without a service principal", async () => {
    const f = fixture();
    const { scope } = await resourceAndClient();
    await expectAadsts(tokenWithSecret(f, "9f0e8b6a-0000-4000-8000-000000000001", "whatever", scope), 700016);
    const app = (await f.graph.api("/applications").post({ displayName: "no-sp" })) as { id: string; appId: string };
    const secret = await addSecret(f.graph, app.id);
    await expectAadsts(tokenWithSecret(f, app.appId, secret, scope), 7000229);
  });

  it("AADSTS90011 for an unexpected client_assertion_type", async () => {
    const f = fixture();
    const { scope, client } = await resourceAndClient();
    const token = await postToken(f.emulator.url, f.tenant.tenantId, {
      grant_type: "client_credentials",
      client_id: client.appId,
      scope,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
      client_assertion: "not-a-jwt",
    });
    expect(token.status).toBe(400);
    expect(JSON.stringify(token.body)).toContain("AADSTS90011");
  });

  it("AADSTS1002012 for a scope without /.default or with two resources", async () => {
    const f = fixture();
    const { client, resource } = await resourceAndClient();
    const secret = await addSecret(f.graph, client.id);
    const message = await expectAadsts(tokenWithSecret(f, client.appId, secret, `api://${resource.appId}/read`), 1002012);
    expect(message).toContain(`api://${resource.appId}/read`);
    await expectAadsts(
      tokenWithSecret(f, client.appId, secret, `api://${resource.appId}/.default https://graph.microsoft.com/.default`),
      1002012,
    );
  });

  it("AADSTS500011 for a resource that is not in the tenant, or has no service principal", async () => {
    const f = fixture();
    const { client } = await resourceAndClient();
    const secret = await addSecret(f.graph, client.id);
    await expectAadsts(tokenWithSecret(f, client.appId, secret, "api://nothing-here/.default"), 500011);
    const noSp = (await f.graph.api("/applications").post({ displayName: "no-sp-resource" })) as { appId: string };
    await expectAadsts(tokenWithSecret(f, client.appId, secret, `${noSp.appId}/.default`), 500011);
  });

  it("AADSTS7000216 when no credential is sent", async () => {
    const f = fixture();
    const { client, scope } = await resourceAndClient();
    const response = await postToken(f.emulator.url, f.tenant.tenantId, {
      grant_type: "client_credentials",
      client_id: client.appId,
      scope,
    });
    expect(response.status).toBe(401);
    expect(response.body.error_codes).toEqual([7000216]);
  });

  it("AADSTS90002 for an unknown tenant, at discovery and at the token endpoint; @azure/identity fails", async () => {
    const f = fixture();
    const discovery = await rawRequest(`${f.emulator.url}/nowhere.onmicrosoft.com/v2.0/.well-known/openid-configuration`);
    expect(discovery.status).toBe(400);
    expect(discovery.body).toMatchObject({ error: "invalid_tenant", error_codes: [90002] });
    const token = await postToken(f.emulator.url, "4a1c1d1e-0000-4000-8000-000000000009", { grant_type: "client_credentials" });
    expect(token.body.error_codes).toEqual([90002]);
    await expect(
      tokenWithSecret(
        f,
        f.tenant.deployer.clientId,
        f.tenant.deployer.clientSecret,
        "https://graph.microsoft.com/.default",
        "nowhere.onmicrosoft.com",
      ),
    ).rejects.toMatchObject({
      // MSAL fails at discovery and drops the body: the 90002 is visible only in the raw response above.
      name: "CredentialUnavailableError",
    });
  });
});

describe("client assertions (certificates)", () => {
  async function certificateClient() {
    const f = fixture();
    const { client, scope } = await resourceAndClient();
    const certificate = generateTestCertificate({ commonName: "connector" });
    await uploadCertificate(f.graph, client.id, certificate);
    return { f, client, scope, certificate, audience: `https://login.microsoftonline.com/${f.tenant.tenantId}/oauth2/v2.0/token` };
  }

  async function postAssertion(clientId: string, assertion: string, scope: string) {
    const f = fixture();
    return postToken(f.emulator.url, f.tenant.tenantId, {
      grant_type: "client_credentials",
      client_id: clientId,
      client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
      client_assertion: assertion,
      scope,
    });
  }

  it("accepts an x5t (SHA-1) assertion whose aud is the real Entra token URL or the emulator's", async () => {
    const { f, client, scope, certificate, audience } = await certificateClient();
    for (const aud of [audience, `${f.emulator.url}/${f.tenant.initialDomain}/oauth2/v2.0/token`]) {
      const response = await postAssertion(
        client.appId,
        await clientAssertion({ clientId: client.appId, audience: aud, certificate }),
        scope,
      );
      expect(response.status).toBe(200);
    }
  });

  it("AADSTS700027 for an unregistered certificate through ClientCertificateCredential", async () => {
    const { f, client, scope } = await certificateClient();
    const other = generateTestCertificate({ commonName: "stranger" });
    const message = await expectAadsts(tokenWithCertificate(f, client.appId, other, scope), 700027);
    expect(message).toContain("The key was not found");
  });

  it("AADSTS700027 for a bad signature, a wrong audience and an expired assertion", async () => {
    const { client, scope, certificate, audience } = await certificateClient();
    const impostor = generateTestCertificate({ commonName: "impostor" });
    const cases = [
      await clientAssertion({ clientId: client.appId, audience, certificate, signingKeyPem: impostor.keyPem }),
      await clientAssertion({ clientId: client.appId, audience: "https://example.com/token", certificate }),
      await clientAssertion({ clientId: client.appId, audience, certificate, expiresInSeconds: -3600 }),
    ];
    for (const assertion of cases) {
      const response = await postAssertion(client.appId, assertion, scope);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: "invalid_client", error_codes: [700027] });
    }
  });

  it("AADSTS700027 when the registered certificate has expired", async () => {
    const f = fixture();
    const { client, scope } = await resourceAndClient();
    const expired = generateTestCertificate({
      commonName: "expired",
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2021-01-01T00:00:00Z"),
    });
    await uploadCertificate(f.graph, client.id, expired);
    const credential = createClientCredential({
      tenantId: f.tenant.tenantId,
      clientId: client.appId,
      credential: { kind: "certificate", certificatePem: expired.certificateWithKeyPem },
      authorityHost: f.authorityHost,
    });
    await expectAadsts(credential.getToken(scope), 700027);
  });
});
