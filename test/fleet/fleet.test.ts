/**
 * `npm run fleet` over several stacks through the Automation API, against the stateful stand-in
 * `pulumi` (test/fixtures/pulumi-automation): the summary and exit codes, one failed stack among
 * good ones, a stack that hangs, shards, and the commands the Automation API really ran.
 */
import fs from "node:fs";
import path from "node:path";
import type { FleetReportJson } from "../../scripts/fleet/report";
import { parseXml } from "../support/drift";
import { fleetScratch, loggedCalls, runFleetCli, seedStack, standInStack, type FleetScratch } from "./harness";

const TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const STACKS = ["acme-prod", "beta-prod", "gamma-dev"];

let scratch: FleetScratch;
beforeEach(() => {
  scratch = fleetScratch();
  for (const stack of STACKS) seedStack(scratch, stack, { "azuread:tenantId": TENANT, "cmic-entra-oauth:serviceUser": "CMICAPI" });
});
afterEach(() => fs.rmSync(scratch.dir, { recursive: true, force: true }));

function statuses(json: FleetReportJson): Record<string, string> {
  return Object.fromEntries(json.stacks.map((s) => [s.stack, s.status]));
}

test("preview finds every undeployed stack's changes (exit 3); up --yes deploys all; the next preview changes nothing (exit 0)", async () => {
  const before = await runFleetCli(scratch, ["preview", "--all", "--json"]);
  expect(before.code).toBe(3);
  const planned = JSON.parse(before.stdout) as FleetReportJson;
  expect(statuses(planned)).toEqual({ "acme-prod": "changes", "beta-prod": "changes", "gamma-dev": "changes" });
  expect(planned.stacks[0].summary).toBe("would change: create 10");
  expect(planned.stacks[0].fix).toContain("npm run fleet -- up --stack acme-prod --yes");
  for (const stack of STACKS) expect(standInStack(scratch, stack).deployed).toBe(false);

  const up = await runFleetCli(scratch, ["up", "--all", "--yes"]);
  expect(up.code).toBe(0);
  for (const stack of STACKS) expect(standInStack(scratch, stack).deployed).toBe(true);
  expect(up.stdout).toMatch(/acme-prod\s+ok\s+\S+ s\s+create 10; app /);
  expect(up.stdout).toContain("fleet up: 3 stack(s): 3 ok, 0 with changes, 0 failed → exit 0");
  // One progress line per stack as it ends.
  expect(up.stderr.split("\n").filter((line) => /^fleet up: \[\d\/3\] /.test(line))).toHaveLength(3);

  const after = await runFleetCli(scratch, ["preview", "--all"]);
  expect(after.code).toBe(0);
  expect(after.stdout).toContain("fleet preview: 3 stack(s): 3 ok, 0 with changes, 0 failed → exit 0");

  // Through the Automation API: `pulumi version` once, then each operation with --stack and --non-interactive.
  const calls = loggedCalls(scratch.log);
  expect(calls.filter((call) => call.argv[0] === "version")).toHaveLength(3);
  const ups = calls.filter((call) => call.argv[0] === "up");
  expect(ups.map((call) => call.argv.slice(0, 3).join(" "))).toEqual([
    "up --yes --skip-preview",
    "up --yes --skip-preview",
    "up --yes --skip-preview",
  ]);
  expect(ups.every((call) => call.argv.includes("--non-interactive") && call.env.PULUMI_AUTOMATION_API === "true")).toBe(true);
  expect(new Set(ups.map((call) => call.argv[call.argv.indexOf("--stack") + 1]))).toEqual(new Set(STACKS));
}, 120_000);

test("one stack's failed up never stops the others and never reads as success: exit 1, the error named, JUnit with one error", async () => {
  const junit = path.join(scratch.dir, "reports", "fleet.xml");
  const run = await runFleetCli(scratch, ["up", "--all", "--yes", "--json", "--junit", junit], {
    FAKE_PULUMI_FAIL: "up@beta-prod",
    FAKE_PULUMI_LEAK: "1",
    ARM_CLIENT_SECRET: "deployer-secret-never-printed-77",
  });
  expect(run.code).toBe(1);
  const json = JSON.parse(run.stdout) as FleetReportJson;
  expect(statuses(json)).toEqual({ "acme-prod": "ok", "beta-prod": "failed", "gamma-dev": "ok" });
  const failed = json.stacks.find((s) => s.stack === "beta-prod");
  expect(failed?.summary).toContain("Authorization_RequestDenied");
  expect(failed?.summary).toContain("error: up failed");
  expect(`${run.stdout}${run.stderr}`).not.toContain("fleet-test-passphrase-4d2a");
  expect(failed?.summary).toContain("(exit 4)");
  expect(failed?.detail).toContain("Authorization_RequestDenied");
  // The careless provider error echoed the deployer's secret: it is hidden everywhere.
  expect(`${run.stdout}${run.stderr}`).not.toContain("deployer-secret-never-printed-77");
  expect(failed?.detail).toContain("[redacted]");
  expect(standInStack(scratch, "acme-prod").deployed).toBe(true);
  expect(standInStack(scratch, "gamma-dev").deployed).toBe(true);

  const xml = parseXml(fs.readFileSync(junit, "utf8"));
  const suite = xml.children[0];
  expect(suite.attributes).toMatchObject({ tests: "3", errors: "1", failures: "0" });
  const errored = suite.children.filter((testcase) => testcase.children.some((child) => child.name === "error"));
  expect(errored.map((testcase) => testcase.attributes.name)).toEqual(["beta-prod"]);
}, 120_000);

