/**
 * The Pulumi layer through the drift command, run in-process with the stand-in `pulumi`
 * (test/fixtures/pulumi/bin) first on the PATH it hands the Pulumi CLI, replaying recorded previews.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DriftReportJson } from "../../scripts/drift/report";
import { parseXml, runDriftInProcess as runDriftCli } from "../support/drift";

function report(stdout: string): DriftReportJson {
  return JSON.parse(stdout) as DriftReportJson;
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "drift-pulumi-"));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("one stack, Pulumi layer only", () => {
  test("a clean stack exits 0 and reads clean, one passing check per resource", async () => {
    const run = await runDriftCli(["--stack", "acme-clean", "--skip-audit", "--json"]);
    expect(run.code).toBe(0);
    const json = report(run.stdout);
    expect(json).toMatchObject({ ok: true, exitCode: 0, expiryDays: 30 });
    expect(json.stacks).toHaveLength(1);
    const [stack] = json.stacks;
    expect(stack).toMatchObject({ stack: "acme-clean", status: "clean", findings: [] });
    expect(stack.error).toBeUndefined();
    expect(stack.checks).toHaveLength(9);
    expect(stack.checks.every((c) => c.layer === "pulumi" && c.status === "pass")).toBe(true);
    expect(stack.checks.map((c) => c.resource)).toContain("cmic-app (Application)");
    expect(run.stderr).toMatch(/drift: \[1\/1\] acme-clean: clean/);
  });

  test.each([
    ["3.226.1", 7],
    ["3.200.0", 255],
  ])("drift is reported per property whatever the CLI's exit code (CLI %s exits %d)", async (version) => {
    const run = await runDriftCli(["--stack", "acme-drifted", "--skip-audit", "--json"], { FAKE_PULUMI_VERSION: version });
    expect(run.code).toBe(3);
    const json = report(run.stdout);
    expect(json).toMatchObject({ ok: false, exitCode: 3 });
    const [stack] = json.stacks;
    expect(stack.status).toBe("drift");
    const byProperty = Object.fromEntries(stack.findings.map((f) => [f.property ?? f.resource, f]));
    expect(byProperty["api.requestedAccessTokenVersion"]).toMatchObject({
      stack: "acme-drifted",
      layer: "pulumi",
      severity: "drift",
      id: "pulumi.update",
      resource: "cmic-app (Application)",
      expected: "2",
      actual: "1",
    });
    expect(byProperty["api.mappedClaimsEnabled"]).toMatchObject({ expected: "true", actual: "false" });
    expect(byProperty["cmic-secret (ApplicationPassword)"]).toMatchObject({ id: "pulumi.missing", severity: "drift" });
    expect(byProperty["api.requestedAccessTokenVersion"].fix).toContain("pulumi up --refresh --stack acme-drifted");
    // The rotation resource shows as `refresh` (read back unchanged): no finding for it.
    expect(stack.findings.some((f) => f.resource.includes("Rotating"))).toBe(false);
    expect(stack.findings).toHaveLength(3);
  });

  test("a preview that fails without JSON is 'could not check' (exit 1) with the CLI's reason", async () => {
    const run = await runDriftCli(["--stack", "acme-failing", "--skip-audit", "--json"]);
    expect(run.code).toBe(1);
    const [stack] = report(run.stdout).stacks;
    expect(stack.status).toBe("error");
    expect(stack.error).toContain("exit 255");
    expect(stack.error).toContain("AADSTS7000215");
    expect(stack.findings).toEqual([
      expect.objectContaining({
        layer: "pulumi",
        id: "pulumi.preview",
        severity: "error",
        fix: expect.stringContaining("pulumi preview --refresh --stack acme-failing"),
      }),
    ]);
  });

  test("a program error inside an otherwise valid digest is 'could not check', with ANSI codes stripped", async () => {
    const run = await runDriftCli(["--stack", "acme-program-error", "--skip-audit", "--json"]);
    expect(run.code).toBe(1);
    const [stack] = report(run.stdout).stacks;
    expect(stack.status).toBe("error");
    expect(stack.error).toContain("Missing required configuration variable 'cmic-entra-oauth:serviceUser'");
    expect(stack.error).not.toContain("\u001b");
  });

  test("an unknown stack is 'could not check', never clean", async () => {
    const run = await runDriftCli(["--stack", "no-such-stack", "--skip-audit", "--json"]);
    expect(run.code).toBe(1);
    const [stack] = report(run.stdout).stacks;
    expect(stack.status).toBe("error");
    expect(stack.error).toContain("no stack named 'no-such-stack' found");
  });

  test("the table names the resource, the property and the fix", async () => {
    const run = await runDriftCli(["--stack", "acme-drifted", "--skip-audit"]);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/Stack acme-drifted: DRIFT/);
    expect(run.stdout).toMatch(
      /pulumi\s+cmic-app \(Application\)\s+api\.requestedAccessTokenVersion\s+was changed outside Pulumi.*expected 2, found 1/,
    );
    expect(run.stdout).toMatch(/fix: run `pulumi up --refresh --stack acme-drifted`/);
    expect(run.stdout).toMatch(/→ exit 3/);
  });
});

describe("the whole fleet", () => {
  test("--all checks every listed stack; one that cannot be checked makes the run exit 1; JUnit has one testcase per check", async () => {
    const junit = path.join(tmp, "reports", "drift-junit.xml");
    const log = path.join(tmp, "pulumi-calls.log");
    const run = await runDriftCli(["--all", "--skip-audit", "--json", "--junit", junit, "--concurrency", "2"], { FAKE_PULUMI_LOG: log });
    expect(run.code).toBe(1);
    const json = report(run.stdout);
    expect(Object.fromEntries(json.stacks.map((s) => [s.stack, s.status]))).toEqual({
      "acme-clean": "clean",
      "acme-drifted": "drift",
      "acme-failing": "error",
      "acme-program-error": "error",
    });
    expect(run.stderr.match(/^drift: \[\d\/4\] /gm)).toHaveLength(4);

    const root = parseXml(fs.readFileSync(junit, "utf8"));
    expect(root.name).toBe("testsuites");
    const suites = root.children.filter((c) => c.name === "testsuite");
    expect(suites.map((s) => s.attributes.name).sort()).toEqual([
      "drift: acme-clean",
      "drift: acme-drifted",
      "drift: acme-failing",
      "drift: acme-program-error",
    ]);
    for (const suite of suites) {
      const stack = json.stacks.find((s) => `drift: ${s.stack}` === suite.attributes.name)!;
      const cases = suite.children.filter((c) => c.name === "testcase");
      expect(cases).toHaveLength(stack.checks.length);
      expect(Number(suite.attributes.tests)).toBe(cases.length);
      const failures = cases.filter((c) => c.children.some((e) => e.name === "failure")).length;
      const errors = cases.filter((c) => c.children.some((e) => e.name === "error")).length;
      expect(Number(suite.attributes.failures)).toBe(failures);
      expect(Number(suite.attributes.errors)).toBe(errors);
      expect(failures).toBe(stack.checks.filter((c) => c.status === "fail").length);
      expect(errors).toBe(stack.checks.filter((c) => c.status === "error").length);
    }
    const drifted = suites.find((s) => s.attributes.name === "drift: acme-drifted")!;
    const appCase = drifted.children.find((c) => c.attributes.name === "pulumi: cmic-app (Application)")!;
    const failure = appCase.children.find((c) => c.name === "failure")!;
    expect(failure.text).toContain("api.requestedAccessTokenVersion");
    expect(failure.text).toContain("fix: run `pulumi up --refresh --stack acme-drifted`");

    // Drift reads Pulumi's view without ever writing state: only `stack ls` and the preview ran.
    const calls = fs
      .readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as string[]);
    expect(calls.filter((c) => c[0] === "stack" && c[1] === "ls")).toHaveLength(1);
    const previews = calls.filter((c) => c[0] === "preview");
    expect(previews).toHaveLength(4);
    for (const args of previews) expect(args).toEqual(expect.arrayContaining(["--refresh", "--expect-no-changes", "--json", "--stack"]));
    expect(calls.every((c) => c[0] === "preview" || (c[0] === "stack" && c[1] === "ls"))).toBe(true);
  });

  test("a fleet of clean and drifted stacks exits 3", async () => {
    const run = await runDriftCli(["--stack", "acme-clean", "--stack", "acme-drifted", "--skip-audit", "--json"]);
    expect(run.code).toBe(3);
    expect(report(run.stdout).stacks.map((s) => s.status)).toEqual(["clean", "drift"]);
  });

  test("--all with a backend that lists no stacks is 'could not check'", async () => {
    const empty = fs.mkdtempSync(path.join(tmp, "empty-"));
    const run = await runDriftCli(["--all", "--skip-audit", "--json"], { FAKE_PULUMI_DIR: empty });
    expect(run.code).toBe(1);
    const json = report(run.stdout);
    expect(json.stacks).toEqual([expect.objectContaining({ status: "error", error: expect.stringContaining("lists no stacks") })]);
  });
});

describe("usage", () => {
  const mistakes: Array<[string[], RegExp]> = [
    [[], /--stack NAME .* or --all/],
    [["--stack", "a", "--all"], /not both/],
    [["--stack", "a", "--concurrency", "0"], /--concurrency must be a whole number/],
    [["--stack", "a", "--audit-concurrency", "1.5"], /--audit-concurrency must be a whole number/],
    [["--stack", "a", "--expiry-days", "soon"], /--expiry-days must be a whole number/],
    [["--stack", "a", "--skip-preview", "--skip-audit"], /nothing to check/],
    [["--stack", "a", "--graph-url", "http://graph.example"], /https:\/\//],
    [["--stack", "a", "--bogus"], /Unknown option '--bogus'/],
  ];

  test("bad usage exits 2 with a message naming the mistake, and prints no report", async () => {
    // Started together: they are independent runs.
    const runs = await Promise.all(mistakes.map(([args]) => runDriftCli(args)));
    runs.forEach((run, index) => {
      expect({ args: mistakes[index][0], code: run.code }).toEqual({ args: mistakes[index][0], code: 2 });
      expect(run.stderr).toMatch(mistakes[index][1]);
      expect(run.stdout).toBe("");
    });
  });

  test("--help prints the options and exits 0", async () => {
    const run = await runDriftCli(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("--junit FILE");
    expect(run.stdout).toContain("Exit status: 0 no drift; 3 drift");
  });
});
