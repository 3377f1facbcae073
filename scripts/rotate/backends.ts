/**
 * Where `npm run rotate` rotates: a real stack through the Pulumi CLI and Microsoft Graph, or a
 * stack of a local world (`--state DIR`) through the sandbox's engine and the world's emulator.
 * Both offer the same four operations; the rotation logic (rotation.ts) never knows which it has.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { CmicError, EXIT_FAILED } from "../../contract/errors";
import { GRAPH_URL_ENV } from "../../contract/entraEndpoints";
import { AUTHORITY_HOST_ENV } from "../../contract/postDeployCheck";
import type { StackOutputs } from "../../contract/stackOutputs";
import type { AzureCloud } from "../../contract/kinds";
import { tenantGraphClient } from "../shared/graphClient";
import { runPulumi, type PulumiInvocation } from "../shared/pulumiCli";
import { readStackOutputsFromPulumi } from "../shared/stackOutputSources";

/** The type of the secret's rotation anchor: replacing it issues a new secret with a full lifetime. */
export const ROTATION_ANCHOR_TYPE = "time:index/rotating:Rotating";

export interface RotationBackend {
  /** The stack's outputs, secrets shown. */
  outputs(): Promise<StackOutputs>;
  /**
   * `pulumi up --replace <anchor URN>`: a new rotation anchor, hence a new secret (the old one is
   * retained by the program's retainOnDelete). Resolves with the outputs after the update.
   */
  replaceAnchor(progress: (line: string) => void): Promise<StackOutputs>;
  /**
   * The stack's tenant (`tenantId`, from its outputs) for a while: Graph as the deployer signed in
   * to THAT tenant (reading and retiring credentials), where tokens are requested, and its clock.
   * With `write`, what `work` changed is kept (a world is saved).
   */
  withTenant<T>(tenantId: string, cloud: AzureCloud, work: (tenant: TenantAccess) => Promise<T>, write: boolean): Promise<T>;
  commands: { handoff: string; rotate: string };
}

export interface TenantAccess {
  graph: Client;
  /** Where tokens are requested: the emulator in a world, Entra (undefined: the default) otherwise. */
  authorityHost: string | undefined;
  /** The tenant's clock: a world's, or the real one. */
  now(): Date;
}

export class RotateError extends CmicError {
  constructor(code: string, message: string, fix: string) {
    super(code, message, { fix, exitCode: EXIT_FAILED });
  }
}

/** The URN of the stack's rotation anchor, from `pulumi stack export` (URNs are not secret). */
async function anchorUrnFromExport(stack: string, invocation: PulumiInvocation): Promise<string> {
  const exported = await runPulumi(["stack", "export", "--stack", stack], invocation);
  if (exported.exitCode !== 0) {
    throw new RotateError(
      "ERR_ROTATE_EXPORT",
      `\`pulumi stack export --stack ${stack}\` failed: ${exported.stderr.trim().split("\n")[0] ?? ""}`,
      "log in to the stack's backend (`pulumi login`) and check the stack name (`pulumi stack ls`).",
    );
  }
  const resources =
    (JSON.parse(exported.stdout) as { deployment?: { resources?: { urn?: string; type?: string }[] } }).deployment?.resources ?? [];
  const anchor = resources.find((resource) => resource.type === ROTATION_ANCHOR_TYPE);
  if (!anchor?.urn) {
    throw new RotateError(
      "ERR_ROTATE_NO_SECRET",
      `The stack ${stack} has no secret rotation anchor (${ROTATION_ANCHOR_TYPE}): it has no client secret to rotate.`,
      "rotate only stacks with credential secret or both; a certificate is renewed by setting cmic-entra-oauth:certificate to the new one.",
    );
  }
  return anchor.urn;
}

