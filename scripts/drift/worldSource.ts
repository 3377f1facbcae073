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
import type { Properties } from "../sandbox/provider/types";
import { loadProjectProgram } from "../sandbox/programLoader";
import { openWorldForReading, tenantOf } from "../world/session";
import { selectWorldStack, worldStackOutputs } from "../world/worldDir";
import { interpretPreview, type FixCommands, type PreviewDigest, type PreviewOutcome } from "./pulumiPreview";
import type { DriftStackSource } from "./stackSource";

/** How `pulumi preview --json` shows a secret value (pkg/display/json.go masks secrets). */
const SECRET_MASK = "[secret]";

/** A resource's values as the digest may show them: every property Pulumi keeps secret masked. */
function shown(values: Properties, secret: ReadonlySet<string>): Properties {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, secret.has(key) ? SECRET_MASK : value]));
}

/** A step as `pulumi preview --json` prints it (pkg/display/json.go), from the engine's step and the states. */
function digestStep(step: Step, before: ResourceRecord | undefined, after: ResourceRecord | undefined): PreviewDigest["steps"][number] {
  // Secret in either state is secret in both: an input that became secret must not show its old value.
  const secret = new Set([...(before?.secretProperties ?? []), ...(after?.secretProperties ?? [])]);
  const state = (record: ResourceRecord) => ({
    type: record.type,
    inputs: shown(record.inputs, secret),
    outputs: shown(record.state, secret),
  });
  return {
    op: step.op,
    urn: step.urn,
    diffReasons: step.diffs,
    ...(step.replaceReasons ? { replaceReasons: step.replaceReasons } : {}),
    ...(before ? { oldState: state(before) } : {}),
    ...(after ? { newState: state(after) } : {}),
  };
}

function worldCommands(dir: string): FixCommands {
  return {
    up: (stack) => `npm run sandbox -- --state ${dir} --stack ${stack}`,
    handoff: (stack) => `npm run handoff -- --state ${dir} --stack ${stack}`,
    rotate: (stack) => `npm run rotate -- --state ${dir} --stack ${stack}`,
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
    // A world has one tenant, and every stack of it lives there.
    graphClient: () => (client ??= deployerGraph(session.emulator.url, tenant)),
    graphIdentity: () => tenant.deployer.clientId,
    commands: worldCommands(dir),
    // Expiry and handover dates are judged at the world's instant (--at), not the real clock's.
    now: () => session.clock.now(),
    close: () => session.close(),
  };
}
