/**
 * The live Graph audit against the emulator over real HTTPS with the real Graph client: a stack is
 * deployed through Graph as the component deploys it, drift is injected through Graph the way an
 * admin would cause it, and the audit must name exactly that drift.
 * Run through `npm test` (scripts/withEmulatorCa.ts) so node trusts the emulator's CA.
 */
import crypto from "node:crypto";
import { claimsMappingDefinition } from "../../components/claimsMapping";
import { createClientCredential } from "../../scripts/shared/credentials";
import { createGraphClient } from "../../scripts/shared/graphClient";
import { auditStack } from "../../scripts/drift/graphAudit";
import type { DriftCheck, DriftFinding } from "../../scripts/drift/report";
import { useEmulatorFixture } from "../support/emulatorFixture";
import { deployAuditedApp, type DeployAppOptions, type DeployedApp } from "../../scripts/bench/driftBench";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "contoso-drift.onmicrosoft.com" } });

async function deploy(overrides: Partial<DeployAppOptions> = {}): Promise<DeployedApp> {
  const f = fixture();
  return deployAuditedApp(
    { emulatorUrl: f.emulator.url, tenant: f.tenant },
    {
      displayName: `CMiC drift ${crypto.randomUUID().slice(0, 8)}`,
      domain: f.tenant.initialDomain,
      ...overrides,
    },
  );
}

async function audit(stack: DeployedApp, options: { expiryDays?: number; rotationUrn?: string } = {}): Promise<DriftCheck[]> {
  return auditStack("acme", stack.outputs, {
    client: fixture().graph,
    expiryDays: options.expiryDays ?? 30,
    rotationUrn: options.rotationUrn,
  });
}

function findings(checks: DriftCheck[]): DriftFinding[] {
  return checks.flatMap((c) => c.findings);
}

/** The audit found exactly these finding ids (order-free). */
function expectFindingIds(checks: DriftCheck[], ids: string[]): void {
  expect(
    findings(checks)
      .map((f) => f.id)
      .sort(),
  ).toEqual([...ids].sort());
}

test("a stack as deployed is clean, in one Graph round trip with the four reads batched", async () => {
  const stack = await deploy();
  const f = fixture();
  f.emulator.clearRequestLog();
  const checks = await audit(stack);
  expect(findings(checks)).toEqual([]);
  expect(checks.map((c) => c.id).sort()).toEqual(
    [
      "graph.app.acceptMappedClaims",
      "graph.app.exists",
      "graph.app.identifierUri",
      "graph.app.identifierUriDomain",
      "graph.app.tokenVersion",
      "graph.credentials.expiry",
      "graph.credentials.present",
      "graph.credentials.previous",
      "graph.credentials.rotation",
      "graph.credentials.unknown",
      "graph.policy.assignment",
      "graph.policy.claim",
      "graph.scope",
      "graph.sp.exists",
    ].sort(),
  );
  const graphRequests = f.emulator.requests.filter((r) => r.path.startsWith("/v1.0/"));
  expect(graphRequests).toEqual([expect.objectContaining({ method: "POST", path: "/v1.0/$batch", status: 200 })]);
  expect(f.emulator.batchedRequests.map((r) => r.path).sort()).toEqual(
    [
      `/v1.0/applications/${stack.applicationObjectId}`,
      `/v1.0/servicePrincipals/${stack.servicePrincipalId}`,
      `/v1.0/servicePrincipals/${stack.servicePrincipalId}/claimsMappingPolicies`,
      "/v1.0/domains",
    ].sort(),
  );
});

test("token version changed to v1 in the manifest", async () => {
  const stack = await deploy();
  await fixture()
    .graph.api(`/applications/${stack.applicationObjectId}`)
    .patch({ api: { requestedAccessTokenVersion: 1 } });
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.app.tokenVersion"]);
  expect(findings(checks)[0]).toMatchObject({
    stack: "acme",
    layer: "graph",
    severity: "drift",
    resource: `application ${stack.appId}`,
    property: "api.requestedAccessTokenVersion",
    expected: "2",
    actual: "1",
    fix: expect.stringContaining("pulumi up --refresh --stack acme"),
  });
});

test("acceptMappedClaims turned off", async () => {
  const stack = await deploy();
  await fixture()
    .graph.api(`/applications/${stack.applicationObjectId}`)
    .patch({ api: { acceptMappedClaims: false } });
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.app.acceptMappedClaims"]);
  expect(findings(checks)[0]).toMatchObject({ property: "api.acceptMappedClaims", expected: "true", actual: "false" });
  expect(findings(checks)[0].message).toContain("AADSTS50146");
});

