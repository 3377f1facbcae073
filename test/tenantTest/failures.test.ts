/**
 * `npm run test:tenant` when something goes wrong, as a child process against the stand-in
 * `pulumi`: a failing step is named and ends the run with exit 1, later steps are skipped, the
 * cleanup (destroy, then stack rm) still runs; a second run that would change something fails
 * "second run changes nothing"; a hanging step is stopped by --step-timeout and by Ctrl-C; what
 * a failing command echoes is printed without the secrets in it. Every run here stops before
 * verify, so no emulator is needed.
 */
import fs from "node:fs";
import path from "node:path";
import {
  CLEANUP,
  DEPLOYER_SECRET,
  FIXTURE_SECRET,
  PASSPHRASE,
  automationCalls,
  completeEnv,
  loggedCalls,
  normalized,
  progressLines,
  runTenantTestCli,
  scratch,
  stackOf,
  waitForFile,
} from "./harness";

function commandsOf(log: string): { stack: string; commands: string[] } {
  const calls = loggedCalls(log);
  const stack = stackOf(calls);
  return { stack, commands: automationCalls(calls).map((call) => normalized(call, stack)) };
}

function expectCleanupRanLast(commands: string[]): void {
  expect(commands.slice(-CLEANUP.length)).toEqual(CLEANUP);
}

it("a failing `pulumi up` is named, ends the run with exit 1, skips steps 4–8, still destroys and removes the stack, and prints no secret it echoed", async () => {
  const run = scratch();
  const result = await runTenantTestCli([], completeEnv(run, { FAKE_PULUMI_FAIL: "up", FAKE_PULUMI_LEAK: "1" }));
  const { stack, commands } = commandsOf(run.log);
  expect(commands.filter((command) => /^(preview|up|refresh|destroy)/.test(command)).map((command) => command.split(" ")[0])).toEqual([
    "preview",
    "up",
    "destroy",
  ]);
  expectCleanupRanLast(commands);
  expect(progressLines(result.stderr)).toEqual([
    expect.stringMatching(/^✔ 1\/10 create stack /),
    expect.stringMatching(/^✔ 2\/10 preview /),
    expect.stringMatching(
      /^✘ 3\/10 up FAILED \(\d+\.\d s\): error: creating application: unexpected status 403 \(Authorization_RequestDenied\)/,
    ),
    "– 4/10 refresh reads back what up could not: skipped: step 3 (up) failed",
    "– 5/10 second run changes nothing: skipped: step 3 (up) failed",
    "– 6/10 refresh finds no drift: skipped: step 3 (up) failed",
    "– 7/10 verify: skipped: step 3 (up) failed",
    "– 8/10 drift: skipped: step 3 (up) failed",
    expect.stringMatching(/^✔ 9\/10 destroy /),
    expect.stringMatching(/^✔ 10\/10 remove stack /),
  ]);
  // The failed command's own lines are shown under its progress line, and the exit code it gave.
  expect(result.stderr).toContain("    │ Diagnostics:");
  expect(result.stderr).toMatch(/up FAILED .*\(exit 4\)/);
  expect(result.stdout).toContain(`Tenant test of stack ${stack}: FAILED at step 3 (up)`);
  expect(result.stdout).toMatch(/\n\s+3\s+up\s+failed\s/);
  expect(result.stdout).toContain(`Cleanup: the test app was destroyed and stack ${stack} removed.`);
  expect(result.code).toBe(1);
  const printed = result.stdout + result.stderr;
  expect(printed).toContain("ARM_CLIENT_SECRET=[redacted]");
  expect(printed).not.toContain(DEPLOYER_SECRET);
  expect(printed).not.toContain(PASSPHRASE);
});

it.each([
  ["preview#2", 5, "second run changes nothing", "update cmic-app (Application) [api]"],
  ["refresh#2", 6, "refresh finds no drift", "update cmic-app (Application) [api]"],
])("a change found by %s fails step %i (%s), naming what changed; cleanup still runs", async (switched, number, title, change) => {
  const run = scratch();
  const result = await runTenantTestCli([], completeEnv(run, { FAKE_PULUMI_CHANGES: switched }));
  const { stack, commands } = commandsOf(run.log);
  const failed = progressLines(result.stderr).find((line) => line.startsWith("✘"));
  expect(failed).toMatch(
    new RegExp(`^✘ ${number}/10 ${title} FAILED \\(\\d+\\.\\d s\\): changes found: ${change.replace(/[()[\]]/g, "\\$&")}$`),
  );
  // The CLI's own complaint is in the output shown under it.
  expect(result.stderr).toMatch(/│ error: no changes were expected but changes (were proposed|occurred)/);
  expect(result.stdout).toContain(`FAILED at step ${number} (${title})`);
  expect(result.stdout).toContain("Fix: ");
  expectCleanupRanLast(commands);
  expect(commands.some((command) => command.startsWith("refresh --preview-only"))).toBe(number === 6);
  expect(result.stdout).toContain(`stack ${stack} removed`);
  expect(result.code).toBe(1);
});

