/**
 * The drift engine: both layers for each stack, bounded concurrency, one result per stack. Used by
 * the drift CLI (scripts/drift/cli.ts, which only parses options and prints), the benchmark and the
 * tests; it prints nothing itself (progress goes to a callback).
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { CmicError } from "../../contract/errors";
import type { StackOutputs } from "../../contract/stackOutputs";
import { credentialsFileFromEnv } from "../shared/credentialsFile";
import { createLimiter, type Limiter } from "../shared/limiter";
import { describeShard, selectShard, type Shard } from "../shared/shard";
import type { PulumiInvocation } from "../shared/stackOutputSources";
import type { PreviewOutcome } from "./pulumiPreview";
import { pulumiSource, type DriftStackSource } from "./stackSource";
import { evaluateAudit, fetchAudit, graphRequestFailure, type AuditFetch, type AuditReader } from "./graphAudit";
import { tenantBatchReader } from "./tenantBatches";
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_STACK_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS } from "./defaults";
import { DeadlineError, withDeadline } from "../shared/deadline";
import {
  EXIT_CLEAN,
  findingsOf,
  fleetExitCode,
  stackStatus,
  statusLabel,
  type DriftCheck,
  type DriftFinding,
  type DriftLayer,
  type StackDriftResult,
} from "./report";

export { DEFAULT_AUDIT_CONCURRENCY, DEFAULT_CONCURRENCY, DEFAULT_EXPIRY_DAYS } from "./defaults";

export interface DriftOptions {
  /** Explicit stacks; empty with `all`. */
  stacks: string[];
  all: boolean;
  cwd?: string;
  concurrency: number;
  auditConcurrency: number;
  expiryDays: number;
  skipPreview: boolean;
  skipAudit: boolean;
  /** --graph-url / CMIC_GRAPH_URL; null: each stack's cloud's Graph. */
  graphUrl: string | null;
  json: boolean;
  junitFile?: string;
  /** Each Graph request and each `pulumi stack output` must finish within this long (default 60 s). */
  requestTimeoutMs?: number;
  /** Each stack, both layers, must be judged within this long, else it is "could not check" (default 15 min). */
  stackTimeoutMs?: number;
  /** Only this part of the stacks (`--shard i/n`), after --all or --stack chose them. */
  shard?: Shard;
  /** Check the stacks of a local world (`--state DIR`) instead of Pulumi's, at the world's clock or `atWhen`. */
  world?: { dir: string; at?: string; loadProgram?: () => Record<string, unknown> };
}

function outputsErrorCheck(stack: string, error: unknown, upCommand: string): DriftCheck {
  // Errors of this project carry their fix as a field; anything else gets the generic next step.
  const known = error instanceof CmicError;
  const message = known ? error.message : `reading the stack outputs failed: ${error instanceof Error ? error.message : String(error)}`;
  const finding: DriftFinding = {
    stack,
    layer: "graph",
    id: "graph.outputs",
    severity: "error",
    resource: `stack ${stack} outputs`,
    message: `the Graph audit needs the stack outputs: ${message.split("\n")[0]}`,
    fix:
      (known ? error.fix : undefined) ??
      `run \`pulumi stack output --json --stack ${stack}\` yourself to see why, or run \`${upCommand}\` with this project's current version`,
  };
  return {
    layer: "graph",
    id: "graph.outputs",
    name: "graph: stack outputs are readable",
    resource: `stack ${stack} outputs`,
    findings: [finding],
  };
}

/**
 * drift could not build a credential for the stack's tenant: nothing was read, so "could not check".
 * Its id is the one a failed sign-in has (`graph.request`, README's stable ids): to the reader both
 * mean "Graph could not be asked in that tenant", and the message and fix say why.
 */
function credentialErrorCheck(stack: string, tenantId: string, error: unknown): DriftCheck {
  const known = error instanceof CmicError;
  return graphRequestFailure(
    stack,
    `drift has no credential for the stack's tenant ${tenantId}: ${(known || error instanceof Error ? error.message : String(error)).split("\n")[0]}`,
    (known ? error.fix : undefined) ??
      "check the credential drift runs with (CMIC_CREDENTIALS_FILE, or AZURE_TENANT_ID / AZURE_CLIENT_ID and a secret or workload identity federation)",
  );
}

