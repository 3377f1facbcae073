/**
 * `--import FILE` on a world: `pulumi import --file FILE --stack NAME` against the world's tenant.
 * Opens the world at its clock (for writing, as `--portal` does), reads every object the file names
 * through Graph as the deployer, adds them to the stack's state (engine/import.ts) and saves the
 * world. No program runs: the next `npm run sandbox -- --state DIR --stack NAME` is the `pulumi up`
 * that diffs the program against what was imported.
 */
import { readFileSync } from "node:fs";
import { deployerGraph } from "../world/deployerGraph";
import { openWorld, tenantOf } from "../world/session";
import { WorldError, type WorldStack } from "../world/worldDir";
import { importResources, ImportFileError, type ImportedResource } from "./engine/import";
import { emptyStackState } from "./engine/state";
import { PROVIDER_MODELS } from "./provider";
import type { ProviderContext } from "./provider/types";

export interface ImportRunOptions {
  stateDir: string;
  stack: string;
  /** The import file (Pulumi's `pulumi import --file` format). */
  file: string;
  /**
   * The stack settings for a stack the world does not hold yet, read as a first sandbox run reads
   * them (the stack file); an existing stack keeps its own (an import changes no config).
   */
  config(): Record<string, string>;
  /** `--protect` (default true, as `pulumi import`). */
  protect: boolean;
  at?: string;
}

export interface ImportRunResult {
  stack: string;
  at: Date;
  /** The stack was not in the world before: the import created it. */
  createdStack: boolean;
  imported: ImportedResource[];
  skipped: ImportedResource[];
  protect: boolean;
}

function readImportFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ImportFileError([`cannot be read: ${(error as Error).message}`], file);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ImportFileError([`is not JSON: ${(error as Error).message}`], file);
  }
}

export async function importIntoWorld(options: ImportRunOptions): Promise<ImportRunResult> {
  const importFile = readImportFile(options.file);
  const session = await openWorld(options.stateDir, { at: options.at, write: true });
  try {
    const world = session.world;
    if (!world) {
      throw new WorldError(
        "ERR_WORLD_MISSING",
        `${options.stateDir} holds no local world yet: there is no tenant to import from.`,
        `create it with \`npm run sandbox -- --state ${options.stateDir}\` (or another stack), make the objects, then import.`,
      );
    }
    const tenant = tenantOf(world);
    const previous = world.stacks[options.stack];
    // A new stack takes its settings now, so that a bad stack file stops the import before any read.
    const config = previous ? previous.config : options.config();
    const provider: ProviderContext = {
      graph: deployerGraph(session.emulator.url, tenant),
      tenantId: tenant.tenantId,
      now: () => session.clock.now(),
      runCommand: () => Promise.reject(new Error("pulumi import runs no command.")),
    };
    const result = await importResources(previous?.state ?? emptyStackState(), importFile, {
      stack: options.stack,
      provider,
      modelFor: (type) => (Object.hasOwn(PROVIDER_MODELS, type) ? PROVIDER_MODELS[type] : undefined),
      protect: options.protect,
    });
    const stack: WorldStack = previous
      ? { ...previous, state: result.state }
      : { config, lastRunAt: session.clock.at.toISOString(), state: result.state };
    session.save(tenant, { ...world.stacks, [options.stack]: stack });
    return {
      stack: options.stack,
      at: session.clock.at,
      createdStack: previous === undefined,
      imported: result.imported,
      skipped: result.skipped,
      protect: options.protect,
    };
  } finally {
    await session.close();
  }
}
