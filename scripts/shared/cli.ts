/**
 * The one kernel every CLI of the project runs on. A command is declared once (name, summary, help
 * text, typed `node:util` parseArgs options, and `run(options, io, context)` returning an exit
 * code); the kernel adds what every CLI must behave the same in:
 *
 *   - `-h/--help` and `--version` (read from the project's package.json), answered before anything
 *     else runs;
 *   - strict parsing, with ONE usage-error format and exit code 2 for every usage error:
 *       <name>: <problem>
 *       Run `npm run <name> -- --help` for the options.
 *   - ONE place that maps errors to exit codes and prints them: a CmicError prints its message,
 *     `Fix: <fix>` and ends with its `exitCode`; anything else is an "unexpected error", exit 1;
 *   - a redaction hook, applied to everything the command prints, usage errors included;
 *   - an injected `io` (stdout, stderr, env, stdin), so tests run a CLI in-process;
 *   - the entry-point boilerplate (`runWhenMain`), which sets `process.exitCode` and never calls
 *     `process.exit` in the middle of the command's logic. Nothing runs on import.
 *
 * This module loads only node built-ins, contract/errors and the project-root finder: `--help` and
 * a usage error of any CLI must stay fast, so heavy engines are imported lazily inside `run`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { CmicError, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "../../contract/errors";
import { findProjectRoot } from "./projectRoot";
import { redact } from "./redact";

/** What a command reads and writes; the process's streams in production, buffers in tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream;
}

/** One option as `node:util` parseArgs declares it. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
}
export type OptionSpecs = Record<string, OptionSpec>;

/** The parsed values of a command's options, typed from its declaration. */
export type ParsedOptions<O extends OptionSpecs> = {
  -readonly [K in keyof O]?: O[K]["type"] extends "boolean"
    ? O[K]["multiple"] extends true
      ? boolean[]
      : boolean
    : O[K]["multiple"] extends true
      ? string[]
      : string;
};

/** How a command ended: an exit code, or (a wrapper only) the signal its child died of. */
export type ExitStatus = number | { signal: NodeJS.Signals };

export interface RunContext {
  /** Arguments that are not options (only with `positionals`), e.g. the command a wrapper starts. */
  positionals: string[];
  /** Hide this value from everything printed from now on (a secret learned while running). */
  addSecret(secret: string | null | undefined): void;
}

export interface Redaction {
  /** Secrets known from the raw command line and environment, before anything is parsed. */
  knownSecrets(argv: readonly string[], env: NodeJS.ProcessEnv): ReadonlyArray<string | null | undefined>;
  /** How to hide them (and anything else secret-looking) in a text. */
  redact(text: string, secrets: readonly string[]): string;
}

export interface CommandDefinition<O extends OptionSpecs> {
  /** The npm script name, e.g. `verify`; starts every message. */
  name: string;
  /** One line: what the command does; the first line of its help. */
  summary: string;
  /** The help text (usage, options, exit status). The kernel adds the `--help`/`--version` lines. */
  help: string;
  options: O;
  /**
   * `none` (default): any non-option argument is a usage error. `rest`: options come first; the
   * first non-option argument (or everything after `--`) is passed through untouched in
   * `context.positionals` — for a wrapper that starts another command with its own options.
   * With `rest`, only boolean options can be declared (a value could not be told from the command).
   */
  positionals?: "none" | "rest";
  /** How a user starts it, for "Run `<invocation> --help`" (default `npm run <name> --`). */
  invocation?: string;
  redaction?: Redaction;
  run(options: ParsedOptions<O>, io: CliIo, context: RunContext): Promise<ExitStatus>;
}

export interface Command<O extends OptionSpecs = OptionSpecs> extends CommandDefinition<O> {
  readonly invocation: string;
}

/** Declare a command; the options' literal types flow into `run`. */
export function defineCommand<const O extends OptionSpecs>(definition: CommandDefinition<O>): Command<O> {
  return { ...definition, invocation: definition.invocation ?? `npm run ${definition.name} --` };
}

const KERNEL_OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const satisfies OptionSpecs;

const KERNEL_HELP = `
Every command also takes:
  -h, --help                   print this text and exit
  --version                    print the project's version and exit
`;

