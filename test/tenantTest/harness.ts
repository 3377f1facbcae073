/**
 * Runs `npm run test:tenant` the way a user does (`node dist/scripts/tenantTest/cli.js`, the
 * compiled CLI) with the stand-in `pulumi` of test/fixtures/pulumi-automation first on PATH, a
 * fresh state directory for it, and an environment in which every variable the command reads is
 * set by the test or blanked (a developer's own ARM_* or PULUMI_* must not leak into a test).
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PROJECT_ROOT, spawnCli } from "../support/runScript";

export { PROJECT_ROOT };
export const STAND_IN_BIN = path.join(PROJECT_ROOT, "test", "fixtures", "pulumi-automation", "bin");
/** Outputs with a client secret that is not shaped like an Entra secret: only its known value can hide it. */
export const FIXTURE_OUTPUTS = path.join(PROJECT_ROOT, "test", "fixtures", "pulumi-automation", "outputs.json");
export const FIXTURE_SECRET = (JSON.parse(fs.readFileSync(FIXTURE_OUTPUTS, "utf8")) as { clientSecret: string }).clientSecret;

export const DEPLOYER_SECRET = "deployer-secret-not-entra-shaped-5c0d2e";
export const PASSPHRASE = "tenant-test-passphrase-91b7";

/** Every variable the tenant test, the Pulumi provider, verify or drift read: blank unless a test sets it. */
const READ_VARIABLES = [
  "ARM_TENANT_ID",
  "ARM_CLIENT_ID",
  "ARM_CLIENT_SECRET",
  "ARM_CLIENT_CERTIFICATE_PATH",
  "ARM_CLIENT_CERTIFICATE_PASSWORD",
  "ARM_USE_OIDC",
  "ARM_OIDC_TOKEN",
  "ARM_OIDC_TOKEN_FILE_PATH",
  "ARM_OIDC_REQUEST_URL",
  "ARM_OIDC_REQUEST_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_URL",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  "AZURE_TENANT_ID",
  "AZURE_CLIENT_ID",
  "AZURE_CLIENT_SECRET",
  "AZURE_AUTHORITY_HOST",
  "CMIC_TENANT_TEST_DOMAIN",
  "CMIC_TENANT_TEST_SERVICE_USER",
  "CMIC_TENANT_TEST_DEPLOYMENT",
  "CMIC_TENANT_TEST_CMIC_TENANT",
  "CMIC_CLIENT_SECRET",
  "CMIC_STACK_OUTPUTS",
  "CMIC_CLIENT_CERTIFICATE_FILE",
  "CMIC_AUTHORITY_HOST",
  "CMIC_GRAPH_URL",
  "PULUMI_BACKEND_URL",
  "PULUMI_CONFIG_PASSPHRASE",
  "PULUMI_CONFIG_PASSPHRASE_FILE",
  "PULUMI_ACCESS_TOKEN",
  "FAKE_PULUMI_FAIL",
  "FAKE_PULUMI_CHANGES",
  "FAKE_PULUMI_HANG",
  "FAKE_PULUMI_LEAK",
  "FAKE_PULUMI_VERSION",
  "FAKE_PULUMI_OUTPUTS",
];

/** A scratch directory for one run: the stand-in's state and its invocation log. */
export function scratch(): { dir: string; state: string; log: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenant-test-"));
  return { dir, state: path.join(dir, "state"), log: path.join(dir, "pulumi.log") };
}

/** A complete, valid environment for a run against the stand-in (tests override single values). */
export function completeEnv(run: { dir: string; state: string; log: string }, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ARM_TENANT_ID: "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
    ARM_CLIENT_ID: "9a7b3c1d-2e4f-4a5b-8c6d-7e8f9a0b1c2d",
    ARM_CLIENT_SECRET: DEPLOYER_SECRET,
    CMIC_TENANT_TEST_DOMAIN: "contoso.com",
    CMIC_TENANT_TEST_SERVICE_USER: "CMICTEST",
    PULUMI_BACKEND_URL: `file://${path.join(run.dir, "backend")}`,
    PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
    FAKE_PULUMI_STATE: run.state,
    FAKE_PULUMI_LOG: run.log,
    FAKE_PULUMI_OUTPUTS: FIXTURE_OUTPUTS,
    ...overrides,
  };
}

