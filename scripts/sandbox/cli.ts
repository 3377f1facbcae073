/**
 * `npm run sandbox`: the project's main job, offline. Deploys a stack file to the local Entra
 * emulator with the real Pulumi program, checks a real token as CMiC will, and prints the handoff
 * sheet. With `--state DIR` the tenant and the stack live on in DIR: each run is the next
 * `pulumi up`, at the instant `--at` names, and `--portal` changes the world as an admin would.
 * Exit 0 green, 1 red, 2 bad usage.
 *
 * The deploy machinery (emulator, Pulumi runtime, Graph client, verify) is imported inside `run`.
 */
import path from "node:path";
import { CmicError, describeError, EXIT_FAILED, EXIT_OK, UsageError } from "../../contract/errors";
import { renderHandoffSheet } from "../handoff/sheet";
import { defineCommand, numberOption, runWhenMain, type CliIo } from "../shared/cli";
import { PROJECT_ROOT } from "../shared/projectRoot";
import { BREAKS, type BreakName } from "./breaks";
import { PORTAL_CHANGES, isPortalChange } from "./portal";
import { readStackConfig } from "./stackFile";
import type { SandboxResult } from "./runSandbox";

const HELP = `Usage: npm run sandbox -- [--stack NAME | --stack-file FILE] [--state DIR [--at WHEN]] [--json]
                          [--save-outputs FILE] [--break NAME] [--propagation-delay SECONDS] [--window SECONDS]
       npm run sandbox -- --state DIR --portal CHANGE [--stack NAME] [--at WHEN] [--json]
       npm run sandbox -- --state DIR --import FILE [--stack NAME | --stack-file FILE] [--protect=false] [--at WHEN] [--json]

Deploys a stack to the local Entra ID emulator (no tenant, no Pulumi CLI needed), checks a token
as CMiC will and prints the handoff sheet.

  --stack NAME               use Pulumi.NAME.yaml (default: dev)
  --stack-file FILE          use another stack settings file
  --state DIR                keep the emulated tenant and the stack's state in DIR: each run is the
                             next \`pulumi up\` of the same stack (refresh first), and verify,
                             handoff, drift and the emulator take --state DIR too
  --at WHEN                  the run's clock: an ISO date (2027-06-01, 2027-06-01T09:00:00Z) or +Nd /
                             +Nh after the previous run of DIR (default: now; a world's time never
                             runs backwards)
  --json                     print one JSON object (ok, exitCode, at, stack, steps, changeSummary,
                             check) on stdout instead of the plan, checklist and sheet
  --save-outputs FILE        write the stack outputs after the run, secret included (mode 0600)
  --portal CHANGE            change the world as an admin clicking in the portal would, instead of
                             running pulumi up:
${Object.entries(PORTAL_CHANGES)
  .map(([name, what]) => `                               ${name.padEnd(22)} ${what}`)
  .join("\n")}
  --import FILE              \`pulumi import --file FILE\` into the stack of DIR, instead of running
                             pulumi up: reads each object the file names (Pulumi's import file:
                             nameTable, resources with type, name, id, parent, component) from the
                             world's tenant and adds it to the stack's state as it is; a stack the
                             world does not hold yet is created with the stack file's settings.
                             The next run (pulumi up) then updates what differs from the program
  --protect=false            with --import: do not mark the imported resources protected (default
                             true, as pulumi import)
  --break NAME               deploy a broken app, or register it wrongly in the local CMiC, on
                             purpose, to see the diagnosis:
${Object.entries(BREAKS)
  .map(([name, what]) => `                               ${name.padEnd(16)} ${what}`)
  .join("\n")}
  --propagation-delay SECS   simulated Entra propagation delay (default 3)
  --window SECS              how long the token check retries propagation errors (default 20)

Exit codes: 0 green, 1 the update failed or the token would be rejected (diagnosis printed), 2 bad usage.
`;

function isBreakName(value: string): value is BreakName {
  return Object.prototype.hasOwnProperty.call(BREAKS, value);
}

/** The stack a file names: Pulumi.<stack>.yaml names its stack; any other file is "sandbox". */
function stackOf(values: { stack?: string; "stack-file"?: string }): string {
  if (values.stack) return values.stack;
  if (!values["stack-file"]) return "dev";
  return /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(values["stack-file"]))?.[1] ?? "sandbox";
}