export interface StackCheckContext {
  options: DriftOptions;
  /** Where stacks, outputs, previews and Graph come from. */
  source: DriftStackSource;
  /** Separate limits: a slow preview must not hold back the quick Graph audits, nor the reverse. */
  previewLimit: Limiter;
  /** Stack outputs read at once (`pulumi stack output` is a process each). */
  auditLimit: Limiter;
  /** The audit's Graph requests per tenant: several stacks' reads in each `$batch`. */
  readerFor(tenantId: string, client: Client): AuditReader;
  /** Graph requests at once, across tenants. */
  requestLimit: Limiter;
  now: Date;
}

/**
 * Both layers for one stack, concurrently; never throws. The Graph batch does not wait for the
 * preview: only the judging does, because an expiring secret's fix names the rotation resource's
 * URN, which the preview knows.
 */
export async function checkStack(stack: string, context: StackCheckContext): Promise<StackDriftResult> {
  const { options, source } = context;
  const timeoutMs = options.stackTimeoutMs ?? DEFAULT_STACK_TIMEOUT_MS;
  const preview: Promise<PreviewOutcome | null> = options.skipPreview
    ? Promise.resolve(null)
    : context.previewLimit(() =>
        withinStackDeadline(stack, "pulumi", timeoutMs, source.preview(stack, timeoutMs), (check) => ({
          checks: [check],
          error: check.findings[0].message,
        })),
      );
  const audit: Promise<DriftCheck[]> = options.skipAudit ? Promise.resolve([]) : auditLayer(stack, context, preview);
  const [previewOutcome, auditChecks] = await Promise.all([preview, audit]);
  const checks = [...(previewOutcome?.checks ?? []), ...auditChecks];
  const errors = checks.flatMap((c) => c.findings).filter((f) => f.severity === "error");
  const error = errors.length > 0 ? errors.map((f) => `${f.layer}: ${f.message}`).join("; ") : undefined;
  return { stack, status: stackStatus(checks, error), checks, ...(error !== undefined ? { error } : {}) };
}

async function auditLayer(stack: string, context: StackCheckContext, preview: Promise<PreviewOutcome | null>): Promise<DriftCheck[]> {
  const fetched = await fetchForAudit(stack, context);
  if (fetched.outputs === null || !fetched.result.ok) return fetched.result.ok ? [] : fetched.result.checks;
  const rotationUrn = (await preview)?.rotationUrn;
  return evaluateAudit(
    {
      stack,
      outputs: fetched.outputs,
      expiryDays: context.options.expiryDays,
      now: context.now,
      rotationUrn,
      fixCommands: context.source.commands,
      signInActivity: fetched.result.signInActivity,
    },
    fetched.result.responses,
  );
}

type AuditLayerFetch = { outputs: StackOutputs | null; result: AuditFetch };

const lateAudit = (check: DriftCheck): AuditLayerFetch => ({ outputs: null, result: { ok: false, checks: [check] } });

/**
 * The stack's outputs and its Graph reads, or the errored check that says why not. Only reading the
 * outputs holds an audit slot (`pulumi stack output` is a process each): the reads then wait in
 * their tenant's next `$batch`, whose POSTs are bounded on their own, so stacks of one tenant can
 * share a batch. The stack's deadline runs from when its slot starts, reads included.
 */
