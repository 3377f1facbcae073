/**
 * `npm run test:tenant` end to end, as a child process, against the stand-in `pulumi` for the
 * Pulumi side and the local Entra emulator for everything else: the stand-in's `up` "deploys" the
 * outputs of an app that the real Pulumi program deployed into the emulator (deployStack), so the
 * verify and drift steps run their real compiled CLIs unchanged: verify requests a real token and
 * checks it, drift previews through the stand-in and audits the app over Graph, signed in with the
 * ARM_* deployer credential the tenant test hands it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { deployStack } from "../../scripts/sandbox/deployStack";
import { useEmulatorFixture } from "../support/emulatorFixture";
import {
  CLEANUP,
  PASSPHRASE,
  PROJECT_ROOT,
  automationCalls,
  completeEnv,
  expectedLifecycle,
  loggedCalls,
  normalized,
  progressLines,
  runTenantTestCli,
  scratch,
  stackOf,
} from "./harness";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "contoso-tenant-test.onmicrosoft.com" } });

let outputsFile: string;
let clientSecret: string;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenant-test-e2e-"));
  const f = fixture();
  const { outputs } = await deployStack({
    emulatorUrl: f.emulator.url,
    tenant: f.tenant,
    settings: { deployment: "enterprise", serviceUser: "CMICTEST", verifiedDomain: f.tenant.initialDomain, postDeployCheck: "false" },
    stack: "tenant-test-emulated",
  });
  clientSecret = outputs.clientSecret ?? "";
  expect(clientSecret).not.toBe("");
  outputsFile = path.join(dir, "outputs.json");
  fs.writeFileSync(outputsFile, JSON.stringify(outputs));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The emulator tenant as the environment names it; the drift audit gets AZURE_* from the ARM_* values. */
function tenantEnv(run: ReturnType<typeof scratch>): NodeJS.ProcessEnv {
  const f = fixture();
  return completeEnv(run, {
    ARM_TENANT_ID: f.tenant.tenantId,
    ARM_CLIENT_ID: f.tenant.deployer.clientId,
    ARM_CLIENT_SECRET: f.tenant.deployer.clientSecret,
    CMIC_TENANT_TEST_DOMAIN: f.tenant.initialDomain,
    // Where "Entra" and "Graph" are: only verify and drift read these.
    CMIC_AUTHORITY_HOST: f.emulator.url,
    AZURE_AUTHORITY_HOST: f.emulator.url,
    CMIC_GRAPH_URL: f.emulator.url,
    FAKE_PULUMI_OUTPUTS: outputsFile,
  });
}

