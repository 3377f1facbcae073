/**
 * `azureCloud` end to end, for each of the three clouds and both token versions, through the real
 * program in an emulated tenant of that cloud: the outputs and the handoff sheet hold that cloud's
 * Issuer URL, Keyset URI and Token URL (the strings below are Microsoft's, written out here rather
 * than taken from the code under test); the post-deploy check and verify pass on a real token;
 * the CMiC stand-in, registered from the handoff values, accepts it; drift's Graph audit, reading
 * the cloud's Graph, is clean. A stack whose setting names the wrong cloud is refused before
 * anything is created, or named by verify with the setting to change.
 */
import crypto from "node:crypto";
import { startCmicStandIn } from "../../cmic";
import { withAuthorityHost } from "../../contract/entraEndpoints";
import type { AzureCloud } from "../../contract/kinds";
import type { StackOutputs } from "../../contract/stackOutputs";
import { auditStack } from "../../scripts/drift/graphAudit";
import { renderHandoffSheet } from "../../scripts/handoff/sheet";
import { deployStack } from "../../scripts/sandbox/deployStack";
import { tenantGraphClient } from "../../scripts/shared/graphClient";
import { runVerification, verifyInputFromOutputs } from "../../scripts/verify/runner";
import { startEmulatorFixture, type EmulatorFixture } from "../support/emulatorFixture";
import { newWorldDir, upInWorld } from "../support/world";

/** Microsoft's strings per cloud (learn.microsoft.com authentication-national-cloud, graph/deployments; README "Sovereign clouds"). */
const EXPECTED: Record<AzureCloud, { login: string; v1Issuer: string; providerEnvironment: string | null }> = {
  public: { login: "https://login.microsoftonline.com", v1Issuer: "https://sts.windows.net", providerEnvironment: null },
  usgovernment: { login: "https://login.microsoftonline.us", v1Issuer: "https://sts.windows.net", providerEnvironment: "usgovernment" },
  china: { login: "https://login.partner.microsoftonline.cn", v1Issuer: "https://sts.chinacloudapi.cn", providerEnvironment: "china" },
};
const LOGIN_HOSTS = new Set(Object.values(EXPECTED).map((cloud) => new URL(cloud.login).hostname));

const fixtures = new Map<AzureCloud, EmulatorFixture>();
beforeAll(async () => {
  for (const cloud of Object.keys(EXPECTED) as AzureCloud[]) {
    fixtures.set(cloud, await startEmulatorFixture({ tenant: { initialDomain: `contoso-${cloud}.onmicrosoft.com`, cloud } }));
  }
}, 60_000);
afterAll(async () => {
  for (const fixture of fixtures.values()) await fixture.emulator.close();
});

function settingsFor(cloud: AzureCloud, version: 1 | 2, tenantDomain: string, stackCloud: AzureCloud = cloud): Record<string, string> {
  const environment = EXPECTED[cloud].providerEnvironment;
  return {
    deployment: "enterprise",
    serviceUser: "CMICAPI",
    verifiedDomain: tenantDomain,
    displayName: `CMiC ${cloud} v${version} ${crypto.randomUUID().slice(0, 6)}`,
    accessTokenVersion: String(version),
    ...(stackCloud !== "public" ? { azureCloud: stackCloud } : {}),
    ...(environment && stackCloud === cloud ? { "azuread:environment": environment } : {}),
  };
}

async function deploy(cloud: AzureCloud, version: 1 | 2): Promise<{ outputs: StackOutputs; fixture: EmulatorFixture }> {
  const fixture = fixtures.get(cloud)!;
  const { outputs } = await deployStack({
    emulatorUrl: fixture.emulator.url,
    tenant: fixture.tenant,
    settings: settingsFor(cloud, version, fixture.tenant.initialDomain),
  });
  return { outputs, fixture };
}

