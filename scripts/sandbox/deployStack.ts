/**
 * One `pulumi up` (or preview) of a stack on an emulator tenant, with the real program: the engine
 * model (engine/) runs index.ts under Pulumi's mocks, refreshes and diffs against the stack's prior
 * state, and the provider models (provider/) apply each step to the tenant through Microsoft Graph.
 * The sandbox, the tests and the benchmarks all provision through here.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { CONFIG_NAMESPACE } from "../../contract/kinds";
import { CmicError, EXIT_FAILED } from "../../contract/errors";
import { defineCmicStack } from "../../components/stack";
import { parseStackOutputs, type StackOutputs } from "../../contract/stackOutputs";
import { deployerGraph, type EmulatorTenantAccess } from "../world/deployerGraph";
import type { VerifyReport } from "../verify/report";
import { worldClock, type WorldClock } from "../world/clock";
import { atWorldTime } from "../world/programClock";
import type { BreakName } from "./breaks";
import { runEngine } from "./engine/engine";
import type { RefreshChange, Step } from "./engine/plan";
import { emptyStackState, type StackState } from "./engine/state";
import { runPostDeployCheck } from "./postDeployCheck";
import { modelFor } from "./provider";
import type { ProviderContext } from "./provider/types";
import { plainOutputs } from "./runProgram";

export { deployerGraph, type EmulatorTenantAccess } from "../world/deployerGraph";

export interface DeployStackOptions {
  /** The emulator's origin (authority host and Graph). */
  emulatorUrl: string;
  tenant: EmulatorTenantAccess;
  /** Stack config; keys without a namespace are `cmic-entra-oauth:` settings. `azuread:tenantId` is the tenant. */
  settings: Record<string, string>;
  stack?: string;
  /** The stack's state before this run (default: none, a first `pulumi up`). */
  state?: StackState;
  /** The run's clock (default: the real one). */
  clock?: WorldClock;
  /** `pulumi preview`: decide, change nothing. */
  preview?: boolean;
  /** `pulumi up --replace URN`: replace these resources whatever their diff. */
  replace?: readonly string[];
  breakName?: BreakName;
  /** How long the post-deploy check (when the settings keep it on) retries propagation errors. */
  propagationWindowMs?: number;
  /** Run the post-deploy check's real command line, or the same verify code in-process (default). */
  postDeployCheck?: "in-process" | "command";
  /** Progress lines of the post-deploy check. */
  onProgress?(line: string): void;
  onStep?(step: Step): void;
  onRefresh?(change: RefreshChange): void;
  /** The program to run; default the body of index.ts. The sandbox CLI passes index.ts itself. */
  loadProgram?: () => Record<string, unknown>;
}

/** What one run did, also when it failed: the state then holds every step that completed. */
export interface StackUpdate {
  ok: boolean;
  error: DeployError | null;
  /** The outputs after the run; null when it failed (the state keeps the previous ones). */
  outputs: StackOutputs | null;
  state: StackState;
  /** The state as refresh read it back, before any step. */
  refreshedState: StackState;
  steps: Step[];
  refreshed: RefreshChange[];
  /** Graph client signed in as the tenant's deployer, to inspect or change what was deployed. */
  graph: Client;
  /** The post-deploy check's checklist when it ran in this run (the Command resource was created or replaced). */
  checklist: string | null;
  /** Its structured report, when it ran in-process. */
  checkReport: VerifyReport | null;
}

export interface DeployedStack {
  outputs: StackOutputs;
  graph: Client;
  checklist: string | null;
  checkReport: VerifyReport | null;
  state: StackState;
  steps: Step[];
  /** What was created, in order. */
  created: { type: string; name: string; id: string }[];
}

/**
 * The deployment failed (the program, a resource, or the post-deploy check); `report` is the
 * post-deploy check's structured report when it ran in-process before the failure.
 */
export class DeployError extends CmicError {
  constructor(
    cause: unknown,
    readonly report: VerifyReport | null,
  ) {
    const known = cause instanceof CmicError ? cause : null;
    super(known?.code ?? "ERR_DEPLOY", cause instanceof Error ? cause.message : String(cause), {
      fix: known?.fix,
      exitCode: known?.exitCode ?? EXIT_FAILED,
      cause,
    });
  }
}

export function stackConfig(tenantId: string, settings: Record<string, string>): Record<string, string> {
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) config[key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`] = value;
  config["azuread:tenantId"] = tenantId;
  return config;
}

/** One run; never rejects for a failed update (the result says so and keeps the partial state). */
export async function updateStack(options: DeployStackOptions): Promise<StackUpdate> {
  const graph = deployerGraph(options.emulatorUrl, options.tenant);
  const clock = options.clock ?? worldClock(new Date());
  let checklist: string | null = null;
  let checkReport: VerifyReport | null = null;
  const provider: ProviderContext = {
    graph,
    tenantId: options.tenant.tenantId,
    now: () => clock.now(),
    breakName: options.breakName,
    runCommand: (resourceName, commandLine, environment) =>
      runPostDeployCheck(
        {
          authorityHost: options.emulatorUrl,
          propagationWindowMs: options.propagationWindowMs ?? 30_000,
          now: () => clock.now(),
          mode: options.postDeployCheck,
          hooks: { onProgress: options.onProgress },
          onCheck: (text, report) => {
            checklist = text;
            checkReport = report;
          },
        },
        resourceName,
        commandLine,
        environment,
      ),
  };
  const load = options.loadProgram ?? defineCmicStack;
  const result = await runEngine({
    stack: options.stack ?? "emulated",
    config: stackConfig(options.tenant.tenantId, options.settings),
    state: options.state ?? emptyStackState(),
    loadProgram: () => atWorldTime(clock, load),
    provider,
    modelFor,
    refresh: true,
    preview: options.preview,
    replace: options.replace,
    onStep: options.onStep,
    onRefresh: options.onRefresh,
  });
  let outputs: StackOutputs | null = null;
  let error = result.error ? new DeployError(result.error, checkReport) : null;
  if (result.ok && result.outputs && !options.preview) {
    try {
      outputs = parseStackOutputs(plainOutputs({ outputs: result.outputs }));
    } catch (invalid) {
      error = new DeployError(invalid, checkReport);
    }
  }
  return {
    ok: error === null,
    error,
    outputs,
    state: result.state,
    refreshedState: result.refreshedState,
    steps: result.steps,
    refreshed: result.refreshed,
    graph,
    checklist,
    checkReport,
  };
}

/** A first `pulumi up`; rejects with the program's or the post-deploy check's error, as `pulumi up` would fail. */
export async function deployStack(options: DeployStackOptions): Promise<DeployedStack> {
  const update = await updateStack(options);
  if (!update.ok || !update.outputs)
    throw update.error ?? new DeployError(new Error("The update produced no outputs."), update.checkReport);
  const ids = new Map(update.state.resources.map((record) => [record.urn, record.id]));
  return {
    outputs: update.outputs,
    graph: update.graph,
    checklist: update.checklist,
    checkReport: update.checkReport,
    state: update.state,
    steps: update.steps,
    created: update.steps
      .filter((step) => step.op === "create" && (ids.get(step.urn) ?? "") !== "")
      .map((step) => ({ type: step.type, name: step.name, id: ids.get(step.urn) ?? "" })),
  };
}
