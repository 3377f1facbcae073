/** Claims mapping: constant claims, AADSTS50146, AADSTS501461 and app-specific signing keys. */
import { createRemoteJWKSet, jwtVerify } from "jose";
import { addSecret, createApplicationWithServicePrincipal, useEmulatorFixture } from "../support/emulatorFixture";
import { decodeHeader, decodePayload, expectAadsts, rawRequest, tokenWithSecret } from "./helpers";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "fabrikam.onmicrosoft.com", verifiedDomains: ["fabrikam.com"] } });

const definition = JSON.stringify({
  ClaimsMappingPolicy: {
    Version: 1,
    IncludeBasicClaimSet: "true",
    ClaimsSchema: [
      { Value: "SVC_USER", JwtClaimType: "cmicuser" },
      { Source: "user", ID: "userprincipalname", JwtClaimType: "upn" },
      { Value: "evil", JwtClaimType: "aud" },
    ],
  },
});

/** A v2 resource with the policy assigned, and a client with a secret (no propagation delay here). */
async function mappedResource(api: Record<string, unknown>, identifierUri?: (appId: string) => string) {
  const { graph } = fixture();
  const resource = await createApplicationWithServicePrincipal(graph, {
    displayName: "cmic-api",
    api: { requestedAccessTokenVersion: 2, ...api },
  });
  if (identifierUri) await graph.api(`/applications/${resource.id}`).patch({ identifierUris: [identifierUri(resource.appId)] });
  const policy = (await graph
    .api("/policies/claimsMappingPolicies")
    .post({ displayName: "cmic user", definition: [definition], isOrganizationDefault: false })) as { id: string };
  await graph.api(`/servicePrincipals/${resource.servicePrincipalId}/claimsMappingPolicies/$ref`).post({
    "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policy.id}`,
  });
  const client = await createApplicationWithServicePrincipal(graph, { displayName: "connector" });
  const secret = await addSecret(graph, client.id);
  return { resource, client, secret };
}

