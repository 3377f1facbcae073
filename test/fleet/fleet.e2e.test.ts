/**
 * The fleet against real apps: each customer's stack deployed by the real program into its own
 * tenant of the emulator (the engine's outputs are what the stand-in `pulumi` answers), a credential
 * per tenant from a credentials file (set-up "b"), and the fleet's verify and rotate signing in to
 * each stack's own tenant over real HTTPS with the real Graph client and @azure/identity.
 */
import fs from "node:fs";
import path from "node:path";
import { deployStack, updateStack } from "../../scripts/sandbox/deployStack";
import { worldClock } from "../../scripts/world/clock";
import type { FleetReportJson } from "../../scripts/fleet/report";
import type { StackOutputs } from "../../contract/stackOutputs";
import type { EmulatorTenant } from "../../emulator";
import { signInAsDeployer, useEmulatorFixture } from "../support/emulatorFixture";
import { fleetScratch, loggedCalls, runFleetCli, seedStack, type FleetScratch } from "./harness";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "integrator-home.onmicrosoft.com" } });
const ROTATION_ANCHOR = "time:index/rotating:Rotating";

interface Customer {
  stack: string;
  tenant: EmulatorTenant;
  tenantId: string;
  deployer: { clientId: string; clientSecret: string };
  outputs: StackOutputs;
  /** What the engine's `pulumi up --replace <anchor>` gives (a new secret, the old one retained). */
  rotated: StackOutputs;
  /** Name of the variable holding this tenant's deployer secret. */
  secretEnv: string;
}

let scratch: FleetScratch;
let customers: Customer[];
let environment: NodeJS.ProcessEnv;

beforeAll(async () => {
  const { emulator } = fixture();
  scratch = fleetScratch();
  customers = [];
  for (const [index, stack] of ["acme-prod", "zenith-prod"].entries()) {
    const tenant = emulator.addTenant({ initialDomain: `${stack}.onmicrosoft.com` });
    const access = { tenantId: tenant.tenantId, deployer: tenant.deployer };
    const settings = { deployment: "enterprise", serviceUser: "CMICAPI", verifiedDomain: tenant.initialDomain, postDeployCheck: "false" };
    const first = await deployStack({ emulatorUrl: emulator.url, tenant: access, settings, stack });
    const anchor = first.state.resources.find((resource) => resource.type === ROTATION_ANCHOR);
    // The engine's targeted replace an hour later: the secret's inputs come from the anchor's
    // timestamps, in whole seconds (a replace within the same second would issue nothing new).
    const rotated = await updateStack({
      emulatorUrl: emulator.url,
      tenant: access,
      settings,
      stack,
      state: first.state,
      clock: worldClock(new Date(Date.now() + 3_600_000)),
      replace: [anchor?.urn ?? ""],
    });
    if (!rotated.ok || !rotated.outputs) throw new Error(`the rotating update of ${stack} failed: ${rotated.error?.message}`);
    fs.writeFileSync(path.join(scratch.outputs, `${stack}.json`), JSON.stringify(first.outputs));
    fs.writeFileSync(path.join(scratch.outputs, `${stack}.replaced.json`), JSON.stringify(rotated.outputs));
    seedStack(scratch, stack, { "azuread:tenantId": tenant.tenantId, "cmic-entra-oauth:serviceUser": "CMICAPI" });
    customers.push({
      stack,
      tenant,
      tenantId: tenant.tenantId,
      deployer: tenant.deployer,
      outputs: first.outputs,
      rotated: rotated.outputs,
      secretEnv: `CUSTOMER_${index}_SECRET`,
    });
  }
  // Set-up "b": each tenant's own deployer, its secret only in a named variable.
  const credentialsFile = path.join(scratch.dir, "credentials.json");
  fs.writeFileSync(
    credentialsFile,
    JSON.stringify({
      tenants: Object.fromEntries(customers.map((c) => [c.tenantId, { clientId: c.deployer.clientId, clientSecretEnv: c.secretEnv }])),
    }),
  );
  environment = {
    CMIC_CREDENTIALS_FILE: credentialsFile,
    ...Object.fromEntries(customers.map((c) => [c.secretEnv, c.deployer.clientSecret])),
    CMIC_AUTHORITY_HOST: emulator.url,
    CMIC_GRAPH_URL: emulator.url,
    AZURE_AUTHORITY_HOST: emulator.url,
  };
  const up = await runFleetCli(scratch, ["up", "--all", "--yes"], environment);
  if (up.code !== 0) throw new Error(`fleet up failed:\n${up.stdout}\n${up.stderr}`);
}, 180_000);
afterAll(() => fs.rmSync(scratch.dir, { recursive: true, force: true }));

function byStack(json: FleetReportJson): Record<string, FleetReportJson["stacks"][number]> {
  return Object.fromEntries(json.stacks.map((s) => [s.stack, s]));
}

