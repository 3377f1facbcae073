/**
 * Benchmarks of drift's Graph audit over a fleet on the local emulator (issue #13): 1,000 stacks
 * in 50 customer tenants, read by one multi-tenant operator app consented in each, with 50 ms of
 * latency on every Graph request. Through the engine drift runs (checkStacks, Graph layer only):
 *  1. wall time against a truly one-at-a-time run of the same stacks (each audited alone, one
 *     after the other, measured, not summed from concurrent round trips): goal ≤ 1/10;
 *  2. Graph round trips per stack, counted in the emulator's request log: goal ≤ 0.2, from reading
 *     `/domains` once per tenant and packing several stacks of a tenant into each `$batch`;
 *  3. token requests per tenant: goal ≤ 1;
 *  4. how time grows from 100 to 1,000 stacks (per-stack time at 1,000 over that at 100): ≤ 1.25;
 *  5. peak resident memory of the process (emulator included) during the 1,000-stack run.
 *
 * It also exports {@link deployAuditedApp}, which deploys a stack to the emulator with the real
 * Pulumi program and returns its stack outputs; the drift tests use it too.
 */
import crypto from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Client } from "@microsoft/microsoft-graph-client";
import type { BenchResult } from "./types";
import type { ClaimSource, StackOutputs } from "../../contract/stackOutputs";
import { deployStack, deployerGraph, type EmulatorTenantAccess } from "../sandbox/deployStack";
import { auditStack } from "../drift/graphAudit";
import { checkStacks, DEFAULT_AUDIT_CONCURRENCY, DEFAULT_CONCURRENCY, DEFAULT_EXPIRY_DAYS, type DriftOptions } from "../drift/engine";
import { PULUMI_FIX_COMMANDS } from "../drift/pulumiPreview";
import type { DriftStackSource } from "../drift/stackSource";
import { createDeployerCredential } from "../shared/credentials";
import { createGraphClient } from "../shared/graphClient";

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

const TENANT_COUNT = 50;
const STACK_COUNT = 1_000;
/** The smaller fleet of the growth figure: the same 20 stacks per tenant, in 5 tenants. */
const SMALL_STACK_COUNT = 100;
const LATENCY_MS = 50;
/** What the operator app is granted in each tenant: read only (README "Credentials and permissions"). */
const OPERATOR_ROLES = ["Application.Read.All", "Policy.Read.All", "Domain.Read.All"];

interface BenchTenant extends EmulatorTenantAccess {
  initialDomain: string;
}

interface BenchEmulator {
  url: string;
  addTenant(input: { initialDomain: string }): BenchTenant;
  setGraphRoles(tenantId: string, clientId: string, roles: readonly string[]): void;
  grantAdminConsent(tenantId: string, clientId: string, roles: readonly string[]): void;
  setFaults(faults: { latencyMs?: number; pathPrefix?: string }): void;
  readonly requests: ReadonlyArray<{ method: string; path: string; status: number }>;
  clearRequestLog(): void;
  close(): Promise<void>;
}

interface FleetStack {
  stack: string;
  outputs: StackOutputs;
}

/**
 * Register the integrator's operator app through `graph` (signed in to its home tenant):
 * multi-tenant, with a service principal at home and a secret. The drift tests use it too.
 */
export async function registerOperatorApp(graph: Client, displayName: string): Promise<{ appId: string; secretText: string }> {
  const app = (await graph.api("/applications").post({ displayName, signInAudience: "AzureADMultipleOrgs" })) as {
    id: string;
    appId: string;
  };
  await graph.api("/servicePrincipals").post({ appId: app.appId });
  const { secretText } = (await graph.api(`/applications/${app.id}/addPassword`).post({ passwordCredential: { displayName: "ci" } })) as {
    secretText: string;
  };
  return { appId: app.appId, secretText };
}

/** The operator app in `home`, with read roles there and consented in every other tenant; drift's environment to sign in as it. */
async function consentedOperator(emulator: BenchEmulator, home: BenchTenant, tenants: BenchTenant[]): Promise<NodeJS.ProcessEnv> {
  const { appId, secretText } = await registerOperatorApp(deployerGraph(emulator.url, home), "bench operator");
  emulator.setGraphRoles(home.tenantId, appId, OPERATOR_ROLES);
  for (const tenant of tenants) if (tenant !== home) emulator.grantAdminConsent(tenant.tenantId, appId, OPERATOR_ROLES);
  return { AZURE_TENANT_ID: home.tenantId, AZURE_CLIENT_ID: appId, AZURE_CLIENT_SECRET: secretText, AZURE_AUTHORITY_HOST: emulator.url };
}

