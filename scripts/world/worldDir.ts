/**
 * A local world kept in a directory (`--state DIR`): the emulated tenant (the emulator's snapshot),
 * the clock of its last run, and each stack's state and outputs, so that every run of the sandbox
 * is the next `pulumi up` of the same stacks on the same tenant.
 *
 * `DIR/world.json` holds secrets in the clear (the client secrets of the stacks' outputs, the
 * deployer's secret), like `pulumi stack export --show-secrets`: the directory is made 0700 and the
 * file 0600, and it is replaced atomically (write, then rename) so a crash never leaves half a world.
 * One run at a time: `DIR/.lock` names the process holding it.
 */
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import path from "node:path";
import { CmicError, EXIT_FAILED, EXIT_USAGE } from "../../contract/errors";
import { AZURE_CLOUDS, isOneOf, type AzureCloud } from "../../contract/kinds";
import { parseStackOutputs, type StackOutputs } from "../../contract/stackOutputs";
import { parseStackState, StackStateFormatError, type StackState } from "../sandbox/engine/state";

export const WORLD_FORMAT = "cmic-entra-oauth/world@1";
const WORLD_FILE = "world.json";
const LOCK_FILE = ".lock";

export interface WorldStack {
  /** The stack settings of its last run (the `pulumi config` map). */
  config: Record<string, string>;
  /** The world's clock at the stack's last run. */
  lastRunAt: string;
  state: StackState;
}

export interface WorldData {
  format: typeof WORLD_FORMAT;
  /** The emulated tenant's id. */
  tenantId: string;
  /** The app the sandbox deploys with (Application.ReadWrite.All and the policy permissions in the emulated tenant). */
  deployer: { clientId: string; clientSecret: string };
  /** The emulated tenant's cloud; absent: public (every world from before clouds). */
  cloud?: AzureCloud;
  /** The world's clock when its last run (any stack) ended, or null before the first. */
  lastRunAt: string | null;
  /** The emulator's snapshot (its own format; the emulator checks it). */
  emulator: unknown;
  stacks: Record<string, WorldStack>;
}

export class WorldError extends CmicError {
  constructor(code: "ERR_WORLD_MISSING" | "ERR_WORLD_FORMAT" | "ERR_WORLD_LOCKED" | "ERR_WORLD_STACK", message: string, fix: string) {
    super(code, message, { fix, exitCode: code === "ERR_WORLD_STACK" ? EXIT_USAGE : EXIT_FAILED });
  }
}

function worldFile(dir: string): string {
  return path.join(dir, WORLD_FILE);
}

function formatError(dir: string, detail: string): WorldError {
  return new WorldError(
    "ERR_WORLD_FORMAT",
    `${worldFile(dir)} is not a world this version can read: ${detail}`,
    "restore the directory from a backup, or start a new world in an empty --state directory.",
  );
}

/** Read a world; null when DIR has none yet. Never locks: readers see the last complete save. */
export function readWorld(dir: string): WorldData | null {
  const file = worldFile(dir);
  if (!existsSync(file)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw formatError(dir, `not JSON (${(error as Error).message.replace(/\s+/g, " ").slice(0, 80)}).`);
  }
  const data = parsed as Partial<WorldData> | null;
  if (data === null || typeof data !== "object") throw formatError(dir, "not an object.");
  if (data.format !== WORLD_FORMAT) throw formatError(dir, `format is ${JSON.stringify(data.format)}, expected "${WORLD_FORMAT}".`);
  if (typeof data.tenantId !== "string") throw formatError(dir, "tenantId is missing.");
  if (typeof data.deployer?.clientId !== "string" || typeof data.deployer.clientSecret !== "string")
    throw formatError(dir, "deployer is missing.");
  if (data.lastRunAt !== null && (typeof data.lastRunAt !== "string" || Number.isNaN(Date.parse(data.lastRunAt)))) {
    throw formatError(dir, "lastRunAt is not a date.");
  }
  if (data.stacks === null || typeof data.stacks !== "object") throw formatError(dir, "stacks is missing.");
  if (data.cloud !== undefined && !isOneOf(AZURE_CLOUDS, data.cloud))
    throw formatError(dir, `cloud is ${JSON.stringify(data.cloud)}, not one of ${AZURE_CLOUDS.join(", ")}.`);
  const stacks: Record<string, WorldStack> = {};
  for (const [name, stack] of Object.entries(data.stacks as Record<string, Partial<WorldStack>>)) {
    try {
      if (typeof stack.lastRunAt !== "string" || stack.config === null || typeof stack.config !== "object")
        throw new StackStateFormatError("lastRunAt or config missing.");
      stacks[name] = { config: stack.config, lastRunAt: stack.lastRunAt, state: parseStackState(stack.state, `stacks.${name}.state`) };
    } catch (error) {
      if (error instanceof StackStateFormatError) throw formatError(dir, `stack '${name}': ${error.message}`);
      throw error;
    }
  }
  return {
    format: WORLD_FORMAT,
    tenantId: data.tenantId,
    deployer: data.deployer,
    ...(data.cloud !== undefined && data.cloud !== "public" ? { cloud: data.cloud } : {}),
    lastRunAt: data.lastRunAt ?? null,
    emulator: data.emulator,
    stacks,
  };
}