test("a stack that hangs is stopped at --stack-timeout (its CLI cancels on SIGINT), the others finish", async () => {
  const run = await runFleetCli(scratch, ["up", "--all", "--yes", "--stack-timeout", "10", "--json"], { FAKE_PULUMI_HANG: "up@gamma-dev" });
  expect(run.code).toBe(1);
  const json = JSON.parse(run.stdout) as FleetReportJson;
  expect(statuses(json)).toEqual({ "acme-prod": "ok", "beta-prod": "ok", "gamma-dev": "failed" });
  const hung = json.stacks.find((s) => s.stack === "gamma-dev");
  expect(hung?.summary).toBe("did not finish within --stack-timeout 10 s and was stopped");
  // The Automation API sent SIGINT: the CLI cancelled as it does on Ctrl-C, and the stack stayed undeployed.
  expect(hung?.detail).toContain("^C received; cancelling");
  expect(standInStack(scratch, "gamma-dev").deployed).toBe(false);
}, 120_000);

test("shards: n jobs cover every stack exactly once; an empty shard exits 0", async () => {
  const seen: string[] = [];
  for (const index of [1, 2]) {
    const run = await runFleetCli(scratch, ["preview", "--all", "--shard", `${index}/2`, "--json"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`fleet preview: shard ${index}/2: `);
    seen.push(...(JSON.parse(run.stdout) as FleetReportJson).stacks.map((s) => s.stack));
  }
  expect(seen.sort()).toEqual(STACKS);
  const empty = await runFleetCli(scratch, ["preview", "--all", "--shard", "4/4", "--json"]);
  expect(empty.code).toBe(0);
  expect((JSON.parse(empty.stdout) as FleetReportJson).stacks).toEqual([]);
}, 120_000);

test("a named stack that does not exist fails alone, with the fix; the named others run", async () => {
  const run = await runFleetCli(scratch, ["preview", "--stack", "acme-prod", "--stack", "nope-prod", "--json"]);
  expect(run.code).toBe(1);
  const json = JSON.parse(run.stdout) as FleetReportJson;
  expect(statuses(json)).toEqual({ "acme-prod": "changes", "nope-prod": "failed" });
  expect(json.stacks[1].summary).toBe("the stack nope-prod does not exist in this project's backend.");
  expect(json.stacks[1].fix).toContain("pulumi stack ls");
}, 60_000);

describe("usage errors (exit 2) before any pulumi command", () => {
  test.each([
    [["up", "--all"], "fleet up changes every stack's tenants: confirm with --yes."],
    [["rotate", "--stack", "acme-prod"], "fleet rotate changes 1 customer tenant: confirm with --yes."],
    [["preview"], "Say which stacks to preview: --stack NAME (repeatable) or --all."],
    [["preview", "--all", "--stack", "x"], "Give either --stack NAME or --all, not both."],
    [["verify", "--all", "--refresh"], "--refresh goes with preview and up, not verify."],
    [["preview", "--all", "--yes"], "--yes confirms up and rotate; preview changes nothing."],
    [["deploy", "--all"], "Unknown operation 'deploy': use preview, up, verify, rotate or drift."],
    [["preview", "--all", "--shard", "3/2"], "--shard must be i/n"],
    [["preview", "--all", "--concurrency", "0"], "--concurrency must be a whole number from 1 to 32, got '0'."],
    [["preview", "--all", "--cwd", "/"], "/ is not a Pulumi project (no Pulumi.yaml)."],
  ])("%j", async (args, message) => {
    const run = await runFleetCli(scratch, args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(loggedCalls(scratch.log)).toEqual([]);
  });
});

test("fleet drift is npm run drift with the same options", async () => {
  const run = await runFleetCli(scratch, ["drift", "--help"]);
  expect(run.code).toBe(0);
  expect(run.stdout).toContain("Usage: npm run drift -- (--stack NAME | --all) [options]");
});
