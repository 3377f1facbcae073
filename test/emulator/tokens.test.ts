/** Token shapes (v1/v2, Graph), discovery and JWKS, driven through @azure/identity and jose. */
import crypto from "node:crypto";
import { createRemoteJWKSet, jwtVerify } from "jose";
import { generateTestCertificate } from "../support/certificates";
import { addSecret, createApplicationWithServicePrincipal, useEmulatorFixture } from "../support/emulatorFixture";
import { decodeHeader, decodePayload, postToken, rawRequest, tokenWithCertificate, tokenWithSecret, uploadCertificate } from "./helpers";

const fixture = useEmulatorFixture();

async function setup(requestedAccessTokenVersion: number | null) {
  const { graph } = fixture();
  const resource = await createApplicationWithServicePrincipal(graph, {
    displayName: `resource-v${requestedAccessTokenVersion}`,
    api: { requestedAccessTokenVersion },
  });
  const identifierUri = `api://${resource.appId}`;
  await graph.api(`/applications/${resource.id}`).patch({ identifierUris: [identifierUri] });
  const client = await createApplicationWithServicePrincipal(graph, { displayName: "client" });
  const secret = await addSecret(graph, client.id);
  return { resource, client, secret, identifierUri };
}

describe("access tokens", () => {
  it("issues a v2 token when the resource asks for v2, verifiable with the published JWKS and the real issuer", async () => {
    const f = fixture();
    const { resource, client, secret, identifierUri } = await setup(2);
    const token = await tokenWithSecret(f, client.appId, secret, `${identifierUri}/.default`);

    const jwks = createRemoteJWKSet(new URL(`${f.emulator.url}/${f.tenant.tenantId}/discovery/v2.0/keys`));
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: `https://login.microsoftonline.com/${f.tenant.tenantId}/v2.0`,
      audience: resource.appId,
    });
    expect(protectedHeader).toMatchObject({ typ: "JWT", alg: "RS256" });
    expect(protectedHeader.kid).toBe(protectedHeader.x5t);
    expect(payload).toMatchObject({
      azp: client.appId,
      azpacr: "1",
      ver: "2.0",
      tid: f.tenant.tenantId,
      oid: client.servicePrincipalId,
      sub: client.servicePrincipalId,
    });
    expect(payload).not.toHaveProperty("appid");
    expect(typeof payload.uti).toBe("string");
    expect(typeof payload.rh).toBe("string");
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });

  it("issues a v1 token (sts.windows.net issuer, aud as requested) when the resource leaves the version unset", async () => {
    const f = fixture();
    const { client, secret, identifierUri } = await setup(null);
    const token = await tokenWithSecret(f, client.appId, secret, `${identifierUri}/.default`);
    const jwks = createRemoteJWKSet(new URL(`${f.emulator.url}/common/discovery/keys`));
    const { payload } = await jwtVerify(token, jwks, { issuer: `https://sts.windows.net/${f.tenant.tenantId}/`, audience: identifierUri });
    expect(payload).toMatchObject({
      appid: client.appId,
      appidacr: "1",
      ver: "1.0",
      idp: `https://sts.windows.net/${f.tenant.tenantId}/`,
      tid: f.tenant.tenantId,
    });
    expect(payload).not.toHaveProperty("azp");
  });

  it("marks certificate clients with azpacr 2 (ClientCertificateCredential, x5t#S256 assertion)", async () => {
    const f = fixture();
    const { resource, client, identifierUri } = await setup(2);
    const certificate = generateTestCertificate({ commonName: "connector" });
    await uploadCertificate(f.graph, client.id, certificate);
    const token = await tokenWithCertificate(f, client.appId, certificate, `${identifierUri}/.default`);
    expect(decodePayload(token)).toMatchObject({ aud: resource.appId, azp: client.appId, azpacr: "2" });
  });

  it("accepts the resource by bare app id, trailing slash and the tenant's domain name", async () => {
    const f = fixture();
    const { resource, client, secret, identifierUri } = await setup(2);
    // `api://x//.default` names `api://x/`: identifiers match regardless of a trailing slash.
    for (const scope of [`${resource.appId}/.default`, `${identifierUri}//.default`]) {
      expect(decodePayload(await tokenWithSecret(f, client.appId, secret, scope)).aud).toBe(resource.appId);
    }
    const viaDomain = await tokenWithSecret(f, client.appId, secret, `${identifierUri}/.default`, f.tenant.initialDomain);
    expect(decodePayload(viaDomain).tid).toBe(f.tenant.tenantId);
  });

  it("issues Graph tokens as v1 with aud https://graph.microsoft.com and the deployer's roles", async () => {
    const f = fixture();
    const token = await tokenWithSecret(
      f,
      f.tenant.deployer.clientId,
      f.tenant.deployer.clientSecret,
      "https://graph.microsoft.com/.default",
    );
    const payload = decodePayload(token);
    expect(payload).toMatchObject({ aud: "https://graph.microsoft.com", iss: `https://sts.windows.net/${f.tenant.tenantId}/`, ver: "1.0" });
    expect(payload.roles).toEqual(expect.arrayContaining(["Application.ReadWrite.All"]));
  });

  it("serves the v1 token endpoint with resource= and HTTP Basic client authentication", async () => {
    const f = fixture();
    const { client, secret, identifierUri } = await setup(null);
    const basic = Buffer.from(`${encodeURIComponent(client.appId)}:${encodeURIComponent(secret)}`).toString("base64");
    const response = await postToken(
      f.emulator.url,
      f.tenant.tenantId,
      { grant_type: "client_credentials", resource: identifierUri },
      { v1: true, headers: { authorization: `Basic ${basic}` } },
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ token_type: "Bearer", resource: identifierUri });
    expect(typeof response.body.expires_on).toBe("string");
    expect(decodePayload(String(response.body.access_token)).aud).toBe(identifierUri);
  });
});

