/**
 * `npm run sandbox [-- --stack dev] [--break NAME] [--propagation-delay SECONDS]`: the project's main
 * job, offline. Deploys a stack file to the local Entra emulator with the real Pulumi program,
 * checks a real token as CMiC will, and prints the handoff sheet. Exit 0 green, 1 red, 2 bad usage.
 *
 * The deploy machinery (emulator, Pulumi runtime, Graph client, verify) is imported inside `run`.
 */
import path from "node:path";
import { CmicError, describeError, UsageError } from "../../contract/errors";
import { renderHandoffSheet } from "../handoff/sheet";
import { defineCommand, numberOption, runWhenMain } from "../shared/cli";
import { PROJECT_ROOT } from "../shared/projectRoot";
import { BREAKS, type BreakName } from "./breaks";
import { readStackConfig } from "./stackFile";

const HELP = `Usage: npm run sandbox -- [--stack NAME | --stack-file FILE] [--break NAME] [--propagation-delay SECONDS] [--window SECONDS]

Deploys a stack to the local Entra ID emulator (no tenant, no Pulumi CLI needed), checks a token
as CMiC will and prints the handoff sheet.

  --stack NAME               use Pulumi.NAME.yaml (default: dev)
  --stack-file FILE          use another stack settings file
  --break NAME               deploy a broken app on purpose, to see the diagnosis:
${Object.entries(BREAKS)
  .map(([name, what]) => `                               ${name.padEnd(14)} ${what}`)
  .join("\n")}
  --propagation-delay SECS   simulated Entra propagation delay (default 3)
  --window SECS              how long the token check retries propagation errors (default 20)

Exit codes: 0 green, 1 the token would be rejected (diagnosis printed), 2 bad usage.
`;

function isBreakName(value: string): value is BreakName {
  return Object.prototype.hasOwnProperty.call(BREAKS, value);
}

export const sandboxCommand = defineCommand({
  name: "sandbox",
  summary: "Deploy a stack to the local Entra emulator and check its token as CMiC will.",
  help: HELP,
  options: {
    stack: { type: "string" },
    "stack-file": { type: "string" },
    break: { type: "string" },
    "propagation-delay": { type: "string" },
    window: { type: "string" },
  },
  async run(values, io) {
    const breakName = values.break;
    if (breakName !== undefined && !isBreakName(breakName)) {
      throw new UsageError(`--break '${breakName}' is not one of ${Object.keys(BREAKS).join(", ")}.`);
    }
    const delaySeconds = numberOption("propagation-delay", values["propagation-delay"], { min: 0, max: 600, unit: "seconds" }) ?? 3;
    const windowSeconds = numberOption("window", values.window, { min: 0, max: 600, unit: "seconds" }) ?? 20;
    if (values.stack && values["stack-file"]) throw new UsageError("Give either --stack or --stack-file, not both.");
    const stackFile = values["stack-file"] ?? path.join(PROJECT_ROOT, `Pulumi.${values.stack ?? "dev"}.yaml`);
    // A stack file named like Pulumi.<stack>.yaml names its stack; any other file is "sandbox".
    const stack =
      values.stack ?? (values["stack-file"] ? (/^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(stackFile))?.[1] ?? "sandbox") : "dev");
    const config = readStackConfig(stackFile);

    const log = (line: string) => io.stderr(`${line}\n`);
    const { runSandbox } = await import("./runSandbox");
    const result = await runSandbox({
      stack,
      config,
      breakName,
      propagationDelayMs: delaySeconds * 1000,
      propagationWindowMs: windowSeconds * 1000,
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loadProgram: () => require("../..") as Record<string, unknown>,
      // Exactly what `pulumi up` runs: the Command's command line, in a shell, with its environment.
      postDeployCheck: "command",
      log,
    });

    if (!result.ok) {
      log("");
      log(`✘ sandbox: stack '${stack}' is not ready for CMiC.`);
      // The fix travels as a field (a CmicError's), printed on its own line like every CLI's.
      log(result.error instanceof CmicError ? describeError(result.error) : result.error.message);
      return 1;
    }
    io.stdout(`${result.checklist}\n\n`);
    io.stdout(renderHandoffSheet(result.outputs, { stack, reveal: false, generatedAt: new Date() }));
    log(`✔ sandbox: stack '${stack}' deployed to the emulator (${result.created} objects) and its token passes every CMiC check.`);
    return 0;
  },
});

runWhenMain(module, sandboxCommand);
