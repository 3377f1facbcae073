/**
 * Benchmarks of `npm run verify` on the local emulator (printed by scripts/bench.ts):
 *  1. time-to-green ÷ propagation delay, with a 10 s delay (goal ≤ 1.1);
 *  2. time and token requests to report a permanent misconfiguration (goal: one round trip);
 *  3. HTTP requests one verify makes on a ready app (goal ≤ 3).
 *
 * It also exports {@link provisionVerifyApp}, which deploys a CMiC app to an emulator tenant with the
 * real Pulumi program and returns its stack outputs: the verify tests use it too.
 */
import crypto from "node:crypto";
import type { Client } from "@microsoft/microsoft-graph-client";
import type { BenchResult } from "./types";
import type { StackOutputs } from "../../contract/stackOutputs";
import type { Deployment } from "../../contract/cmicUser";
import { deployStack, type EmulatorTenantAccess } from "../sandbox/deployStack";
import { runVerification, verifyInputFromOutputs } from "../verify/runner";
import { generateRsaKeyPair, issueCertificate } from "../../emulator/x509";

/** The parts of the emulator's tenant handle the provisioner needs (see docs/ARCHITECTURE.md). */
export interface ProvisionTenant extends EmulatorTenantAccess {
  initialDomain: string;
}

export interface ProvisionOptions {
  emulatorUrl: string;
  tenant: ProvisionTenant;
  deployment?: Deployment;
  /**
   * The claim value the stack is set up for: `user` (enterprise), `tenant||user` (cloud), or an
   * email-format username; null = claimSource=registration (no policy).
   */
  cmicUserClaim: string | null;
  claimName?: string;
  credential?: "secret" | "certificate";
  /** The `verifiedDomain` setting; default: the tenant's initial domain (a domain the tenant has not verified provokes AADSTS501461). */
  verifiedDomain?: string;
  // Changes made after `pulumi up`, as an admin would make them in the portal:
  /** Set api.acceptMappedClaims afterwards. */
  acceptMappedClaims?: boolean;
  /** Set api.requestedAccessTokenVersion afterwards. */
  requestedAccessTokenVersion?: 1 | 2;
  /** Replace the stack's secret by one that ends at this time (RFC 3339). */
  secretEndDateTime?: string;
  /** Unassign the claims-mapping policy (to provoke a missing claim). */
  skipPolicyAssignment?: boolean;
}

export interface ProvisionedApp {
  outputs: StackOutputs;
  clientSecret: string | null;
  /** PEM with certificate and private key (certificate credential only). */
  certificatePem: string | null;
  graph: Client;
  applicationObjectId: string;
  servicePrincipalObjectId: string;
}

function newCertificate(clientName: string): { certPem: string; withKeyPem: string } {
  const keys = generateRsaKeyPair();
  const now = Date.now();
  const certPem = issueCertificate({
    commonName: clientName,
    publicKeyPem: keys.publicKeyPem,
    subjectPrivateKeyPem: keys.privateKeyPem,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
  });
  return { certPem, withKeyPem: `${certPem.trim()}\n${keys.privateKeyPem.trim()}\n` };
}

/** The stack settings that make the program emit `claim` as cmicuser. */
function claimSettings(deployment: Deployment, claim: string | null): Record<string, string> {
  if (claim === null) return { claimSource: "registration", serviceUser: "svc-registration" };
  const [tenant, user] = claim.includes("||") ? claim.split("||") : [null, claim];
  return tenant ? { deployment, cmicTenant: tenant, serviceUser: user } : { deployment, serviceUser: claim };
}

/**
 * Deploy a CMiC app to an emulator tenant with the real Pulumi program (deployStack), then apply
 * the requested portal changes through Graph. Returns the stack outputs `pulumi up` would have
 * exported, with the secret.
 */
export async function provisionVerifyApp(options: ProvisionOptions): Promise<ProvisionedApp> {
  const deployment = options.deployment ?? "enterprise";
  const displayName = `cmic-verify-${crypto.randomBytes(3).toString("hex")}`;
  const certificate = options.credential === "certificate" ? newCertificate(displayName) : null;
  const settings: Record<string, string> = {
    deployment,
    ...claimSettings(deployment, options.cmicUserClaim),
    displayName,
    postDeployCheck: "false",
    ...(options.claimName ? { claimName: options.claimName } : {}),
    ...(options.verifiedDomain ? { verifiedDomain: options.verifiedDomain } : {}),
    ...(certificate ? { credential: "certificate", certificate: certificate.certPem } : {}),
  };
  const { outputs, graph } = await deployStack({ emulatorUrl: options.emulatorUrl, tenant: options.tenant, settings });
  const app = `/applications/${outputs.applicationObjectId}`;

  if (options.acceptMappedClaims !== undefined || options.requestedAccessTokenVersion !== undefined) {
    await graph.api(app).patch({
      api: {
        ...(options.acceptMappedClaims !== undefined ? { acceptMappedClaims: options.acceptMappedClaims } : {}),
        ...(options.requestedAccessTokenVersion !== undefined ? { requestedAccessTokenVersion: options.requestedAccessTokenVersion } : {}),
      },
    });
  }
  if (options.skipPolicyAssignment && outputs.claimsMappingPolicyId) {
    await graph
      .api(`/servicePrincipals/${outputs.servicePrincipalObjectId}/claimsMappingPolicies/${outputs.claimsMappingPolicyId}/$ref`)
      .delete();
  }
  if (options.secretEndDateTime && outputs.clientSecret) {
    const [stackKeyId] = outputs.credentialKeyIds;
    await graph.api(`${app}/removePassword`).post({ keyId: stackKeyId });
    const password = (await graph.api(`${app}/addPassword`).post({
      passwordCredential: { displayName: "cmic verify", endDateTime: options.secretEndDateTime },
    })) as { secretText: string; keyId: string; endDateTime: string };
    outputs.clientSecret = password.secretText;
    outputs.connector.clientSecret = password.secretText;
    outputs.credentialKeyIds = [password.keyId];
    outputs.secretExpiresAt = password.endDateTime;
  }
  return {
    outputs,
    clientSecret: outputs.clientSecret,
    certificatePem: certificate?.withKeyPem ?? null,
    graph,
    applicationObjectId: outputs.applicationObjectId,
    servicePrincipalObjectId: outputs.servicePrincipalObjectId,
  };
}

