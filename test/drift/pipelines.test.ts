/**
 * The example pipelines must keep working: they call `npm run drift` with flags the CLI accepts
 * (checked with the CLI's own parser) and publish the JUnit file that command writes.
 */
import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { parseDriftArgs } from "../../scripts/drift/cli";
import { PROJECT_ROOT } from "../support/drift";

type Json = Record<string, unknown>;

function load(file: string): Json {
  return yaml.load(fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8")) as Json;
}

/** Every `npm run drift -- …` command line in a script, as argv after the `--`. */
function driftInvocations(script: string): string[][] {
  return script
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^npm run drift\b/.test(line))
    .map((line) => {
      const words = line.split(/\s+/);
      expect(words.slice(0, 4)).toEqual(["npm", "run", "drift", "--"]);
      return words.slice(4);
    });
}

const packageScripts = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> })
  .scripts;

function versionAtLeast(version: string, minimum: string): boolean {
  const a = version.split(".").map(Number);
  const b = minimum.split(".").map(Number);
  for (let i = 0; i < 3; i += 1) if (a[i] !== b[i]) return a[i] > b[i];
  return true;
}

describe("GitHub Actions workflow", () => {
  const workflow = load(".github/workflows/drift.yml");
  const steps = ((workflow.jobs as Json).drift as Json).steps as Json[];

  test("runs on a schedule and may request an OIDC token", () => {
    const on = workflow.on as Json;
    expect(Array.isArray(on.schedule) && (on.schedule as Json[]).length).toBeGreaterThan(0);
    expect((workflow.permissions as Json)["id-token"]).toBe("write");
  });

  test("installs a pinned Pulumi CLI new enough for exit code 7, then npm ci, then signs in", () => {
    const pulumi = steps.find((s) => String(s.uses ?? "").startsWith("pulumi/actions@"))!;
    const version = String((pulumi.with as Json)["pulumi-version"]);
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(versionAtLeast(version, "3.226.1")).toBe(true);
    expect((pulumi.with as Json).command).toBeUndefined(); // install only
    const order = (predicate: (s: Json) => boolean) => steps.findIndex(predicate);
    const npmCi = order((s) => s.run === "npm ci");
    const login = order((s) => String(s.uses ?? "").startsWith("azure/login@"));
    const drift = order((s) => String(s.run ?? "").includes("npm run drift"));
    expect(npmCi).toBeGreaterThan(-1);
    expect(login).toBeGreaterThan(-1);
    expect(drift).toBeGreaterThan(Math.max(npmCi, login));
  });

  test("calls npm run drift with flags the CLI accepts and publishes the JUnit file it writes", () => {
    expect(packageScripts.drift).toBeDefined();
    const driftStep = steps.find((s) => String(s.run ?? "").includes("npm run drift"))!;
    const invocations = driftInvocations(String(driftStep.run));
    expect(invocations).toHaveLength(1);
    const options = parseDriftArgs(invocations[0], {});
    expect(options.all).toBe(true);
    expect(options.junitFile).toBeDefined();
    const published = steps.filter((s) => /test-reporter|upload-artifact/.test(String(s.uses ?? "")));
    expect(published).toHaveLength(2);
    for (const step of published) {
      expect((step.with as Json).path).toBe(options.junitFile);
      expect(step.if).toBe("always()");
    }
  });
});

describe("Azure DevOps pipeline", () => {
  const pipeline = load("pipelines/azure-pipelines-drift.yml");
  const steps = pipeline.steps as Json[];

  test("is scheduled, not triggered by pushes, and never uses Pulumi@1", () => {
    expect((pipeline.schedules as Json[]).length).toBeGreaterThan(0);
    expect(pipeline.trigger).toBe("none");
    expect(steps.some((s) => String(s.task ?? "").startsWith("Pulumi@"))).toBe(false);
  });

  test("installs a Pulumi CLI new enough for exit code 7", () => {
    const variables = pipeline.variables as Json[];
    const version = String(variables.find((v) => v.name === "PULUMI_VERSION")?.value);
    expect(versionAtLeast(version, "3.226.1")).toBe(true);
    expect(steps.some((s) => String(s.script ?? "").includes("get.pulumi.com") && String(s.script).includes("$(PULUMI_VERSION)"))).toBe(
      true,
    );
  });

  test("runs npm run drift inside AzureCLI@2 with accepted flags, branches on 3 vs 1, publishes the JUnit file", () => {
    const driftStep = steps.find((s) => s.task === "AzureCLI@2")!;
    const inputs = driftStep.inputs as Json;
    expect(inputs.azureSubscription).toEqual(expect.any(String));
    expect(inputs.addSpnToEnvironment).toBe(true);
    const script = String(inputs.inlineScript);
    const invocations = driftInvocations(script);
    expect(invocations).toHaveLength(1);
    const options = parseDriftArgs(invocations[0], {});
    expect(options.all).toBe(true);
    expect(script).toMatch(/\n\s*3\)/);
    expect(script).toMatch(/\n\s*\*\)/);
    const publish = steps.find((s) => s.task === "PublishTestResults@2")!;
    expect((publish.inputs as Json).testResultsFormat).toBe("JUnit");
    expect((publish.inputs as Json).testResultsFiles).toBe(options.junitFile);
    expect(publish.condition).toBe("succeededOrFailed()");
  });
});

describe("the Node.js the pipelines install", () => {
  const engines = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines
    .node;
  const minimumMajor = Number(/>=\s*(\d+)/.exec(engines)?.[1]);

  it("is a line package.json's engines allows", () => {
    const workflowSteps = ((load(".github/workflows/drift.yml").jobs as Json).drift as Json).steps as Json[];
    const setupNode = workflowSteps.find((step) => String(step.uses ?? "").startsWith("actions/setup-node@"));
    const devopsSteps = (load("pipelines/azure-pipelines-drift.yml").steps ?? []) as Json[];
    const nodeTool = devopsSteps.find((step) => String(step.task ?? "").startsWith("NodeTool@"));
    const majors = [String((setupNode?.with as Json)["node-version"]), String((nodeTool?.inputs as Json).versionSpec)].map((version) =>
      Number(/^(\d+)/.exec(version)?.[1]),
    );
    expect(minimumMajor).toBeGreaterThanOrEqual(22);
    for (const major of majors) expect(major).toBeGreaterThanOrEqual(minimumMajor);
  });
});