/** `cmic-entra-oauth 0.1.0`, from the package.json of the project this file belongs to. */
export function projectVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(findProjectRoot(__dirname), "package.json"), "utf8")) as {
    name?: unknown;
    version?: unknown;
  };
  return `${String(manifest.name)} ${String(manifest.version)}`;
}

/** A number option's value checked in one place, so every CLI treats `-1`, `1e3`, `0x10`, `` and `NaN` alike. */
export function numberOption(
  flag: string,
  value: string | undefined,
  limits: { min?: number; max?: number; integer?: boolean; unit?: string } = {},
): number | undefined {
  if (value === undefined) return undefined;
  const { min, max, integer = false, unit } = limits;
  // Plain decimal only: Number() would also take "", " ", "0x10", "1e3" and "Infinity".
  const shape = integer ? /^-?\d+$/ : /^-?(\d+(\.\d*)?|\.\d+)$/;
  const number = Number(value.trim());
  if (!shape.test(value.trim()) || !Number.isFinite(number) || (min !== undefined && number < min) || (max !== undefined && number > max)) {
    const range =
      min !== undefined && max !== undefined
        ? ` from ${min} to ${max}`
        : min !== undefined
          ? ` ≥ ${min}`
          : max !== undefined
            ? ` ≤ ${max}`
            : "";
    throw new UsageError(`--${flag} must be a ${integer ? "whole number" : "number"}${unit ? ` of ${unit}` : ""}${range}, got '${value}'.`);
  }
  return number;
}

/**
 * A value that starts with `-` after an option taking a value is taken as that value when it is a
 * negative number (`--window -1`), so the option's own check can say what is wrong with it;
 * parseArgs would otherwise call it ambiguous. Anything after `--` is left alone.
 */
function joinNegativeNumbers(argv: readonly string[], options: OptionSpecs): string[] {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== "string") continue;
    takesValue.add(`--${name}`);
    if (spec.short) takesValue.add(`-${spec.short}`);
  }
  const joined: string[] = [];
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (arg === "--") {
      joined.push(...argv.slice(index));
      break;
    }
    const next = argv[index + 1];
    if (takesValue.has(arg) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      joined.push(`${arg}=${next}`);
      index += 1;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

/** parseArgs' errors, reworded the same way for every command (its own text suggests `-- "--x"` quoting). */
function usageErrorFrom(error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  const message = (error as Error).message ?? String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? "";
  // Options are quoted as '--name <value>' or, with a short form, '-n, --name <value>'.
  const flag = (quoted.split(", ").pop() ?? "").split(" ")[0];
  switch (code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new UsageError(`Unknown option '${flag}'.`);
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/argument missing|ambiguous/.test(message)) {
        return new UsageError(`${flag} needs a value.`, `write ${flag} VALUE (${flag}=VALUE when the value starts with '-').`);
      }
      return new UsageError(`${flag} takes no value.`, `write ${flag} alone.`);
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return new UsageError(
        `Unexpected argument '${quoted}'.`,
        "every value belongs to an option (--name VALUE); quote values with spaces.",
      );
    default:
      return new UsageError(message);
  }
}

export interface ParsedCommandLine<O extends OptionSpecs> {
  options: ParsedOptions<O>;
  help: boolean;
  version: boolean;
  positionals: string[];
}

/** Strict parsing of a command's arguments; throws UsageError. Exported for tests of one CLI's flags. */
export function parseCommandLine<O extends OptionSpecs>(
  command: Pick<CommandDefinition<O>, "options" | "positionals">,
  argv: readonly string[],
): ParsedCommandLine<O> {
  const options: OptionSpecs = { ...command.options, ...KERNEL_OPTIONS };
  let own: string[] = joinNegativeNumbers(argv, options);
  let rest: string[] = [];
  if (command.positionals === "rest") {
    // Options stop at `--` or at the first argument that is not an option: the rest is the command.
    const split = own.findIndex((arg) => arg === "--" || !arg.startsWith("-"));
    if (split !== -1) {
      rest = own[split] === "--" ? own.slice(split + 1) : own.slice(split);
      own = own.slice(0, split);
    }
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: own, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw usageErrorFrom(error);
  }
  const { help, version, ...values } = parsed.values;
  return { options: values as ParsedOptions<O>, help: help === true, version: version === true, positionals: rest };
}

