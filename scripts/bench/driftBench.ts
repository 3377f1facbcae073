/**
 * Benchmarks of the drift Graph audit on the local emulator (printed by scripts/bench.ts):
 *  1. wall time of auditing 100 apps, with 50 ms of latency injected into every Graph request,
 *     against the sum of the individual audit round trips (what a one-after-the-other audit would
 *     take): goal ≤ 1/8, from running audits concurrently;
 *  2. Graph HTTP requests per audited app, counted in the emulator's request log: goal 1, from
 *     putting an app's four reads into one `$batch`.
 *
 * It also exports {@link deployAuditedApp}, which deploys a stack to the emulator with the real
 * Pulumi program and returns its stack outputs; the drift tests use it too.
 */
import crypto from "node:crypto";
import { performance } from "node:perf_hooks";
import type { BenchResult } from "./types";
import type { ClaimSource, StackOutputs } from "../../contract/stackOutputs";
import { deployStack, deployerGraph, type EmulatorTenantAccess } from "../sandbox/deployStack";
import { auditStack } from "../drift/graphAudit";
import { DEFAULT_AUDIT_CONCURRENCY } from "../drift/engine";
import { createLimiter } from "../shared/limiter";

export interface DeployedApp {
  /** As `pulumi stack output --json` prints them (no `--show-secrets`: the secret is null). */
  outputs: StackOutputs;
  applicationObjectId: string;
  appId: string;
  servicePrincipalId: string;
  policyId: string | null;
  secretKeyId: string;
}

export interface DeployAppOptions {
  displayName: string;
  /** The verified domain the identifier URI is built on (`api://<appId>.<domain>`). */
  domain: string;
  claimSource?: ClaimSource;
  cmicUser?: string;
  /** The secret's lifetime in days (default 180). */
  secretLifetimeDays?: number;
}

/**
 * Deploy an enterprise CMiC stack to an emulator tenant with the real Pulumi program (deployStack)
 * and return the outputs a `pulumi stack output --json` of that stack prints.
 */
export async function deployAuditedApp(
  target: { emulatorUrl: string; tenant: EmulatorTenantAccess },
  options: DeployAppOptions,
): Promise<DeployedApp> {
  const cmicUser = options.cmicUser ?? "CMICAPI";
  const { outputs } = await deployStack({
    emulatorUrl: target.emulatorUrl,
    tenant: target.tenant,
    settings: {
      deployment: "enterprise",
      serviceUser: cmicUser,
      claimSource: options.claimSource ?? "token",
      displayName: options.displayName,
      verifiedDomain: options.domain,
      postDeployCheck: "false",
      ...(options.secretLifetimeDays !== undefined ? { secretLifetimeDays: String(options.secretLifetimeDays) } : {}),
    },
  });
  const printed: StackOutputs = { ...outputs, clientSecret: null, connector: { ...outputs.connector, clientSecret: null } };
  return {
    outputs: printed,
    applicationObjectId: outputs.applicationObjectId,
    appId: outputs.clientId,
    servicePrincipalId: outputs.servicePrincipalObjectId,
    policyId: outputs.claimsMappingPolicyId,
    secretKeyId: outputs.credentialKeyIds[0],
  };
}

// ---------------------------------------------------------------------------------------------

const APP_COUNT = 100;
const LATENCY_MS = 50;

interface BenchEmulator {
  url: string;
  addTenant(input: { initialDomain: string }): {
    tenantId: string;
    initialDomain: string;
    deployer: { clientId: string; clientSecret: string };
  };
  setFaults(faults: { latencyMs?: number; pathPrefix?: string }): void;
  readonly requests: ReadonlyArray<{ method: string; path: string; status: number }>;
  readonly batchedRequests: ReadonlyArray<{ method: string; path: string; status: number }>;
  clearRequestLog(): void;
  close(): Promise<void>;
}

export async function runDriftBench(): Promise<BenchResult[]> {
  // Loaded lazily so that importing deployAuditedApp never starts an emulator.
  const { startEmulator } = (await import("../../emulator")) as unknown as { startEmulator(): Promise<BenchEmulator> };
  const emulator = await startEmulator();
  try {
    const tenant = emulator.addTenant({ initialDomain: `driftbench${crypto.randomBytes(3).toString("hex")}.onmicrosoft.com` });
    const graph = deployerGraph(emulator.url, tenant);
    // Pulumi programs run one at a time (deployStack queues them).
    const apps: DeployedApp[] = [];
    for (let index = 0; index < APP_COUNT; index += 1) {
      apps.push(
        await deployAuditedApp(
          { emulatorUrl: emulator.url, tenant },
          { displayName: `bench drift ${index}`, domain: tenant.initialDomain },
        ),
      );
    }
    // The token is fetched before the clock starts: a fleet run signs in once, not per app.
    await graph.api("/organization").get();

    emulator.setFaults({ latencyMs: LATENCY_MS, pathPrefix: "/v1.0/" });
    emulator.clearRequestLog();
    const audit = createLimiter(DEFAULT_AUDIT_CONCURRENCY);
    const roundTrips: number[] = [];
    const started = performance.now();
    const outcomes = await Promise.all(
      apps.map((app, index) =>
        audit(async () => {
          const begin = performance.now();
          const checks = await auditStack(`bench-${index}`, app.outputs, { client: graph, expiryDays: 30 });
          roundTrips.push(performance.now() - begin);
          return checks;
        }),
      ),
    );
    const wallMs = performance.now() - started;
    emulator.setFaults({});
    const sequentialMs = roundTrips.reduce((sum, ms) => sum + ms, 0);
    const findings = outcomes.flat().flatMap((check) => check.findings).length;
    const graphRequests = emulator.requests.filter((entry) => entry.path.startsWith("/v1.0/")).length;
    const reads = emulator.batchedRequests.length;
    const ratio = wallMs / sequentialMs;
    return [
      {
        name: `drift: audit wall time / sequential sum (${APP_COUNT} apps, ${LATENCY_MS} ms latency)`,
        value: Number(ratio.toFixed(3)),
        goal: "<= 0.125",
        met: ratio <= 0.125 && findings === 0,
        detail:
          `${(wallMs / 1000).toFixed(2)} s / ${(sequentialMs / 1000).toFixed(2)} s, ${DEFAULT_AUDIT_CONCURRENCY} audits at once` +
          `${findings === 0 ? "" : `, ${findings} unexpected finding(s)`}`,
      },
      {
        name: "drift: Graph HTTP requests per audited app",
        value: graphRequests / APP_COUNT,
        goal: "== 1",
        met: graphRequests === APP_COUNT,
        detail: `${graphRequests} requests ($batch) carrying ${reads} reads for ${APP_COUNT} apps`,
      },
    ];
  } finally {
    await emulator.close();
  }
}
