/**
 * `npm run sandbox` as a user runs it: exit codes, the green line, the diagnosis, nothing secret
 * printed. Usage errors run in-process; the deployments run the real process, whose post-deploy
 * check is itself a command line (`node dist/scripts/verify/cli.js --just-deployed`), as under `pulumi up`.
 */
import { sandboxCommand } from "../../scripts/sandbox/cli";
import { runCaptured } from "../../scripts/shared/cli";
import { runScript } from "../support/runScript";

const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;

it("deploys Pulumi.dev.yaml, runs the post-deploy command through the propagation delay, prints the checklist and the handoff sheet, and exits 0", async () => {
  // The delay must outlast the start-up of the post-deploy command (the compiled verify CLI) so the check
  // has to wait for it; 6 s was not enough on a loaded machine (two Jest workers), hence 15.
  const run = await runScript("sandbox", ["--propagation-delay", "15", "--window", "40"]);
  expect(run.stderr).toContain("✔ sandbox: stack 'dev' deployed to the emulator");
  expect(run.stderr).toContain("waiting for Entra to propagate");
  expect(run.stdout).toContain("OK: the token passes every check CMiC makes");
  expect(run.stdout).toContain("| Service user | `ARCORO_SVC` |");
  expect(run.stdout).toMatch(/\| Client Secret \| `.{3}•{8}` \|/);
  // The throwaway tenant is gone: the sheet points at a world that is kept, never at the Pulumi CLI.
  expect(run.stdout).toContain("keep one with `npm run sandbox -- --state DIR`");
  expect(run.stdout).not.toContain("npm run verify -- --stack dev");
  expect(run.stdout + run.stderr).not.toMatch(JWT);
  expect(run.code).toBe(0);
}, 120_000);

it("exits 1 with the diagnosis when the app is broken", async () => {
  const run = await runScript("sandbox", ["--break", "mapped-claims", "--propagation-delay", "0.5", "--window", "10"]);
  expect(run.code).toBe(1);
  expect(run.stderr).toContain("✘ sandbox: stack 'dev' is not ready for CMiC.");
  expect(run.stderr).toContain("AADSTS50146");
  expect(run.stderr).toContain("fix: Set acceptMappedClaims = true");
  expect(run.stdout + run.stderr).not.toMatch(JWT);
});

it("exits 2 on bad usage and on a stack file that does not exist", async () => {
  const badFlag = await runCaptured(sandboxCommand, ["--break", "everything"]);
  expect(badFlag.code).toBe(2);
  expect(badFlag.stderr).toContain("--break 'everything' is not one of mapped-claims, domain, token-version, claim, secret");
  const missing = await runCaptured(sandboxCommand, ["--stack", "no-such-stack"]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("Pulumi.no-such-stack.yaml");
});