test("identifier URI changed", async () => {
  const stack = await deploy();
  const replacement = `api://${stack.appId}`;
  await fixture()
    .graph.api(`/applications/${stack.applicationObjectId}`)
    .patch({ identifierUris: [replacement] });
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.app.identifierUri"]);
  expect(findings(checks)[0]).toMatchObject({
    property: "identifierUris",
    expected: stack.outputs.identifierUri,
    actual: JSON.stringify([replacement]),
  });
});

test("an identifier URI off the tenant's verified domains", async () => {
  const stack = await deploy();
  const f = fixture();
  f.emulator.addDomain(f.tenant.tenantId, "fabrikam-unverified.com", { verified: false });
  const offDomain = "api://legacy.fabrikam-unverified.com";
  await f.graph.api(`/applications/${stack.applicationObjectId}`).patch({ identifierUris: [stack.outputs.identifierUri, offDomain] });
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.app.identifierUriOffDomain"]);
  expect(findings(checks)[0]).toMatchObject({ actual: offDomain, expected: expect.stringContaining(f.tenant.initialDomain) });
  expect(findings(checks)[0].fix).toContain(`remove ${offDomain}`);
});

test("scope in the outputs that does not belong to the identifier URI", async () => {
  const stack = await deploy();
  const checks = await auditStack(
    "acme",
    { ...stack.outputs, scope: `api://${stack.appId}/.default` },
    { client: fixture().graph, expiryDays: 30 },
  );
  expectFindingIds(checks, ["graph.scope"]);
  expect(findings(checks)[0]).toMatchObject({ expected: `${stack.outputs.identifierUri}/.default` });
});

test("service principal deleted", async () => {
  const stack = await deploy();
  await fixture().graph.api(`/servicePrincipals/${stack.servicePrincipalId}`).delete();
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.sp.deleted"]);
  expect(checks.find((c) => c.id === "graph.policy.assignment")).toBeDefined();
});

test("claims-mapping policy assignment removed", async () => {
  const stack = await deploy();
  await fixture().graph.api(`/servicePrincipals/${stack.servicePrincipalId}/claimsMappingPolicies/${stack.policyId}/$ref`).delete();
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.policy.missing"]);
  expect(findings(checks)[0]).toMatchObject({ expected: stack.policyId, actual: "[]" });
});