async function fetchForAudit(stack: string, context: StackCheckContext): Promise<AuditLayerFetch> {
  const requestTimeoutMs = context.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const timeoutMs = context.options.stackTimeoutMs ?? DEFAULT_STACK_TIMEOUT_MS;
  let deadlineAt = 0;
  let outputs: StackOutputs;
  let client: Client;
  try {
    const read = await context.auditLimit(() => {
      deadlineAt = Date.now() + timeoutMs;
      const work: Promise<{ outputs: StackOutputs } | { late: DriftCheck }> = context.source
        .readOutputs(stack, requestTimeoutMs)
        .then((value) => ({ outputs: value }));
      return withinStackDeadline(stack, "graph", timeoutMs, work, (check) => ({ late: check }));
    });
    if ("late" in read) return lateAudit(read.late);
    outputs = read.outputs;
  } catch (error) {
    return { outputs: null, result: { ok: false as const, checks: [outputsErrorCheck(stack, error, context.source.commands.up(stack))] } };
  }
  try {
    client = context.source.graphClient(outputs.tenantId, outputs.azureCloud);
  } catch (error) {
    // The tenant's credential could not be built (say, CMIC_CREDENTIALS_FILE names a variable that
    // is unset): only this tenant's stacks are "could not check", each with that fix.
    return { outputs: null, result: { ok: false as const, checks: [credentialErrorCheck(stack, outputs.tenantId, error)] } };
  }
  const reads = fetchAudit(stack, outputs, {
    client,
    reader: context.readerFor(outputs.tenantId, client),
    limit: context.requestLimit,
    requestTimeoutMs,
    now: context.now,
    signedInAs: context.source.graphIdentity(outputs.tenantId),
  });
  return withinStackDeadline(
    stack,
    "graph",
    timeoutMs,
    reads.then((result) => ({ outputs, result })),
    lateAudit,
    deadlineAt - Date.now(),
  );
}

/**
 * A layer that missed the stack's deadline: what it was still waiting for (a preview, a Graph
 * request) is abandoned, and the stack reads "could not check", never clean.
 */
function deadlineCheck(stack: string, layer: DriftLayer, error: DeadlineError): DriftCheck {
  const finding: DriftFinding = {
    stack,
    layer,
    id: "stack.deadline",
    severity: "error",
    resource: `stack ${stack}`,
    message: `${error.message}, so the stack could not be checked`,
    fix: "run drift for this stack alone to see what waits (--skip-preview / --skip-audit), check the backend and the network, or raise --stack-timeout",
  };
  return {
    layer,
    id: "stack.deadline",
    name: `${layer}: checked within the stack's deadline`,
    resource: `stack ${stack}`,
    findings: [finding],
  };
}

/**
 * `work` bounded by the stack's deadline, timed from when it starts (inside its concurrency slot,
 * so a stack waiting its turn in a large fleet is not charged for the wait).
 */
async function withinStackDeadline<T>(
  stack: string,
  layer: DriftLayer,
  timeoutMs: number,
  work: Promise<T>,
  late: (check: DriftCheck) => T,
  /** What is left of the deadline when part of it was spent already (default: all of it). */
  remainingMs: number = timeoutMs,
): Promise<T> {
  try {
    return await withDeadline(
      work,
      Math.max(0, remainingMs),
      `the ${layer === "pulumi" ? "Pulumi preview" : "Graph audit"} of stack ${stack}`,
      timeoutMs,
    );
  } catch (error) {
    if (error instanceof DeadlineError) return late(deadlineCheck(stack, layer, error));
    throw error;
  }
}

/** A failure before any stack could be checked (e.g. `pulumi stack ls`), as a result of its own. */
function fleetError(message: string, fix?: string): StackDriftResult {
  // The report has one text per failed stack: the fix is appended there, for people to read.
  return { stack: "(all stacks)", status: "error", checks: [], error: fix ? `${message} Fix: ${fix}` : message };
}

/** A run that could not reach any stack: one errored result, exit 1. */
function fleetFailure(error: unknown): DriftRun {
  const results = [
    error instanceof CmicError ? fleetError(error.message, error.fix) : fleetError(error instanceof Error ? error.message : String(error)),
  ];
  return { results, exitCode: fleetExitCode(results) };
}

export interface DriftRun {
  results: StackDriftResult[];
  exitCode: number;
}

