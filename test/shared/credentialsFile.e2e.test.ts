/**
 * Set-up "b" end to end: a credential per customer tenant, named by CMIC_CREDENTIALS_FILE, against
 * the emulator over real HTTPS with the real drift CLI, Graph client and @azure/identity. Two
 * customer tenants each have their OWN read-only app and no operator app exists: drift signs in to
 * each tenant as the file says and both tenants' stacks are clean. With one tenant's secret
 * variable unset, only that tenant's stacks are "could not check", naming the variable.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { decodeJwt } from "jose";
import { GRAPH_URL } from "../../contract/entraEndpoints";
import { deployAuditedApp, registerOperatorApp } from "../../scripts/bench/driftBench";
import type { DriftReportJson } from "../../scripts/drift/report";
import { createDeployerCredential } from "../../scripts/shared/credentials";
import { CREDENTIALS_FILE_ENV } from "../../scripts/shared/credentialsFile";
import { FIXTURE_STACKS, runDriftInProcess } from "../support/drift";
import { signInAsDeployer, useEmulatorFixture } from "../support/emulatorFixture";
import { writeFakeStack } from "../support/graphSetup";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "acme-customer.onmicrosoft.com" } });
/** What each tenant's drift app is granted: read only (README "Credentials and permissions"). */
const READ_ROLES = ["Application.Read.All", "Policy.Read.All", "Domain.Read.All"];
/** No operator app: whatever the developer's shell has must not sign drift in. */
const NO_OPERATOR = { AZURE_TENANT_ID: undefined, AZURE_CLIENT_ID: undefined, AZURE_CLIENT_SECRET: undefined };

type Tenant = ReturnType<typeof fixture>["tenant"];
interface Customer {
  tenant: Tenant;
  app: { appId: string; secretText: string };
}

let dir: string;
let fakeDir: string;
let credentialsFile: string;
let acme: Customer;
let contoso: Customer;

/** A customer's own drift app: registered in its tenant by its deployer, read-only Graph roles there. */
async function customer(tenant: Tenant, name: string): Promise<Customer> {
  const { emulator } = fixture();
  const app = await registerOperatorApp(signInAsDeployer(emulator.url, tenant).graph, `${name} drift reader`);
  emulator.setGraphRoles(tenant.tenantId, app.appId, READ_ROLES);
  return { tenant, app };
}

async function deployStack(stack: string, tenant: Tenant): Promise<void> {
  const deployed = await deployAuditedApp(
    { emulatorUrl: fixture().emulator.url, tenant },
    { displayName: `CMiC ${stack} ${crypto.randomUUID().slice(0, 6)}`, domain: tenant.initialDomain },
  );
  writeFakeStack(fakeDir, stack, deployed.outputs, path.join(FIXTURE_STACKS, "acme-clean"));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "credentials-file-e2e-"));
  fakeDir = path.join(dir, "stacks");
  const { emulator, tenant } = fixture();
  acme = await customer(tenant, "Acme");
  contoso = await customer(emulator.addTenant({ initialDomain: "contoso-customer.onmicrosoft.com" }), "Contoso");
  await deployStack("acme-1", acme.tenant);
  await deployStack("acme-2", acme.tenant);
  await deployStack("contoso-1", contoso.tenant);
  credentialsFile = path.join(dir, "tenants.json");
  const tenants = {
    // Upper case on purpose: tenant ids compare case-insensitively with the stacks' outputs.
    [acme.tenant.tenantId.toUpperCase()]: { clientId: acme.app.appId, clientSecretEnv: "ACME_DRIFT_SECRET" },
    [contoso.tenant.tenantId]: { clientId: contoso.app.appId, clientSecretEnv: "CONTOSO_DRIFT_SECRET" },
  };
  fs.writeFileSync(credentialsFile, JSON.stringify({ tenants }, null, 2), { mode: 0o600 });
}, 120_000);
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function drift(env: NodeJS.ProcessEnv) {
  const { emulator } = fixture();
  return runDriftInProcess(["--all", "--json", "--skip-preview"], {
    ...NO_OPERATOR,
    AZURE_AUTHORITY_HOST: emulator.url,
    CMIC_GRAPH_URL: emulator.url,
    FAKE_PULUMI_DIR: fakeDir,
    [CREDENTIALS_FILE_ENV]: credentialsFile,
    ...env,
  });
}

const statuses = (json: DriftReportJson) => Object.fromEntries(json.stacks.map((s) => [s.stack, s.status]));

test("each tenant is read as its own app from the credentials file: every stack is clean, with no operator app", async () => {
  const run = await drift({ ACME_DRIFT_SECRET: acme.app.secretText, CONTOSO_DRIFT_SECRET: contoso.app.secretText });
  const json = JSON.parse(run.stdout) as DriftReportJson;
  expect(statuses(json)).toEqual({ "acme-1": "clean", "acme-2": "clean", "contoso-1": "clean" });
  expect(run.code).toBe(0);
  expect(run.stderr).not.toContain("warning: credentials file");
}, 120_000);

