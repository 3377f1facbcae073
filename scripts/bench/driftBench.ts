/**
 * Benchmarks of the drift Graph audit on the local emulator (printed by scripts/bench.ts):
 *  1. wall time of auditing 100 apps, with 50 ms of latency injected into every Graph request,
 *     against the sum of the individual audit round trips (what a one-after-the-other audit would
 *     take): goal ≤ 1/8, from running audits concurrently;
 *  2. Graph HTTP requests per audited app, counted in the emulator's request log: goal 1, from
 *     putting an app's four reads into one `$batch`.
 *
 * It also exports {@link deployAuditedApp}, which deploys what the component deploys through
 * Microsoft Graph and returns the matching stack outputs; the drift tests use it too.
 */
import crypto from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Client } from "@microsoft/microsoft-graph-client";
import type { BenchResult } from "./types";
import { claimsMappingDefinition, DEFAULT_CLAIM_NAME } from "../../components/claimsMapping";
import { defaultScope, issuerUrlV2, jwksUri, tokenUrl } from "../../components/entraEndpoints";
import type { ClaimSource, StackOutputs } from "../../components/outputs";
import { createClientCredential } from "../lib/credentials";
import { createGraphClient } from "../lib/graph";
import { auditStack } from "../lib/graphAudit";
import { createLimiter, DEFAULT_AUDIT_CONCURRENCY } from "../drift";

export interface DeployedApp {
  outputs: StackOutputs;
  applicationObjectId: string;
  appId: string;
  servicePrincipalId: string;
  policyId: string | null;
  secretKeyId: string;
}

export interface DeployAppOptions {
  displayName: string;
  tenantId: string;
  /** The verified domain the identifier URI is built on (`api://<appId>.<domain>`). */
  domain: string;
  claimSource?: ClaimSource;
  cmicUser?: string;
  /** The secret's lifetime in days (default 180). */
  secretLifetimeDays?: number;
}

/**
 * Create, through Graph, what `CmicEntraIntegration` creates: an app with v2 tokens (and mapped
 * claims with claimSource=token), its identifier URI on the domain, the service principal, a
 * secret, and with claimSource=token the claims-mapping policy and its assignment. Returns the stack
 * outputs a `pulumi stack output --json` of that stack prints (secrets left out).
 */
export async function deployAuditedApp(graph: Client, options: DeployAppOptions): Promise<DeployedApp> {
  const claimSource = options.claimSource ?? "token";
  const cmicUser = options.cmicUser ?? "CMICAPI";
  const app = (await graph.api("/applications").post({
    displayName: options.displayName,
    signInAudience: "AzureADMyOrg",
    api: { requestedAccessTokenVersion: 2, acceptMappedClaims: claimSource === "token" },
  })) as { id: string; appId: string };
  const identifierUri = `api://${app.appId}.${options.domain}`;
  await graph.api(`/applications/${app.id}`).patch({ identifierUris: [identifierUri] });
  const sp = (await graph.api("/servicePrincipals").post({ appId: app.appId })) as { id: string };
  const secretEnd = new Date(Date.now() + (options.secretLifetimeDays ?? 180) * 86_400_000);
  const secret = (await graph.api(`/applications/${app.id}/addPassword`).post({
    passwordCredential: { displayName: "CMiC connector (managed by Pulumi)", endDateTime: secretEnd.toISOString() },
  })) as { keyId: string; startDateTime: string; endDateTime: string };

  let policyId: string | null = null;
  if (claimSource === "token") {
    const policy = (await graph.api("/policies/claimsMappingPolicies").post({
      displayName: `${options.displayName} cmicuser`,
      definition: [claimsMappingDefinition(cmicUser)],
      isOrganizationDefault: false,
    })) as { id: string };
    policyId = policy.id;
    await graph
      .api(`/servicePrincipals/${sp.id}/claimsMappingPolicies/$ref`)
      .post({ "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policy.id}` });
  }

  const scope = defaultScope(identifierUri);
  const issuer = issuerUrlV2(options.tenantId);
  const outputs: StackOutputs = {
    tenantId: options.tenantId,
    clientId: app.appId,
    applicationObjectId: app.id,
    servicePrincipalObjectId: sp.id,
    identifierUri,
    issuerUrl: issuer,
    jwksUri: jwksUri(options.tenantId),
    tokenUrl: tokenUrl(options.tenantId),
    scope,
    cmicUserClaim: claimSource === "token" ? cmicUser : null,
    claimName: DEFAULT_CLAIM_NAME,
    clientSecret: null,
    certificateThumbprint: null,
    cmicRegistration: {
      description: options.displayName,
      issuerUrl: issuer,
      applicationId: app.appId,
      keysetUri: jwksUri(options.tenantId),
      serviceUser: claimSource === "registration" ? cmicUser : null,
    },
    connector: { tokenUrl: tokenUrl(options.tenantId), clientId: app.appId, clientSecret: null, scope, certificateThumbprint: null },
    deployment: "enterprise",
    claimSource,
    credential: "secret",
    claimsMappingPolicyId: policyId,
    credentialKeyIds: [secret.keyId],
    secretCreatedAt: secret.startDateTime,
    secretExpiresAt: secret.endDateTime,
    certificateExpiresAt: null,
  };
  return { outputs, applicationObjectId: app.id, appId: app.appId, servicePrincipalId: sp.id, policyId, secretKeyId: secret.keyId };
}

// ---------------------------------------------------------------------------------------------

const APP_COUNT = 100;
const LATENCY_MS = 50;

interface BenchEmulator {
  url: string;
  addTenant(input: { initialDomain: string }): { tenantId: string; initialDomain: string; deployer: { clientId: string; clientSecret: string } };
  setFaults(faults: { latencyMs?: number; pathPrefix?: string }): void;
  readonly requests: ReadonlyArray<{ method: string; path: string; status: number }>;
  readonly batchedRequests: ReadonlyArray<{ method: string; path: string; status: number }>;
  clearRequestLog(): void;
  close(): Promise<void>;
}

export async function runDriftBench(): Promise<BenchResult[]> {
  // Loaded lazily so that importing deployAuditedApp never starts an emulator.
  const { startEmulator } = (await import("../emulator/index")) as unknown as { startEmulator(): Promise<BenchEmulator> };
  const emulator = await startEmulator();
  try {
    const tenant = emulator.addTenant({ initialDomain: `driftbench${crypto.randomBytes(3).toString("hex")}.onmicrosoft.com` });
    const credential = createClientCredential({
      tenantId: tenant.tenantId,
      clientId: tenant.deployer.clientId,
      credential: { kind: "secret", clientSecret: tenant.deployer.clientSecret },
      authorityHost: emulator.url,
    });
    const graph = createGraphClient({ credential, graphUrl: emulator.url });
    const deploy = createLimiter(8);
    const apps = await Promise.all(
      Array.from({ length: APP_COUNT }, (_, index) =>
        deploy(() => deployAuditedApp(graph, { displayName: `bench drift ${index}`, tenantId: tenant.tenantId, domain: tenant.initialDomain })),
      ),
    );
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

if (require.main === module) {
  runDriftBench().then(
    (results) => {
      for (const result of results) process.stdout.write(`${result.met ? "✔" : "✘"} ${result.name}: ${result.value} (goal ${result.goal}; ${result.detail})\n`);
      process.exit(results.every((result) => result.met) ? 0 : 1);
    },
    (error: unknown) => {
      process.stderr.write(`drift bench failed: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