it("runs the whole life cycle in order, verify and drift pass, the stack is destroyed and removed, and nothing secret is printed", async () => {
  const run = scratch();
  const result = await runTenantTestCli(["--show-output"], tenantEnv(run));
  const calls = loggedCalls(run.log);
  const stack = stackOf(calls);
  expect(stack).toMatch(/^tenant-test-\d{8}-\d{6}-[0-9a-f]{6}$/);

  // The Automation API's commands, exactly and in order (verify's and drift's own come in between).
  const automation = automationCalls(calls).map((call) => normalized(call, stack));
  expect(automation).toEqual([...expectedLifecycle(), ...CLEANUP]);
  for (const call of automationCalls(calls)) {
    expect(call.cwd).toBe(PROJECT_ROOT); // LocalWorkspace's workDir: this project
    expect(call.env.PULUMI_BACKEND_URL).toBe(`file://${path.join(run.dir, "backend")}`);
    expect(call.env.PULUMI_CONFIG_PASSPHRASE_SET).toBe(true);
  }
  const configSetAll = calls.find((call) => call.argv[1] === "set-all")!.argv;
  const f = fixture();
  for (const setting of [
    `azuread:tenantId=${f.tenant.tenantId}`,
    "cmic-entra-oauth:deployment=enterprise",
    "cmic-entra-oauth:serviceUser=CMICTEST",
    `cmic-entra-oauth:verifiedDomain=${f.tenant.initialDomain}`,
    "cmic-entra-oauth:protect=false",
    "cmic-entra-oauth:secretLifetimeDays=1",
    `cmic-entra-oauth:displayName=CMiC tenant test (${stack})`,
  ]) {
    expect(configSetAll).toContain(setting);
  }

  // verify and drift ran as their own CLIs between the refresh and the destroy.
  const children = calls.filter((call) => call.env.PULUMI_AUTOMATION_API === undefined && call.argv[0] !== "version");
  const refreshAt = calls.findIndex((call) => call.argv[0] === "refresh");
  const destroyAt = calls.findIndex((call) => call.argv[0] === "destroy");
  expect(children.map((call) => normalized(call, stack)).sort()).toEqual(
    [
      "stack output --json --show-secrets --stack <stack>", // verify --stack
      "preview --refresh --expect-no-changes --json --non-interactive --stack <stack>", // drift, layer 1
      "stack output --json --stack <stack>", // drift, layer 2's outputs
    ].sort(),
  );
  for (const child of children) {
    expect(calls.indexOf(child)).toBeGreaterThan(refreshAt);
    expect(calls.indexOf(child)).toBeLessThan(destroyAt);
  }

  expect(progressLines(result.stderr)).toEqual([
    expect.stringMatching(/^✔ 1\/10 create stack \(\d+\.\d s\): created/),
    expect.stringMatching(/^✔ 2\/10 preview \(\d+\.\d s\): create 10$/),
    expect.stringMatching(/^✔ 3\/10 up \(\d+\.\d s\): create 10; app /),
    expect.stringMatching(/^✔ 4\/10 refresh reads back what up could not \(\d+\.\d s\): read back: /),
    expect.stringMatching(/^✔ 5\/10 second run changes nothing \(\d+\.\d s\): no changes$/),
    expect.stringMatching(/^✔ 6\/10 refresh finds no drift \(\d+\.\d s\): no changes$/),
    expect.stringMatching(/^✔ 7\/10 verify \(\d+\.\d s\): every check CMiC makes passed$/),
    expect.stringMatching(/^✔ 8\/10 drift \(\d+\.\d s\): no drift/),
    expect.stringMatching(/^✔ 9\/10 destroy \(\d+\.\d s\): delete 10$/),
    expect.stringMatching(/^✔ 10\/10 remove stack \(\d+\.\d s\): removed/),
  ]);
  // --show-output printed each step's output (verify's checklist among them).
  expect(result.stderr).toContain("│ Updating (");
  expect(result.stderr).toMatch(/│ .*OK: the token passes every check CMiC makes/);
  expect(result.stdout).toContain(`Tenant test of stack ${stack}: PASSED`);
  expect(result.stdout).toContain(`Cleanup: the test app was destroyed and stack ${stack} removed.`);
  expect(result.code).toBe(0);

  const printed = result.stdout + result.stderr;
  for (const secret of [clientSecret, f.tenant.deployer.clientSecret, PASSPHRASE]) expect(printed).not.toContain(secret);
  // Nothing of the stack is left in the stand-in's backend.
  expect(fs.readdirSync(path.join(run.state, "stacks"))).toEqual([]);
});

it("--keep skips destroy and stack rm and says how to remove the stack by hand", async () => {
  const run = scratch();
  const result = await runTenantTestCli(["--keep"], tenantEnv(run));
  const calls = loggedCalls(run.log);
  const stack = stackOf(calls);
  expect(automationCalls(calls).map((call) => normalized(call, stack))).toEqual(expectedLifecycle());
  expect(calls.some((call) => call.argv[0] === "destroy" || call.argv[1] === "rm")).toBe(false);
  expect(progressLines(result.stderr).slice(-2)).toEqual(["– 9/10 destroy: skipped: --keep", "– 10/10 remove stack: skipped: --keep"]);
  expect(result.stdout).toContain(`pulumi destroy --yes --stack ${stack} && pulumi stack rm --yes ${stack}`);
  expect(result.code).toBe(0);
  expect(fs.readdirSync(path.join(run.state, "stacks"))).toEqual([`${stack}.json`]);
});