export async function runDrift(
  options: DriftOptions,
  io: { env?: NodeJS.ProcessEnv; progress?: (line: string) => void; now?: Date } = {},
): Promise<DriftRun> {
  const env = io.env ?? process.env;
  let source: DriftStackSource;
  if (options.world) {
    const { openWorldSource } = await import("./worldSource");
    try {
      source = await openWorldSource(options.world.dir, options.world.at, options.world.loadProgram);
    } catch (error) {
      return fleetFailure(error);
    }
  } else {
    // The credentials file is checked before any stack is: a broken file is the whole run's error.
    if (!options.skipAudit) {
      try {
        for (const warning of credentialsFileFromEnv(env)?.warnings ?? []) io.progress?.(warning);
      } catch (error) {
        return fleetFailure(error);
      }
    }
    const invocation: PulumiInvocation = { cwd: options.cwd, env };
    source = pulumiSource(invocation, options.graphUrl, env);
  }
  try {
    return await checkStacks(options, source, io);
  } finally {
    await source.close();
  }
}

/** What the stacks of one run share: the limits, and one batching reader per tenant. */
export function fleetContext(options: DriftOptions, source: DriftStackSource, now: Date): StackCheckContext {
  const requestLimit = createLimiter(options.auditConcurrency);
  const readers = new Map<string, AuditReader>();
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  return {
    options,
    source,
    previewLimit: createLimiter(options.concurrency),
    auditLimit: createLimiter(options.auditConcurrency),
    readerFor(tenantId, client) {
      const key = tenantId.toLowerCase();
      let reader = readers.get(key);
      if (!reader) readers.set(key, (reader = tenantBatchReader(client, { limit: requestLimit, requestTimeoutMs })));
      return reader;
    },
    requestLimit,
    now,
  };
}

/** Check `options`' stacks from `source` (runDrift opens the source; the benchmark brings its own). */
export async function checkStacks(
  options: DriftOptions,
  source: DriftStackSource,
  io: { progress?: (line: string) => void; now?: Date },
): Promise<DriftRun> {
  const progress = io.progress ?? (() => undefined);
  let stacks = options.stacks;
  if (options.all) {
    try {
      stacks = await source.listStacks();
    } catch (error) {
      return fleetFailure(error);
    }
    if (stacks.length === 0) {
      const results = [
        fleetError(
          options.world ? `The world in ${options.world.dir} holds no stack.` : "`pulumi stack ls --json` lists no stacks.",
          options.world
            ? `run \`npm run sandbox -- --state ${options.world.dir}\` first.`
            : "run drift in the project directory (--cwd) with the backend the stacks live in (PULUMI_BACKEND_URL / `pulumi login`).",
        ),
      ];
      return { results, exitCode: fleetExitCode(results) };
    }
  }
  if (options.shard) {
    const fleet = stacks.length;
    stacks = selectShard(stacks, options.shard);
    progress(`drift: ${describeShard(options.shard)}: ${stacks.length} of ${fleet} stack${fleet === 1 ? "" : "s"}`);
    // More jobs than stacks: this job has nothing to check, which is no failure of the fleet.
    if (stacks.length === 0) return { results: [], exitCode: EXIT_CLEAN };
  }
  const context = fleetContext(options, source, io.now ?? source.now());
  let done = 0;
  const pending = new Set(stacks);
  const runStarted = Date.now();
  // While stacks are pending, say which, so a long wait never looks like a hang.
  const heartbeat = setInterval(() => {
    const waiting = [...pending];
    progress(
      `drift: still checking ${waiting.length} stack${waiting.length === 1 ? "" : "s"} after ${Math.round((Date.now() - runStarted) / 1000)} s: ` +
        `${waiting.slice(0, 5).join(", ")}${waiting.length > 5 ? ", …" : ""}`,
    );
  }, HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();
  const results = await Promise.all(
    stacks.map(async (stack) => {
      const started = Date.now();
      const result = await checkStack(stack, context);
      pending.delete(stack);
      done += 1;
      const findings = findingsOf(result).length;
      progress(
        `drift: [${done}/${stacks.length}] ${stack}: ${statusLabel(result.status)}` +
          `${findings > 0 ? ` (${findings} finding${findings === 1 ? "" : "s"})` : ""} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      return result;
    }),
  ).finally(() => clearInterval(heartbeat));
  return { results, exitCode: fleetExitCode(results) };
}
