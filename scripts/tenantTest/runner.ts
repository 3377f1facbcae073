/**
 * The tenant test itself: Pulumi's ProgramTest life cycle (pulumi/pulumi
 * `pkg/testing/integration/program.go`: stack init + config, preview and update, an empty preview
 * that must change nothing, a refresh that must change nothing, validation, destroy + stack rm),
 * run against a real tenant with Pulumi's Automation API on this project directory, with this
 * project's verify and drift CLIs as the validation.
 *
 * What the Automation API (@pulumi/pulumi 3.270.0, `automation/{localWorkspace,stack,cmd}.js`) runs,
 * always from `workDir` with `--non-interactive` appended and PULUMI_AUTOMATION_API=true:
 *   LocalWorkspace.create        pulumi version                   (minimum check is ours, below)
 *   Stack.create                 pulumi stack init <stack>
 *   stack.setAllConfig           pulumi config set-all --stack <stack> --plaintext k=v …
 *   stack.preview                pulumi preview [--expect-no-changes] [--refresh] … --exec-kind auto.local
 *                                  --event-log tcp://127.0.0.1:<port> --stack <stack>  (engine events over gRPC)
 *   stack.up                     pulumi up --yes --skip-preview … --stack <stack>, then
 *                                  `stack output --json` and `stack output --json --show-secrets` (outputs())
 *                                  and `stack history --json --page-size 1 --page 1` (the summary)
 *   stack.previewRefresh         pulumi refresh --preview-only [--expect-no-changes] … --event-log … --stack <stack>
 *   stack.destroy                pulumi destroy --yes --skip-preview … --stack <stack>, then `stack history …`
 *   workspace.removeStack        pulumi stack rm --yes <stack>
 *   stack.refresh                pulumi refresh --yes --skip-preview … --stack <stack> (after up: changes expected)
 * `stack.refresh({ expectNoChanges })` is never used: without `--preview-only` a refresh writes the
 * refreshed state before it fails the expectation (pulumi/pulumi#10967); `previewRefresh` is the
 * Automation API's `refresh --preview-only` (pulumi/pulumi#19948, which deprecates `previewOnly`).
 */
