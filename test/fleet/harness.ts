/**
 * Runs `npm run fleet` the way a user does (the compiled CLI, a child process) with the stateful
 * stand-in `pulumi` of test/fixtures/pulumi-automation first on PATH, in an environment where every
 * variable the fleet, the provider or the stand-in reads is set by the test or blanked.
 */
import { execFileSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawnCli, type SignalledRun } from "../support/runScript";
import { STAND_IN_BIN } from "../tenantTest/harness";

export { loggedCalls, type LoggedCall } from "../tenantTest/harness";

const BLANKED = [
  "ARM_TENANT_ID",
  "ARM_CLIENT_ID",
  "ARM_CLIENT_SECRET",
  "ARM_CLIENT_CERTIFICATE_PATH",
  "AZURE_TENANT_ID",
  "AZURE_CLIENT_ID",
  "AZURE_CLIENT_SECRET",
  "AZURE_AUTHORITY_HOST",
  "CMIC_AUTHORITY_HOST",
  "CMIC_GRAPH_URL",
  "CMIC_CLIENT_SECRET",
  "CMIC_STACK_OUTPUTS",
  "CMIC_CREDENTIALS_FILE",
  "PULUMI_BACKEND_URL",
  "PULUMI_CONFIG_PASSPHRASE",
  "PULUMI_ACCESS_TOKEN",
  "FAKE_PULUMI_FAIL",
  "FAKE_PULUMI_CHANGES",
  "FAKE_PULUMI_HANG",
  "FAKE_PULUMI_LEAK",
  "FAKE_PULUMI_VERSION",
  "FAKE_PULUMI_OUTPUTS",
  "FAKE_PULUMI_OUTPUTS_DIR",
];

export interface FleetScratch {
  dir: string;
  /** The stand-in's state (its stacks). */
  state: string;
  /** One JSON line per `pulumi` invocation. */
  log: string;
  /** Per-stack outputs the stand-in's `up` produces (NAME.json, NAME.replaced.json). */
  outputs: string;
}

export function fleetScratch(): FleetScratch {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-"));
  const outputs = path.join(dir, "outputs");
  fs.mkdirSync(outputs);
  return { dir, state: path.join(dir, "state"), log: path.join(dir, "pulumi.log"), outputs };
}

function standInEnv(scratch: FleetScratch, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const blanks = Object.fromEntries(BLANKED.map((name) => [name, ""]));
  return {
    ...process.env,
    ...blanks,
    PULUMI_BACKEND_URL: `file://${path.join(scratch.dir, "backend")}`,
    PULUMI_CONFIG_PASSPHRASE: "fleet-test-passphrase-4d2a",
    FAKE_PULUMI_STATE: scratch.state,
    FAKE_PULUMI_OUTPUTS_DIR: scratch.outputs,
    ...env,
    PATH: `${STAND_IN_BIN}${path.delimiter}${process.env.PATH ?? ""}`,
  };
}

/** A customer stack as `pulumi stack init` + `pulumi config set-all` leave it (the stand-in's own commands, no log). */
export function seedStack(scratch: FleetScratch, name: string, config: Record<string, string>): void {
  const env = standInEnv(scratch, {});
  const pulumi = path.join(STAND_IN_BIN, "pulumi");
  execFileSync(process.execPath, [pulumi, "stack", "init", name], { env, stdio: "ignore" });
  const pairs = Object.entries(config).flatMap(([key, value]) => ["--plaintext", `${key}=${value}`]);
  execFileSync(process.execPath, [pulumi, "config", "set-all", "--stack", name, ...pairs], { env, stdio: "ignore" });
}

/** The stand-in's record of a stack (whether it is deployed). */
export function standInStack(scratch: FleetScratch, name: string): { deployed: boolean; history: unknown[] } {
  return JSON.parse(fs.readFileSync(path.join(scratch.state, "stacks", `${name}.json`), "utf8")) as {
    deployed: boolean;
    history: unknown[];
  };
}

/** `npm run fleet -- <args>` with the stand-in first on PATH; `onStart` gets the child (to signal it). */
export function runFleetCli(
  scratch: FleetScratch,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  onStart?: (child: ChildProcess) => void,
): Promise<SignalledRun> {
  return spawnCli("fleet", args, standInEnv(scratch, { FAKE_PULUMI_LOG: scratch.log, ...env }), onStart);
}
