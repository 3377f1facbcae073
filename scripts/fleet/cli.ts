/**
 * `npm run fleet -- <preview|up|verify|rotate|drift> (--all | --stack NAME…) [options]`: one
 * operation over many customer stacks, through Pulumi's Automation API, with bounded concurrency,
 * one progress line per stack and one summary (table, --json, --junit). `drift` is the drift
 * command itself (already a fleet command: it packs each tenant's Graph reads together).
 *
 * This file only parses options and prints: the runner (which loads the Automation API) is
 * imported inside `run`.
 */
import fs from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { CmicError, UsageError } from "../../contract/errors";
import { defineCommand, numberOption, runCommand, runWhenMain, type Command, type OptionSpecs, type ParsedOptions } from "../shared/cli";
import { redact } from "../shared/redact";
import { parseShard } from "../shared/shard";
import { driftCommand, prepareJunitDirectory } from "../drift/cli";
import { FLEET_OPERATIONS, formatFleetTable, toFleetJson, toFleetJUnit, type FleetOperation } from "./report";
import type { FleetPlan } from "./runner";

export const DEFAULT_FLEET_CONCURRENCY = 4;
export const MAX_FLEET_CONCURRENCY = 32;
/** Per stack: a first `pulumi up` with its post-deploy token check can take minutes on a slow tenant. */
export const DEFAULT_FLEET_STACK_TIMEOUT_S = 1_800;
/** As verify's and rotate's own default: Entra may refuse a secret younger than this while it propagates. */
export const DEFAULT_PROPAGATION_WINDOW_S = 300;

const WHAT: Record<FleetOperation, string> = {
  preview: "`pulumi preview` of each stack: exit 3 when one would change something",
  up: "`pulumi up` of each stack (needs --yes)",
  verify: "request a token with each stack's own outputs and check it as CMiC will",
  rotate: "issue a new client secret for each stack and prove it (needs --yes); --retire-previous removes the old ones",
};