test("up hands each stack's provider its own tenant's credential from the credentials file", () => {
  const ups = loggedCalls(scratch.log).filter((call) => call.argv[0] === "up");
  expect(ups).toHaveLength(2);
  for (const customer of customers) {
    const call = ups.find((c) => c.argv[c.argv.indexOf("--stack") + 1] === customer.stack);
    expect(call?.env).toMatchObject({
      ARM_TENANT_ID: customer.tenantId,
      ARM_CLIENT_ID: customer.deployer.clientId,
      ARM_CLIENT_SECRET_SET: true,
    });
  }
});

/** The key ids of the app's client secrets, read as the tenant's deployer. */
async function secretKeyIds(customer: Customer): Promise<string[]> {
  const app = (await signInAsDeployer(fixture().emulator.url, customer.tenant)
    .graph.api(`/applications/${customer.outputs.applicationObjectId}`)
    .select("passwordCredentials")
    .get()) as { passwordCredentials: { keyId: string }[] };
  return app.passwordCredentials.map((credential) => credential.keyId).sort();
}

test("rotate: each stack gets a new secret (up --replace of its rotation anchor), proven in its own tenant; --retire-previous then removes the old ones", async () => {
  const run = await runFleetCli(scratch, ["rotate", "--all", "--yes", "--json", "--propagation-window", "20"], environment);
  expect({ code: run.code, stderr: run.code === 0 ? "" : run.stderr }).toEqual({ code: 0, stderr: "" });
  const results = byStack(JSON.parse(run.stdout) as FleetReportJson);
  const ups = loggedCalls(scratch.log).filter((call) => call.argv[0] === "up" && call.argv.includes("--replace"));
  for (const customer of customers) {
    expect(results[customer.stack].summary).toContain(
      `new secret ${customer.rotated.secretKeyId} gets a token CMiC accepts; previous ${customer.outputs.secretKeyId} until `,
    );
    const replaced = ups.find((call) => call.argv[call.argv.indexOf("--stack") + 1] === customer.stack);
    expect(replaced?.argv[replaced.argv.indexOf("--replace") + 1]).toBe(
      `urn:pulumi:${customer.stack}::cmic-entra-oauth::cmic-entra-oauth:index:CmicEntraIntegration$time:index/rotating:Rotating::cmic-secret-rotation`,
    );
    // The previous secret keeps working until the connector switched.
    expect(await secretKeyIds(customer)).toEqual([customer.outputs.secretKeyId, customer.rotated.secretKeyId].sort());
  }

  const retire = await runFleetCli(
    scratch,
    ["rotate", "--retire-previous", "--all", "--yes", "--json", "--propagation-window", "20"],
    environment,
  );
  expect({ code: retire.code, stderr: retire.code === 0 ? "" : retire.stderr }).toEqual({ code: 0, stderr: "" });
  for (const customer of customers) expect(await secretKeyIds(customer)).toEqual([customer.rotated.secretKeyId]);
  // Retiring runs no update.
  expect(loggedCalls(scratch.log).filter((call) => call.argv[0] === "up")).toHaveLength(4);
  for (const customer of customers)
    expect(`${run.stdout}${run.stderr}${retire.stdout}${retire.stderr}`).not.toContain(customer.rotated.clientSecret ?? "(none)");
}, 180_000);

test("verify: each stack's own token is checked in its own tenant; a stack whose secret was deleted fails alone", async () => {
  const clean = await runFleetCli(scratch, ["verify", "--all", "--json", "--propagation-window", "0"], environment);
  expect({ code: clean.code, stdout: clean.code === 0 ? "" : clean.stdout }).toEqual({ code: 0, stdout: "" });
  expect(Object.values(byStack(JSON.parse(clean.stdout) as FleetReportJson)).map((s) => s.status)).toEqual(["ok", "ok"]);

  // In the portal, someone deletes zenith's client secret.
  const [acme, zenith] = customers;
  await signInAsDeployer(fixture().emulator.url, zenith.tenant)
    .graph.api(`/applications/${zenith.outputs.applicationObjectId}/removePassword`)
    .post({ keyId: zenith.rotated.secretKeyId });

  const run = await runFleetCli(scratch, ["verify", "--all", "--json", "--propagation-window", "0"], environment);
  expect(run.code).toBe(1);
  const results = byStack(JSON.parse(run.stdout) as FleetReportJson);
  expect(results[acme.stack].status).toBe("ok");
  expect(results[zenith.stack].status).toBe("failed");
  expect(results[zenith.stack].summary).toContain("AADSTS7000215");
  for (const customer of customers) {
    expect(`${run.stdout}${run.stderr}`).not.toContain(customer.rotated.clientSecret ?? "(none)");
    expect(`${run.stdout}${run.stderr}`).not.toContain(customer.deployer.clientSecret);
  }
}, 120_000);
