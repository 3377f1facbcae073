/**
 * Deploy one stack's settings to an emulator tenant with the real program: the Pulumi program runs
 * under mocks that apply every resource through Microsoft Graph (GraphMocks). Returns the outputs
 * exactly as `pulumi stack output --json --show-secrets` would print them. The sandbox, the tests
 * and the benchmarks all provision through here, so they exercise what `pulumi up` would create.
 */
import { CONFIG_NAMESPACE } from "../../contract/kinds";
import { CmicError, EXIT_FAILED } from "../../contract/errors";
import type { Client } from "@microsoft/microsoft-graph-client";
import { defineCmicStack } from "../../components/stack";
import { parseStackOutputs, type StackOutputs } from "../../contract/stackOutputs";
import { createClientCredential } from "../shared/credentials";
import { createGraphClient } from "../shared/graphClient";
import type { VerifyReport } from "../verify/report";
import { GraphMocks, type BreakName } from "./graphMocks";
import { plainOutputs, runProgram } from "./runProgram";

export interface EmulatorTenantAccess {
  tenantId: string;
  deployer: { clientId: string; clientSecret: string };
}

export interface DeployStackOptions {
  /** The emulator's origin (authority host and Graph). */
  emulatorUrl: string;
  tenant: EmulatorTenantAccess;
  /** Stack config; keys without a namespace are `cmic-entra-oauth:` settings. `azuread:tenantId` defaults to the tenant. */
  settings: Record<string, string>;
  stack?: string;
  breakName?: BreakName;
  /** How long the post-deploy check (when the settings keep it on) retries propagation errors. */
  propagationWindowMs?: number;
  /** Run the post-deploy check's real command line, or the same verify code in-process (default). */
  postDeployCheck?: "in-process" | "command";
  /** Progress lines of the post-deploy check. */
  onProgress?(line: string): void;
  /** The program to run; default the body of index.ts. The sandbox CLI passes index.ts itself. */
  loadProgram?: () => Record<string, unknown>;
}

export interface DeployedStack {
  outputs: StackOutputs;
  /** Graph client signed in as the tenant's deployer, to inspect or change what was deployed. */
  graph: Client;
  /** The post-deploy check's checklist; null when the stack turns the check off. */
  checklist: string | null;
  /** Its structured report, when it ran in-process. */
  checkReport: VerifyReport | null;
  /** What was created, in order. */
  created: { type: string; name: string; id: string }[];
}

/**
 * The deployment failed (the program, a resource, or the post-deploy check); `report` is the
 * post-deploy check's structured report when it ran in-process before the failure.
 */
export class DeployError extends CmicError {
  constructor(
    cause: unknown,
    readonly report: VerifyReport | null,
  ) {
    const known = cause instanceof CmicError ? cause : null;
    super(known?.code ?? "ERR_DEPLOY", cause instanceof Error ? cause.message : String(cause), {
      fix: known?.fix,
      exitCode: known?.exitCode ?? EXIT_FAILED,
      cause,
    });
  }
}

/** Pulumi's runtime is process-wide: programs run one after another, never interleaved. */
let queue: Promise<unknown> = Promise.resolve();

export function deployerGraph(emulatorUrl: string, tenant: EmulatorTenantAccess): Client {
  return createGraphClient({
    credential: createClientCredential({
      tenantId: tenant.tenantId,
      clientId: tenant.deployer.clientId,
      credential: { kind: "secret", clientSecret: tenant.deployer.clientSecret },
      authorityHost: emulatorUrl,
    }),
    graphUrl: emulatorUrl,
  });
}

export function stackConfig(tenantId: string, settings: Record<string, string>): Record<string, string> {
  const config: Record<string, string> = { "azuread:tenantId": tenantId };
  for (const [key, value] of Object.entries(settings)) config[key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`] = value;
  return config;
}

/** Deploy; rejects with the program's or the post-deploy check's error, as `pulumi up` would fail. */
export function deployStack(options: DeployStackOptions): Promise<DeployedStack> {
  const run = queue.then(() => deployNow(options));
  queue = run.catch(() => undefined);
  return run;
}

async function deployNow(options: DeployStackOptions): Promise<DeployedStack> {
  const graph = deployerGraph(options.emulatorUrl, options.tenant);
  let checklist: string | null = null;
  let checkReport: VerifyReport | null = null;
  const mocks = new GraphMocks({
    graph,
    tenantId: options.tenant.tenantId,
    authorityHost: options.emulatorUrl,
    propagationWindowMs: options.propagationWindowMs ?? 30_000,
    breakName: options.breakName,
    postDeployCheck: options.postDeployCheck,
    hooks: { onProgress: options.onProgress },
    onCheck: (text, report) => {
      checklist = text;
      checkReport = report;
    },
  });
  try {
    const run = await runProgram({
      stack: options.stack ?? "emulated",
      config: stackConfig(options.tenant.tenantId, options.settings),
      mocks,
      loadProgram: options.loadProgram ?? defineCmicStack,
    });
    return { outputs: parseStackOutputs(plainOutputs(run)), graph, checklist, checkReport, created: mocks.created };
  } catch (error) {
    throw new DeployError(error, checkReport);
  }
}