export interface TenantRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start the compiled CLI with the stand-in first on PATH; `onStart` gets the child (to signal it). */
export function runTenantTestCli(args: string[], env: NodeJS.ProcessEnv, onStart?: (child: ChildProcess) => void): Promise<TenantRun> {
  const blanks = Object.fromEntries(READ_VARIABLES.map((name) => [name, ""]));
  return spawnCli(
    "tenantTest",
    args,
    { ...process.env, ...blanks, ...env, PATH: `${STAND_IN_BIN}${path.delimiter}${process.env.PATH ?? ""}` },
    onStart,
  );
}

export interface LoggedCall {
  argv: string[];
  cwd: string;
  env: Record<string, string | boolean>;
}

/** The stand-in's invocation log; empty when no `pulumi` command ran at all. */
export function loggedCalls(log: string): LoggedCall[] {
  if (!fs.existsSync(log)) return [];
  return fs
    .readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as LoggedCall);
}

/** The stack the run created, from its `stack init`. */
export function stackOf(calls: readonly LoggedCall[]): string {
  const init = calls.find((call) => call.argv[0] === "stack" && call.argv[1] === "init");
  if (!init) throw new Error("no `pulumi stack init` was run");
  return init.argv[2];
}

/** argv with the stack name and the event-log port replaced, for comparing command lines. */
export function normalized(call: LoggedCall, stack: string): string {
  return call.argv.map((arg) => (arg === stack ? "<stack>" : arg.replace(/^tcp:\/\/127\.0\.0\.1:\d+$/, "tcp://<port>"))).join(" ");
}

/** The calls the Automation API made (it sets PULUMI_AUTOMATION_API on every command after `version`). */
export function automationCalls(calls: readonly LoggedCall[]): LoggedCall[] {
  return calls.filter((call) => call.env.PULUMI_AUTOMATION_API === "true" || call.argv[0] === "version");
}

/** Wait until `file` exists (the stand-in writes it when it starts hanging). No timing is asserted. */
export async function waitForFile(file: string, limitMs = 60_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > until) throw new Error(`${file} did not appear within ${limitMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The commands every successful run makes through the Automation API, in order, up to verify (a matcher for config set-all). */
export function expectedLifecycle(): unknown[] {
  const operation = "--color never --suppress-outputs --exec-kind auto.local";
  return [
    "version",
    "stack init <stack> --non-interactive",
    expect.stringMatching(/^config set-all --stack <stack> --plaintext azuread:tenantId=\S+ .* --non-interactive$/),
    `preview ${operation} --event-log tcp://<port> --stack <stack> --non-interactive`,
    `up --yes --skip-preview ${operation} --stack <stack> --non-interactive`,
    "stack output --json --stack <stack> --non-interactive",
    "stack output --json --show-secrets --stack <stack> --non-interactive",
    "stack history --json --page-size 1 --page 1 --stack <stack> --non-interactive",
    `refresh --skip-preview --yes ${operation} --stack <stack> --non-interactive`,
    "stack history --json --page-size 1 --page 1 --stack <stack> --non-interactive",
    `preview --expect-no-changes --refresh ${operation} --event-log tcp://<port> --stack <stack> --non-interactive`,
    `refresh --preview-only --expect-no-changes ${operation} --event-log tcp://<port> --stack <stack> --non-interactive`,
  ];
}

/** The cleanup commands, in order. */
export const CLEANUP = [
  "destroy --yes --skip-preview --color never --suppress-outputs --exec-kind auto.local --stack <stack> --non-interactive",
  "stack history --json --page-size 1 --page 1 --stack <stack> --non-interactive",
  "stack rm --yes <stack> --non-interactive",
];

/** Progress lines on stderr (one per step), without the indented output blocks. */
export function progressLines(stderr: string): string[] {
  return stderr.split("\n").filter((line) => /^[✔✘–] \d+\/10 /.test(line));
}
