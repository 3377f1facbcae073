/**
 * `npm run drift -- --stack NAME | --all [options]`: is what runs in Entra still what the stack
 * deployed? Two independent layers per stack:
 *   1. Pulumi's view: `pulumi preview --refresh --expect-no-changes --json` (writes no state);
 *   2. a live Microsoft Graph audit from the stack outputs, one `$batch` per app, which also finds
 *      what Pulumi cannot see (credentials added by hand, a second claims policy, expiring secrets).
 * Exit 0 clean, 3 drift or expiry, 1 could not check, 2 bad usage. See `--help`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Client } from "@microsoft/microsoft-graph-client";
import { StackOutputsError, type StackOutputs } from "../../contract/stackOutputs";
import { createDeployerCredential } from "../shared/credentials";
import { createGraphClient, GRAPH_URL } from "../shared/graphClient";
import { readStackOutputsFromPulumi, StackOutputsSourceError, type PulumiInvocation } from "../shared/stackOutputSources";
import { listStacks, previewStack, type PreviewOutcome } from "./pulumiPreview";
import { evaluateAudit, fetchAudit } from "./graphAudit";
import {
  EXIT_USAGE,
  findingsOf,
  fleetExitCode,
  formatTable,
  stackStatus,
  statusLabel,
  toJsonReport,
  toJUnitXml,
  type DriftCheck,
  type DriftFinding,
  type StackDriftResult,
} from "./report";

export const GRAPH_URL_ENV = "CMIC_GRAPH_URL";
/** Previews run the Pulumi program and a provider per stack: CPU-bound, so few at once. */
export const DEFAULT_CONCURRENCY = 4;
/** Graph audits are one small `$batch` each: latency-bound, so many at once (well under Graph's throttling limits). */
export const DEFAULT_AUDIT_CONCURRENCY = 16;
export const DEFAULT_EXPIRY_DAYS = 30;

const HELP = `Usage: npm run drift -- (--stack NAME | --all) [options]

Checks that a deployed stack still matches Entra ID, in two layers:
  pulumi  \`pulumi preview --refresh --expect-no-changes --json\`: what \`pulumi up\` would change
          after reading every resource back from Entra (no state is written)
  graph   a live Microsoft Graph audit from the stack outputs (one $batch per app): the app and
          service principal exist, v2 tokens, mapped claims accepted, identifier URI present and on
          a verified domain, scope = URI + /.default, exactly the stack's claims-mapping policy with
          the expected cmicuser value, no credentials added by hand, none expiring soon

Which stacks:
  --stack NAME           one stack (repeat for several)
  --all                  every stack \`pulumi stack ls --json\` lists
  --cwd DIR              the Pulumi project directory (default: current directory)
  --concurrency N        Pulumi previews at once (default ${DEFAULT_CONCURRENCY})
  --audit-concurrency N  Graph audits at once (default ${DEFAULT_AUDIT_CONCURRENCY})

Checks:
  --expiry-days N        report credentials that expire within N days (default ${DEFAULT_EXPIRY_DAYS})
  --skip-preview         Graph audit only (no Pulumi program run; needs only \`pulumi stack output\`)
  --skip-audit           Pulumi layer only (no Graph access needed)
  --graph-url URL        Graph origin (default $${GRAPH_URL_ENV} or ${GRAPH_URL})

Output:
  (default)              a table per stack on stdout, one progress line per stack on stderr
  --json                 { ok, exitCode, expiryDays, generatedAt, stacks: [{ stack, status, error?, findings, checks }] }
  --junit FILE           JUnit XML: one testsuite per stack, one testcase per check
  -h, --help             this text

Graph credential: AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (service principal), else
DefaultAzureCredential (workload identity federation, managed identity, az login). It needs
Application.Read.All, Policy.Read.All and Domain.Read.All (application permissions).

Exit status: 0 no drift; 3 drift or an expiring credential; 1 a stack could not be checked (this
wins over 3: the fleet cannot be called clean, and drift found elsewhere is still reported);
2 bad usage.
`;

const OPTIONS = {
  stack: { type: "string", multiple: true },
  all: { type: "boolean" },
  cwd: { type: "string" },
  concurrency: { type: "string" },
  "audit-concurrency": { type: "string" },
  "expiry-days": { type: "string" },
  "skip-preview": { type: "boolean" },
  "skip-audit": { type: "boolean" },
  "graph-url": { type: "string" },
  json: { type: "boolean" },
  junit: { type: "string" },
  help: { type: "boolean", short: "h" },
} satisfies ParseArgsConfig["options"];

