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

  test("its matrix runs --shard i/n for every i of 1…n once, each shard keeps the JUnit file it writes, and one job publishes them all", () => {
    expect(packageScripts.drift).toBeDefined();
    const job = (workflow.jobs as Json).drift as Json;
    const strategy = job.strategy as Json;
    expect(strategy["fail-fast"]).toBe(false);
    const shards = (strategy.matrix as Json).shard as number[];
    const count = Number((job.env as Json).SHARDS);
    expect([...shards].sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, index) => index + 1));
    const driftStep = steps.find((s) => String(s.run ?? "").includes("npm run drift"))!;
    const kept = steps.find((s) => String(s.uses ?? "").startsWith("actions/upload-artifact@"))!;
    expect(kept.if).toBe("always()");
    const junitFiles: string[] = [];
    for (const shard of shards) {
      // What the runner substitutes in job `shard` of the matrix.
      const expand = (text: string) => text.replaceAll("${{ matrix.shard }}", String(shard)).replaceAll("${{ env.SHARDS }}", String(count));
      const invocations = driftInvocations(expand(String(driftStep.run)));
      expect(invocations).toHaveLength(1);
      const options = parseDriftArgs(invocations[0], {});
      expect(options.all).toBe(true);
      expect(options.shard).toEqual({ index: shard, count });
      expect(expand(String((kept.with as Json).path))).toBe(options.junitFile);
      junitFiles.push(options.junitFile!);
    }
    expect(new Set(junitFiles).size).toBe(shards.length);

    const report = (workflow.jobs as Json).report as Json;
    expect(report.needs).toBe("drift");
    expect(report.if).toBe("always()");
    const reportSteps = report.steps as Json[];
    const download = reportSteps.find((s) => String(s.uses ?? "").startsWith("actions/download-artifact@"))!;
    const publish = reportSteps.find((s) => String(s.uses ?? "").startsWith("dorny/test-reporter@"))!;
    expect((download.with as Json)["merge-multiple"]).toBe(true);
    const published = new RegExp(
      `^${String((publish.with as Json).path)
        .replace(/[.]/g, "\\.")
        .replace("*", "[^/]+")}$`,
    );
    for (const file of junitFiles) expect(`${(download.with as Json).path}/${file}`).toMatch(published);
  });
});

describe("Azure DevOps pipeline", () => {
  const pipeline = load("pipelines/azure-pipelines-drift.yml");
  const job = (pipeline.jobs as Json[])[0];
  const steps = job.steps as Json[];
  const shardCount = Number((pipeline.variables as Json[]).find((v) => v.name === "SHARDS")?.value);
  const matrix = Object.values((job.strategy as Json).matrix as Json).map((entry) => Number((entry as Json).SHARD));
  /** What Azure DevOps substitutes in the matrix job of `shard`. */
  const expand = (text: string, shard: number) => text.replaceAll("$(SHARD)", String(shard)).replaceAll("$(SHARDS)", String(shardCount));

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

  test("each matrix job runs npm run drift --shard i/n inside AzureCLI@2, branches on 3 vs 1, and publishes the JUnit file it writes", () => {
    expect([...matrix].sort((a, b) => a - b)).toEqual(Array.from({ length: shardCount }, (_, index) => index + 1));
    const driftStep = steps.find((s) => s.task === "AzureCLI@2")!;
    const inputs = driftStep.inputs as Json;
    expect(inputs.azureSubscription).toEqual(expect.any(String));
    expect(inputs.addSpnToEnvironment).toBe(true);
    const publish = steps.find((s) => s.task === "PublishTestResults@2")!;
    expect((publish.inputs as Json).testResultsFormat).toBe("JUnit");
    expect(publish.condition).toBe("succeededOrFailed()");
    const junitFiles = new Set<string>();
    for (const shard of matrix) {
      const script = expand(String(inputs.inlineScript), shard);
      const invocations = driftInvocations(script);
      expect(invocations).toHaveLength(1);
      const options = parseDriftArgs(invocations[0], {});
      expect(options.all).toBe(true);
      expect(options.shard).toEqual({ index: shard, count: shardCount });
      expect(script).toMatch(/\n\s*3\)/);
      expect(script).toMatch(/\n\s*\*\)/);
      expect(expand(String((publish.inputs as Json).testResultsFiles), shard)).toBe(options.junitFile);
      junitFiles.add(options.junitFile!);
    }
    expect(junitFiles.size).toBe(matrix.length);
  });
});

describe("the Node.js the pipelines install", () => {
  const engines = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { engines: { node: string } }).engines
    .node;
  const minimumMajor = Number(/>=\s*(\d+)/.exec(engines)?.[1]);

  it("is a line package.json's engines allows", () => {
    const workflowSteps = ((load(".github/workflows/drift.yml").jobs as Json).drift as Json).steps as Json[];
    const setupNode = workflowSteps.find((step) => String(step.uses ?? "").startsWith("actions/setup-node@"));
    const devopsSteps = ((load("pipelines/azure-pipelines-drift.yml").jobs as Json[])[0].steps ?? []) as Json[];
    const nodeTool = devopsSteps.find((step) => String(step.task ?? "").startsWith("NodeTool@"));
    const majors = [String((setupNode?.with as Json)["node-version"]), String((nodeTool?.inputs as Json).versionSpec)].map((version) =>
      Number(/^(\d+)/.exec(version)?.[1]),
    );
    expect(minimumMajor).toBeGreaterThanOrEqual(22);
    for (const major of majors) expect(major).toBeGreaterThanOrEqual(minimumMajor);
  });
});
