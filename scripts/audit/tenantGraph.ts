/**
 * Graph for one tenant, as `audit` and `adopt` read it: the real tenant through the credential
 * the environment names (signed in to the tenant given, whatever AZURE_TENANT_ID says), or a local
 * world's emulated tenant (`--state DIR`) at the world's clock. The world must already trust the
 * emulator's CA (the CLI restarts itself first: shared/emulatorTrust.ts).
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { UsageError } from "../../contract/errors";

export interface TenantGraph {
  client: Client;
  tenantId: string;
  /** The instant dates are judged at: now, or the world's clock. */
  now: Date;
  /** Client ids the world's stacks deploy, by stack name (empty for a real tenant). */
  worldStackClientIds: Map<string, string>;
  close(): Promise<void>;
}

export async function openTenantGraph(options: {
  stateDir?: string;
  tenantId: string | null;
  graphUrl: string;
  env: NodeJS.ProcessEnv;
}): Promise<TenantGraph> {
  if (options.stateDir !== undefined) {
    const { openWorldForReading, tenantOf } = await import("../world/session");
    const { deployerGraph } = await import("../world/deployerGraph");
    const session = await openWorldForReading(options.stateDir, undefined);
    const worldTenant = session.world.tenantId.toLowerCase();
    if (options.tenantId !== null && options.tenantId !== worldTenant) {
      await session.close();
      throw new UsageError(`--tenant ${options.tenantId} is not the world's tenant (${session.world.tenantId}); a world has one tenant.`);
    }
    const worldStackClientIds = new Map(
      Object.entries(session.world.stacks).flatMap(([name, saved]) => {
        const clientId = saved.state.outputs.clientId;
        return typeof clientId === "string" ? [[name, clientId.toLowerCase()] as const] : [];
      }),
    );
    return {
      client: deployerGraph(session.emulator.url, tenantOf(session.world)),
      tenantId: session.world.tenantId,
      now: session.clock.now(),
      worldStackClientIds,
      close: () => session.close(),
    };
  }
  if (options.tenantId === null)
    throw new UsageError("Give --tenant TENANT_ID (the Directory (tenant) ID), or --state DIR for a local world.");
  const { createDeployerCredential } = await import("../shared/credentials");
  const { createGraphClient } = await import("../shared/graphClient");
  return {
    client: createGraphClient({
      credential: createDeployerCredential(options.env, options.tenantId),
      graphUrl: options.graphUrl,
    }),
    tenantId: options.tenantId,
    now: new Date(),
    worldStackClientIds: new Map(),
    close: () => Promise.resolve(),
  };
}
