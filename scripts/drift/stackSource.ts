/**
 * Where drift reads a stack from: the Pulumi CLI and Microsoft Graph (a real deployment), or a
 * local world (`--state DIR`, scripts/drift/worldSource.ts). The layers do not know which.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { StackOutputs } from "../../contract/stackOutputs";
import { createDeployerCredential } from "../shared/credentials";
import { createGraphClient } from "../shared/graphClient";
import { readStackOutputsFromPulumi, type PulumiInvocation } from "../shared/stackOutputSources";
import { listStacks, previewStack, PULUMI_FIX_COMMANDS, type FixCommands, type PreviewOutcome } from "./pulumiPreview";

export interface DriftStackSource {
  /** Every stack (`--all`). */
  listStacks(): Promise<string[]>;
  readOutputs(stack: string, timeoutMs: number): Promise<StackOutputs>;
  /** What `pulumi preview --refresh --expect-no-changes` says; never throws. */
  preview(stack: string, timeoutMs: number): Promise<PreviewOutcome>;
  /** Graph for the audit, built once on first use. */
  graphClient(): Client;
  /** The commands findings' fixes name (restore the stack, hand its values over). */
  commands: FixCommands;
  /** The instant the audit judges dates at: the real clock, or a local world's. */
  now(): Date;
  close(): Promise<void>;
}

export function pulumiSource(invocation: PulumiInvocation, graphUrl: string, env: NodeJS.ProcessEnv): DriftStackSource {
  let client: Client | undefined;
  return {
    listStacks: () => listStacks(invocation),
    readOutputs: (stack, timeoutMs) => readStackOutputsFromPulumi(stack, { ...invocation, timeoutMs }),
    // The child is stopped at the deadline too, so an abandoned preview does not run on.
    preview: (stack, timeoutMs) => previewStack(stack, { ...invocation, timeoutMs }),
    graphClient: () => (client ??= createGraphClient({ credential: createDeployerCredential(env), graphUrl })),
    commands: PULUMI_FIX_COMMANDS,
    now: () => new Date(),
    close: () => Promise.resolve(),
  };
}