/** Replace each known secret with `[redacted]`; the default when a command names secrets but no redactor. */
function replaceSecrets(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join("[redacted]");
  return result;
}

/** Map an error to what is printed and the exit code: the one place that does so. */
function report(command: Command<OptionSpecs>, error: unknown, print: (text: string) => void): number {
  if (error instanceof CmicError) {
    const fix = error.fix ? `Fix: ${error.fix}\n` : "";
    const help = error.exitCode === EXIT_USAGE ? `Run \`${command.invocation} --help\` for the options.\n` : "";
    print(`${command.name}: ${error.message}\n${fix}${help}`);
    return error.exitCode;
  }
  // A bug, not a result: the stack helps whoever reports it (redaction still applies).
  const detail = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  print(
    `${command.name}: unexpected error: ${detail}\nThis is a bug in ${command.name}, not in your settings: please report it with the lines above.\n`,
  );
  return EXIT_FAILED;
}

/** Run a command to its end (in-process): help, version, parsing, the command, error reporting. */
export async function executeCommand<O extends OptionSpecs>(command: Command<O>, argv: readonly string[], io: CliIo): Promise<ExitStatus> {
  const generic = command as unknown as Command<OptionSpecs>;
  const secrets: string[] = [];
  const addSecret = (secret: string | null | undefined): void => {
    if (secret && !secrets.includes(secret)) secrets.push(secret);
  };
  const redaction = command.redaction;
  if (redaction) for (const secret of redaction.knownSecrets(argv, io.env)) addSecret(secret);
  const hide = (text: string): string => (redaction ? redaction.redact(text, secrets) : replaceSecrets(text, secrets));
  const out: CliIo = {
    env: io.env,
    stdin: io.stdin,
    stdout: (text) => io.stdout(hide(text)),
    stderr: (text) => io.stderr(hide(text)),
  };
  try {
    const parsed = parseCommandLine(command, argv);
    if (parsed.help) {
      out.stdout(`${command.name}: ${command.summary}\n\n${command.help.trimEnd()}\n${KERNEL_HELP}`);
      return EXIT_OK;
    }
    if (parsed.version) {
      out.stdout(`${projectVersion()}\n`);
      return EXIT_OK;
    }
    return await command.run(parsed.options, out, { positionals: parsed.positionals, addSecret });
  } catch (error) {
    // Errors quote what the user typed: a secret pasted into the wrong flag is scrubbed by its shape.
    return report(generic, error, (text) => out.stderr(redact(text)));
  }
}

/** The exit code of a command run in-process (a signal counts as the shell does: 128 + its number). */
export async function runCommand<O extends OptionSpecs>(command: Command<O>, argv: readonly string[], io: CliIo): Promise<number> {
  const status = await executeCommand(command, argv, io);
  return typeof status === "number" ? status : 128 + (os.constants.signals[status.signal] ?? 0);
}

/** The real process's io. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    stdin: process.stdin,
  };
}

/** Buffers for running a command in-process (tests): what it printed, and its exit code. */
export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCaptured<O extends OptionSpecs>(
  command: Command<O>,
  argv: readonly string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: NodeJS.ReadableStream } = {},
): Promise<CapturedRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCommand(command, argv, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: options.env ?? process.env,
    stdin: options.stdin ?? Readable.from([]),
  });
  return { code, stdout, stderr };
}

/**
 * The entry point: `runWhenMain(module, command)` at the bottom of scripts/<name>/cli.ts runs the
 * command only when that file is the program node started (never on import), and ends the process
 * the way the command says.
 */
export function runWhenMain<O extends OptionSpecs>(mainModule: NodeModule, command: Command<O>): void {
  if (require.main !== mainModule) return;
  void executeCommand(command, process.argv.slice(2), processIo()).then((status) => {
    if (typeof status !== "number") {
      // Die of the same signal as the child did, so callers (npm, CI) see it; no handler is left.
      process.exitCode = 128 + (os.constants.signals[status.signal] ?? 0);
      process.kill(process.pid, status.signal);
      return;
    }
    process.exitCode = status;
    // The command is done: idle keep-alive sockets (Graph, MSAL) must not hold the process open.
    // Unref'd, so a process with nothing left pending ends at once, with its output flushed.
    setTimeout(() => process.exit(status), 100).unref();
  });
}
