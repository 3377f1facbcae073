/**
 * Issue #13: a fleet whose stacks live in their customers' own tenants, audited by ONE multi-tenant
 * "operator" app. Three tenants in one emulator; the operator app is registered in the first and
 * consented by an admin of the second; the third never consented. One app of the second tenant is
 * really deleted. Drift, through the real CLI, Graph client and @azure/identity, must sign in to
 * each stack's own tenant: exactly the deleted app is drift, the third tenant's stack is "could not
 * check" with the consent link, everything else is clean.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { deployAuditedApp, registerOperatorApp } from "../../scripts/bench/driftBench";
import type { DriftReportJson } from "../../scripts/drift/report";
import { FIXTURE_STACKS, runDriftInProcess } from "../support/drift";
import { signInAsDeployer, useEmulatorFixture } from "../support/emulatorFixture";
import { writeFakeStack } from "../support/graphSetup";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "integrator-home.onmicrosoft.com" } });
/** What the operator app is granted: read only (README "Credentials and permissions"). */
const OPERATOR_ROLES = ["Application.Read.All", "Policy.Read.All", "Domain.Read.All"];

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "drift-tenants-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The integrator's operator app in the home tenant (the fixture's): multi-tenant, with a secret. */
const registerOperator = (displayName: string) => registerOperatorApp(fixture().graph, displayName);

/** Drift over the stand-in pulumi's stacks in `fakeDir`, signed in as the operator app (home tenant: the fixture's). */
function driftAsOperator(args: string[], operator: { appId: string; secretText: string }, fakeDir: string) {
  const { emulator, tenant: home } = fixture();
  return runDriftInProcess(args, {
    AZURE_TENANT_ID: home.tenantId,
    AZURE_CLIENT_ID: operator.appId,
    AZURE_CLIENT_SECRET: operator.secretText,
    AZURE_AUTHORITY_HOST: emulator.url,
    CMIC_GRAPH_URL: emulator.url,
    FAKE_PULUMI_DIR: fakeDir,
  });
}

test("each stack is read in its own tenant: the one deleted app is drift, an unconsented tenant is 'could not check' with the consent link", async () => {
  const { emulator, tenant: home } = fixture();
  const consented = emulator.addTenant({ initialDomain: "customer-consented.onmicrosoft.com" });
  const unconsented = emulator.addTenant({ initialDomain: "customer-unconsented.onmicrosoft.com" });

  // The integrator's operator app: multi-tenant, a secret, read-only Graph permissions at home.
  const operator = await registerOperator("Integrator drift operator");
  emulator.setGraphRoles(home.tenantId, operator.appId, OPERATOR_ROLES);
  emulator.grantAdminConsent(consented.tenantId, operator.appId, OPERATOR_ROLES);

  // Each customer's stack, deployed in its own tenant by that tenant's deployer.
  const fakeDir = fs.mkdtempSync(path.join(dir, "fleet-"));
  const deploy = async (stack: string, tenant: typeof home) => {
    const deployed = await deployAuditedApp(
      { emulatorUrl: emulator.url, tenant },
      { displayName: `CMiC ${stack} ${crypto.randomUUID().slice(0, 6)}`, domain: tenant.initialDomain },
    );
    writeFakeStack(fakeDir, stack, deployed.outputs, path.join(FIXTURE_STACKS, "acme-clean"));
    return deployed;
  };
  await deploy("home-clean", home);
  await deploy("consented-clean", consented);
  const deleted = await deploy("consented-deleted", consented);
  await deploy("unconsented", unconsented);
  await signInAsDeployer(emulator.url, consented).graph.api(`/applications/${deleted.applicationObjectId}`).delete();
  // A stack whose outputs name a tenant that does not exist (say, a typo in azuread:tenantId).
  writeFakeStack(
    fakeDir,
    "no-such-tenant",
    { ...deleted.outputs, tenantId: "0badc0de-0000-4000-8000-000000000000" },
    path.join(FIXTURE_STACKS, "acme-clean"),
  );

  const run = await driftAsOperator(["--all", "--json", "--skip-preview"], operator, fakeDir);
  const json = JSON.parse(run.stdout) as DriftReportJson;
  const byStack = Object.fromEntries(json.stacks.map((s) => [s.stack, s]));
  expect(Object.fromEntries(json.stacks.map((s) => [s.stack, s.status]))).toEqual({
    "consented-clean": "clean",
    "consented-deleted": "drift",
    "home-clean": "clean",
    "no-such-tenant": "error",
    unconsented: "error",
  });
  expect(byStack["no-such-tenant"].findings[0].message).toContain("the tenant does not exist, or the sign-in host is unreachable");
  // Entra deletes the app's service principal with it.
  expect(byStack["consented-deleted"].findings.map((f) => f.id).sort()).toEqual(["graph.app.deleted", "graph.sp.deleted"]);
  const [unreachable] = byStack.unconsented.findings;
  expect(unreachable).toMatchObject({ id: "graph.request", severity: "error" });
  expect(unreachable.message).toContain(`is not registered or consented in the stack's tenant ${unconsented.tenantId}`);
  expect(unreachable.message).toContain("AADSTS700016");
  expect(unreachable.fix).toContain(`https://login.microsoftonline.com/${unconsented.tenantId}/adminconsent?client_id=${operator.appId}`);
  // Could not check beats drift: exit 1, and the deleted app is still named.
  expect(run.code).toBe(1);
  expect(run.stdout).not.toContain(operator.secretText);
}, 120_000);

test("an operator app consented without the read permissions is 'could not check' with the permissions to grant, never 'deleted'", async () => {
  const { emulator } = fixture();
  const customer = emulator.addTenant({ initialDomain: "customer-noroles.onmicrosoft.com" });
  const operator = await registerOperator("Operator without roles");
  emulator.grantAdminConsent(customer.tenantId, operator.appId, []);
  const fakeDir = fs.mkdtempSync(path.join(dir, "noroles-"));
  const deployed = await deployAuditedApp(
    { emulatorUrl: emulator.url, tenant: customer },
    { displayName: `CMiC noroles ${crypto.randomUUID().slice(0, 6)}`, domain: customer.initialDomain },
  );
  writeFakeStack(fakeDir, "noroles", deployed.outputs, path.join(FIXTURE_STACKS, "acme-clean"));
  const run = await driftAsOperator(["--stack", "noroles", "--json", "--skip-preview"], operator, fakeDir);
  expect(run.code).toBe(1);
  const [finding] = (JSON.parse(run.stdout) as DriftReportJson).stacks[0].findings;
  expect(finding.id).toBe("graph.request");
  expect(finding.message).toContain(`may not read its applications there (HTTP 403)`);
  expect(finding.fix).toContain("Application.Read.All, Policy.Read.All, Domain.Read.All");
}, 120_000);