describe.each(Object.keys(EXPECTED) as AzureCloud[])("a stack in the %s cloud", (cloud) => {
  const { login, v1Issuer } = EXPECTED[cloud];

  test.each([2, 1] as const)(
    "v%i: that cloud's values in the outputs and the sheet; verify, CMiC and drift all green",
    async (version) => {
      const { outputs, fixture } = await deploy(cloud, version);
      const tid = fixture.tenant.tenantId;
      expect(fixture.tenant.cloud).toBe(cloud);
      expect(outputs.azureCloud).toBe(cloud);
      const issuer = version === 2 ? `${login}/${tid}/v2.0` : `${v1Issuer}/${tid}/`;
      const keys = version === 2 ? `${login}/${tid}/discovery/v2.0/keys` : `${login}/common/discovery/keys`;
      expect(outputs.cmicRegistration).toMatchObject({ issuerUrl: issuer, keysetUri: keys });
      expect({ issuerUrl: outputs.issuerUrl, jwksUri: outputs.jwksUri, tokenUrl: outputs.tokenUrl }).toEqual({
        issuerUrl: issuer,
        jwksUri: keys,
        tokenUrl: `${login}/${tid}/oauth2/v2.0/token`,
      });
      expect(outputs.connector.tokenUrl).toBe(`${login}/${tid}/oauth2/v2.0/token`);

      const sheet = renderHandoffSheet(outputs, { stack: "acme", reveal: false, generatedAt: new Date() });
      expect(sheet).toContain(`| Issuer URL | \`${issuer}\` |`);
      expect(sheet).toContain(`| Keyset ID (JWKS URI) | \`${keys}\` |`);
      expect(sheet).toContain(`| Token URL | \`${login}/${tid}/oauth2/v2.0/token\` |`);
      if (cloud === "public") expect(sheet).not.toContain("cloud: every URL above");
      else expect(sheet).toContain(`every URL above is on its hosts, not login.microsoftonline.com`);

      // verify as the connector will: the token's iss is the cloud's, as CMiC's registration says.
      const report = await runVerification(
        verifyInputFromOutputs(outputs, { authorityHost: fixture.emulator.url, propagationWindowMs: 0 }),
      );
      expect(report.checks.filter((c) => !c.ok && c.warning !== true)).toEqual([]);
      expect(report.token?.claims.iss).toBe(issuer);

      // CMiC, registered from the handoff values, loads the keys from the registered (cloud) URI.
      const cmic = await startCmicStandIn({
        fetch: (input, init) => {
          const url = String(input);
          return fetch(LOGIN_HOSTS.has(new URL(url).hostname) ? withAuthorityHost(url, fixture.emulator.url) : url, init);
        },
        properties: { ipCheckEnabled: false },
      });
      try {
        cmic.addUser("CMICAPI");
        cmic.register({ ...outputs.cmicRegistration, serviceUser: undefined });
        const withCmic = await runVerification(
          verifyInputFromOutputs(outputs, {
            authorityHost: fixture.emulator.url,
            propagationWindowMs: 0,
            cmicUrl: `${cmic.url}/cmictest/rest/v1/x`,
          }),
        );
        expect(withCmic.checks.find((c) => c.id === "cmic-endpoint")).toMatchObject({ ok: true });
        expect(cmic.requests.at(-1)?.status).toBe(200);
      } finally {
        await cmic.close();
      }

      // drift's own Graph client for the stack's tenant and cloud (scripts/drift/stackSource.ts), as
      // a pipeline's service principal: the emulator answers only tokens for that cloud's Graph.
      const env = {
        AZURE_CLIENT_ID: fixture.tenant.deployer.clientId,
        AZURE_CLIENT_SECRET: fixture.tenant.deployer.clientSecret,
        AZURE_AUTHORITY_HOST: fixture.emulator.url,
      };
      const client = tenantGraphClient(env, tid, outputs.azureCloud, fixture.emulator.url);
      const checks = await auditStack("acme", { ...outputs, clientSecret: null }, { client, expiryDays: 30 });
      expect(checks.flatMap((c) => c.findings)).toEqual([]);
      // The app itself was read, in that cloud: its token version is the stack's.
      expect(checks.find((c) => c.id === "graph.app.tokenVersion")?.name).toBe(`graph: access tokens are v${version}`);
    },
    120_000,
  );
});

