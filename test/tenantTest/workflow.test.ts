/**
 * The tenant-test workflow must keep working without anyone running it: started by hand only,
 * the Node line package.json's engines allows, the same pinned Pulumi CLI as the drift workflow
 * (new enough for the test), every setting the command requires, credentials from secrets, and
 * inputs passed as environment variables (never spliced into the script).
 */
import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { ENVIRONMENT_SETTINGS, MINIMUM_PULUMI_VERSION } from "../../scripts/tenantTest/environment";
import { parseCommandLine } from "../../scripts/shared/cli";
import { tenantTestCommand } from "../../scripts/tenantTest/cli";
import { versionAtLeast } from "../../scripts/tenantTest/runner";
import { PROJECT_ROOT } from "./harness";

type Json = Record<string, unknown>;

function load(file: string): Json {
  return yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8")) as Json;
}
const manifest = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
  engines: { node: string };
  scripts: Record<string, string>;
};

const workflow = load(".github/workflows/tenant-test.yml");
const steps = ((workflow.jobs as Json)["tenant-test"] as Json).steps as Json[];
const testStep = steps.find((step) => String(step.run ?? "").includes("npm run test:tenant"))!;
const stepEnv = testStep.env as Record<string, string>;

it("runs only when started by hand", () => {
  expect(Object.keys(workflow.on as Json)).toEqual(["workflow_dispatch"]);
  expect((workflow.concurrency as Json)["cancel-in-progress"]).toBe(false);
});

it("installs a Node line that package.json's engines allows", () => {
  const minimumMajor = Number(/>=\s*(\d+)/.exec(manifest.engines.node)?.[1]);
  const setupNode = steps.find((step) => String(step.uses ?? "").startsWith("actions/setup-node@"))!;
  const major = Number(/^(\d+)/.exec(String((setupNode.with as Json)["node-version"]))?.[1]);
  expect(minimumMajor).toBeGreaterThanOrEqual(22);
  expect(major).toBeGreaterThanOrEqual(minimumMajor);
});

it("installs the drift workflow's pinned Pulumi CLI, new enough for the test, then npm ci, then the test", () => {
  const pinOf = (list: Json[]) =>
    String(((list.find((s) => String(s.uses ?? "").startsWith("pulumi/actions@")) as Json).with as Json)["pulumi-version"]);
  const driftSteps = ((load(".github/workflows/drift.yml").jobs as Json).drift as Json).steps as Json[];
  const pin = pinOf(steps);
  expect(pin).toMatch(/^\d+\.\d+\.\d+$/);
  expect(pin).toBe(pinOf(driftSteps));
  expect(versionAtLeast(pin, MINIMUM_PULUMI_VERSION)).toBe(true);
  const order = (predicate: (s: Json) => boolean) => steps.findIndex(predicate);
  const pulumi = order((s) => String(s.uses ?? "").startsWith("pulumi/actions@"));
  const npmCi = order((s) => s.run === "npm ci");
  expect(npmCi).toBeGreaterThan(pulumi);
  expect(steps.indexOf(testStep)).toBeGreaterThan(npmCi);
});

it("sets every setting the command always requires, credentials from secrets, and calls the compiled CLI with flags it accepts", () => {
  const required = ENVIRONMENT_SETTINGS.filter((s) => s.required !== "no" && !s.name.includes(" ("))
    .map((s) => s.name.split(" | ")[0])
    .filter((name) => name !== "CMIC_TENANT_TEST_CMIC_TENANT");
  for (const name of required) expect(stepEnv[name]).toEqual(expect.any(String));
  for (const name of ["ARM_TENANT_ID", "ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "PULUMI_CONFIG_PASSPHRASE"]) {
    expect(stepEnv[name]).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
  }
  expect(manifest.scripts["test:tenant"]).toBe("node dist/scripts/tenantTest/cli.js");
  const script = String(testStep.run);
  expect(script).not.toContain("${{"); // inputs only through env
  // The flags the script passes, with its variables' defaults filled in, parse.
  const flags = ["--step-timeout", "1800", "--show-output", "--keep"];
  expect(script).toContain('args=(--step-timeout "$STEP_TIMEOUT" --show-output)');
  expect(script).toContain("args+=(--keep)");
  expect(() => parseCommandLine(tenantTestCommand, flags)).not.toThrow();
  const inputs = ((workflow.on as Json).workflow_dispatch as Json).inputs as Json;
  expect((inputs["step-timeout"] as Json).default).toBe("1800");
});
