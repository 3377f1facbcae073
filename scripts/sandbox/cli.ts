/**
 * `npm run sandbox [-- --stack dev] [--break NAME] [--propagation-delay SECONDS]`: the project's main
 * job, offline. Deploys a stack file to the local Entra emulator with the real Pulumi program,
 * checks a real token as CMiC will, and prints the handoff sheet. Exit 0 green, 1 red, 2 bad usage.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { renderHandoffSheet } from "../handoff/sheet";
import { BREAKS, type BreakName } from "./graphMocks";
import { runSandbox } from "./runSandbox";
import { readStackConfig, StackFileError } from "./stackFile";
import { PROJECT_ROOT } from "../shared/projectRoot";

const USAGE = `Usage: npm run sandbox -- [--stack NAME | --stack-file FILE] [--break NAME] [--propagation-delay SECONDS] [--window SECONDS]

Deploys a stack to the local Entra ID emulator (no tenant, no Pulumi CLI needed), checks a token
as CMiC will and prints the handoff sheet.

  --stack NAME               use Pulumi.NAME.yaml (default: dev)
  --stack-file FILE          use another stack settings file
  --break NAME               deploy a broken app on purpose, to see the diagnosis:
${Object.entries(BREAKS).map(([name, what]) => `                               ${name.padEnd(14)} ${what}`).join("\n")}
  --propagation-delay SECS   simulated Entra propagation delay (default 3)
  --window SECS              how long the token check retries propagation errors (default 20)

Exit codes: 0 green, 1 the token would be rejected (diagnosis printed), 2 bad usage.`;

function fail(message: string): number {
  process.stderr.write(`${message}\n\n${USAGE}\n`);
  return 2;
}

function seconds(value: string | undefined, fallback: number, flag: string): number | string {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0 || number > 600) return `${flag} must be a number of seconds from 0 to 600 (got '${value}').`;
  return number;
}

async function main(argv: string[]): Promise<number> {
  let values: { stack?: string; "stack-file"?: string; break?: string; "propagation-delay"?: string; window?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        "stack-file": { type: "string" },
        break: { type: "string" },
        "propagation-delay": { type: "string" },
        window: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (error) {
    return fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.break !== undefined && !(values.break in BREAKS)) {
    return fail(`--break '${values.break}' is not one of ${Object.keys(BREAKS).join(", ")}.`);
  }
  const delay = seconds(values["propagation-delay"], 3, "--propagation-delay");
  const window = seconds(values.window, 20, "--window");
  if (typeof delay === "string") return fail(delay);
  if (typeof window === "string") return fail(window);

  if (values.stack && values["stack-file"]) return fail("Give either --stack or --stack-file, not both.");
  const stackFile = values["stack-file"] ?? path.join(PROJECT_ROOT, `Pulumi.${values.stack ?? "dev"}.yaml`);
  // A stack file named like Pulumi.<stack>.yaml names its stack; any other file is "sandbox".
  const stack = values.stack ?? (values["stack-file"] ? (/^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(stackFile))?.[1] ?? "sandbox") : "dev");
  let config: Record<string, string>;
  try {
    config = readStackConfig(stackFile);
  } catch (error) {
    if (error instanceof StackFileError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const log = (line: string) => process.stderr.write(`${line}\n`);
  const result = await runSandbox({
    stack,
    config,
    breakName: values.break as BreakName | undefined,
    propagationDelayMs: delay * 1000,
    propagationWindowMs: window * 1000,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loadProgram: () => require("../..") as Record<string, unknown>,
    // Exactly what `pulumi up` runs: the Command's command line, in a shell, with its environment.
    postDeployCheck: "command",
    log,
  });

  if (!result.ok) {
    log("");
    log(`✘ sandbox: stack '${stack}' is not ready for CMiC.`);
    log(result.error.message);
    return 1;
  }
  process.stdout.write(`${result.checklist}\n\n`);
  process.stdout.write(renderHandoffSheet(result.outputs, { stack, reveal: false, generatedAt: new Date() }));
  log(`✔ sandbox: stack '${stack}' deployed to the emulator (${result.created} objects) and its token passes every CMiC check.`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`sandbox failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