// ---------------------------------------------------------------------------------------------

interface BenchEmulator {
  url: string;
  addTenant(input: { initialDomain: string; verifiedDomains?: string[] }): ProvisionTenant;
  setPropagationDelay(ms: number): void;
  readonly requests: ReadonlyArray<{ method: string; path: string; status: number; at: number }>;
  clearRequestLog(): void;
  close(): Promise<void>;
}

const PROPAGATION_DELAY_MS = 10_000;

function isTokenRequest(entry: { method: string; path: string }): boolean {
  return entry.method === "POST" && /\/oauth2\/(v2\.0\/)?token/.test(entry.path);
}

/** Run the three verify benchmarks on a fresh emulator. */
export async function runVerifyBench(): Promise<BenchResult[]> {
  // Loaded lazily so that importing provisionVerifyApp never starts an emulator.
  const { startEmulator } = (await import("../../emulator")) as unknown as {
    startEmulator(options?: { propagationDelayMs?: number }): Promise<BenchEmulator>;
  };
  const emulator = await startEmulator();
  const results: BenchResult[] = [];
  try {
    const tenant = emulator.addTenant({ initialDomain: `bench${crypto.randomBytes(3).toString("hex")}.onmicrosoft.com` });

    // 1. time-to-green ÷ propagation delay.
    emulator.setPropagationDelay(PROPAGATION_DELAY_MS);
    const slow = await provisionVerifyApp({ emulatorUrl: emulator.url, tenant, cmicUserClaim: "svc-bench" });
    const createdAt = Date.now();
    const green = await runVerification(
      verifyInputFromOutputs(slow.outputs, { authorityHost: emulator.url, propagationWindowStart: new Date(createdAt) }),
    );
    const timeToGreen = Date.now() - createdAt;
    const ratio = timeToGreen / PROPAGATION_DELAY_MS;
    results.push({
      name: "verify: time-to-green / propagation delay",
      value: Number(ratio.toFixed(3)),
      goal: "<= 1.1",
      met: green.ok && ratio <= 1.1,
      detail: `${(timeToGreen / 1000).toFixed(2)} s / ${(PROPAGATION_DELAY_MS / 1000).toFixed(2)} s, ${green.tokenRequests} token requests${green.ok ? "" : " (verify did NOT pass)"}`,
    });
    emulator.setPropagationDelay(0);

    // 2. a permanent misconfiguration (scope without /.default) is reported after one round trip.
    const ready = await provisionVerifyApp({ emulatorUrl: emulator.url, tenant, cmicUserClaim: "svc-bench" });
    emulator.clearRequestLog();
    const badStart = Date.now();
    const bad = await runVerification(
      verifyInputFromOutputs(ready.outputs, {
        authorityHost: emulator.url,
        scope: ready.outputs.identifierUri,
        propagationWindowStart: new Date(),
      }),
    );
    const badMs = Date.now() - badStart;
    const badTokenRequests = emulator.requests.filter(isTokenRequest).length;
    results.push({
      name: "verify: token requests to report a permanent misconfiguration (AADSTS1002012)",
      value: badTokenRequests,
      goal: "== 1 (no retry window)",
      met: !bad.ok && badTokenRequests === 1,
      detail: `${badMs} ms, ${badTokenRequests} token request(s), ${bad.ok ? "NOT reported" : "reported as failed"}`,
    });

    // 3. HTTP requests of one verify on a ready app.
    emulator.clearRequestLog();
    const good = await runVerification(verifyInputFromOutputs(ready.outputs, { authorityHost: emulator.url }));
    const requests = emulator.requests.length;
    results.push({
      name: "verify: HTTP requests on a ready app",
      value: requests,
      goal: "<= 3",
      met: good.ok && requests <= 3,
      detail: emulator.requests.map((entry) => `${entry.method} ${entry.path.split("?")[0]} ${entry.status}`).join(", "),
    });
  } finally {
    await emulator.close();
  }
  return results;
}