test("one tenant's secret variable unset: only that tenant's stacks are 'could not check', naming the variable", async () => {
  const run = await drift({ ACME_DRIFT_SECRET: acme.app.secretText, CONTOSO_DRIFT_SECRET: undefined });
  const json = JSON.parse(run.stdout) as DriftReportJson;
  expect(statuses(json)).toEqual({ "acme-1": "clean", "acme-2": "clean", "contoso-1": "error" });
  const [finding] = json.stacks.find((s) => s.stack === "contoso-1")!.findings;
  expect(finding).toMatchObject({ id: "graph.request", severity: "error" });
  expect(finding.message).toContain(`drift has no credential for the stack's tenant ${contoso.tenant.tenantId}`);
  expect(finding.message).toContain("the environment variable CONTOSO_DRIFT_SECRET is not set");
  expect(finding.message).toContain(credentialsFile);
  expect(finding.fix).toContain("set CONTOSO_DRIFT_SECRET");
  expect(run.code).toBe(1);
  expect(run.stdout).not.toContain(acme.app.secretText);
}, 120_000);

test("a broken credentials file stops the run before any stack is checked", async () => {
  const broken = path.join(dir, "broken.json");
  fs.writeFileSync(
    broken,
    `{ "tenants": { "${acme.tenant.tenantId}": { "clientId": "${acme.app.appId}", "clientSecret": "${acme.app.secretText}" } } }`,
    {
      mode: 0o600,
    },
  );
  const run = await drift({ [CREDENTIALS_FILE_ENV]: broken, ACME_DRIFT_SECRET: acme.app.secretText });
  const json = JSON.parse(run.stdout) as DriftReportJson;
  expect(json.stacks).toHaveLength(1);
  expect(json.stacks[0]).toMatchObject({ stack: "(all stacks)", status: "error" });
  expect(json.stacks[0].error).toContain(`tenant ${acme.tenant.tenantId} has the key "clientSecret", which would hold a secret`);
  expect(run.code).toBe(1);
  expect(`${run.stdout}${run.stderr}`).not.toContain(acme.app.secretText);
}, 60_000);

test("the set-ups mix: a listed tenant signs in as its file app, an unlisted one as AZURE_CLIENT_ID", async () => {
  const { emulator } = fixture();
  const unlisted = emulator.addTenant({ initialDomain: "fabrikam-operator.onmicrosoft.com" });
  const env: NodeJS.ProcessEnv = {
    [CREDENTIALS_FILE_ENV]: credentialsFile,
    ACME_DRIFT_SECRET: acme.app.secretText,
    AZURE_CLIENT_ID: unlisted.deployer.clientId,
    AZURE_CLIENT_SECRET: unlisted.deployer.clientSecret,
    AZURE_AUTHORITY_HOST: emulator.url,
  };
  const signedInAs = async (tenantId: string) => {
    const token = await createDeployerCredential(env, tenantId).getToken(`${GRAPH_URL}/.default`);
    const claims = decodeJwt(token!.token);
    return { tid: claims.tid, app: claims.appid ?? claims.azp };
  };
  expect(await signedInAs(acme.tenant.tenantId)).toEqual({ tid: acme.tenant.tenantId, app: acme.app.appId });
  expect(await signedInAs(unlisted.tenantId)).toEqual({ tid: unlisted.tenantId, app: unlisted.deployer.clientId });
}, 60_000);

test("a listed tenant whose app is not consented there: the consent link names the file's app, not AZURE_CLIENT_ID", async () => {
  const { emulator } = fixture();
  // The file says contoso signs in as acme's app, which exists only in acme's tenant (AADSTS700016 in contoso).
  const misfiled = path.join(dir, "misfiled.json");
  fs.writeFileSync(
    misfiled,
    JSON.stringify({ tenants: { [contoso.tenant.tenantId]: { clientId: acme.app.appId, clientSecretEnv: "ACME_DRIFT_SECRET" } } }),
    { mode: 0o600 },
  );
  const operator = emulator.addTenant({ initialDomain: "operator-elsewhere.onmicrosoft.com" }).deployer;
  const run = await drift({
    [CREDENTIALS_FILE_ENV]: misfiled,
    ACME_DRIFT_SECRET: acme.app.secretText,
    AZURE_CLIENT_ID: operator.clientId,
    AZURE_CLIENT_SECRET: operator.clientSecret,
  });
  const json = JSON.parse(run.stdout) as DriftReportJson;
  const [finding] = json.stacks.find((s) => s.stack === "contoso-1")!.findings;
  expect(finding.message).toContain("AADSTS700016");
  expect(finding.fix).toContain(`adminconsent?client_id=${acme.app.appId}`);
  expect(finding.fix).not.toContain(operator.clientId);
}, 120_000);