import type * as AutomationModule from "@pulumi/pulumi/automation";
import type { ConfigMap, EngineEvent, LocalWorkspace, OpMap, Stack } from "@pulumi/pulumi/automation";
import { CmicError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "../../contract/errors";
import { CONFIG_NAMESPACE } from "../../contract/kinds";
import { changeText as summaryText, secretOutputValues } from "../shared/automationOutputs";
import { withDeadline } from "../shared/deadline";

export { secretOutputValues };

/** `create 10, same 1` from an op map. */
function changeText(changes: OpMap | undefined, none = "no resources"): string {
  return summaryText(changes as Record<string, number | undefined> | undefined, none);
}
import { resourceLabel } from "../drift/pulumiPreview";
import { CommandOutput, runBounded, StepStopped, type Interrupts } from "../shared/bounded";
import { compiledCliPath, MINIMUM_PULUMI_VERSION, printableBackend, type TenantTestEnvironment } from "./environment";
import { runNodeCli, type NodeCliRun } from "./nodeCli";
import { indentBlock, lastLines, progressLine, seconds, stripAnsi } from "./report";
import { firstLine } from "../shared/text";
import { isFailure, MAX_STEP_TIMEOUT_S, STEPS, type StepId, type StepReport, type TenantTestReport } from "./steps";

type Automation = typeof AutomationModule;

export interface TenantTestPlan {
  environment: TenantTestEnvironment;
  stackName: string;
  keep: boolean;
  stepTimeoutMs: number;
  /** Print every step's output (not only a failed step's last lines). */
  showOutput: boolean;
  projectRoot: string;
}

export interface TenantTestHooks {
  /** The environment the verify and drift children get (the Pulumi CLI inherits the process's own). */
  env: NodeJS.ProcessEnv;
  /** Progress for stderr. */
  progress(text: string): void;
  /** Hide a value learned while running (the stack's secret outputs) from everything printed later. */
  addSecret(secret: string): void;
  interrupts: Interrupts;
}

/** Lines of a failed step's output shown under its progress line. */
const FAILURE_TAIL_LINES = 40;
/** How long a signalled step may take to stop (Pulumi finishes the operations in flight) before it is abandoned. */
const MAX_GRACE_MS = 120_000;

/** `--expect-no-changes` failing its expectation: pulumi/pulumi `pkg/cmd/pulumi/operations` (preview: "…were proposed", refresh/up: "…occurred"). */
const NO_CHANGES_EXPECTED = /no changes were expected but changes (were proposed|occurred)/i;
/** From CLI v3.226.1, the exit code of an unmet `--expect-no-changes` (https://www.pulumi.com/docs/iac/cli/exit-codes/). */
const EXIT_CHANGES = 7;
/** Ops that change nothing (`refresh`: read back; `read`: a data source). */
const UNCHANGED_OPS = new Set(["same", "refresh", "read"]);

/** A step's failure with what to say about it. */
class StepFailure extends Error {
  constructor(
    message: string,
    readonly fix: string,
    readonly output = "",
  ) {
    super(message);
    this.name = "StepFailure";
  }
}

/** The stack config of the throwaway stack: real settings, with the two a throwaway stack needs changed. */
export function testStackConfig(environment: TenantTestEnvironment, stackName: string): ConfigMap {
  const setting = (key: string, value: string): [string, { value: string; secret: boolean }] => [
    `${CONFIG_NAMESPACE}:${key}`,
    { value, secret: false },
  ];
  return Object.fromEntries([
    ["azuread:tenantId", { value: environment.tenantId, secret: false }],
    setting("deployment", environment.deployment),
    setting("serviceUser", environment.serviceUser),
    ...(environment.cmicTenant ? [setting("cmicTenant", environment.cmicTenant)] : []),
    setting("verifiedDomain", environment.verifiedDomain),
    setting("displayName", testDisplayName(stackName)),
    // protect=true (the default) marks the app and service principal protected: `pulumi destroy`
    // then refuses to delete them ("cannot be deleted because it is protected") and the throwaway
    // app would stay in the tenant. The test turns it off so step 8 can delete what it created.
    setting("protect", "false"),
    // A secret that outlives a failed cleanup by one day at most (drift runs with --expiry-days 0
    // so this short lifetime is not reported as an expiring credential).
    setting("secretLifetimeDays", "1"),
    // The post-deploy token check stays on: `pulumi up` must pass it, as in production.
    setting("postDeployCheck", "true"),
  ]);
}

/** Names the app after the stack, so an admin can tell a leftover test app at a glance. */
export function testDisplayName(stackName: string): string {
  return `CMiC tenant test (${stackName})`;
}

/** `a.b.c` ≥ `d.e.f`, numerically (a pre-release suffix is ignored). */
export function versionAtLeast(version: string, minimum: string): boolean {
  const parts = (text: string) => text.replace(/^v/, "").split(/[-+]/)[0].split(".").map(Number);
  const [a, b] = [parts(version), parts(minimum)];
  for (let i = 0; i < 3; i += 1) if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
  return true;
}

/**
 * `pulumi version` through the Automation API (LocalWorkspace.create runs it), then our own minimum:
 * the SDK's is v3.2.0, but this test relies on exit code 7 for `--expect-no-changes` (v3.226.1).
 */
async function openWorkspace(automation: Automation, plan: TenantTestPlan): Promise<{ workspace: LocalWorkspace; version: string }> {
  let workspace: LocalWorkspace;
  try {
    workspace = await withDeadline(
      automation.LocalWorkspace.create({
        workDir: plan.projectRoot,
        // No "a new version is available" check (a network call) before every command:
        // https://www.pulumi.com/docs/iac/cli/environment-variables/
        envVars: { PULUMI_SKIP_UPDATE_CHECK: "true" },
      }),
      Math.min(plan.stepTimeoutMs, 60_000),
      "`pulumi version`",
    );
  } catch (error) {
    throw new CmicError("ERR_PULUMI_CLI", `the Pulumi CLI could not be started (\`pulumi version\`): ${firstLine(error)}`, {
      fix: `install the Pulumi CLI v${MINIMUM_PULUMI_VERSION} or newer (https://www.pulumi.com/docs/install/) and put it on PATH.`,
      exitCode: EXIT_USAGE,
      cause: error,
    });
  }
  let version: string;
  try {
    version = workspace.pulumiVersion;
  } catch (error) {
    throw new CmicError("ERR_PULUMI_VERSION", "`pulumi version` printed no version the Automation API could read.", {
      fix: `use an official Pulumi CLI build, v${MINIMUM_PULUMI_VERSION} or newer.`,
      exitCode: EXIT_USAGE,
      cause: error,
    });
  }
  if (!versionAtLeast(version, MINIMUM_PULUMI_VERSION)) {
    throw new CmicError(
      "ERR_PULUMI_VERSION",
      `the Pulumi CLI on PATH is v${version}; the tenant test needs v${MINIMUM_PULUMI_VERSION} or newer ` +
        "(from then on an unmet --expect-no-changes exits 7, https://www.pulumi.com/docs/iac/cli/exit-codes/).",
      {
        fix: `install v${MINIMUM_PULUMI_VERSION} or newer (https://www.pulumi.com/docs/install/); CI pins the version in .github/workflows.`,
        exitCode: EXIT_USAGE,
      },
    );
  }
  return { workspace, version };
}

/** Each resource the engine events show changing, once: `update cmic-app (Application) [api]`. */
export function changedResources(events: readonly EngineEvent[], options: { includeRootStack: boolean }): string[] {
  const byUrn = new Map<string, string>();
  for (const event of events) {
    const metadata = event.resourcePreEvent?.metadata ?? event.resOutputsEvent?.metadata;
    if (!metadata) continue;
    const diffs = metadata.diffs ?? [];
    // A refresh step is "read back"; it is a change when the read-back values differ (diffs).
    const changed = !UNCHANGED_OPS.has(metadata.op) || (metadata.op === "refresh" && diffs.length > 0);
    if (!changed) continue;
    if (!options.includeRootStack && metadata.type === "pulumi:pulumi:Stack") continue;
    byUrn.set(metadata.urn, `${metadata.op} ${resourceLabel(metadata.urn)}${diffs.length > 0 ? ` [${diffs.join(", ")}]` : ""}`);
  }
  return [...byUrn.values()];
}

/** The `error:` lines of a failed command's output (the CLI's own summary of what went wrong). */
function errorSummary(text: string): string {
  const lines = stripAnsi(text)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^error:/i.test(line));
  const unique = [...new Set(lines)].slice(-2);
  return unique.join(" | ");
}

