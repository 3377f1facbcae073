/**
 * Drift on a local world (`npm run drift -- --state DIR`): the stacks, outputs and tenant of
 * `npm run sandbox -- --state DIR`. The Pulumi layer is the sandbox engine's preview (refresh from
 * the emulated tenant, then the program's diff; nothing is written), turned into the digest
 * `pulumi preview --refresh --expect-no-changes --json` would print, so both layers judge a world
 * exactly as they judge a real stack.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { CmicError } from "../../contract/errors";
import { updateStack } from "../sandbox/deployStack";
import { deployerGraph } from "../world/deployerGraph";
import { changeSummary, type Step } from "../sandbox/engine/plan";
import type { ResourceRecord } from "../sandbox/engine/state";
import { loadProjectProgram } from "../sandbox/programLoader";
import { openWorldForReading, tenantOf } from "../world/session";
import { selectWorldStack, worldStackOutputs } from "../world/worldDir";
import { interpretPreview, type FixCommands, type PreviewDigest, type PreviewOutcome } from "./pulumiPreview";
import type { DriftStackSource } from "./stackSource";

/** A step as `pulumi preview --json` prints it (pkg/display/json.go), from the engine's step and the states. */
function digestStep(step: Step, before: ResourceRecord | undefined, after: ResourceRecord | undefined): PreviewDigest["steps"][number] {
  return {
    op: step.op,
    urn: step.urn,
    diffReasons: step.diffs,
    ...(step.replaceReasons ? { replaceReasons: step.replaceReasons } : {}),
    ...(before ? { oldState: { type: before.type, inputs: before.inputs, outputs: before.state } } : {}),
    ...(after ? { newState: { type: after.type, inputs: after.inputs, outputs: after.state } } : {}),
  };
}

function worldCommands(dir: string): FixCommands {
  return {
    up: (stack) => `npm run sandbox -- --state ${dir} --stack ${stack}`,
    handoff: (stack) => `npm run handoff -- --state ${dir} --stack ${stack}`,
  };
}

/**
 * `loadProgram` loads a fresh copy of the program per preview (default: the project's index.ts;
 * tests isolate it with Jest's module registry).
 */
export async function openWorldSource(
  dir: string,
  at: string | undefined,
  loadProgram: () => Record<string, unknown> = loadProjectProgram,
): Promise<DriftStackSource> {
  const session = await openWorldForReading(dir, at);
  const { world } = session;
  const tenant = tenantOf(world);
  let client: Client | undefined;
  return {
    listStacks: () => Promise.resolve(Object.keys(world.stacks).sort()),
    readOutputs: (stack) => Promise.resolve(worldStackOutputs(world, dir, stack).outputs),
    async preview(stack): Promise<PreviewOutcome> {
      const { stack: saved } = selectWorldStack(world, dir, stack);
      const update = await updateStack({
        emulatorUrl: session.emulator.url,
        tenant,
        settings: saved.config,
        stack,
        state: saved.state,
        clock: session.clock,
        preview: true,
        loadProgram,
      });
      const before = new Map(update.refreshedState.resources.map((record) => [record.urn, record]));
      const after = new Map(update.state.resources.map((record) => [record.urn, record]));
      const digest: PreviewDigest = {
        steps: update.steps.map((step) => digestStep(step, before.get(step.urn), after.get(step.urn))),
        diagnostics: update.error ? [{ severity: "error", message: update.error.message }] : [],
        changeSummary: changeSummary(update.steps),
      };
      const changes = update.steps.some((step) => step.op !== "same");
      const stderr = update.error
        ? `error: ${update.error.message}${update.error instanceof CmicError && update.error.fix ? `\nFix: ${update.error.fix}` : ""}`
        : "";
      // Pulumi ≥ 3.226.1 exits 7 for "changes found" under --expect-no-changes, 255 for an error.
      return interpretPreview(
        stack,
        { exitCode: update.error ? 255 : changes ? 7 : 0, stdout: JSON.stringify(digest), stderr },
        worldCommands(dir),
      );
    },
    graphClient: () => (client ??= deployerGraph(session.emulator.url, tenant)),
    upCommand: (stack) => worldCommands(dir).up(stack),
    close: () => session.close(),
  };
}
