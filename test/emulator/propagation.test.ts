/** Replication lag: new secrets, certificates, service principals and policy assignments fail, then work. */
import { generateTestCertificate } from "../support/certificates";
import { addSecret, createApplicationWithServicePrincipal, useEmulatorFixture } from "../support/emulatorFixture";
import { decodePayload, eventually, expectAadsts, tokenWithCertificate, tokenWithSecret, uploadCertificate } from "./helpers";

const DELAY_MS = 600;
const fixture = useEmulatorFixture({ propagationDelayMs: DELAY_MS });

const policyDefinition = JSON.stringify({
  ClaimsMappingPolicy: { Version: 1, IncludeBasicClaimSet: "true", ClaimsSchema: [{ Value: "SVC_USER", JwtClaimType: "cmicuser" }] },
});

describe("propagation delay", () => {
  it("refuses a new secret with AADSTS7000215, then accepts it", async () => {
    const f = fixture();
    const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "client" });
    // Let the service principal replicate first so only the secret is new.
    await eventually(() => expectAadsts(tokenWithSecret(f, client.appId, "wrong", "https://graph.microsoft.com/.default"), 7000215));
    const secret = await addSecret(f.graph, client.id);
    await expectAadsts(tokenWithSecret(f, client.appId, secret, "https://graph.microsoft.com/.default"), 7000215);
    await eventually(() => tokenWithSecret(f, client.appId, secret, "https://graph.microsoft.com/.default"));
  });

  it("hides a new client service principal (AADSTS7000229) and resource service principal (AADSTS500011) until replicated", async () => {
    const f = fixture();
    const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "client" });
    const secret = await addSecret(f.graph, client.id);
    await expectAadsts(tokenWithSecret(f, client.appId, secret, "https://graph.microsoft.com/.default"), 7000229);
    await eventually(() => tokenWithSecret(f, client.appId, secret, "https://graph.microsoft.com/.default"));

    const resource = await createApplicationWithServicePrincipal(f.graph, {
      displayName: "resource",
      api: { requestedAccessTokenVersion: 2 },
    });
    await expectAadsts(tokenWithSecret(f, client.appId, secret, `${resource.appId}/.default`), 500011);
    const token = await eventually(() => tokenWithSecret(f, client.appId, secret, `${resource.appId}/.default`));
    expect(decodePayload(token).aud).toBe(resource.appId);
  });

  it("refuses a new certificate with AADSTS700027, then accepts it", async () => {
    const f = fixture();
    const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "cert-client" });
    const certificate = generateTestCertificate({ commonName: "connector" });
    await eventually(() => expectAadsts(tokenWithSecret(f, client.appId, "wrong", "https://graph.microsoft.com/.default"), 7000215));
    await uploadCertificate(f.graph, client.id, certificate);
    await expectAadsts(tokenWithCertificate(f, client.appId, certificate, "https://graph.microsoft.com/.default"), 700027);
    await eventually(() => tokenWithCertificate(f, client.appId, certificate, "https://graph.microsoft.com/.default"));
  });

  it("adds a mapped claim only once the policy assignment has replicated; Graph shows it at once", async () => {
    const f = fixture();
    const resource = await createApplicationWithServicePrincipal(f.graph, {
      displayName: "resource",
      api: { requestedAccessTokenVersion: 2, acceptMappedClaims: true },
    });
    const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "client" });
    const secret = await addSecret(f.graph, client.id);
    const scope = `${resource.appId}/.default`;
    await eventually(() => tokenWithSecret(f, client.appId, secret, scope));

    const policy = (await f.graph.api("/policies/claimsMappingPolicies").post({ displayName: "cmic", definition: [policyDefinition] })) as {
      id: string;
    };
    await f.graph.api(`/servicePrincipals/${resource.servicePrincipalId}/claimsMappingPolicies/$ref`).post({
      "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policy.id}`,
    });
    const assigned = (await f.graph.api(`/servicePrincipals/${resource.servicePrincipalId}/claimsMappingPolicies`).get()) as {
      value: Array<{ id: string }>;
    };
    expect(assigned.value.map((p) => p.id)).toEqual([policy.id]);

    expect(decodePayload(await tokenWithSecret(f, client.appId, secret, scope))).not.toHaveProperty("cmicuser");
    const token = await eventually(async () => {
      const candidate = await tokenWithSecret(f, client.appId, secret, scope);
      if (decodePayload(candidate).cmicuser === undefined) throw new Error("claim not there yet");
      return candidate;
    });
    expect(decodePayload(token).cmicuser).toBe("SVC_USER");
  });

  it("applies setPropagationDelay to objects created afterwards", async () => {
    const f = fixture();
    f.emulator.setPropagationDelay(0);
    try {
      const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "instant" });
      const secret = await addSecret(f.graph, client.id);
      await tokenWithSecret(f, client.appId, secret, "https://graph.microsoft.com/.default");
    } finally {
      f.emulator.setPropagationDelay(DELAY_MS);
    }
  });
});