/** The exit code execa reports in the Automation API's CommandError message ("failed with exit code N"). */
function exitCodeOf(error: unknown): number | null {
  const match = error instanceof Error ? /failed with exit code (\d+)/.exec(error.message) : null;
  return match ? Number(match[1]) : null;
}

/** A failed command as a step failure: the CLI's `error:` lines (or the error's first line) and its exit code. */
function commandFailure(error: unknown, output: CommandOutput, fix: string): StepFailure {
  const text = output.text || (error instanceof Error ? error.message : String(error));
  const code = exitCodeOf(error);
  return new StepFailure(`${errorSummary(text) || firstLine(error)}${code !== null ? ` (exit ${code})` : ""}`, fix, text);
}

/**
 * A failed `--expect-no-changes` command: "changes found" with the resources the engine events name
 * when the CLI failed the expectation (its message, or exit code 7), else an ordinary failure.
 */
function expectNoChangesFailure(
  error: unknown,
  output: CommandOutput,
  events: readonly EngineEvent[],
  fixes: { changes: string; other: string },
): Error {
  if (error instanceof StepStopped) return error;
  const text = output.text || (error instanceof Error ? error.message : String(error));
  if (NO_CHANGES_EXPECTED.test(text) || exitCodeOf(error) === EXIT_CHANGES) {
    const changed = changedResources(events, { includeRootStack: true });
    return new StepFailure(
      `changes found: ${changed.length > 0 ? changed.join("; ") : "the CLI did not name them (see its output)"}`,
      fixes.changes,
      text,
    );
  }
  return commandFailure(error, output, fixes.other);
}