export const sandboxCommand = defineCommand({
  name: "sandbox",
  summary: "Deploy a stack to the local Entra emulator and check its token as CMiC will.",
  help: HELP,
  options: {
    stack: { type: "string" },
    "stack-file": { type: "string" },
    state: { type: "string" },
    at: { type: "string" },
    json: { type: "boolean" },
    "save-outputs": { type: "string" },
    portal: { type: "string" },
    import: { type: "string" },
    // A string, so that pulumi's own spelling `--protect=false` works as it is.
    protect: { type: "string" },
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
    const stack = stackOf(values);
    const json = values.json === true;
    // In JSON mode stdout carries the one object; progress stays on stderr.
    const log = (line: string) => io.stderr(`${line}\n`);

    if (values.protect !== undefined && values.import === undefined) throw new UsageError("--protect goes with --import only.");
    if (values.import !== undefined) return importCommand(values, stack, io);

    if (values.portal !== undefined) {
      if (!isPortalChange(values.portal))
        throw new UsageError(`--portal '${values.portal}' is not one of ${Object.keys(PORTAL_CHANGES).join(", ")}.`);
      if (!values.state) throw new UsageError("--portal changes a local world: give --state DIR.");
      for (const flag of ["break", "save-outputs", "stack-file"] as const) {
        if (values[flag] !== undefined) throw new UsageError(`--${flag} does not go with --portal (a portal change runs no pulumi up).`);
      }
      const { changeInPortal } = await import("./portalRun");
      const done = await changeInPortal({ stateDir: values.state, stack: values.stack, change: values.portal, at: values.at });
      if (json)
        io.stdout(
          `${JSON.stringify({ ok: true, exitCode: EXIT_OK, at: done.at.toISOString(), stack: done.stack, portal: values.portal, change: done.description })}\n`,
        );
      else log(`✔ portal (${done.at.toISOString()}): stack '${done.stack}': ${done.description}`);
      return EXIT_OK;
    }

    const stackFile = values["stack-file"] ?? path.join(PROJECT_ROOT, `Pulumi.${values.stack ?? "dev"}.yaml`);
    const config = readStackConfig(stackFile);
    const { runSandbox } = await import("./runSandbox");
    const { renderPlan } = await import("./engine/plan");
    const result = await runSandbox({
      stack,
      config,
      breakName,
      propagationDelayMs: delaySeconds * 1000,
      propagationWindowMs: windowSeconds * 1000,
      stateDir: values.state,
      at: values.at,
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loadProgram: () => require("../..") as Record<string, unknown>,
      // Exactly what `pulumi up` runs: the Command's command line, in a shell, with its environment.
      postDeployCheck: "command",
      log,
      // The plan as `pulumi up` prints it, once the update is done (before any check of the sandbox's own).
      onUpdate: (steps, refreshed) => {
        if (!json) log(renderPlan(steps, refreshed));
      },
    });
    if (values["save-outputs"] && result.outputs) {
      const { writeOwnerOnly } = await import("../shared/ownerOnlyFile");
      writeOwnerOnly(values["save-outputs"], `${JSON.stringify(result.outputs, null, 2)}\n`, "--save-outputs");
      log(`Stack outputs written to ${values["save-outputs"]} (mode 0600, contains the client secret).`);
    }
    const exitCode = result.ok ? EXIT_OK : result.error instanceof CmicError ? result.error.exitCode : EXIT_FAILED;
    if (json) {
      io.stdout(`${JSON.stringify(sandboxJson(result, exitCode))}\n`);
      if (!result.ok) log(result.error instanceof CmicError ? describeError(result.error) : result.error.message);
      return exitCode;
    }
    if (!result.ok) {
      log("");
      log(`✘ sandbox: stack '${stack}' is not ready for CMiC.`);
      // The fix travels as a field (a CmicError's), printed on its own line like every CLI's.
      log(result.error instanceof CmicError ? describeError(result.error) : result.error.message);
      return exitCode;
    }
    printGreen(result, io, values.state);
    return EXIT_OK;
  },
});

