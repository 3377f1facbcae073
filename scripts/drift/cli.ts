/**
 * `npm run drift -- --stack NAME | --all [options]`: is what runs in Entra still what the stack
 * deployed? Two independent layers per stack:
 *   1. Pulumi's view: `pulumi preview --refresh --expect-no-changes --json` (writes no state);
 *   2. a live Microsoft Graph audit from the stack outputs (several stacks of a tenant per `$batch`),
 *      which also finds what Pulumi cannot see (credentials added by hand, a second claims policy, expiring secrets).
 * Exit 0 clean, 3 drift or expiry, 1 could not check, 2 bad usage. See `--help`.
 *
 * This file only parses options and prints: the engine (scripts/drift/engine.ts, which loads the
 * Graph client and @azure/identity) is imported inside `run`.
 */
import fs from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { CmicError, UsageError } from "../../contract/errors";
import { GRAPH_URL, GRAPH_URL_ENV } from "../../contract/entraEndpoints";

export { GRAPH_URL_ENV };
import { defineCommand, numberOption, parseCommandLine, runWhenMain, type OptionSpecs, type ParsedOptions } from "../shared/cli";
import type { DriftOptions } from "./engine";
import { parseShard } from "../shared/shard";
import { formatTable, toJsonReport, toJUnitXml } from "./report";
import {
  DEFAULT_AUDIT_CONCURRENCY,
  DEFAULT_CONCURRENCY,
  DEFAULT_EXPIRY_DAYS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_STACK_TIMEOUT_MS,
  HEARTBEAT_INTERVAL_MS,
} from "./defaults";

export { DEFAULT_AUDIT_CONCURRENCY, DEFAULT_CONCURRENCY, DEFAULT_EXPIRY_DAYS } from "./defaults";

const HELP = `Usage: npm run drift -- (--stack NAME | --all) [options]

Checks that a deployed stack still matches Entra ID, in two layers:
  pulumi  \`pulumi preview --refresh --expect-no-changes --json\`: what \`pulumi up\` would change
          after reading every resource back from Entra (no state is written)
  graph   a live Microsoft Graph audit from the stack outputs ($batch, /domains once per tenant): the app and
          service principal exist, v2 tokens, mapped claims accepted, identifier URI present and on
          a verified domain, scope = URI + /.default, exactly the stack's claims-mapping policy with
          the expected cmicuser value, no credentials added by hand, none expiring soon

Which stacks:
  --stack NAME           one stack (repeat for several)
  --all                  every stack \`pulumi stack ls --json\` lists
  --state DIR            the stacks of the local world of \`npm run sandbox -- --state DIR\` (all of
                         them unless --stack names some): its emulated tenant is audited and the
                         sandbox engine's preview is the Pulumi layer; no Pulumi CLI or tenant needed
  --at WHEN              with --state: judge at this instant (ISO date or +Nd after the world's last run)
  --cwd DIR              the Pulumi project directory (default: current directory)
  --shard I/N            only the I-th of N parts of those stacks (sorted, dealt round-robin): N CI
                         jobs with I = 1…N check every stack exactly once
  --concurrency N        Pulumi previews at once (default ${DEFAULT_CONCURRENCY})
  --audit-concurrency N  stack outputs read, and Graph requests, at once (default ${DEFAULT_AUDIT_CONCURRENCY})

Checks:
  --expiry-days N        report credentials that expire within N days (default ${DEFAULT_EXPIRY_DAYS})
  --skip-preview         Graph audit only (no Pulumi program run; needs only \`pulumi stack output\`)
  --skip-audit           Pulumi layer only (no Graph access needed)
  --graph-url URL        Graph origin (default $${GRAPH_URL_ENV}, else each stack's cloud's Graph:
                         ${GRAPH_URL} for azureCloud public)

Deadlines (a stack that misses one is "could not check", never clean):
  --request-timeout S    each Graph request and \`pulumi stack output\` (default ${DEFAULT_REQUEST_TIMEOUT_MS / 1000} s, 1–600)
  --stack-timeout S      each layer of one stack, from when it starts: the preview (stopped
                         then) and the Graph audit (default ${DEFAULT_STACK_TIMEOUT_MS / 1000} s, 10–86400)

Output:
  (default)              a table per stack on stdout, one progress line per stack on stderr,
                         and every ${HEARTBEAT_INTERVAL_MS / 1000} s a line naming the stacks still being checked
  --json                 { ok, exitCode, expiryDays, generatedAt, stacks: [{ stack, status, error?, findings, checks }] }
  --junit FILE           JUnit XML: one testsuite per stack, one testcase per check

Graph credential: AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (service principal), else
DefaultAzureCredential (workload identity federation, managed identity, az login). It needs
Application.Read.All, Policy.Read.All and Domain.Read.All (application permissions).
$CMIC_CREDENTIALS_FILE names a JSON/YAML file of one credential per customer tenant
({ "tenants": { "<tenant id>": { "clientId": "<id>", "clientSecretEnv": "VAR" } } }, or a
certificatePath / certificatePathEnv): its tenants sign in as their own app, others as above. It
holds variable names, never secrets; a variable it names that is unset fails only that tenant.

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
  "request-timeout": { type: "string" },
  "stack-timeout": { type: "string" },
  state: { type: "string" },
  at: { type: "string" },
  shard: { type: "string" },
} as const satisfies OptionSpecs;

/** The engine's options from parsed flags; throws UsageError naming the mistake. */
export function driftOptionsFrom(values: ParsedOptions<typeof OPTIONS>, env: NodeJS.ProcessEnv): DriftOptions {
  const stacks = (values.stack ?? []).map((s) => s.trim()).filter((s) => s !== "");
  if (values.at !== undefined && values.state === undefined)
    throw new UsageError("--at sets a local world's clock: give --state DIR with it.");
  // A world's stacks are few and known: without --stack, check them all.
  const all = values.all === true || (values.state !== undefined && stacks.length === 0);
  if (all && stacks.length > 0) throw new UsageError("Give either --stack NAME or --all, not both.");
  if (!all && stacks.length === 0) throw new UsageError("Say which stacks to check: --stack NAME (repeatable) or --all.");
  if (values.state !== undefined && values.cwd !== undefined)
    throw new UsageError("--cwd names a Pulumi project; a --state world needs none.");
  if (values["skip-preview"] && values["skip-audit"]) {
    throw new UsageError("--skip-preview and --skip-audit together leave nothing to check; drop one of them.");
  }
  // Unset: each stack's cloud's Graph (graph.microsoft.com for the public cloud).
  const graphUrl = values["graph-url"] ?? (env[GRAPH_URL_ENV] || null);
  if (graphUrl !== null && (!URL.canParse(graphUrl) || new URL(graphUrl).protocol !== "https:")) {
    throw new UsageError(`--graph-url / $${GRAPH_URL_ENV} must be an https:// origin, got '${graphUrl}'.`);
  }
  if (values.junit !== undefined && values.junit.trim() === "") throw new UsageError("--junit needs a file name.");
  return {
    stacks: [...new Set(stacks)],
    all,
    cwd: values.cwd,
    concurrency: numberOption("concurrency", values.concurrency, { integer: true, min: 1, max: 64 }) ?? DEFAULT_CONCURRENCY,
    auditConcurrency:
      numberOption("audit-concurrency", values["audit-concurrency"], { integer: true, min: 1, max: 256 }) ?? DEFAULT_AUDIT_CONCURRENCY,
    expiryDays: numberOption("expiry-days", values["expiry-days"], { integer: true, min: 0, max: 3650 }) ?? DEFAULT_EXPIRY_DAYS,
    skipPreview: values["skip-preview"] === true,
    skipAudit: values["skip-audit"] === true,
    graphUrl,
    json: values.json === true,
    junitFile: values.junit,
    requestTimeoutMs:
      (numberOption("request-timeout", values["request-timeout"], { min: 1, max: 600, unit: "seconds" }) ??
        DEFAULT_REQUEST_TIMEOUT_MS / 1000) * 1000,
    stackTimeoutMs:
      (numberOption("stack-timeout", values["stack-timeout"], { min: 10, max: 86_400, unit: "seconds" }) ??
        DEFAULT_STACK_TIMEOUT_MS / 1000) * 1000,
    ...(values.shard !== undefined ? { shard: parseShard(values.shard) } : {}),
    ...(values.state !== undefined ? { world: { dir: values.state, ...(values.at !== undefined ? { at: values.at } : {}) } } : {}),
  };
}