/** Read a world that must exist (verify, handoff, drift, the emulator). */
export function requireWorld(dir: string): WorldData {
  const world = readWorld(dir);
  if (!world) {
    throw new WorldError(
      "ERR_WORLD_MISSING",
      `${path.resolve(dir)} holds no local world (no ${WORLD_FILE}).`,
      `create it with \`npm run sandbox -- --state ${dir}\`.`,
    );
  }
  return world;
}

/** The stack a command works on: `--stack NAME`, or the world's only stack. */
export function selectWorldStack(world: WorldData, dir: string, name: string | undefined): { name: string; stack: WorldStack } {
  const names = Object.keys(world.stacks).sort();
  if (name !== undefined) {
    const stack = world.stacks[name];
    if (!stack) {
      throw new WorldError(
        "ERR_WORLD_STACK",
        `The world in ${dir} has no stack '${name}' (it has: ${names.join(", ") || "none"}).`,
        `run \`npm run sandbox -- --state ${dir} --stack ${name}\` to create it, or pick one of those.`,
      );
    }
    return { name, stack };
  }
  if (names.length === 1) return { name: names[0], stack: world.stacks[names[0]] };
  throw new WorldError(
    "ERR_WORLD_STACK",
    names.length === 0 ? `The world in ${dir} has no stack yet.` : `The world in ${dir} holds several stacks: ${names.join(", ")}.`,
    names.length === 0 ? `run \`npm run sandbox -- --state ${dir}\` first.` : "name one with --stack NAME.",
  );
}

/** Write the world atomically, readable by its owner only. */
export function writeWorld(dir: string, data: WorldData): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const temporary = `${worldFile(dir)}.${process.pid}.tmp`;
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${JSON.stringify(data, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, worldFile(dir));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Take the world for one run. A lock whose process is gone (a killed run) is taken over: the world
 * file itself is always complete (atomic writes), so nothing is lost.
 */
export function lockWorld(dir: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!statSync(dir).isDirectory()) throw new WorldError("ERR_WORLD_FORMAT", `${dir} is not a directory.`, "give --state a directory.");
  const lock = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      const fd = openSync(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(readFileSync(lock, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && processAlive(holder)) {
        throw new WorldError(
          "ERR_WORLD_LOCKED",
          `Another run (process ${holder}) is using the world in ${dir}.`,
          `wait for it to finish; if no such process is running, delete ${lock}.`,
        );
      }
      rmSync(lock, { force: true });
    }
  }
  throw new WorldError("ERR_WORLD_LOCKED", `Could not take the lock ${lock}.`, `delete ${lock} if no run is using the world.`);
}

/** A stack of the world with its last outputs, for verify, handoff, drift and portal changes. */
export function worldStackOutputs(world: WorldData, dir: string, stack: string | undefined): { name: string; outputs: StackOutputs } {
  const selected = selectWorldStack(world, dir, stack);
  if (Object.keys(selected.stack.state.outputs).length === 0) {
    throw new WorldError(
      "ERR_WORLD_STACK",
      `Stack '${selected.name}' in ${dir} has no outputs: its first run did not finish.`,
      `run \`npm run sandbox -- --state ${dir} --stack ${selected.name}\` until it is green.`,
    );
  }
  return { name: selected.name, outputs: parseStackOutputs(selected.stack.state.outputs) };
}
