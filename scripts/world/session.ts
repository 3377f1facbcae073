/**
 * A local world opened for one command: its emulator serving the saved tenant at the world's
 * clock. Writers (the sandbox's runs and portal changes) hold the world's lock and save it back;
 * readers (verify, handoff, drift, the emulator CLI) never lock and never save.
 */
import { startEmulator, type Emulator } from "../../emulator";
import type { EmulatorTenantAccess } from "./deployerGraph";
import { runInstant, worldClock, type WorldClock } from "./clock";
import { lockWorld, readWorld, requireWorld, writeWorld, type WorldData, type WorldStack } from "./worldDir";

export type WorldTenantAccess = EmulatorTenantAccess;

export interface WorldSession {
  dir: string;
  /** The world as read (null: a new world, for writers only). */
  world: WorldData | null;
  clock: WorldClock;
  emulator: Emulator;
  /** Save the world: the emulator's tenant now, the clock of this session, and the stacks given. */
  save(tenant: WorldTenantAccess, stacks: Record<string, WorldStack>): void;
  close(): Promise<void>;
}

export interface OpenWorldOptions {
  /** `--at`: an ISO instant or +Nd/+Nh after the world's previous run. */
  at?: string;
  /** Take the lock and allow save (sandbox runs, portal changes). */
  write: boolean;
  propagationDelayMs?: number;
  port?: number;
}

export async function openWorld(dir: string, options: OpenWorldOptions): Promise<WorldSession> {
  const release = options.write ? lockWorld(dir) : () => undefined;
  try {
    const world = options.write ? readWorld(dir) : requireWorld(dir);
    const clock = worldClock(runInstant(options.at, world?.lastRunAt ? new Date(world.lastRunAt) : null, new Date()));
    const emulator = await startEmulator({
      propagationDelayMs: options.propagationDelayMs ?? 0,
      port: options.port,
      clock: () => clock.now().getTime(),
      ...(world ? { snapshot: world.emulator } : {}),
    });
    return {
      dir,
      world,
      clock,
      emulator,
      save(tenant, stacks) {
        if (!options.write) throw new Error("openWorld: this session is read-only.");
        writeWorld(dir, {
          format: "cmic-entra-oauth/world@1",
          tenantId: tenant.tenantId,
          deployer: tenant.deployer,
          // Written only outside the public cloud, so a public world's file keeps its shape.
          ...(tenant.cloud && tenant.cloud !== "public" ? { cloud: tenant.cloud } : {}),
          // The clock when the world is saved, not when the run began: what the run created is
          // dated up to now, and the next session must not start before it (a deployer secret
          // created a moment after the run's instant would not be valid yet).
          lastRunAt: clock.now().toISOString(),
          emulator: emulator.snapshot(),
          stacks,
        });
      },
      async close() {
        try {
          await emulator.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

export function tenantOf(world: WorldData): WorldTenantAccess {
  return { tenantId: world.tenantId, deployer: world.deployer, ...(world.cloud ? { cloud: world.cloud } : {}) };
}

/** A world that must exist, opened read-only (verify, drift, the emulator CLI). */
export async function openWorldForReading(dir: string, at: string | undefined): Promise<WorldSession & { world: WorldData }> {
  const session = await openWorld(dir, { at, write: false });
  const { world } = session;
  if (!world) throw new Error("openWorld: a read-only session always reads an existing world.");
  return { ...session, world };
}