function help(operation: FleetOperation): string {
  return `Usage: npm run fleet -- ${operation} (--stack NAME… | --all) [options]

${WHAT[operation]}, through Pulumi's Automation API (the Pulumi CLI on PATH).

Which stacks:
  --stack NAME           a stack (repeat for several)
  --all                  every stack \`pulumi stack ls --json\` lists
  --shard I/N            only the I-th of N parts of those stacks (sorted, dealt round-robin): N CI
                         jobs with I = 1…N run every stack exactly once
  --cwd DIR              the Pulumi project directory (default: current directory)

How:
  --concurrency N        stacks at once (default ${DEFAULT_FLEET_CONCURRENCY}, at most ${MAX_FLEET_CONCURRENCY})
  --stack-timeout S      each stack must finish within S seconds (default ${DEFAULT_FLEET_STACK_TIMEOUT_S}, 10–86400); then its CLI
                         is cancelled (SIGINT, as Ctrl-C) and the stack is a failure${
                           operation === "preview" || operation === "up"
                             ? `
  --refresh              read every resource back from Entra first (\`--refresh\`)`
                             : ""
                         }${
                           operation === "up" || operation === "rotate"
                             ? `
  --yes                  confirm: this changes every listed customer's tenant`
                             : ""
                         }${
                           operation === "verify" || operation === "rotate"
                             ? `
  --propagation-window S how long a secret younger than S seconds is retried while Entra propagates
                         it (default ${DEFAULT_PROPAGATION_WINDOW_S}, 0–3600)`
                             : ""
                         }${
                           operation === "rotate"
                             ? `
  --retire-previous      instead of issuing: prove the current secret, then remove each stack's previous
                         secrets (after every connector switched)`
                             : ""
                         }

Output:
  (default)              one line per stack on stdout, one progress line per stack on stderr as it ends
                         (and every 30 s the stacks still running)
  --json                 { operation, ok, exitCode, generatedAt, stacks: [{ stack, status, summary, fix?, detail?, elapsedMs }] }
  --junit FILE           JUnit XML, one testcase per stack

Identity: the Pulumi CLI's own (backend login, PULUMI_CONFIG_PASSPHRASE), and for the azuread
provider ARM_* / az login, or per tenant the credentials file named by CMIC_CREDENTIALS_FILE
(README "Deploying many customers").

Exit status: 0 every stack ok; 3 a preview found changes; 1 a stack failed, timed out or was
interrupted (this wins over 3); 2 bad usage. One failed stack never stops the others.
`;
}

const OPTIONS = {
  stack: { type: "string", multiple: true },
  all: { type: "boolean" },
  shard: { type: "string" },
  cwd: { type: "string" },
  concurrency: { type: "string" },
  "stack-timeout": { type: "string" },
  refresh: { type: "boolean" },
  yes: { type: "boolean" },
  "retire-previous": { type: "boolean" },
  "propagation-window": { type: "string" },
  json: { type: "boolean" },
  junit: { type: "string" },
} as const satisfies OptionSpecs;

/** The runner's plan from parsed flags; throws UsageError naming the mistake. */
export function fleetPlanFrom(operation: FleetOperation, values: ParsedOptions<typeof OPTIONS>): FleetPlan {
  const stacks = (values.stack ?? []).map((s) => s.trim()).filter((s) => s !== "");
  const all = values.all === true;
  if (all && stacks.length > 0) throw new UsageError("Give either --stack NAME or --all, not both.");
  if (!all && stacks.length === 0) throw new UsageError(`Say which stacks to ${operation}: --stack NAME (repeatable) or --all.`);
  if (values.refresh && operation !== "preview" && operation !== "up")
    throw new UsageError(`--refresh goes with preview and up, not ${operation}.`);
  if (values["retire-previous"] && operation !== "rotate") throw new UsageError("--retire-previous goes with rotate.");
  if (values["propagation-window"] !== undefined && operation !== "verify" && operation !== "rotate")
    throw new UsageError(`--propagation-window goes with verify and rotate, not ${operation}.`);
  if (values.yes && operation !== "up" && operation !== "rotate")
    throw new UsageError(`--yes confirms up and rotate; ${operation} changes nothing.`);
  if ((operation === "up" || operation === "rotate") && values.yes !== true) {
    throw new UsageError(
      `fleet ${operation} changes ${all ? "every stack's" : `${stacks.length} customer`} tenant${all || stacks.length !== 1 ? "s" : ""}: confirm with --yes.`,
      `run \`npm run fleet -- preview\` with the same stacks first to see what would change, then add --yes.`,
    );
  }
  if (values.junit !== undefined && values.junit.trim() === "") throw new UsageError("--junit needs a file name.");
  const cwd = path.resolve(values.cwd ?? ".");
  if (!fs.existsSync(path.join(cwd, "Pulumi.yaml"))) {
    throw new UsageError(
      `${cwd} is not a Pulumi project (no Pulumi.yaml).`,
      "run the fleet in the project directory, or pass it with --cwd DIR.",
    );
  }
  return {
    operation,
    stacks: [...new Set(stacks)],
    all,
    ...(values.shard !== undefined ? { shard: parseShard(values.shard) } : {}),
    cwd,
    concurrency:
      numberOption("concurrency", values.concurrency, { integer: true, min: 1, max: MAX_FLEET_CONCURRENCY }) ?? DEFAULT_FLEET_CONCURRENCY,
    stackTimeoutMs:
      (numberOption("stack-timeout", values["stack-timeout"], { min: 10, max: 86_400, unit: "seconds" }) ?? DEFAULT_FLEET_STACK_TIMEOUT_S) *
      1000,
    refresh: values.refresh === true,
    retirePrevious: values["retire-previous"] === true,
    propagationWindowMs:
      (numberOption("propagation-window", values["propagation-window"], { min: 0, max: 3600, unit: "seconds" }) ??
        DEFAULT_PROPAGATION_WINDOW_S) * 1000,
  };
}

/** Secrets a run may meet before it learns any: the deployer's, the passphrase, a connector secret. */
const SECRET_VARIABLES = [
  "ARM_CLIENT_SECRET",
  "AZURE_CLIENT_SECRET",
  "PULUMI_CONFIG_PASSPHRASE",
  "PULUMI_ACCESS_TOKEN",
  "CMIC_CLIENT_SECRET",
];