/**
 * Stacks as a backend lists them, signed in to Graph as the operator app per tenant, as drift's
 * Pulumi source does (a fresh client per tenant and run, so each run makes its own token requests).
 */
function fleetSource(fleet: FleetStack[], graphUrl: string, env: NodeJS.ProcessEnv): DriftStackSource & { clients: Map<string, Client> } {
  const outputs = new Map(fleet.map((entry) => [entry.stack, entry.outputs]));
  const clients = new Map<string, Client>();
  return {
    clients,
    listStacks: () => Promise.resolve([...outputs.keys()].sort()),
    readOutputs: (stack) => Promise.resolve(outputs.get(stack)!),
    preview: () => Promise.reject(new Error("the benchmark audits Graph only")),
    graphClient(tenantId) {
      let client = clients.get(tenantId);
      if (!client) clients.set(tenantId, (client = createGraphClient({ credential: createDeployerCredential(env, tenantId), graphUrl })));
      return client;
    },
    graphIdentity: () => env.AZURE_CLIENT_ID ?? null,
    commands: PULUMI_FIX_COMMANDS,
    now: () => new Date(),
    close: () => Promise.resolve(),
  };
}

function fleetOptions(stacks: string[]): DriftOptions {
  return {
    stacks,
    all: false,
    concurrency: DEFAULT_CONCURRENCY,
    auditConcurrency: DEFAULT_AUDIT_CONCURRENCY,
    expiryDays: DEFAULT_EXPIRY_DAYS,
    skipPreview: true,
    skipAudit: false,
    graphUrl: "https://graph.microsoft.com",
    json: true,
  };
}

interface FleetRun {
  wallMs: number;
  graphRequests: number;
  tokenRequests: Map<string, number>;
  notClean: number;
  peakRssBytes: number;
}

const TOKEN_PATH = /^\/([^/]+)\/oauth2\/v2\.0\/token$/;

/** Count the run's Graph round trips and token requests per tenant in the emulator's log. */
function countRequests(emulator: BenchEmulator): { graphRequests: number; tokenRequests: Map<string, number> } {
  const tokenRequests = new Map<string, number>();
  let graphRequests = 0;
  for (const entry of emulator.requests) {
    if (entry.path.startsWith("/v1.0/") || entry.path.startsWith("/beta/")) graphRequests += 1;
    const token = TOKEN_PATH.exec(entry.path);
    if (token) tokenRequests.set(token[1], (tokenRequests.get(token[1]) ?? 0) + 1);
  }
  return { graphRequests, tokenRequests };
}

/** The fleet through drift's engine, Graph layer only, as `npm run drift -- --all --skip-preview` runs it. */
async function fleetRun(emulator: BenchEmulator, fleet: FleetStack[], env: NodeJS.ProcessEnv): Promise<FleetRun> {
  const source = fleetSource(fleet, emulator.url, env);
  emulator.clearRequestLog();
  let peakRssBytes = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const run = await checkStacks(fleetOptions(fleet.map((entry) => entry.stack)), source, {}).finally(() => clearInterval(sampler));
  const wallMs = performance.now() - started;
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
  return { wallMs, ...countRequests(emulator), notClean: run.results.filter((result) => result.status !== "clean").length, peakRssBytes };
}

/** Each stack audited alone, one after the other: what a fleet costs without the engine's concurrency and packing. */
async function oneAtATime(
  emulator: BenchEmulator,
  fleet: FleetStack[],
  env: NodeJS.ProcessEnv,
): Promise<{ wallMs: number; notClean: number }> {
  const source = fleetSource(fleet, emulator.url, env);
  let notClean = 0;
  const started = performance.now();
  for (const { stack, outputs } of fleet) {
    const checks = await auditStack(stack, outputs, {
      client: source.graphClient(outputs.tenantId, outputs.azureCloud),
      expiryDays: DEFAULT_EXPIRY_DAYS,
    });
    if (checks.some((check) => check.findings.length > 0)) notClean += 1;
  }
  return { wallMs: performance.now() - started, notClean };
}