export function pulumiBackend(stack: string, invocation: PulumiInvocation, env: NodeJS.ProcessEnv): RotationBackend {
  const graphs = new Map<string, Client>();
  // Entra and Graph elsewhere (the local emulator), as verify and drift take them.
  const graphUrl = env[GRAPH_URL_ENV] || undefined;
  const authorityHost = env[AUTHORITY_HOST_ENV] || undefined;
  return {
    outputs: () => readStackOutputsFromPulumi(stack, { ...invocation, showSecrets: true }),
    async replaceAnchor(progress) {
      const urn = await anchorUrnFromExport(stack, invocation);
      progress(`pulumi up --stack ${stack} --replace ${urn}`);
      const up = await runPulumi(["up", "--stack", stack, "--replace", urn, "--yes", "--skip-preview", "--refresh"], invocation);
      if (up.exitCode !== 0) {
        throw new RotateError(
          "ERR_ROTATE_UP",
          `\`pulumi up --replace\` failed (exit ${up.exitCode}); no secret was removed:\n${up.stderr.trim() || up.stdout.trim().split("\n").slice(-5).join("\n")}`,
          `fix the cause above and run \`npm run rotate -- --stack ${stack}\` again; the current secret keeps working meanwhile.`,
        );
      }
      return readStackOutputsFromPulumi(stack, { ...invocation, showSecrets: true });
    },
    withTenant: (tenantId, cloud, work) => {
      // A customer's app is read in the customer's tenant, whatever tenant AZURE_TENANT_ID names,
      // and in its cloud.
      let graph = graphs.get(`${cloud}/${tenantId}`);
      if (!graph) {
        graph = tenantGraphClient(env, tenantId, cloud, graphUrl);
        graphs.set(`${cloud}/${tenantId}`, graph);
      }
      return work({
        graph,
        authorityHost,
        now: () => new Date(),
      });
    },
    commands: { handoff: `npm run handoff -- --stack ${stack}`, rotate: `npm run rotate -- --stack ${stack}` },
  };
}

export interface WorldBackendOptions {
  dir: string;
  stack: string | undefined;
  at: string | undefined;
  loadProgram?: () => Record<string, unknown>;
  propagationWindowMs: number;
}

/** A stack of a local world; `stack` resolves to its name once the world is read. */
export async function worldBackend(options: WorldBackendOptions): Promise<RotationBackend & { stack: string }> {
  const { requireWorld, worldStackOutputs, selectWorldStack } = await import("../world/worldDir");
  const { openWorld, tenantOf } = await import("../world/session");
  const { deployerGraph } = await import("../world/deployerGraph");
  const { runSandbox } = await import("../sandbox/runSandbox");
  const { loadProjectProgram } = await import("../sandbox/programLoader");
  const { name } = selectWorldStack(requireWorld(options.dir), options.dir, options.stack);
  // One instant for the whole command: the rotation runs at --at, later steps at the world's clock then.
  let at = options.at;
  const readOutputs = () => worldStackOutputs(requireWorld(options.dir), options.dir, name).outputs;
  const base = `--state ${options.dir} --stack ${name}`;
  return {
    stack: name,
    outputs: () => Promise.resolve(readOutputs()),
    async replaceAnchor(progress) {
      const world = requireWorld(options.dir);
      const { stack } = selectWorldStack(world, options.dir, name);
      const anchor = stack.state.resources.find((resource) => resource.type === ROTATION_ANCHOR_TYPE);
      if (!anchor) {
        throw new RotateError(
          "ERR_ROTATE_NO_SECRET",
          `The stack ${name} has no secret rotation anchor (${ROTATION_ANCHOR_TYPE}): it has no client secret to rotate.`,
          "rotate only stacks with credential secret or both.",
        );
      }
      progress(`npm run sandbox -- ${base} --replace ${anchor.urn}`);
      const result = await runSandbox({
        stack: name,
        config: stack.config,
        propagationDelayMs: 0,
        propagationWindowMs: options.propagationWindowMs,
        loadProgram: options.loadProgram ?? loadProjectProgram,
        stateDir: options.dir,
        at,
        replace: [anchor.urn],
        log: progress,
      });
      // Later steps read the world at the instant this run ended, not again at --at.
      at = undefined;
      if (!result.ok) {
        throw new RotateError(
          "ERR_ROTATE_UP",
          `The rotating update failed; no secret was removed: ${result.error.message}`,
          `fix the cause and run \`npm run rotate -- ${base}\` again; the current secret keeps working meanwhile.`,
        );
      }
      return readOutputs();
    },
    async withTenant(_tenantId, _cloud, work, write) {
      const session = await openWorld(options.dir, { at, write });
      try {
        const world = session.world ?? requireWorld(options.dir);
        const result = await work({
          graph: deployerGraph(session.emulator.url, tenantOf(world)),
          authorityHost: session.emulator.url,
          now: () => session.clock.now(),
        });
        if (write) session.save(tenantOf(world), world.stacks);
        return result;
      } finally {
        await session.close();
      }
    },
    commands: { handoff: `npm run handoff -- ${base}`, rotate: `npm run rotate -- ${base}` },
  };
}
