/**
 * The fleet run: which stacks (`--all` through the Automation API's `workspace.listStacks()`, or a
 * list; then `--shard i/n`), at most `concurrency` of them at once, each within its own time limit
 * and stopped by Ctrl-C, one progress line per stack as it ends, and one result per stack. A stack
 * that fails never stops the others; a stack that never started (interrupted) is a failure too, so
 * the run can never read as success.
 *
 * Each stack's operation runs in a workspace whose environment signs the azuread provider in to
 * that stack's tenant when a credentials file names it (`deployEnvironment`); otherwise the
 * environment's own ARM_* / az login identity is used, as `pulumi up` by hand would.
 */
import type * as AutomationModule from "@pulumi/pulumi/automation";
import type { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { CmicError, EXIT_FAILED } from "../../contract/errors";
import { CommandOutput, runBounded, StepStopped, type Interrupts } from "../shared/bounded";
import { withDeadline } from "../shared/deadline";
import { createLimiter } from "../shared/limiter";
import { describeShard, selectShard, type Shard } from "../shared/shard";
import { firstLine, lastLines } from "../shared/text";
import { failureOutcome, OPERATIONS, type StackOutcome } from "./operations";
import { fleetExitCode, type FleetOperation, type FleetStackResult } from "./report";

type Automation = typeof AutomationModule;

export interface FleetPlan {
  operation: FleetOperation;
  /** Explicit stacks; empty with `all`. */
  stacks: string[];
  all: boolean;
  shard?: Shard;
  /** The Pulumi project directory. */
  cwd: string;
  concurrency: number;
  stackTimeoutMs: number;
  refresh: boolean;
  retirePrevious: boolean;
  /** verify and rotate: how long propagation errors of a young secret are retried. */
  propagationWindowMs: number;
}

export interface FleetHooks {
  /** The environment of every Pulumi CLI the fleet starts, and of its Graph and token requests. */
  env: NodeJS.ProcessEnv;
  progress(line: string): void;
  addSecret(secret: string | null | undefined): void;
  interrupts: Interrupts;
  /**
   * The azuread provider's environment for a stack in `tenantId` (ARM_TENANT_ID, ARM_CLIENT_ID and a
   * secret or certificate), or null to use the environment's own identity.
   */
  deployEnvironment?(tenantId: string): Record<string, string> | null;
}

export interface FleetRun {
  results: FleetStackResult[];
  exitCode: number;
}

/** How often the run says which stacks are still running. */
export const FLEET_HEARTBEAT_MS = 30_000;
/** How long a stopped stack's CLI may take to cancel (it finishes the operations in flight) before it is abandoned. */
const MAX_GRACE_MS = 120_000;
/** Operations whose provider signs in to the stack's tenant (verify and rotate sign in through Graph themselves). */
const PROVIDER_OPERATIONS = new Set<FleetOperation>(["preview", "up", "rotate"]);

/** `pulumi version` once for the whole run (every workspace shares the command). */
async function pulumiCommand(automation: Automation): Promise<PulumiCommand> {
  try {
    return await withDeadline(automation.PulumiCommand.get(), 60_000, "`pulumi version`");
  } catch (error) {
    throw new CmicError("ERR_PULUMI_CLI", `the Pulumi CLI could not be started (\`pulumi version\`): ${firstLine(error)}`, {
      fix: "install the Pulumi CLI (https://www.pulumi.com/docs/install/) and put it on PATH.",
      exitCode: EXIT_FAILED,
      cause: error,
    });
  }
}

async function listStackNames(workspace: LocalWorkspace): Promise<string[]> {
  try {
    return (await workspace.listStacks()).map((summary) => summary.name);
  } catch (error) {
    throw new CmicError("ERR_FLEET_LIST", `\`pulumi stack ls --json\` failed: ${firstLine(error)}`, {
      fix: "run the fleet in the project directory (--cwd) logged in to the backend the stacks live in (PULUMI_BACKEND_URL / `pulumi login`).",
      exitCode: EXIT_FAILED,
      cause: error,
    });
  }
}

export async function runFleet(plan: FleetPlan, hooks: FleetHooks): Promise<FleetRun> {
  // Heavy (gRPC, protobuf): loaded only once the command line is known to be valid.
  const automation: Automation = await import("@pulumi/pulumi/automation");
  const command = await pulumiCommand(automation);
  // No "a new version is available" check (a network call) before every command:
  // https://www.pulumi.com/docs/iac/cli/environment-variables/
  const baseEnv = { ...stringEntries(hooks.env), PULUMI_SKIP_UPDATE_CHECK: "true" };
  const workspaceFor = (extra: Record<string, string>) =>
    automation.LocalWorkspace.create({ workDir: plan.cwd, pulumiCommand: command, envVars: { ...baseEnv, ...extra } });
  const workspace = await workspaceFor({});

  let stacks = plan.all ? await listStackNames(workspace) : [...new Set(plan.stacks)];
  if (plan.all && stacks.length === 0) {
    throw new CmicError("ERR_FLEET_EMPTY", "`pulumi stack ls --json` lists no stacks.", {
      fix: "run the fleet in the project directory (--cwd) with the backend the stacks live in (PULUMI_BACKEND_URL / `pulumi login`).",
      exitCode: EXIT_FAILED,
    });
  }
  const label = `fleet ${plan.operation}`;
  if (plan.shard) {
    const fleet = stacks.length;
    stacks = selectShard(stacks, plan.shard);
    hooks.progress(`${label}: ${describeShard(plan.shard)}: ${stacks.length} of ${fleet} stack${fleet === 1 ? "" : "s"}`);
    if (stacks.length === 0) return { results: [], exitCode: fleetExitCode([]) };
  }
  hooks.progress(
    `${label}: ${stacks.length} stack${stacks.length === 1 ? "" : "s"}, ${Math.min(plan.concurrency, stacks.length)} at a time`,
  );

  const limit = createLimiter(plan.concurrency);
  // `Stack.select` runs `pulumi stack select`, which writes the workspace's current stack: one at a time.
  const selectOne = createLimiter(1);
  const pending = new Set<string>();
  const started = Date.now();
  const heartbeat = setInterval(() => {
    if (pending.size === 0) return;
    const running = [...pending];
    hooks.progress(
      `${label}: still running ${running.length} after ${Math.round((Date.now() - started) / 1000)} s: ${running.slice(0, 5).join(", ")}${running.length > 5 ? ", …" : ""}`,
    );
  }, FLEET_HEARTBEAT_MS);
  heartbeat.unref();

  let done = 0;
  const runOne = async (name: string): Promise<FleetStackResult> => {
    if (hooks.interrupts.interrupted) {
      return {
        stack: name,
        status: "failed",
        summary: "not started: the run was interrupted",
        fix: `run it again for this stack (--stack ${name}).`,
        elapsedMs: 0,
      };
    }
    pending.add(name);
    const output = new CommandOutput();
    const stackStarted = Date.now();
    let outcome: StackOutcome;
    try {
      outcome = await runBounded(
        async (signal) => {
          const stack = await selectOne(() => selectStack(automation, name, workspace));
          const own = PROVIDER_OPERATIONS.has(plan.operation) ? await tenantEnvironment(stack, hooks) : null;
          const target = own ? await selectOne(async () => selectStack(automation, name, await workspaceFor(own))) : stack;
          return OPERATIONS[plan.operation]({
            stack: target,
            signal,
            onOutput: output.append,
            env: { ...hooks.env, ...(own ?? {}) },
            addSecret: hooks.addSecret,
            refresh: plan.refresh,
            retirePrevious: plan.retirePrevious,
            propagationWindowMs: plan.propagationWindowMs,
            progress: (line) => output.append(`${line}\n`),
          });
        },
        {
          timeoutMs: plan.stackTimeoutMs,
          graceMs: Math.min(plan.stackTimeoutMs, MAX_GRACE_MS),
          interrupts: hooks.interrupts,
          cancelling: () => output.cancelling,
        },
      );
    } catch (error) {
      outcome =
        error instanceof StepStopped
          ? stoppedOutcome(error, name, plan, output.text)
          : failureOutcome(error, plan.operation, name, output.text);
    }
    pending.delete(name);
    done += 1;
    const result: FleetStackResult = { stack: name, ...outcome, elapsedMs: Date.now() - stackStarted };
    hooks.progress(
      `${label}: [${done}/${stacks.length}] ${name}: ${result.status} (${result.summary}) in ${(result.elapsedMs / 1000).toFixed(1)} s`,
    );
    return result;
  };

  const results = await Promise.all(stacks.map((name) => limit(() => runOne(name)))).finally(() => clearInterval(heartbeat));
  return { results, exitCode: fleetExitCode(results) };
}

async function selectStack(automation: Automation, name: string, workspace: LocalWorkspace): Promise<Stack> {
  try {
    return await automation.Stack.select(name, workspace);
  } catch (error) {
    const notFound = error instanceof automation.StackNotFoundError;
    throw new CmicError(
      notFound ? "ERR_FLEET_STACK_NOT_FOUND" : "ERR_FLEET_SELECT",
      notFound
        ? `the stack ${name} does not exist in this project's backend.`
        : `\`pulumi stack select ${name}\` failed: ${firstLine(error)}`,
      {
        fix: notFound
          ? "check the name (`pulumi stack ls`), the project directory (--cwd) and the backend (PULUMI_BACKEND_URL / `pulumi login`)."
          : "check the backend login (`pulumi login`) and PULUMI_CONFIG_PASSPHRASE for passphrase-encrypted stacks.",
        cause: error,
      },
    );
  }
}

/** The provider's environment for the stack's tenant (`azuread:tenantId` of its config), per the credentials file. */
async function tenantEnvironment(stack: Stack, hooks: FleetHooks): Promise<Record<string, string> | null> {
  if (!hooks.deployEnvironment) return null;
  let tenantId: string;
  try {
    tenantId = (await stack.getConfig("azuread:tenantId")).value;
  } catch {
    // No tenant in the config: the provider signs in where the environment says; nothing to choose.
    return null;
  }
  const environment = hooks.deployEnvironment(tenantId);
  for (const [name, value] of Object.entries(environment ?? {})) if (/SECRET|PASSWORD/.test(name)) hooks.addSecret(value);
  return environment;
}

function stoppedOutcome(error: StepStopped, name: string, plan: FleetPlan, output: string): StackOutcome {
  const seconds = Math.round(plan.stackTimeoutMs / 1000);
  const abandoned = error.ended ? "" : "; it had not ended after the signal and was abandoned";
  if (error.reason === "interrupt") {
    return {
      status: "failed",
      summary: `interrupted (Ctrl-C / SIGTERM)${abandoned}`,
      fix: `run it again for this stack (--stack ${name}); if an update was cut short, \`pulumi refresh --stack ${name}\` first.`,
      detail: lastLines(output, 20),
    };
  }
  return {
    status: "failed",
    summary: `did not finish within --stack-timeout ${seconds} s and was stopped${abandoned}`,
    fix: "see what it was waiting for in its output; raise --stack-timeout if the stack is only slow.",
    detail: lastLines(output, 20),
  };
}

/** The defined string values of an environment (the Automation API's envVars are strings). */
function stringEntries(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}