it("a step still running after --step-timeout is stopped (SIGINT, the CLI cancels), reported as timed out, and the cleanup runs", async () => {
  const run = scratch();
  const result = await runTenantTestCli(["--step-timeout", "5"], completeEnv(run, { FAKE_PULUMI_HANG: "up" }));
  const { commands } = commandsOf(run.log);
  expect(progressLines(result.stderr)[2]).toMatch(
    /^✘ 3\/10 up TIMED OUT \(\d+\.\d s\): did not finish within --step-timeout 5\.0 s and was stopped$/,
  );
  expect(result.stderr).toContain("│ error: update canceled");
  expect(result.stdout).toContain("FAILED at step 3 (up, timed out)");
  expectCleanupRanLast(commands);
  expect(result.code).toBe(1);
});

it("Ctrl-C (SIGINT to the test) stops the running step, and the cleanup still runs before it exits 1", async () => {
  const run = scratch();
  const result = await runTenantTestCli([], completeEnv(run, { FAKE_PULUMI_HANG: "preview#2" }), (child) => {
    void waitForFile(path.join(run.state, "hanging")).then(() => child.kill("SIGINT"));
  });
  const { commands } = commandsOf(run.log);
  expect(result.stderr).toContain("test:tenant: SIGINT: stopping the current step, then cleaning up");
  expect(progressLines(result.stderr).slice(4, 8)).toEqual([
    expect.stringMatching(/^✘ 5\/10 second run changes nothing INTERRUPTED \(\d+\.\d s\): interrupted/),
    "– 6/10 refresh finds no drift: skipped: step 5 (second run changes nothing) failed",
    "– 7/10 verify: skipped: step 5 (second run changes nothing) failed",
    "– 8/10 drift: skipped: step 5 (second run changes nothing) failed",
  ]);
  expectCleanupRanLast(commands);
  expect(result.signal).toBeNull();
  expect(result.code).toBe(1);
});

it("a failed destroy leaves the stack in place (no stack rm) and says how to clean up by hand; the stack's secret, learned from `up`, is hidden when a command echoes it", async () => {
  const run = scratch();
  const result = await runTenantTestCli([], completeEnv(run, { FAKE_PULUMI_FAIL: "preview#2,destroy", FAKE_PULUMI_LEAK: "1" }));
  const { stack, commands } = commandsOf(run.log);
  expect(commands.some((command) => command.startsWith("stack rm"))).toBe(false);
  expect(progressLines(result.stderr).slice(-2)).toEqual([
    expect.stringMatching(/^✘ 9\/10 destroy FAILED/),
    "– 10/10 remove stack: skipped: destroy failed; removing a stack that still has resources would lose track of them",
  ]);
  expect(result.stdout).toContain("FAILED at step 5 (second run changes nothing), step 9 (destroy)");
  expect(result.stdout).toContain(`Cleanup FAILED: stack ${stack} was not fully destroyed and removed`);
  expect(result.stdout).toContain(`pulumi destroy --yes --stack ${stack} && pulumi stack rm --yes ${stack}`);
  expect(result.stdout).toContain(`'CMiC tenant test (${stack})' (client id 1b4f0d5e-8c2a-4f7e-9d31-0000000001a1)`);
  expect(result.code).toBe(1);
  expect(fs.readdirSync(path.join(run.state, "stacks"))).toEqual([`${stack}.json`]);
  // Both failures echoed the client secret; it is not shaped like an Entra secret, so only its
  // value, learned from the outputs of `up`, can hide it.
  const failed = progressLines(result.stderr).filter((line) => line.startsWith("✘"));
  expect(failed).toHaveLength(2);
  for (const line of failed) expect(line).toContain("clientSecret=[redacted]");
  expect(result.stdout + result.stderr).not.toContain(FIXTURE_SECRET);
  expect(result.stdout + result.stderr).not.toContain(DEPLOYER_SECRET);
});

it("a Pulumi CLI older than v3.226.1 is refused with exit 2 after `pulumi version`, before any stack exists", async () => {
  const run = scratch();
  const result = await runTenantTestCli([], completeEnv(run, { FAKE_PULUMI_VERSION: "3.200.0" }));
  expect(loggedCalls(run.log).map((call) => call.argv)).toEqual([["version"]]);
  expect(result.stderr).toContain("test:tenant: the Pulumi CLI on PATH is v3.200.0; the tenant test needs v3.226.1 or newer");
  expect(result.stdout).toBe("");
  expect(result.code).toBe(2);
});

it("what the refresh right after `up` reads back is reported, not judged: the run goes on to the steps that judge", async () => {
  const run = scratch();
  const result = await runTenantTestCli([], completeEnv(run, { FAKE_PULUMI_CHANGES: "refresh#1" }));
  const lines = progressLines(result.stderr);
  expect(lines[3]).toMatch(/^✔ 4\/10 refresh reads back what up could not \(\d+\.\d s\): read back: .*update 1/);
  expect(lines[4]).toMatch(/^✔ 5\/10 second run changes nothing /);
  expect(lines[5]).toMatch(/^✔ 6\/10 refresh finds no drift /);
});