describe("claims mapping", () => {
  it("AADSTS50146 when the resource neither accepts mapped claims nor has a signing key", async () => {
    const f = fixture();
    const { resource, client, secret } = await mappedResource({ acceptMappedClaims: null });
    await expectAadsts(tokenWithSecret(f, client.appId, secret, `${resource.appId}/.default`), 50146);
  });

  it("with acceptMappedClaims: api://<guid> fails with AADSTS501461 in v1 tokens (aud is the URI) and passes in v2 (aud is the client id)", async () => {
    const f = fixture();
    const v1 = await mappedResource({ acceptMappedClaims: true, requestedAccessTokenVersion: null }, (appId) => `api://${appId}`);
    await expectAadsts(tokenWithSecret(f, v1.client.appId, v1.secret, `api://${v1.resource.appId}/.default`), 501461);
    const v2 = await mappedResource({ acceptMappedClaims: true }, (appId) => `api://${appId}`);
    const payload = decodePayload(await tokenWithSecret(f, v2.client.appId, v2.secret, `api://${v2.resource.appId}/.default`));
    expect(payload).toMatchObject({ aud: v2.resource.appId, cmicuser: "SVC_USER" });
  });

  it("emits the portal's Attributes & Claims (customClaimsPolicy), needs acceptMappedClaims for it, and lets a claims-mapping policy supersede it", async () => {
    const f = fixture();
    const resource = await createApplicationWithServicePrincipal(f.graph, {
      displayName: "cmic-portal",
      api: { requestedAccessTokenVersion: 2 },
    });
    const portal = {
      includeBasicClaimSet: true,
      claims: [
        {
          "@odata.type": "#microsoft.graph.customClaim",
          name: "cmicuser",
          tokenFormat: ["jwt"],
          configurations: [{ attribute: { "@odata.type": "#microsoft.graph.valueBasedAttribute", value: "PORTAL_USER" } }],
        },
      ],
    };
    const claimsPolicy = f.graph.api(`/servicePrincipals/${resource.servicePrincipalId}/claimsPolicy`).version("beta");
    await expect(claimsPolicy.get()).rejects.toMatchObject({ statusCode: 404 });
    const created = (await claimsPolicy.put(portal)) as { claims: unknown[] };
    expect(created.claims).toHaveLength(1);
    const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "connector" });
    const secret = await addSecret(f.graph, client.id);
    await expectAadsts(tokenWithSecret(f, client.appId, secret, `${resource.appId}/.default`), 50146);
    await f.graph.api(`/applications/${resource.id}`).patch({ api: { acceptMappedClaims: true } });
    expect(decodePayload(await tokenWithSecret(f, client.appId, secret, `${resource.appId}/.default`)).cmicuser).toBe("PORTAL_USER");
    const policy = (await f.graph
      .api("/policies/claimsMappingPolicies")
      .post({ displayName: "cmic user", definition: [definition], isOrganizationDefault: false })) as { id: string };
    await f.graph.api(`/servicePrincipals/${resource.servicePrincipalId}/claimsMappingPolicies/$ref`).post({
      "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policy.id}`,
    });
    expect(decodePayload(await tokenWithSecret(f, client.appId, secret, `${resource.appId}/.default`)).cmicuser).toBe("SVC_USER");
  });

  it("serves no other beta path", async () => {
    const f = fixture();
    await expect(f.graph.api("/applications").version("beta").get()).rejects.toMatchObject({ statusCode: 400 });
  });

  it("with acceptMappedClaims: api://<guid>.<verified domain> and the bare GUID get the constant claim", async () => {
    const f = fixture();
    const { resource, client, secret } = await mappedResource({ acceptMappedClaims: true }, (appId) => `api://${appId}.fabrikam.com`);
    for (const scope of [`api://${resource.appId}.fabrikam.com/.default`, `${resource.appId}/.default`]) {
      const payload = decodePayload(await tokenWithSecret(f, client.appId, secret, scope));
      expect(payload.cmicuser).toBe("SVC_USER");
      expect(payload.aud).toBe(resource.appId); // restricted claims are not mapped
      expect(payload).not.toHaveProperty("upn"); // app-only tokens have no user attribute to map
    }
  });

  it("with acceptMappedClaims: a host under an unverified domain fails with AADSTS501461 (v1 tokens, whose aud it is)", async () => {
    const f = fixture();
    f.emulator.addDomain(f.tenant.tenantId, "unverified-fabrikam.net");
    const { resource, client, secret } = await mappedResource(
      { acceptMappedClaims: true, requestedAccessTokenVersion: null },
      (appId) => `api://${appId}.unverified-fabrikam.net`,
    );
    await expectAadsts(tokenWithSecret(f, client.appId, secret, `api://${resource.appId}.unverified-fabrikam.net/.default`), 501461);
  });

  it("with an app-specific signing key: signs with that key, published only under ?appid=", async () => {
    const f = fixture();
    const { resource, client, secret } = await mappedResource({ acceptMappedClaims: null }, (appId) => `api://${appId}`);
    const certificate = (await f.graph
      .api(`/servicePrincipals/${resource.servicePrincipalId}/addTokenSigningCertificate`)
      .post({ displayName: "CN=cmic-api signing" })) as { thumbprint: string };
    const sp = (await f.graph.api(`/servicePrincipals/${resource.servicePrincipalId}`).get()) as {
      preferredTokenSigningKeyThumbprint: string;
    };
    expect(sp.preferredTokenSigningKeyThumbprint).toBe(certificate.thumbprint);

    const token = await tokenWithSecret(f, client.appId, secret, `api://${resource.appId}/.default`);
    expect(decodePayload(token).cmicuser).toBe("SVC_USER");
    const kid = String(decodeHeader(token).kid);
    const plain = await rawRequest(`${f.emulator.url}/${f.tenant.tenantId}/discovery/v2.0/keys`);
    expect((plain.body.keys as Array<{ kid: string }>).map((k) => k.kid)).not.toContain(kid);

    const appKeys = createRemoteJWKSet(new URL(`${f.emulator.url}/${f.tenant.tenantId}/discovery/v2.0/keys?appid=${resource.appId}`));
    const { payload } = await jwtVerify(token, appKeys, {
      issuer: `https://login.microsoftonline.com/${f.tenant.tenantId}/v2.0`,
      audience: resource.appId,
    });
    expect(payload.azp).toBe(client.appId);
  });
});
