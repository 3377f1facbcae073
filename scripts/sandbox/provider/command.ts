/**
 * command.local.Command (@pulumi/command 1.2.1 = pulumi-command v1.2.1, a pulumi-go-provider `infer`
 * resource): a command line run on create, on update and (when given) on delete.
 *
 * - Diff compares the old inputs with the new ones; any change is an update, except `triggers`,
 *   which the SDK marks `replaceOnChanges: ["triggers[*]"]`: a replacement (the new resource runs
 *   `create`; the old one runs `delete`, if any).
 * - Update runs `update`, or `create` when there is no `update`, with the previous stdout/stderr in
 *   PULUMI_COMMAND_STDOUT/STDERR unless addPreviousOutputInEnv is false.
 * - Delete runs `delete` when given, else does nothing. Read (refresh) changes nothing.
 */
import path from "node:path";
import { randomBytes } from "node:crypto";
import { PROJECT_ROOT } from "../../shared/projectRoot";
import { canonical, type Schema } from "./schema";
import { SOURCES } from "./sources";
import { applyError, contextExtras, isRecord, rejectUnmodelled } from "./support";
import type { CreateResult, Properties, PropertyDiff, ProviderContext, ResourceModel } from "./types";

const TYPE = "command:local:Command";
const LABEL = "command:local:Command";

export const COMMAND_SCHEMA: Schema = {
  addPreviousOutputInEnv: { kind: "bool", mode: "optional", forceNew: false, source: `${SOURCES.commandInputs}; ${SOURCES.commandRun}` },
  create: { kind: "string", mode: "optional", forceNew: false, source: `${SOURCES.commandInputs}; ${SOURCES.commandDiff}` },
  delete: { kind: "string", mode: "optional", forceNew: false, source: `${SOURCES.commandInputs}; ${SOURCES.command} Delete` },
  dir: {
    kind: "string",
    mode: "optional",
    forceNew: false,
    source: `${SOURCES.commandRun} (cmd.Dir; default the provider's working directory)`,
    note: "The sandbox runs commands in the project directory: another dir is refused.",
  },
  environment: { kind: "map", mode: "optional", forceNew: false, source: `${SOURCES.commandInputs}; ${SOURCES.commandRun}` },
  logging: { kind: "string", mode: "optional", forceNew: false, source: `${SOURCES.commandInputs} (only what is logged)` },
  triggers: {
    kind: "list",
    mode: "optional",
    forceNew: true,
    source: `${SOURCES.commandInputs}; ${SOURCES.commandSdk}; ${SOURCES.commandDiff}`,
    note: "The provider's own Diff matches replaceOnChanges only on the top-level key; the SDK's resource option makes every change a replacement.",
  },
  update: { kind: "string", mode: "optional", forceNew: false, source: `${SOURCES.commandInputs}; ${SOURCES.command} Update` },
  stdout: { kind: "string", mode: "computed", source: `${SOURCES.commandRun} (trailing newline trimmed)` },
  stderr: { kind: "string", mode: "computed", source: `${SOURCES.commandRun} (trailing newline trimmed)` },
};

const INPUTS = Object.keys(COMMAND_SCHEMA).filter((key) => COMMAND_SCHEMA[key].mode !== "computed");

const absent = (value: unknown) => value === undefined || value === null;

function environmentOf(inputs: Properties): Record<string, string> {
  return isRecord(inputs.environment)
    ? Object.fromEntries(Object.entries(inputs.environment).map(([key, value]) => [key, String(value)]))
    : {};
}

/** run(): the previous outputs go to the command's environment unless addPreviousOutputInEnv is false. */
function withPreviousOutputs(environment: Record<string, string>, inputs: Properties, previous: Properties): Record<string, string> {
  if (inputs.addPreviousOutputInEnv === false) return environment;
  const next = { ...environment };
  if (typeof previous.stdout === "string" && previous.stdout !== "") next.PULUMI_COMMAND_STDOUT = previous.stdout;
  if (typeof previous.stderr === "string" && previous.stderr !== "") next.PULUMI_COMMAND_STDERR = previous.stderr;
  return next;
}

/** Run a command line through the engine; its outputs as the provider stores them (one trailing newline trimmed). */
async function run(
  ctx: ProviderContext,
  commandLine: string,
  environment: Record<string, string>,
): Promise<{ stdout: string; stderr: string }> {
  const { stdout, stderr } = await ctx.runCommand(resourceName(ctx), commandLine, environment);
  return { stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, "") };
}

const resourceName = (ctx: ProviderContext) => contextExtras(ctx).resourceName ?? "command";

/** The inputs as the state holds them (CommandOutputs embeds CommandInputs): only those given. */
function inputState(inputs: Properties): Properties {
  return Object.fromEntries(INPUTS.filter((key) => !absent(inputs[key])).map((key) => [key, inputs[key]]));
}

export const commandModel: ResourceModel & { readonly schema: Schema } = {
  type: TYPE,
  schema: COMMAND_SCHEMA,
  sources: [SOURCES.command, SOURCES.commandInputs, SOURCES.commandRun, SOURCES.commandDiff, SOURCES.commandSdk],

  async check(inputs, ctx) {
    // archivePaths, assetPaths, interpreter and stdin are refused: the engine's runCommand takes a
    // command line and an environment only.
    rejectUnmodelled(ctx, LABEL, TYPE, inputs, INPUTS);
    if (typeof inputs.dir === "string" && path.resolve(inputs.dir) !== PROJECT_ROOT) {
      throw applyError(ctx, LABEL, `the sandbox runs commands in the project directory (${PROJECT_ROOT}), not in ${inputs.dir}`);
    }
  },

  /** pulumi-go-provider's Diff: old inputs against new ones, key by key; a triggers change replaces. */
  diff(state, inputs): PropertyDiff[] {
    return INPUTS.filter(
      (key) => canonical(absent(state[key]) ? null : state[key]) !== canonical(absent(inputs[key]) ? null : inputs[key]),
    ).map((key) => ({ property: key, replace: COMMAND_SCHEMA[key].forceNew === true }));
  },

  async create(inputs, ctx): Promise<CreateResult> {
    // resource.NewUniqueHex(name, 8, 0): the logical name and 8 random hex digits.
    const id = `${resourceName(ctx)}${randomBytes(4).toString("hex")}`;
    const state: Properties = { ...inputState(inputs), stdout: "", stderr: "" };
    if (typeof inputs.create !== "string") return { id, state };
    return { id, state: { ...state, ...(await run(ctx, inputs.create, environmentOf(inputs))) } };
  },

  /** No Read in the provider: refresh keeps the state. */
  read(_id, state) {
    return Promise.resolve(state);
  },

  async update(_id, state, inputs, ctx) {
    // The new inputs with the old outputs, then `update` (or `create`) run over them.
    const next: Properties = { ...inputState(inputs), stdout: state.stdout ?? "", stderr: state.stderr ?? "" };
    const commandLine = typeof inputs.update === "string" ? inputs.update : inputs.create;
    if (typeof commandLine !== "string") return next;
    return { ...next, ...(await run(ctx, commandLine, withPreviousOutputs(environmentOf(inputs), inputs, state))) };
  },

  async delete(_id, state, ctx) {
    if (typeof state.delete !== "string") return;
    await run(ctx, state.delete, withPreviousOutputs(environmentOf(state), state, state));
  },
};