describe("discovery and keys", () => {
  it("serves the v2 and v1 OpenID documents by tenant id or domain, with Entra's issuers and the emulator's endpoints", async () => {
    const f = fixture();
    const v2 = await rawRequest(`${f.emulator.url}/${f.tenant.initialDomain}/v2.0/.well-known/openid-configuration`);
    expect(v2.status).toBe(200);
    expect(v2.body).toMatchObject({
      issuer: `https://login.microsoftonline.com/${f.tenant.tenantId}/v2.0`,
      token_endpoint: `${f.emulator.url}/${f.tenant.tenantId}/oauth2/v2.0/token`,
      jwks_uri: `${f.emulator.url}/${f.tenant.tenantId}/discovery/v2.0/keys`,
      authorization_endpoint: `${f.emulator.url}/${f.tenant.tenantId}/oauth2/v2.0/authorize`,
    });
    const v1 = await rawRequest(`${f.emulator.url}/${f.tenant.tenantId}/.well-known/openid-configuration`);
    expect(v1.body).toMatchObject({
      issuer: `https://sts.windows.net/${f.tenant.tenantId}/`,
      token_endpoint: `${f.emulator.url}/${f.tenant.tenantId}/oauth2/token`,
    });
  });

  it("publishes RSA keys whose kid and x5t are the SHA-1 thumbprint of the x5c certificate", async () => {
    const f = fixture();
    for (const path of [
      `${f.tenant.tenantId}/discovery/v2.0/keys`,
      `${f.tenant.tenantId}/discovery/keys`,
      "common/discovery/v2.0/keys",
      "common/discovery/keys",
    ]) {
      const { status, body } = await rawRequest(`${f.emulator.url}/${path}`);
      expect(status).toBe(200);
      const keys = body.keys as Array<Record<string, unknown>>;
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        expect(key).toMatchObject({ kty: "RSA", use: "sig", e: "AQAB" });
        const der = Buffer.from((key.x5c as string[])[0], "base64");
        const thumbprint = crypto.createHash("sha1").update(der).digest("base64url");
        expect(key.kid).toBe(thumbprint);
        expect(key.x5t).toBe(thumbprint);
      }
    }
  });

  it("signs tokens with a key that is in the published set", async () => {
    const f = fixture();
    const token = await tokenWithSecret(
      f,
      f.tenant.deployer.clientId,
      f.tenant.deployer.clientSecret,
      "https://graph.microsoft.com/.default",
    );
    const { body } = await rawRequest(`${f.emulator.url}/${f.tenant.tenantId}/discovery/v2.0/keys`);
    expect((body.keys as Array<{ kid: string }>).map((k) => k.kid)).toContain(decodeHeader(token).kid);
  });
});
