/**
 * Commands that serve a local world in their own process (`verify --state`, `drift --state`) talk
 * HTTPS to an emulator whose CA node must trust. Node reads NODE_EXTRA_CA_CERTS only at start-up,
 * so when the variable does not already include the emulator's CA, the command runs itself again
 * with it set (what `withEmulatorCa` does for npm test and the sandbox), and passes on the exit.
 * Real Entra calls (no --state) never go through here: no local CA is trusted for them.
 */
import fs from "node:fs";
import { CmicError } from "../../contract/errors";
import { emulatorHome } from "../../emulator/home";
import type { ExitStatus } from "./cli";
import { extraCaCertsValue, runChild } from "./withEmulatorCa";

/** Marks the re-run, so a CA that still fails to load can never loop. */
const RERUN_ENV = "CMIC_EMULATOR_TRUST_RERUN";

function trusts(bundle: string | undefined, caPem: string): boolean {
  if (!bundle) return false;
  try {
    return fs.readFileSync(bundle, "utf8").includes(caPem.trim());
  } catch {
    return false;
  }
}

/** null: this process already trusts the emulator (go on); else the exit status of the re-run. */
export async function rerunTrustingEmulator(env: NodeJS.ProcessEnv): Promise<ExitStatus | null> {
  const { ensureTlsMaterial } = await import("../../emulator/tls");
  const material = await ensureTlsMaterial();
  if (trusts(env.NODE_EXTRA_CA_CERTS, fs.readFileSync(material.caCertFile, "utf8")) || env[RERUN_ENV] === "1") return null;
  const script = process.argv[1] ?? "";
  // Only a command started as `node …/cli.js` can be started again; anything else (a test runner
  // calling the command in-process) must trust the CA itself.
  if (!/[\\/]cli\.js$/.test(script)) {
    throw new CmicError("ERR_EMULATOR_TRUST", "This process does not trust the local emulator's CA (NODE_EXTRA_CA_CERTS).", {
      fix: "run it through `node dist/scripts/shared/withEmulatorCa.js -- <command>` (npm test does).",
    });
  }
  const childEnv = {
    ...env,
    [RERUN_ENV]: "1",
    NODE_EXTRA_CA_CERTS: extraCaCertsValue(material.caCertFile, env.NODE_EXTRA_CA_CERTS, emulatorHome()),
  };
  return runChild([process.execPath, ...process.execArgv, script, ...process.argv.slice(2)], childEnv);
}