test("a different claims-mapping policy assigned", async () => {
  const stack = await deploy();
  const graph = fixture().graph;
  await graph.api(`/servicePrincipals/${stack.servicePrincipalId}/claimsMappingPolicies/${stack.policyId}/$ref`).delete();
  const other = (await graph.api("/policies/claimsMappingPolicies").post({
    displayName: "Someone else's policy",
    definition: [claimsMappingDefinition("OTHERUSER")],
    isOrganizationDefault: false,
  })) as { id: string };
  await graph
    .api(`/servicePrincipals/${stack.servicePrincipalId}/claimsMappingPolicies/$ref`)
    .post({ "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${other.id}` });
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.policy.missing", "graph.policy.unexpected"]);
  const unexpected = findings(checks).find((f) => f.id === "graph.policy.unexpected")!;
  expect(unexpected.actual).toBe(`${other.id} (Someone else's policy)`);
  expect(unexpected.fix).toContain(`/servicePrincipals/${stack.servicePrincipalId}/claimsMappingPolicies/${other.id}/$ref`);
});

test("policy definition edited to emit another cmicuser", async () => {
  const stack = await deploy();
  await fixture()
    .graph.api(`/policies/claimsMappingPolicies/${stack.policyId}`)
    .patch({ definition: [claimsMappingDefinition("SOMEONEELSE")] });
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.policy.claim"]);
  expect(findings(checks)[0]).toMatchObject({ property: "definition", expected: "cmicuser = CMICAPI", actual: "cmicuser = SOMEONEELSE" });
});

test("policy definition edited to emit the value under another claim name", async () => {
  const stack = await deploy();
  await fixture()
    .graph.api(`/policies/claimsMappingPolicies/${stack.policyId}`)
    .patch({ definition: [claimsMappingDefinition("CMICAPI", "user")] });
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.policy.claim"]);
  expect(findings(checks)[0]).toMatchObject({ expected: "cmicuser = CMICAPI", actual: "user = CMICAPI" });
});

test("a stack with claimSource=registration must have no policy assigned", async () => {
  const stack = await deploy({ claimSource: "registration" });
  expect(findings(await audit(stack))).toEqual([]);
  const graph = fixture().graph;
  const policy = (await graph.api("/policies/claimsMappingPolicies").post({
    displayName: "added later",
    definition: [claimsMappingDefinition("CMICAPI")],
    isOrganizationDefault: false,
  })) as { id: string };
  await graph
    .api(`/servicePrincipals/${stack.servicePrincipalId}/claimsMappingPolicies/$ref`)
    .post({ "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policy.id}` });
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.policy.unexpected"]);
  expect(findings(checks)[0].expected).toBe("none (claimSource=registration)");
});

test("a client secret added by hand in the portal", async () => {
  const stack = await deploy();
  const added = (await fixture()
    .graph.api(`/applications/${stack.applicationObjectId}/addPassword`)
    .post({
      passwordCredential: { displayName: "temp for testing" },
    })) as { keyId: string };
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.credentials.unknown"]);
  const [finding] = findings(checks);
  expect(finding).toMatchObject({ severity: "drift", property: "passwordCredentials" });
  expect(finding.actual).toContain(added.keyId);
  expect(finding.fix).toContain("Certificates & secrets → Client secrets");
  expect(finding.fix).toContain(`--key-id ${added.keyId}`);
});

test("the stack's own secret deleted", async () => {
  const stack = await deploy();
  await fixture().graph.api(`/applications/${stack.applicationObjectId}/removePassword`).post({ keyId: stack.secretKeyId });
  const checks = await audit(stack);
  expectFindingIds(checks, ["graph.credentials.missing"]);
  expect(findings(checks)[0].expected).toBe(stack.secretKeyId);
});

test("a credential expiring within --expiry-days, with the rotation command", async () => {
  const stack = await deploy({ secretLifetimeDays: 10 });
  const rotationUrn =
    "urn:pulumi:acme::cmic-entra-oauth::cmic-entra-oauth:index:CmicEntraIntegration$time:index/rotating:Rotating::cmic-secret-rotation";
  // The secret outlives its rotation date by its handover window (capped at 9 days below the
  // 10-day lifetime) and the 30-day run allowance: it ends 49 days out.
  const checks = await audit(stack, { expiryDays: 55, rotationUrn });
  expectFindingIds(checks, ["graph.credentials.expiring"]);
  const [finding] = findings(checks);
  expect(finding.severity).toBe("expiry");
  expect(finding.message).toMatch(/expires in (48|49) day\(s\)/);
  expect(finding.fix).toContain("`npm run rotate -- --stack acme`");
  expect(finding.fix).toContain(`pulumi up --stack acme --replace '${rotationUrn}'`);
  expect(findings(await audit(stack, { expiryDays: 30 }))).toEqual([]);
});

test("application deleted", async () => {
  const stack = await deploy();
  await fixture().graph.api(`/applications/${stack.applicationObjectId}`).delete();
  const checks = await audit(stack);
  // Entra deletes the service principal with its application.
  expectFindingIds(checks, ["graph.app.deleted", "graph.sp.deleted"]);
  expect(findings(checks).find((f) => f.id === "graph.app.deleted")!.fix).toContain("Deleted applications");
});

test("a throttled $batch is retried after Retry-After and still gives the answer", async () => {
  const stack = await deploy();
  const f = fixture();
  f.emulator.clearRequestLog();
  f.emulator.setFaults({ throttle: { count: 1, retryAfterSeconds: 1 }, pathPrefix: "/v1.0/$batch" });
  try {
    expect(findings(await audit(stack))).toEqual([]);
  } finally {
    f.emulator.setFaults({});
  }
  expect(f.emulator.requests.filter((r) => r.path === "/v1.0/$batch").map((r) => r.status)).toEqual([429, 200]);
});

test("an audit that cannot reach Graph is an error, never clean", async () => {
  const stack = await deploy();
  const f = fixture();
  const credential = createClientCredential({
    tenantId: f.tenant.tenantId,
    clientId: f.tenant.deployer.clientId,
    credential: { kind: "secret", clientSecret: f.tenant.deployer.clientSecret },
    authorityHost: f.authorityHost,
  });
  // Port 9 (discard) on loopback: nothing listens there.
  const client = createGraphClient({ credential, graphUrl: "https://localhost:9" });
  const checks = await auditStack("acme", stack.outputs, { client, expiryDays: 30 });
  expect(findings(checks)).toEqual([expect.objectContaining({ id: "graph.request", severity: "error", layer: "graph" })]);
});