/** `--import FILE`: pulumi import into a world's stack, no program run. */
async function importCommand(
  values: {
    import?: string;
    protect?: string;
    state?: string;
    stack?: string;
    "stack-file"?: string;
    at?: string;
    json?: boolean;
    portal?: string;
    break?: string;
    "save-outputs"?: string;
    "propagation-delay"?: string;
    window?: string;
  },
  stack: string,
  io: CliIo,
): Promise<number> {
  const file = values.import ?? "";
  if (file === "") throw new UsageError("--import needs the import file: --import adopt/NAME.import.json.");
  if (!values.state) throw new UsageError("--import imports into a local world: give --state DIR.");
  for (const flag of ["portal", "break", "save-outputs", "propagation-delay", "window"] as const) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} does not go with --import (an import runs no pulumi up).`);
  }
  const protectValue = values.protect ?? "true";
  if (protectValue !== "true" && protectValue !== "false") {
    throw new UsageError(`--protect takes true or false (--protect=false), got '${protectValue}'.`);
  }
  const stackFile = values["stack-file"] ?? path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
  const { importIntoWorld } = await import("./importRun");
  const { shortType } = await import("./engine/plan");
  const done = await importIntoWorld({
    stateDir: values.state,
    stack,
    file,
    // Taken only for a stack the world does not hold yet, exactly as its first run would take it.
    config: () => readStackConfig(stackFile),
    protect: protectValue === "true",
    at: values.at,
  });
  const entry = (resource: { type: string; name: string; id: string; urn: string }) => ({
    type: resource.type,
    name: resource.name,
    id: resource.id,
    urn: resource.urn,
  });
  if (values.json === true) {
    io.stdout(
      `${JSON.stringify({
        ok: true,
        exitCode: EXIT_OK,
        at: done.at.toISOString(),
        stack: done.stack,
        createdStack: done.createdStack,
        protect: done.protect,
        imported: done.imported.map(entry),
        skipped: done.skipped.map(entry),
      })}\n`,
    );
    return EXIT_OK;
  }
  // As `pulumi import` lists them: `=` is its symbol for an import.
  const rows = [
    ...done.imported.map((resource) => ({ ...resource, status: "imported" })),
    ...done.skipped.map((resource) => ({ ...resource, status: "already in the stack" })),
  ];
  const typeWidth = Math.max(4, ...rows.map((row) => shortType(row.type).length));
  const nameWidth = Math.max(4, ...rows.map((row) => row.name.length));
  const lines = [`     ${"Type".padEnd(typeWidth)}  ${"Name".padEnd(nameWidth)}  Status                ID`];
  for (const row of rows) {
    lines.push(
      ` ${row.status === "imported" ? "= " : "  "}  ${shortType(row.type).padEnd(typeWidth)}  ${row.name.padEnd(nameWidth)}  ${row.status.padEnd(20)}  ${row.id}`.trimEnd(),
    );
  }
  io.stdout(`${lines.join("\n")}\n`);
  const count = done.imported.length;
  io.stderr(
    `✔ import (${done.at.toISOString()}): stack '${done.stack}'${done.createdStack ? " (new)" : ""}: ` +
      `${count} resource${count === 1 ? "" : "s"} imported${count > 0 ? (done.protect ? ", protected" : ", not protected") : ""}` +
      (done.skipped.length > 0 ? `, ${done.skipped.length} already in the stack` : "") +
      `. Next: npm run sandbox -- --state ${values.state} --stack ${done.stack} (pulumi up).\n`,
  );
  return EXIT_OK;
}

function printGreen(result: Extract<SandboxResult, { ok: true }>, io: CliIo, stateDir: string | undefined): void {
  io.stdout(`${result.checklist}\n\n`);
  io.stdout(
    renderHandoffSheet(result.outputs, {
      stack: result.stack,
      stateDir: stateDir ?? null,
      throwaway: stateDir === undefined,
      reveal: false,
      generatedAt: result.at,
    }),
  );
  io.stderr(
    `✔ sandbox: stack '${result.stack}' ${worldSummary(result, stateDir) ?? `deployed to the emulator (${result.created} objects)`}` +
      ` and its token passes every CMiC check (checked by the ${result.checkedBy ?? "sandbox"});` +
      ` the local CMiC, registered from the handoff values, accepts it.\n`,
  );
}

/** What a run did to a kept world, in words; undefined for a throwaway one. */
function worldSummary(result: Extract<SandboxResult, { ok: true }>, stateDir: string | undefined): string | undefined {
  if (stateDir === undefined) return undefined;
  const at = result.at.toISOString();
  const changed = result.steps.filter((step) => step.op !== "same").length;
  if (result.steps.every((step) => step.op === "create")) return `created in the world ${stateDir} at ${at}`;
  if (changed === 0) return `unchanged in the world ${stateDir} at ${at}`;
  return `updated in the world ${stateDir} at ${at} (${changed} change${changed === 1 ? "" : "s"})`;
}

/** `--json`: one object, the shape the README documents. Never holds a secret. */
function sandboxJson(result: SandboxResult, exitCode: number): Record<string, unknown> {
  const summary = { create: 0, same: 0, update: 0, replace: 0, delete: 0 };
  for (const step of result.steps) summary[step.op] += 1;
  return {
    ok: result.ok,
    exitCode,
    at: result.at.toISOString(),
    stack: result.stack,
    steps: result.steps.map((step) => ({
      name: step.name,
      type: step.type,
      op: step.op,
      diffs: step.diffs,
      ...(step.retained ? { retained: true } : {}),
    })),
    refreshed: result.refreshed.map((change) => ({
      name: change.name,
      type: change.type,
      change: change.change,
      properties: change.properties,
    })),
    changeSummary: summary,
    ...(result.cmic
      ? { cmic: { ok: result.cmic.ok, detail: result.cmic.detail, ...(result.cmic.fix ? { fix: result.cmic.fix } : {}) } }
      : {}),
    check: {
      by: result.checkedBy,
      checklist: result.ok ? result.checklist : null,
      ok: result.report ? result.report.ok : result.ok && result.checkedBy !== null,
      checks: (result.report?.checks ?? []).map((check) => ({
        id: check.id,
        ok: check.ok,
        detail: check.detail,
        ...(check.fix ? { fix: check.fix } : {}),
      })),
    },
    ...(result.ok
      ? {}
      : { error: { code: result.error instanceof CmicError ? result.error.code : "ERR_SANDBOX", message: result.error.message } }),
  };
}

runWhenMain(module, sandboxCommand);
