/**
 * The drift engine: both layers for each stack, bounded concurrency, one result per stack. Used by
 * the drift CLI (scripts/drift/cli.ts, which only parses options and prints), the benchmark and the
 * tests; it prints nothing itself (progress goes to a callback).
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { CmicError } from "../../contract/errors";
import type { StackOutputs } from "../../contract/stackOutputs";
import { createDeployerCredential } from "../shared/credentials";
import { createGraphClient } from "../shared/graphClient";
import { createLimiter, type Limiter } from "../shared/limiter";
import { readStackOutputsFromPulumi, type PulumiInvocation } from "../shared/stackOutputSources";
import { listStacks, previewStack, type PreviewOutcome } from "./pulumiPreview";
import { evaluateAudit, fetchAudit } from "./graphAudit";
import { findingsOf, fleetExitCode, stackStatus, statusLabel, type DriftCheck, type DriftFinding, type StackDriftResult } from "./report";

/** Previews run the Pulumi program and a provider per stack: CPU-bound, so few at once. */
export const DEFAULT_CONCURRENCY = 4;
/** Graph audits are one small `$batch` each: latency-bound, so many at once (well under Graph's throttling limits). */
export const DEFAULT_AUDIT_CONCURRENCY = 16;
export const DEFAULT_EXPIRY_DAYS = 30;

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
  graphUrl: string;
  json: boolean;
  junitFile?: string;
}

function outputsErrorCheck(stack: string, error: unknown): DriftCheck {
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
      `run \`pulumi stack output --json --stack ${stack}\` yourself to see why, or run \`pulumi up\` with this project's current version`,
  };
  return {
    layer: "graph",
    id: "graph.outputs",
    name: "graph: stack outputs are readable",
    resource: `stack ${stack} outputs`,
    findings: [finding],
  };
}

export interface StackCheckContext {
  options: DriftOptions;
  invocation: PulumiInvocation;
  /** Separate limits: a slow preview must not hold back the quick Graph audits, nor the reverse. */
  previewLimit: Limiter;
  auditLimit: Limiter;
  /** Built once per run, only when the audit runs. */
  graphClient: () => Client;
  now: Date;
}

/**
 * Both layers for one stack, concurrently; never throws. The Graph batch does not wait for the
 * preview: only the judging does, because an expiring secret's fix names the rotation resource's
 * URN, which the preview knows.
 */
export async function checkStack(stack: string, context: StackCheckContext): Promise<StackDriftResult> {
  const { options, invocation } = context;
  const preview: Promise<PreviewOutcome | null> = options.skipPreview
    ? Promise.resolve(null)
    : context.previewLimit(() => previewStack(stack, invocation));
  const audit: Promise<DriftCheck[]> = options.skipAudit ? Promise.resolve([]) : auditLayer(stack, context, preview);
  const [previewOutcome, auditChecks] = await Promise.all([preview, audit]);
  const checks = [...(previewOutcome?.checks ?? []), ...auditChecks];
  const errors = checks.flatMap((c) => c.findings).filter((f) => f.severity === "error");
  const error = errors.length > 0 ? errors.map((f) => `${f.layer}: ${f.message}`).join("; ") : undefined;
  return { stack, status: stackStatus(checks, error), checks, ...(error !== undefined ? { error } : {}) };
}

async function auditLayer(stack: string, context: StackCheckContext, preview: Promise<PreviewOutcome | null>): Promise<DriftCheck[]> {
  const fetched = await context.auditLimit(async () => {
    let outputs: StackOutputs;
    let client: Client;
    try {
      outputs = await readStackOutputsFromPulumi(stack, context.invocation);
      client = context.graphClient();
    } catch (error) {
      return { outputs: null, result: { ok: false as const, checks: [outputsErrorCheck(stack, error)] } };
    }
    return { outputs, result: await fetchAudit(stack, outputs, { client }) };
  });
  if (fetched.outputs === null || !fetched.result.ok) return fetched.result.ok ? [] : fetched.result.checks;
  const rotationUrn = (await preview)?.rotationUrn;
  return evaluateAudit(
    { stack, outputs: fetched.outputs, expiryDays: context.options.expiryDays, now: context.now, rotationUrn },
    fetched.result.responses,
  );
}

/** A failure before any stack could be checked (e.g. `pulumi stack ls`), as a result of its own. */
function fleetError(message: string, fix?: string): StackDriftResult {
  // The report has one text per failed stack: the fix is appended there, for people to read.
  return { stack: "(all stacks)", status: "error", checks: [], error: fix ? `${message} Fix: ${fix}` : message };
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
  const progress = io.progress ?? (() => undefined);
  const invocation: PulumiInvocation = { cwd: options.cwd, env };
  let stacks = options.stacks;
  if (options.all) {
    try {
      stacks = await listStacks(invocation);
    } catch (error) {
      const results = [
        error instanceof CmicError
          ? fleetError(error.message, error.fix)
          : fleetError(error instanceof Error ? error.message : String(error)),
      ];
      return { results, exitCode: fleetExitCode(results) };
    }
    if (stacks.length === 0) {
      const results = [
        fleetError(
          "`pulumi stack ls --json` lists no stacks.",
          "run drift in the project directory (--cwd) with the backend the stacks live in (PULUMI_BACKEND_URL / `pulumi login`).",
        ),
      ];
      return { results, exitCode: fleetExitCode(results) };
    }
  }
  let client: Client | undefined;
  const context: StackCheckContext = {
    options,
    invocation,
    previewLimit: createLimiter(options.concurrency),
    auditLimit: createLimiter(options.auditConcurrency),
    now: io.now ?? new Date(),
    graphClient: () => (client ??= createGraphClient({ credential: createDeployerCredential(env), graphUrl: options.graphUrl })),
  };
  let done = 0;
  const results = await Promise.all(
    stacks.map(async (stack) => {
      const started = Date.now();
      const result = await checkStack(stack, context);
      done += 1;
      const findings = findingsOf(result).length;
      progress(
        `drift: [${done}/${stacks.length}] ${stack}: ${statusLabel(result.status)}` +
          `${findings > 0 ? ` (${findings} finding${findings === 1 ? "" : "s"})` : ""} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      return result;
    }),
  );
  return { results, exitCode: fleetExitCode(results) };
}