/** Bad usage: exit 2 with the message. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

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
  help: boolean;
}

function positiveInteger(flag: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    throw new UsageError(`--${flag} must be a whole number ≥ ${min}, got '${value}'.`);
  }
  return number;
}

export function parseDriftArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): DriftOptions {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false }>>["values"];
  try {
    values = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}. Run \`npm run drift -- --help\` for the options.`);
  }
  const help = values.help === true;
  const stacks = (values.stack ?? []).map((s) => s.trim()).filter((s) => s !== "");
  const all = values.all === true;
  if (!help) {
    if (all && stacks.length > 0) throw new UsageError("Give either --stack NAME or --all, not both.");
    if (!all && stacks.length === 0) throw new UsageError("Say which stacks to check: --stack NAME (repeatable) or --all.");
    if (values["skip-preview"] && values["skip-audit"]) {
      throw new UsageError("--skip-preview and --skip-audit together leave nothing to check; drop one of them.");
    }
  }
  const graphUrl = values["graph-url"] ?? env[GRAPH_URL_ENV] ?? GRAPH_URL;
  try {
    const url = new URL(graphUrl);
    if (url.protocol !== "https:") throw new Error("not https");
  } catch {
    throw new UsageError(`--graph-url / $${GRAPH_URL_ENV} must be an https:// origin, got '${graphUrl}'.`);
  }
  if (values.junit !== undefined && values.junit.trim() === "") throw new UsageError("--junit needs a file name.");
  return {
    stacks: [...new Set(stacks)],
    all,
    cwd: values.cwd,
    concurrency: positiveInteger("concurrency", values.concurrency, DEFAULT_CONCURRENCY, 1),
    auditConcurrency: positiveInteger("audit-concurrency", values["audit-concurrency"], DEFAULT_AUDIT_CONCURRENCY, 1),
    expiryDays: positiveInteger("expiry-days", values["expiry-days"], DEFAULT_EXPIRY_DAYS, 0),
    skipPreview: values["skip-preview"] === true,
    skipAudit: values["skip-audit"] === true,
    graphUrl,
    json: values.json === true,
    junitFile: values.junit,
    help,
  };
}

/** Runs at most `limit` tasks at once; the others wait their turn in call order. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

export function createLimiter(limit: number): Limiter {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    // A finishing task hands its slot straight to the next waiter, so `running` never dips and a
    // task arriving in between cannot take the slot too.
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    else running += 1;
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running -= 1;
    }
  };
}

function outputsErrorCheck(stack: string, error: unknown): DriftCheck {
  const message =
    error instanceof StackOutputsError || error instanceof StackOutputsSourceError
      ? error.message
      : `reading the stack outputs failed: ${(error as Error).message ?? String(error)}`;
  const finding: DriftFinding = {
    stack,
    layer: "graph",
    id: "graph.outputs",
    severity: "error",
    resource: `stack ${stack} outputs`,
    message: `the Graph audit needs the stack outputs: ${message.split("\n")[0]}`,
    fix: /Fix:/.test(message)
      ? message.slice(message.indexOf("Fix:") + 4).trim()
      : `run \`pulumi stack output --json --stack ${stack}\` yourself to see why, or run \`pulumi up\` with this project's current version`,
  };
  return { layer: "graph", id: "graph.outputs", name: "graph: stack outputs are readable", resource: `stack ${stack} outputs`, findings: [finding] };
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
function fleetError(message: string): StackDriftResult {
  return { stack: "(all stacks)", status: "error", checks: [], error: message };
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
      const results = [fleetError((error as Error).message)];
      return { results, exitCode: fleetExitCode(results) };
    }
    if (stacks.length === 0) {
      const results = [
        fleetError(
          "`pulumi stack ls --json` lists no stacks. Fix: run drift in the project directory (--cwd) with the backend the stacks live in (PULUMI_BACKEND_URL / `pulumi login`).",
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

async function main(): Promise<number> {
  let options: DriftOptions;
  try {
    options = parseDriftArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`drift: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const now = new Date();
  const { results, exitCode } = await runDrift(options, { progress: (line) => process.stderr.write(`${line}\n`), now });
  if (options.json) {
    process.stdout.write(`${JSON.stringify(toJsonReport(results, { expiryDays: options.expiryDays, now }), null, 2)}\n`);
  } else {
    process.stdout.write(formatTable(results));
  }
  if (options.junitFile) {
    const file = path.resolve(options.junitFile);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, toJUnitXml(results, { now }));
    } catch (error) {
      process.stderr.write(`drift: cannot write the JUnit file ${file}: ${(error as Error).message}. Fix: pass a writable path to --junit.\n`);
      return 1;
    }
  }
  return exitCode;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
      // Idle keep-alive sockets of the Graph client must not hold a finished run open.
      setTimeout(() => process.exit(code), 100).unref();
    },
    (error: unknown) => {
      process.stderr.write(`drift: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