export async function runTenantTest(plan: TenantTestPlan, hooks: TenantTestHooks): Promise<TenantTestReport> {
  // Heavy (gRPC, protobuf): loaded only once the environment is known to be complete.
  const automation: Automation = await import("@pulumi/pulumi/automation");
  const { workspace, version } = await openWorkspace(automation, plan);
  const { environment, stackName, projectRoot } = plan;
  hooks.progress(
    `test:tenant: stack ${stackName} in tenant ${environment.tenantId} (azuread provider: ${environment.signIn}), ` +
      `backend ${printableBackend(environment.backendUrl)}, pulumi v${version}, step timeout ${seconds(plan.stepTimeoutMs)}\n`,
  );

  const reports: StepReport[] = STEPS.map((step, index) => ({
    number: index + 1,
    id: step.id,
    title: step.title,
    command: step.command(stackName),
    status: "skipped",
    elapsedMs: null,
    detail: "not run",
  }));
  const report = (id: StepId): StepReport => reports.find((r) => r.id === id) as StepReport;
  const app: TenantTestReport["app"] = { clientId: null, displayName: testDisplayName(stackName) };
  const operation = (signal: AbortSignal, output: CommandOutput) => ({
    onOutput: output.append,
    onError: output.append,
    signal,
    // Plain text for logs; stack outputs never displayed (the secret among them is read separately).
    color: "never" as const,
    suppressOutputs: true,
  });

  /** Run one step, time it, classify its end and print its progress line. True when it passed. */
  const runStep = async (id: StepId, work: (signal: AbortSignal, output: CommandOutput) => Promise<string>): Promise<boolean> => {
    const step = report(id);
    const cleanupStep = STEPS.find((s) => s.id === id)?.cleanup === true;
    const output = new CommandOutput();
    const started = Date.now();
    const graceMs = Math.min(plan.stepTimeoutMs, MAX_GRACE_MS);
    try {
      step.detail = await runBounded((signal) => work(signal, output), {
        timeoutMs: plan.stepTimeoutMs,
        graceMs,
        interrupts: hooks.interrupts,
        cancelling: () => output.cancelling,
        interruptible: !cleanupStep,
      });
      step.status = "passed";
    } catch (error) {
      const stopped = error instanceof StepStopped ? error : null;
      if (stopped || (hooks.interrupts.interrupted && !cleanupStep)) {
        // A CLI cancelled by the terminal's own Ctrl-C ends with an ordinary error: still an interruption.
        const interrupted = stopped ? stopped.reason === "interrupt" : true;
        step.status = interrupted ? "interrupted" : "timed out";
        step.detail = interrupted
          ? "interrupted (Ctrl-C / SIGTERM)"
          : `did not finish within --step-timeout ${seconds(plan.stepTimeoutMs)} and was stopped`;
        if (stopped && !stopped.ended) step.detail += `; it had not ended ${seconds(graceMs)} after the signal and was abandoned`;
        step.fix = interrupted
          ? "run the test again; if its cleanup did not finish, remove the stack by hand (below)."
          : `see what the command was waiting for in its output; raise --step-timeout (at most ${MAX_STEP_TIMEOUT_S} s) if the step is only slow.`;
      } else {
        const failure = error instanceof StepFailure ? error : commandFailure(error, output, FIXES[id](stackName));
        step.status = "failed";
        step.detail = failure.message;
        step.fix = failure.fix;
        if (failure.output) output.text = failure.output;
      }
    }
    step.elapsedMs = Date.now() - started;
    hooks.progress(progressLine(step, reports.length));
    // Printed once the step has ended, so a secret it revealed (up's outputs) is already hidden.
    const block = plan.showOutput ? output.text : isFailure(step.status) ? lastLines(output.text, FAILURE_TAIL_LINES) : "";
    if (block.trim()) hooks.progress(indentBlock(block));
    return step.status === "passed";
  };

  const skip = (id: StepId, why: string) => {
    const step = report(id);
    step.detail = why;
    hooks.progress(progressLine(step, reports.length));
  };

  let stack: Stack | undefined;
  /** True once a stack of this name may exist: it is ours (the name is unique), so cleanup must run. */
  let created = false;

  const main: Array<[StepId, (signal: AbortSignal, output: CommandOutput) => Promise<string>]> = [
    [
      "create-stack",
      async () => {
        // A stack of this unique name can only be ours, so cleanup must run from the moment
        // `stack init` starts, also when the step timeout stops it before it answers. A `stack init`
        // that failed created nothing, or found the name taken by someone else's stack, which must
        // never be destroyed.
        created = true;
        try {
          stack = await automation.Stack.create(stackName, workspace);
        } catch (error) {
          created = false;
          throw error;
        }
        const config = testStackConfig(environment, stackName);
        await stack.setAllConfig(config);
        return `created, ${Object.keys(config).length} settings (protect=false, secretLifetimeDays=1, verifiedDomain=${environment.verifiedDomain})`;
      },
    ],
    [
      "preview",
      async (signal, output) => {
        const result = await requireStack().preview(operation(signal, output));
        return changeText(result.changeSummary);
      },
    ],
    [
      "up",
      async (signal, output) => {
        const result = await requireStack().up({ ...operation(signal, output), showSecrets: false });
        for (const secret of secretOutputValues(result.outputs)) hooks.addSecret(secret);
        const clientId: unknown = result.outputs.clientId?.value;
        if (typeof clientId === "string") app.clientId = clientId;
        return `${changeText(result.summary?.resourceChanges)}${app.clientId ? `; app ${app.clientId}` : ""}`;
      },
    ],
    [
      "refresh-after-up",
      async (signal, output) => {
        // Changes are expected here (the identifier URI read back onto the app and its service
        // principal); they are reported, not judged. The two steps after it judge.
        const result = await requireStack().refresh({ ...operation(signal, output), showSecrets: false });
        return `read back: ${changeText(result.summary?.resourceChanges)}`;
      },
    ],
    [
      "preview-no-changes",
      async (signal, output) => {
        const events: EngineEvent[] = [];
        try {
          await requireStack().preview({
            ...operation(signal, output),
            expectNoChanges: true,
            refresh: true,
            onEvent: (e) => events.push(e),
          });
        } catch (error) {
          throw expectNoChangesFailure(error, output, events, {
            changes: FIXES["preview-no-changes"](stackName),
            other: FIXES.preview(stackName),
          });
        }
        assertNoChanges(events, "preview");
        return "no changes";
      },
    ],
    [
      "refresh-no-changes",
      async (signal, output) => {
        const events: EngineEvent[] = [];
        try {
          await requireStack().previewRefresh({
            ...operation(signal, output),
            expectNoChanges: true,
            showSecrets: false,
            onEvent: (e) => events.push(e),
          });
        } catch (error) {
          throw expectNoChangesFailure(error, output, events, {
            changes: FIXES["refresh-no-changes"](stackName),
            other: FIXES.preview(stackName),
          });
        }
        assertNoChanges(events, "refresh");
        return "no changes";
      },
    ],
    [
      "verify",
      async (signal, output) => {
        // The stack's own secret must be the one verify uses: a CMIC_CLIENT_SECRET (or outputs, or a
        // certificate) left in the caller's environment would take precedence over `--stack`.
        const env = { ...hooks.env, CMIC_CLIENT_SECRET: "", CMIC_STACK_OUTPUTS: "", CMIC_CLIENT_CERTIFICATE_FILE: "" };
        const run = await runNodeCli(compiledCliPath(projectRoot, "verify"), ["--stack", stackName], { cwd: projectRoot, env, signal });
        output.append(run.output);
        if (run.exitCode === 0) return "every check CMiC makes passed";
        throw new StepFailure(childFailure("verify", run), FIXES.verify(stackName), run.output);
      },
    ],
    [
      "drift",
      async (signal, output) => {
        const run = await runNodeCli(compiledCliPath(projectRoot, "drift"), ["--stack", stackName, "--expiry-days", "0"], {
          cwd: projectRoot,
          env: driftEnv(hooks.env),
          signal,
        });
        output.append(run.output);
        if (run.exitCode === 0) return "no drift (Pulumi's view and the Graph audit)";
        const what =
          run.exitCode === 3 ? "drift found" : run.exitCode === 1 ? "drift could not check the stack" : childFailure("drift", run);
        throw new StepFailure(`${what}: ${lastMeaningfulLine(run.output)}`, FIXES.drift(stackName), run.output);
      },
    ],
  ];

  function requireStack(): Stack {
    if (!stack) throw new StepFailure("the stack was not created", FIXES["create-stack"](stackName));
    return stack;
  }

  /** The CLI accepted --expect-no-changes: its own events must agree (a CLI that ignored the flag must not pass). */
  function assertNoChanges(events: readonly EngineEvent[], what: string): void {
    const changed = changedResources(events, { includeRootStack: false }).filter((line) => !line.startsWith("refresh "));
    if (changed.length > 0) {
      throw new StepFailure(
        `the ${what} exited 0, but its engine events show changes: ${changed.join("; ")}`,
        FIXES[what === "preview" ? "preview-no-changes" : "refresh-no-changes"](stackName),
      );
    }
  }

  let failedAt: StepId | null = null;
  let cleanup: TenantTestReport["cleanup"] = "none";
  hooks.interrupts.listen();
  try {
    for (const [id, work] of main) {
      if (failedAt) {
        skip(id, `skipped: step ${report(failedAt).number} (${report(failedAt).title}) failed`);
        continue;
      }
      if (hooks.interrupts.interrupted) {
        skip(id, "skipped: interrupted");
        continue;
      }
      if (!(await runStep(id, work))) failedAt = id;
    }
  } finally {
    // Cleanup runs whatever happened above, unless --keep; a first Ctrl-C does not stop it.
    if (!created) {
      skip("destroy", "skipped: no stack was created");
      skip("remove-stack", "skipped: no stack was created");
    } else if (plan.keep) {
      cleanup = "kept";
      skip("destroy", "skipped: --keep");
      skip("remove-stack", "skipped: --keep");
    } else {
      const destroyed = await runStep("destroy", async (signal, output) => {
        stack ??= await automation.Stack.select(stackName, workspace);
        const result = await stack.destroy({ ...operation(signal, output), showSecrets: false });
        return changeText(result.summary?.resourceChanges, "nothing to delete");
      });
      let removed = false;
      if (destroyed) {
        removed = await runStep("remove-stack", async () => {
          await workspace.removeStack(stackName);
          return `removed (with Pulumi.${stackName}.yaml)`;
        });
      } else {
        skip("remove-stack", "skipped: destroy failed; removing a stack that still has resources would lose track of them");
      }
      cleanup = destroyed && removed ? "removed" : "left";
    }
    hooks.interrupts.dispose();
  }

  const exitCode = reports.some((step) => isFailure(step.status)) ? EXIT_FAILED : EXIT_OK;
  return { stack: stackName, steps: reports, cleanup, app, exitCode };
}

