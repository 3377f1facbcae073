/**
 * Where drift reads a stack from: the Pulumi CLI and Microsoft Graph (a real deployment), or a
 * local world (`--state DIR`, scripts/drift/worldSource.ts). The layers do not know which.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { AzureCloud } from "../../contract/kinds";
import type { StackOutputs } from "../../contract/stackOutputs";
import { deployerClientId } from "../shared/credentials";
import { tenantGraphClient } from "../shared/graphClient";
import { readStackOutputsFromPulumi, type PulumiInvocation } from "../shared/stackOutputSources";
import { listStacks, previewStack, PULUMI_FIX_COMMANDS, type FixCommands, type PreviewOutcome } from "./pulumiPreview";

export interface DriftStackSource {
  /** Every stack (`--all`). */
  listStacks(): Promise<string[]>;
  readOutputs(stack: string, timeoutMs: number): Promise<StackOutputs>;
  /** What `pulumi preview --refresh --expect-no-changes` says; never throws. */
  preview(stack: string, timeoutMs: number): Promise<PreviewOutcome>;
  /**
   * Graph for the audit of a stack in `tenantId` (its outputs' tenant), signed in to THAT tenant:
   * a customer's objects exist only there, and Graph answers 404 for them anywhere else. Built once
   * per tenant on first use.
   */
  /** One client per tenant (and its cloud, whose Graph and login host it reaches). */
  graphClient(tenantId: string, cloud: AzureCloud): Client;
  /**
   * The client id drift signs in to `tenantId` as (for the admin consent link), when known: the
   * credentials file's app for a tenant it lists, else the environment's AZURE_CLIENT_ID.
   */
  graphIdentity(tenantId: string): string | null;
  /** The commands findings' fixes name (restore the stack, hand its values over). */
  commands: FixCommands;
  /** The instant the audit judges dates at: the real clock, or a local world's. */
  now(): Date;
  close(): Promise<void>;
}

/** `graphUrl`: the --graph-url / CMIC_GRAPH_URL origin; null for each stack's cloud's own Graph. */
export function pulumiSource(invocation: PulumiInvocation, graphUrl: string | null, env: NodeJS.ProcessEnv): DriftStackSource {
  const clients = new Map<string, Client>();
  return {
    listStacks: () => listStacks(invocation),
    readOutputs: (stack, timeoutMs) => readStackOutputsFromPulumi(stack, { ...invocation, timeoutMs }),
    // The child is stopped at the deadline too, so an abandoned preview does not run on.
    preview: (stack, timeoutMs) => previewStack(stack, { ...invocation, timeoutMs }),
    graphClient(tenantId, cloud) {
      const key = tenantId.toLowerCase();
      let client = clients.get(`${cloud}/${key}`);
      if (!client) {
        client = tenantGraphClient(env, key, cloud, graphUrl);
        clients.set(`${cloud}/${key}`, client);
      }
      return client;
    },
    graphIdentity: (tenantId) => deployerClientId(env, tenantId),
    commands: PULUMI_FIX_COMMANDS,
    now: () => new Date(),
    close: () => Promise.resolve(),
  };
}
