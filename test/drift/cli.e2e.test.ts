/**
 * `npm run drift` end to end: the CLI (as a child process in the first test, for the real exit code
 * and streams; in-process in the others), both layers, the stand-in pulumi serving
 * stack outputs that match apps deployed in the emulator, Graph reached over real HTTPS with the
 * deployer's service-principal credential from the environment.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DriftReportJson } from "../../scripts/drift/report";
import { useEmulatorFixture } from "../support/emulatorFixture";
import { deployAuditedApp } from "../../scripts/bench/driftBench";
import { writeFakeStack } from "../support/graphSetup";
import { FIXTURE_STACKS, parseXml, runDriftCli, runDriftInProcess } from "../support/drift";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "contoso-drift-cli.onmicrosoft.com" } });

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "drift-cli-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function graphEnv(): NodeJS.ProcessEnv {
  const f = fixture();
  return {
    AZURE_TENANT_ID: f.tenant.tenantId,
    AZURE_CLIENT_ID: f.tenant.deployer.clientId,
    AZURE_CLIENT_SECRET: f.tenant.deployer.clientSecret,
    AZURE_AUTHORITY_HOST: f.emulator.url,
    CMIC_GRAPH_URL: f.emulator.url,
  };
}

async function deployInto(fakeDir: string, stack: string, secretLifetimeDays?: number) {
  const f = fixture();
  const deployed = await deployAuditedApp(
    { emulatorUrl: f.emulator.url, tenant: f.tenant },
    {
      displayName: `CMiC ${stack} ${crypto.randomUUID().slice(0, 6)}`,
      domain: f.tenant.initialDomain,
      secretLifetimeDays,
    },
  );
  // Pulumi's own view is clean: nothing below is visible to `pulumi preview --refresh`.
  writeFakeStack(fakeDir, stack, deployed.outputs, path.join(FIXTURE_STACKS, "acme-clean"));
  return deployed;
}

test("a fleet: clean, a hand-added secret Pulumi cannot see, an expiring secret → exit 3, both layers in JSON and JUnit", async () => {
  const fakeDir = fs.mkdtempSync(path.join(dir, "fleet-"));
  await deployInto(fakeDir, "emu-clean");
  const tampered = await deployInto(fakeDir, "emu-tampered");
  await deployInto(fakeDir, "emu-expiring", 7);
  const added = (await fixture()
    .graph.api(`/applications/${tampered.applicationObjectId}/addPassword`)
    .post({
      passwordCredential: { displayName: "added in the portal" },
    })) as { keyId: string };

  const junit = path.join(dir, "fleet-junit.xml");
  // A 7-day lifetime ends 37 days out (the secret outlives its rotation date by 30): inside 45.
  const run = await runDriftCli(["--all", "--json", "--junit", junit, "--expiry-days", "45"], { ...graphEnv(), FAKE_PULUMI_DIR: fakeDir });
  expect(run.stderr).not.toMatch(/unexpected failure/);
  expect(run.code).toBe(3);
  const json = JSON.parse(run.stdout) as DriftReportJson;
  expect(json).toMatchObject({ ok: false, exitCode: 3 });
  const byStack = Object.fromEntries(json.stacks.map((s) => [s.stack, s]));
  expect(byStack["emu-clean"].status).toBe("clean");
  expect(byStack["emu-clean"].checks.filter((c) => c.layer === "graph").length).toBeGreaterThan(10);
  expect(byStack["emu-clean"].checks.filter((c) => c.layer === "pulumi").length).toBe(9);

  expect(byStack["emu-tampered"].status).toBe("drift");
  expect(byStack["emu-tampered"].findings).toEqual([
    expect.objectContaining({ layer: "graph", id: "graph.credentials.unknown", actual: expect.stringContaining(added.keyId) }),
  ]);

  expect(byStack["emu-expiring"].status).toBe("drift");
  const [expiring] = byStack["emu-expiring"].findings;
  expect(expiring).toMatchObject({ layer: "graph", id: "graph.credentials.expiring", severity: "expiry" });
  // The rotation resource's URN comes from the Pulumi layer's preview of the same stack.
  expect(expiring.fix).toContain(
    "--replace 'urn:pulumi:acme-clean::cmic-entra-oauth::cmic-entra-oauth:index:CmicEntraIntegration$time:index/rotating:Rotating::cmic-secret-rotation'",
  );

  const root = parseXml(fs.readFileSync(junit, "utf8"));
  const tamperedSuite = root.children.find((s) => s.attributes.name === "drift: emu-tampered")!;
  expect(Number(tamperedSuite.attributes.tests)).toBe(byStack["emu-tampered"].checks.length);
  const failed = tamperedSuite.children.filter((c) => c.children.some((e) => e.name === "failure"));
  expect(failed.map((c) => c.attributes.name)).toEqual(["graph: no credentials added outside the stack"]);
  expect(failed[0].children[0].text).toContain(added.keyId);
  const expiringSuite = root.children.find((s) => s.attributes.name === "drift: emu-expiring")!;
  const expiryCase = expiringSuite.children.find((c) => c.children.some((e) => e.name === "failure"))!;
  expect(expiryCase.children[0].attributes.type).toBe("expiry");
});

test("a stack whose Graph audit is denied is 'could not check' (exit 1), even though Pulumi sees no drift", async () => {
  const fakeDir = fs.mkdtempSync(path.join(dir, "denied-"));
  await deployInto(fakeDir, "emu-denied");
  const run = await runDriftInProcess(["--stack", "emu-denied", "--json"], {
    ...graphEnv(),
    AZURE_CLIENT_SECRET: "not-the-deployer-secret",
    FAKE_PULUMI_DIR: fakeDir,
  });
  expect(run.code).toBe(1);
  const json = JSON.parse(run.stdout) as DriftReportJson;
  const [stack] = json.stacks;
  expect(stack.status).toBe("error");
  expect(stack.findings).toEqual([expect.objectContaining({ layer: "graph", id: "graph.request", severity: "error" })]);
  expect(stack.error).toContain("AADSTS7000215");
  expect(run.stdout).not.toContain("not-the-deployer-secret");
  expect(run.stderr).not.toContain("not-the-deployer-secret");
});

test("--skip-preview audits Graph only; a deleted app is drift", async () => {
  const fakeDir = fs.mkdtempSync(path.join(dir, "deleted-"));
  const deployed = await deployInto(fakeDir, "emu-deleted");
  await fixture().graph.api(`/applications/${deployed.applicationObjectId}`).delete();
  const run = await runDriftInProcess(["--stack", "emu-deleted", "--skip-preview"], { ...graphEnv(), FAKE_PULUMI_DIR: fakeDir });
  expect(run.code).toBe(3);
  expect(run.stdout).toMatch(/graph\s+application \S+\s+.*the application was deleted/);
  expect(run.stdout).toMatch(/fix: restore it within 30 days/);
  expect(run.stdout).not.toMatch(/^\s+pulumi\s/m);
});