/** The environment of the drift child: its Graph audit signs in as the deployer, unless told otherwise. */
export function driftEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const azure = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"].some((name) => (env[name] ?? "") !== "");
  if (azure || !env.ARM_CLIENT_SECRET) return { ...env };
  // drift reads AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (scripts/shared/credentials.ts);
  // the deployer's permissions include the read-only ones the audit needs.
  return { ...env, AZURE_TENANT_ID: env.ARM_TENANT_ID, AZURE_CLIENT_ID: env.ARM_CLIENT_ID, AZURE_CLIENT_SECRET: env.ARM_CLIENT_SECRET };
}

function lastMeaningfulLine(output: string): string {
  const lines = stripAnsi(output)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "");
  return lines[lines.length - 1] ?? "it printed nothing";
}

function childFailure(name: string, run: NodeCliRun): string {
  const ended = run.signal ? `was killed by ${run.signal}` : `exited ${run.exitCode}`;
  return `${name} ${ended}: ${lastMeaningfulLine(run.output)}`;
}

/** What to do when a step fails, per step. */
const FIXES: Record<StepId, (stack: string) => string> = {
  "create-stack": () =>
    "check PULUMI_BACKEND_URL (reachable, and `pulumi login` done for Pulumi Cloud) and PULUMI_CONFIG_PASSPHRASE; the CLI's message is above.",
  preview: (stack) =>
    "the program or the azuread provider failed before anything changed: read the error above (a settings problem names the " +
    `setting; an AADSTS code is a sign-in problem of ARM_* credentials). Re-run with --keep and \`pulumi preview --stack ${stack}\` to iterate.`,
  up: (stack) =>
    "read the error above: a provider error names the resource and Graph's message, a failing post-deploy check prints verify's " +
    `diagnosis. With --keep the stack stays for \`pulumi up --stack ${stack}\`.`,
  "refresh-after-up": (stack) =>
    "reading the resources back from Entra failed: read the error above (an AADSTS code is a sign-in problem of ARM_* credentials; " +
    `a 403 a missing Graph permission). With --keep, \`pulumi refresh --stack ${stack}\` to iterate.`,
  "preview-no-changes": (stack) =>
    "the program does not converge: right after `pulumi up`, a preview with refresh still wants to change what is listed. Compare the " +
    `program's inputs with what Entra stores for those properties (\`pulumi preview --diff --refresh --stack ${stack}\` with --keep) and make them agree.`,
  "refresh-no-changes": (stack) =>
    "reading the resources back from Entra gives values other than the ones `pulumi up` saved: the provider does not round-trip " +
    `a property listed. Inspect with --keep and \`pulumi refresh --preview-only --diff --stack ${stack}\`.`,
  verify: (stack) =>
    `verify's checklist above names each failed check and its fix; re-run it with --keep and \`npm run verify -- --stack ${stack}\`.`,
  drift: (stack) =>
    `drift's table above names each finding and its fix; re-run it with --keep and \`npm run drift -- --stack ${stack} --expiry-days 0\`.`,
  destroy: (stack) =>
    `run \`pulumi destroy --yes --stack ${stack}\` from this directory with the same backend and passphrase; a resource still protected needs \`pulumi state unprotect\` first.`,
  "remove-stack": (stack) => `run \`pulumi stack rm --yes ${stack}\` from this directory with the same backend.`,
};
