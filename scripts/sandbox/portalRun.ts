/** `--portal CHANGE` on a world: open it at its clock, make the change through Graph, save it. */
import { openWorld, tenantOf } from "../world/session";
import { worldStackOutputs, WorldError } from "../world/worldDir";
import { deployerGraph } from "../world/deployerGraph";
import { applyPortalChange, type PortalChange } from "./portal";

export interface PortalRunOptions {
  stateDir: string;
  stack?: string;
  change: PortalChange;
  at?: string;
}

export async function changeInPortal(options: PortalRunOptions): Promise<{ stack: string; at: Date; description: string }> {
  const session = await openWorld(options.stateDir, { at: options.at, write: true });
  try {
    const world = session.world;
    if (!world) {
      throw new WorldError(
        "ERR_WORLD_MISSING",
        `${options.stateDir} holds no local world yet.`,
        `create it with \`npm run sandbox -- --state ${options.stateDir}\`.`,
      );
    }
    const { name, outputs } = worldStackOutputs(world, options.stateDir, options.stack);
    const tenant = tenantOf(world);
    const description = await applyPortalChange(options.change, deployerGraph(session.emulator.url, tenant), outputs, {
      setPremiumLicense: (premium) => session.emulator.setPremiumLicense(tenant.tenantId, premium),
    });
    session.save(tenant, world.stacks);
    return { stack: name, at: session.clock.at, description };
  } finally {
    await session.close();
  }
}
