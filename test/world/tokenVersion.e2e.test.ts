/**
 * `accessTokenVersion` 1 (what CMiC's own guide registers) end to end, through the real program in
 * the emulator: the app asks for v1 tokens, the handoff gives CMiC the v1 Issuer URL and Keyset URI,
 * verify accepts a real v1 token (`iss` with the trailing slash, `appid`, `aud` the Application ID
 * URI) and drift is clean. Flipping the app to v2 in the portal is named by drift and verify with
 * the CMiC fields to change, and a v2 stack registered with v1 values is refused.
 */
import crypto from "node:crypto";
import { issuerUrlV1, issuerUrlV2, JWKS_URI_V1, jwksUri } from "../../contract/entraEndpoints";
import type { StackOutputs } from "../../contract/stackOutputs";
import { auditStack } from "../../scripts/drift/graphAudit";
import { deployStack } from "../../scripts/sandbox/deployStack";
import { runVerification, verifyInputFromOutputs } from "../../scripts/verify/runner";
import { useEmulatorFixture } from "../support/emulatorFixture";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "contoso-v1.onmicrosoft.com" } });

async function deploy(accessTokenVersion: "1" | "2"): Promise<StackOutputs> {
  const { emulator, tenant } = fixture();
  const { outputs } = await deployStack({
    emulatorUrl: emulator.url,
    tenant,
    settings: {
      deployment: "enterprise",
      serviceUser: "CMICAPI",
      verifiedDomain: tenant.initialDomain,
      displayName: `CMiC v${accessTokenVersion} ${crypto.randomUUID().slice(0, 6)}`,
      accessTokenVersion,
    },
  });
  return outputs;
}

const verify = (outputs: StackOutputs) =>
  runVerification(verifyInputFromOutputs(outputs, { authorityHost: fixture().emulator.url, propagationWindowMs: 0 }));

function check(report: Awaited<ReturnType<typeof verify>>, id: string) {
  return report.checks.find((c) => c.id === id);
}

test("a v1 stack: CMiC gets the v1 issuer and keys, the post-deploy check and verify pass on a real v1 token, drift is clean", async () => {
  const outputs = await deploy("1");
  const { tenant, graph } = fixture();
  expect(outputs.accessTokenVersion).toBe(1);
  expect(outputs.cmicRegistration).toMatchObject({ issuerUrl: issuerUrlV1(tenant.tenantId), keysetUri: JWKS_URI_V1 });
  expect({ issuerUrl: outputs.issuerUrl, jwksUri: outputs.jwksUri }).toEqual({
    issuerUrl: issuerUrlV1(tenant.tenantId),
    jwksUri: JWKS_URI_V1,
  });
  const app = (await graph.api(`/applications/${outputs.applicationObjectId}`).select("api").get()) as {
    api: { requestedAccessTokenVersion: number };
  };
  expect(app.api.requestedAccessTokenVersion).toBe(1);

  const report = await verify(outputs);
  expect(report.checks.filter((c) => !c.ok && c.warning !== true)).toEqual([]);
  expect(report.token?.claims).toMatchObject({
    ver: "1.0",
    iss: issuerUrlV1(tenant.tenantId),
    appid: outputs.clientId,
    aud: outputs.identifierUri,
  });

  const checks = await auditStack("acme", { ...outputs, clientSecret: null }, { client: graph, expiryDays: 30 });
  expect(checks.flatMap((c) => c.findings)).toEqual([]);
  expect(checks.find((c) => c.id === "graph.app.tokenVersion")?.name).toBe("graph: access tokens are v1");
}, 120_000);

test("a v1 stack whose app was switched to v2 in the portal: drift and verify name it with the CMiC fields", async () => {
  const outputs = await deploy("1");
  const { tenant, graph } = fixture();
  await graph.api(`/applications/${outputs.applicationObjectId}`).patch({ api: { requestedAccessTokenVersion: 2 } });

  const checks = await auditStack("acme", { ...outputs, clientSecret: null }, { client: graph, expiryDays: 30 });
  const [finding] = checks.flatMap((c) => c.findings);
  expect(finding).toMatchObject({ property: "api.requestedAccessTokenVersion", expected: "1", actual: "2" });
  expect(finding.message).toContain(`its registration holds the v1 Issuer URL ${issuerUrlV1(tenant.tenantId)}`);
  expect(finding.fix).toContain(`Issuer URL ${issuerUrlV2(tenant.tenantId)} and Keyset URI ${jwksUri(tenant.tenantId)}`);

  const report = await verify(outputs);
  expect(report.ok).toBe(false);
  expect(check(report, "issuer")).toMatchObject({ ok: false });
  expect(check(report, "issuer")?.detail).toContain("a v2.0 token, but CMiC's registered Issuer URL is the v1.0 one");
  expect(check(report, "version")?.detail).toBe(`ver is "2.0", CMiC's registration expects a v1.0 token`);
  expect(check(report, "version")?.fix).toContain("Set api.requestedAccessTokenVersion = 1");
}, 120_000);

test("a v2 stack (the default) keeps v2 values: outputs, registration and a passing verify", async () => {
  const outputs = await deploy("2");
  const { tenant } = fixture();
  expect(outputs.accessTokenVersion).toBe(2);
  expect(outputs.cmicRegistration).toMatchObject({ issuerUrl: issuerUrlV2(tenant.tenantId), keysetUri: jwksUri(tenant.tenantId) });
  const report = await verify(outputs);
  expect(report.ok).toBe(true);
  // A CMiC registered from CMiC's own guide (v1 values) for this v2 app: refused, with both ways out.
  const misregistered = await verify({
    ...outputs,
    cmicRegistration: { ...outputs.cmicRegistration, issuerUrl: issuerUrlV1(tenant.tenantId), keysetUri: JWKS_URI_V1 },
  });
  expect(check(misregistered, "issuer")?.ok).toBe(false);
  expect(check(misregistered, "issuer")?.fix).toContain(
    `change CMiC's registration (API Security → Application Registration) to Issuer URL ${issuerUrlV2(tenant.tenantId)}`,
  );
  expect(check(misregistered, "issuer")?.fix).toContain("accessTokenVersion 1");
}, 120_000);