/**
 * Make sure the JUnit file's directory exists and is writable, before any stack is checked, so a
 * bad path is a usage error (exit 2) at once. Missing directories are created one level at a time:
 * Node's recursive mkdir can spin forever on some paths (`/proc/x/y`), a plain mkdir just fails.
 */
export function prepareJunitDirectory(file: string): void {
  const dir = path.dirname(file);
  try {
    const missing: string[] = [];
    for (let current = dir; !fs.existsSync(current) && path.dirname(current) !== current; current = path.dirname(current))
      missing.unshift(current);
    for (const level of missing) fs.mkdirSync(level);
    if (!fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory`);
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    throw new UsageError(
      `--junit ${file}: its directory ${dir} cannot be used (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      "pass a file in a directory you can write to.",
    );
  }
}

/** A drift command line as the engine's options (the pipeline tests check the CI invocations with it). */
export function parseDriftArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): DriftOptions {
  return driftOptionsFrom(parseCommandLine(driftCommand, argv).options, env);
}

export const driftCommand = defineCommand({
  name: "drift",
  summary: "Check deployed stacks for drift in Pulumi's view and in a live Graph audit.",
  help: HELP,
  options: OPTIONS,
  async run(values, io) {
    const options = driftOptionsFrom(values, io.env);
    if (options.junitFile) prepareJunitDirectory(path.resolve(options.junitFile));
    if (options.world) {
      // The world's emulator serves HTTPS in this process: node must trust its CA from the start.
      const { rerunTrustingEmulator } = await import("../shared/emulatorTrust");
      const rerun = await rerunTrustingEmulator(io.env);
      if (rerun !== null) return rerun;
    }
    const { runDrift } = await import("./engine");
    const now = new Date();
    const { results, exitCode } = await runDrift(options, { env: io.env, progress: (line) => io.stderr(`${line}\n`), now });
    io.stdout(
      options.json ? `${JSON.stringify(toJsonReport(results, { expiryDays: options.expiryDays, now }), null, 2)}\n` : formatTable(results),
    );
    if (options.junitFile) {
      const file = path.resolve(options.junitFile);
      try {
        await writeFile(file, toJUnitXml(results, { now }));
      } catch (error) {
        throw new CmicError("ERR_JUNIT_WRITE", `cannot write the JUnit file ${file}: ${(error as Error).message}.`, {
          fix: "pass a writable path to --junit.",
          cause: error,
        });
      }
    }
    return exitCode;
  },
});

runWhenMain(module, driftCommand);