test("a sovereign stack without the provider's environment is refused before anything is created", async () => {
  const fixture = fixtures.get("usgovernment")!;
  const settings = settingsFor("usgovernment", 2, fixture.tenant.initialDomain);
  delete settings["azuread:environment"];
  await expect(deployStack({ emulatorUrl: fixture.emulator.url, tenant: fixture.tenant, settings })).rejects.toThrow(
    "pulumi config set azuread:environment usgovernment",
  );
  const apps = (await fixture.graph.api("/applications").filter(`displayName eq '${settings.displayName}'`).get()) as { value: unknown[] };
  expect(apps.value).toEqual([]);
});

test("drift's Graph client of another cloud than the tenant's is refused (the Graph token is for the wrong cloud)", async () => {
  const fixture = fixtures.get("usgovernment")!;
  const env = {
    AZURE_CLIENT_ID: fixture.tenant.deployer.clientId,
    AZURE_CLIENT_SECRET: fixture.tenant.deployer.clientSecret,
    AZURE_AUTHORITY_HOST: fixture.emulator.url,
  };
  await expect(tenantGraphClient(env, fixture.tenant.tenantId, "public", fixture.emulator.url).api("/domains").get()).rejects.toThrow();
  const domains = (await tenantGraphClient(env, fixture.tenant.tenantId, "usgovernment", fixture.emulator.url).api("/domains").get()) as {
    value: { id: string }[];
  };
  expect(domains.value.map((domain) => domain.id)).toEqual([fixture.tenant.initialDomain]);
});

test("a China tenant deployed as public (azureCloud forgotten): verify names the cloud and the setting", async () => {
  const fixture = fixtures.get("china")!;
  const settings = settingsFor("china", 2, fixture.tenant.initialDomain, "public");
  const { outputs } = await deployStack({
    emulatorUrl: fixture.emulator.url,
    tenant: fixture.tenant,
    settings: { ...settings, postDeployCheck: "false" },
  });
  expect(outputs.cmicRegistration.issuerUrl).toBe(`https://login.microsoftonline.com/${fixture.tenant.tenantId}/v2.0`);
  const report = await runVerification(verifyInputFromOutputs(outputs, { authorityHost: fixture.emulator.url, propagationWindowMs: 0 }));
  const issuer = report.checks.find((c) => c.id === "issuer");
  expect(issuer?.ok).toBe(false);
  expect(issuer?.detail).toContain("the tenant is in the china cloud");
  expect(issuer?.fix).toContain("pulumi config set cmic-entra-oauth:azureCloud china");
  expect(issuer?.fix).toContain(`Issuer URL https://login.partner.microsoftonline.cn/${fixture.tenant.tenantId}/v2.0`);
}, 120_000);

test("a kept world of an Azure Government stack: its tenant stays in that cloud, and the next run changes nothing", async () => {
  const dir = newWorldDir();
  const settings = { deployment: "enterprise", serviceUser: "CMICAPI", azureCloud: "usgovernment", "azuread:environment": "usgovernment" };
  const first = await upInWorld(dir, settings, undefined);
  expect(first.outputs.issuerUrl).toBe(`https://login.microsoftonline.us/${first.outputs.tenantId}/v2.0`);
  expect(first.cmic.ok).toBe(true);
  const second = await upInWorld(dir, settings, "+1d");
  expect(second.steps.filter((step) => step.op !== "same")).toEqual([]);
  expect(second.cmic.ok).toBe(true);
}, 120_000);