function operationCommand(operation: FleetOperation): Command<typeof OPTIONS> {
  return defineCommand({
    name: `fleet ${operation}`,
    summary: WHAT[operation],
    help: help(operation),
    invocation: `npm run fleet -- ${operation}`,
    options: OPTIONS,
    redaction: {
      knownSecrets: (_argv, env) => SECRET_VARIABLES.map((name) => env[name]),
      redact: (text, secrets) => redact(text, secrets),
    },
    async run(values, io, context) {
      const plan = fleetPlanFrom(operation, values);
      const junitFile = values.junit === undefined ? undefined : path.resolve(values.junit);
      if (junitFile) prepareJunitDirectory(junitFile);
      const [{ runFleet }, { Interrupts }, credentials] = await Promise.all([
        import("./runner"),
        import("../shared/bounded"),
        import("../shared/credentialsFile"),
      ]);
      const interrupts = new Interrupts((text) => io.stderr(`fleet ${operation}: ${text}`));
      // Set-up (b): a credential per customer tenant, from the file CMIC_CREDENTIALS_FILE names;
      // read once, so a broken file stops the run before any stack starts.
      const file = credentials.credentialsFileFromEnv(io.env);
      const deployEnvironment = file ? (tenantId: string) => credentials.deployEnvironment(tenantId, io.env, file) : undefined;
      interrupts.listen();
      let run;
      try {
        run = await runFleet(plan, {
          env: io.env,
          progress: (line) => io.stderr(`${line}\n`),
          addSecret: context.addSecret,
          interrupts,
          ...(deployEnvironment ? { deployEnvironment } : {}),
        });
      } finally {
        interrupts.dispose();
      }
      const now = new Date();
      io.stdout(
        values.json ? `${JSON.stringify(toFleetJson(operation, run.results, now), null, 2)}\n` : formatFleetTable(operation, run.results),
      );
      if (junitFile) {
        try {
          await writeFile(junitFile, toFleetJUnit(operation, run.results, now));
        } catch (error) {
          throw new CmicError("ERR_JUNIT_WRITE", `cannot write the JUnit file ${junitFile}: ${(error as Error).message}.`, {
            fix: "pass a writable path to --junit.",
            cause: error,
          });
        }
      }
      return run.exitCode;
    },
  });
}

export const FLEET_COMMANDS: Record<FleetOperation, Command<typeof OPTIONS>> = {
  preview: operationCommand("preview"),
  up: operationCommand("up"),
  verify: operationCommand("verify"),
  rotate: operationCommand("rotate"),
};

const HELP = `Usage: npm run fleet -- <operation> (--stack NAME… | --all) [options]

One operation over many customer stacks, each in its customer's own tenant:
  preview   ${WHAT.preview}
  up        ${WHAT.up}
  verify    ${WHAT.verify}
  rotate    ${WHAT.rotate}
  drift     npm run drift with the same options (Pulumi's view and a live Graph audit)

\`npm run fleet -- <operation> --help\` lists its options. Exit status as drift's: 0 every stack
ok, 3 changes (or drift) found, 1 a stack failed (wins over 3), 2 bad usage.
`;

function isOperation(text: string): text is FleetOperation {
  return (FLEET_OPERATIONS as readonly string[]).includes(text);
}

export const fleetCommand = defineCommand({
  name: "fleet",
  summary: "Run preview, up, verify, rotate or drift over many customer stacks.",
  help: HELP,
  options: {},
  positionals: "rest",
  async run(_values, io, context) {
    const [operation, ...rest] = context.positionals;
    if (operation === undefined) throw new UsageError("Name the operation: preview, up, verify, rotate or drift.");
    if (operation === "drift") return runCommand(driftCommand, rest, io);
    if (!isOperation(operation)) throw new UsageError(`Unknown operation '${operation}': use preview, up, verify, rotate or drift.`);
    return runCommand(FLEET_COMMANDS[operation], rest, io);
  },
});

runWhenMain(module, fleetCommand);