export async function runDriftBench(progress: (line: string) => void = () => undefined): Promise<BenchResult[]> {
  // Loaded lazily so that importing deployAuditedApp never starts an emulator.
  const { startEmulator } = (await import("../../emulator")) as unknown as { startEmulator(): Promise<BenchEmulator> };
  const emulator = await startEmulator();
  try {
    const run = crypto.randomBytes(3).toString("hex");
    const tenants = Array.from({ length: TENANT_COUNT }, (_, index) =>
      emulator.addTenant({ initialDomain: `fleet${run}t${index}.onmicrosoft.com` }),
    );
    const env = await consentedOperator(emulator, tenants[0], tenants);
    // Stack i lives in tenant i mod 50: a backend's sorted list mixes the tenants, as customers' names do.
    const fleet: FleetStack[] = [];
    for (let index = 0; index < STACK_COUNT; index += 1) {
      const tenant = tenants[index % TENANT_COUNT];
      const { outputs } = await deployAuditedApp(
        { emulatorUrl: emulator.url, tenant },
        { displayName: `bench fleet ${index}`, domain: tenant.initialDomain },
      );
      fleet.push({ stack: `customer-${String(index).padStart(4, "0")}`, outputs });
      if ((index + 1) % 250 === 0) progress(`bench: deployed ${index + 1} of ${STACK_COUNT} stacks`);
    }
    const small = fleet.filter((_, index) => index % TENANT_COUNT < (SMALL_STACK_COUNT * TENANT_COUNT) / STACK_COUNT);

    emulator.setFaults({ latencyMs: LATENCY_MS, pathPrefix: "/v1.0/" });
    progress(`bench: auditing ${STACK_COUNT} stacks one at a time (about a minute)`);
    const alone = await oneAtATime(emulator, fleet, env);
    progress(`bench: auditing ${SMALL_STACK_COUNT} and ${STACK_COUNT} stacks as a fleet`);
    const smallRun = await fleetRun(emulator, small, env);
    const fleetResult = await fleetRun(emulator, fleet, env);
    emulator.setFaults({});

    const ratio = fleetResult.wallMs / alone.wallMs;
    const perStack = fleetResult.graphRequests / STACK_COUNT;
    const tokens = [...fleetResult.tokenRequests.values()];
    const maxTokens = Math.max(0, ...tokens);
    const growth = fleetResult.wallMs / STACK_COUNT / (smallRun.wallMs / small.length);
    const wrong = fleetResult.notClean + alone.notClean + smallRun.notClean;
    const unexpected = wrong === 0 ? "" : `, ${wrong} stack(s) not clean`;
    const rssMb = fleetResult.peakRssBytes / 2 ** 20;
    return [
      {
        name: `drift: fleet wall time / one at a time (${STACK_COUNT} stacks, ${TENANT_COUNT} tenants, ${LATENCY_MS} ms)`,
        value: Number(ratio.toFixed(3)),
        goal: "<= 0.1",
        met: ratio <= 0.1 && wrong === 0,
        detail: `${(fleetResult.wallMs / 1000).toFixed(2)} s / ${(alone.wallMs / 1000).toFixed(2)} s, ${DEFAULT_AUDIT_CONCURRENCY} requests at once${unexpected}`,
      },
      {
        name: "drift: Graph round trips per stack",
        value: Number(perStack.toFixed(3)),
        goal: "<= 0.2",
        met: perStack <= 0.2,
        detail: `${fleetResult.graphRequests} requests for ${STACK_COUNT} stacks in ${TENANT_COUNT} tenants`,
      },
      {
        name: "drift: token requests per tenant",
        value: maxTokens,
        goal: "<= 1",
        met: maxTokens <= 1 && tokens.length === TENANT_COUNT,
        detail: `${tokens.reduce((sum, count) => sum + count, 0)} token requests in ${tokens.length} of ${TENANT_COUNT} tenants (most in one: ${maxTokens})`,
      },
      {
        name: `drift: per-stack time at ${STACK_COUNT} / at ${SMALL_STACK_COUNT} stacks`,
        value: Number(growth.toFixed(3)),
        goal: "<= 1.25",
        met: growth <= 1.25,
        detail: `${(fleetResult.wallMs / 1000).toFixed(2)} s for ${STACK_COUNT}, ${(smallRun.wallMs / 1000).toFixed(2)} s for ${small.length} (linear: 1)`,
      },
      {
        name: `drift: peak memory of the ${STACK_COUNT}-stack run (MB)`,
        value: Math.round(rssMb),
        goal: "<= 1024",
        met: rssMb <= 1024,
        detail: `resident set of the whole process, the emulator's ${STACK_COUNT} apps included`,
      },
    ];
  } finally {
    await emulator.close();
  }
}
