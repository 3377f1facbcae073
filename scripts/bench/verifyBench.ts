/**
 * Benchmarks of `npm run verify` on the local emulator (printed by scripts/bench.ts):
 *  1. time-to-green ÷ propagation delay, with a 10 s delay (goal ≤ 1.1);
 *  2. time and token requests to report a permanent misconfiguration (goal: one round trip);
 *  3. HTTP requests one verify makes on a ready app (goal ≤ 3).
 *
 * It also exports {@link provisionVerifyApp}, which builds a CMiC app in an emulator tenant through
 * Microsoft Graph (the real Graph client) and returns its stack outputs: the verify tests use it too.
 */
import crypto from "node:crypto";
import type { Client } from "@microsoft/microsoft-graph-client";
import type { BenchResult } from "./types";
import type { StackOutputs } from "../../components/outputs";
import type { Deployment } from "../../components/cmicUser";
import { claimsMappingDefinition } from "../../components/claimsMapping";
import { defaultScope, issuerUrlV2, jwksUri, tokenUrl } from "../../components/entraEndpoints";
import { createClientCredential } from "../lib/credentials";
import { createGraphClient } from "../lib/graph";
import { runVerification, verifyInputFromOutputs } from "../lib/verifyRunner";
import { generateRsaKeyPair, issueCertificate, certificateDer, sha1Thumbprint } from "../emulator/x509";

/** The parts of the emulator's tenant handle the provisioner needs (see docs/ARCHITECTURE.md). */
export interface ProvisionTenant {
  tenantId: string;
  initialDomain: string;
  deployer: { clientId: string; clientSecret: string };
}

export interface ProvisionOptions {
  emulatorUrl: string;
  tenant: ProvisionTenant;
  deployment?: Deployment;
  /** The claim value; null = claimSource=registration (no policy). */
  cmicUserClaim: string | null;
  claimName?: string;
  credential?: "secret" | "certificate";
  /** Application ID URI; default `api://<clientId>.<initialDomain>`; a function gets the client id. */
  identifierUri?: (clientId: string) => string;
  acceptMappedClaims?: boolean;
  requestedAccessTokenVersion?: 1 | 2;
  /** End of the client secret's validity (RFC 3339); default one year. */
  secretEndDateTime?: string;
  /** Skip assigning the claims-mapping policy (to provoke a missing claim). */
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

function deployerGraph(emulatorUrl: string, tenant: ProvisionTenant): Client {
  const credential = createClientCredential({
    tenantId: tenant.tenantId,
    clientId: tenant.deployer.clientId,
    credential: { kind: "secret", clientSecret: tenant.deployer.clientSecret },
    authorityHost: emulatorUrl,
  });
  return createGraphClient({ credential, graphUrl: emulatorUrl });
}

function newCertificate(clientName: string): { pem: string; derBase64: string; thumbprint: string } {
  const keys = generateRsaKeyPair();
  const now = Date.now();
  const certPem = issueCertificate({
    commonName: clientName,
    publicKeyPem: keys.publicKeyPem,
    subjectPrivateKeyPem: keys.privateKeyPem,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
  });
  const der = certificateDer(certPem);
  return { pem: `${certPem.trim()}\n${keys.privateKeyPem.trim()}\n`, derBase64: der.toString("base64"), thumbprint: sha1Thumbprint(der).toString("hex").toUpperCase() };
}

/** Create app, identifier URI, service principal, credential and (optionally) the claims policy via Graph. */
export async function provisionVerifyApp(options: ProvisionOptions): Promise<ProvisionedApp> {
  const graph = deployerGraph(options.emulatorUrl, options.tenant);
  const { tenantId } = options.tenant;
  const displayName = `cmic-verify-${crypto.randomBytes(3).toString("hex")}`;
  const app = (await graph.api("/applications").post({
    displayName,
    signInAudience: "AzureADMyOrg",
    api: {
      requestedAccessTokenVersion: options.requestedAccessTokenVersion ?? 2,
      acceptMappedClaims: options.acceptMappedClaims ?? options.cmicUserClaim !== null,
    },
  })) as { id: string; appId: string };
  const identifierUri = options.identifierUri ? options.identifierUri(app.appId) : `api://${app.appId}.${options.tenant.initialDomain}`;
  await graph.api(`/applications/${app.id}`).patch({ identifierUris: [identifierUri] });
  const sp = (await graph.api("/servicePrincipals").post({ appId: app.appId })) as { id: string };

  let clientSecret: string | null = null;
  let secretCreatedAt: string | null = null;
  let secretExpiresAt: string | null = null;
  let certificatePem: string | null = null;
  let certificateThumbprint: string | null = null;
  const credentialKeyIds: string[] = [];
  if ((options.credential ?? "secret") === "secret") {
    const password = (await graph.api(`/applications/${app.id}/addPassword`).post({
      passwordCredential: {
        displayName: "cmic verify",
        ...(options.secretEndDateTime ? { endDateTime: options.secretEndDateTime } : {}),
      },
    })) as { secretText: string; keyId: string; startDateTime: string; endDateTime: string };
    clientSecret = password.secretText;
    secretCreatedAt = new Date().toISOString();
    secretExpiresAt = password.endDateTime;
    credentialKeyIds.push(password.keyId);
  } else {
    const certificate = newCertificate(displayName);
    await graph.api(`/applications/${app.id}`).patch({
      keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: certificate.derBase64, displayName: "cmic verify" }],
    });
    certificatePem = certificate.pem;
    certificateThumbprint = certificate.thumbprint;
  }

  let claimsMappingPolicyId: string | null = null;
  if (options.cmicUserClaim !== null) {
    const policy = (await graph.api("/policies/claimsMappingPolicies").post({
      displayName: `${displayName} cmicuser`,
      definition: [claimsMappingDefinition(options.cmicUserClaim, options.claimName)],
    })) as { id: string };
    claimsMappingPolicyId = policy.id;
    if (!options.skipPolicyAssignment) {
      await graph.api(`/servicePrincipals/${sp.id}/claimsMappingPolicies/$ref`).post({
        "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policy.id}`,
      });
    }
  }

  const scope = defaultScope(identifierUri);
  const outputs: StackOutputs = {
    tenantId,
    clientId: app.appId,
    applicationObjectId: app.id,
    servicePrincipalObjectId: sp.id,
    identifierUri,
    issuerUrl: issuerUrlV2(tenantId),
    jwksUri: jwksUri(tenantId),
    tokenUrl: tokenUrl(tenantId),
    scope,
    cmicUserClaim: options.cmicUserClaim,
    claimName: "cmicuser",
    clientSecret,
    certificateThumbprint,
    cmicRegistration: {
      description: displayName,
      issuerUrl: issuerUrlV2(tenantId),
      applicationId: app.appId,
      keysetUri: jwksUri(tenantId),
      serviceUser: options.cmicUserClaim === null ? "svc-registration" : null,
    },
    connector: { tokenUrl: tokenUrl(tenantId), clientId: app.appId, clientSecret, scope, certificateThumbprint },
    deployment: options.deployment ?? "enterprise",
    claimSource: options.cmicUserClaim === null ? "registration" : "token",
    credential: options.credential ?? "secret",
    claimsMappingPolicyId,
    credentialKeyIds,
    secretCreatedAt,
    secretExpiresAt,
    certificateExpiresAt: null,
  };
  return { outputs, clientSecret, certificatePem, graph, applicationObjectId: app.id, servicePrincipalObjectId: sp.id };
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
  const { startEmulator } = (await import("../emulator/index")) as unknown as { startEmulator(options?: { propagationDelayMs?: number }): Promise<BenchEmulator> };
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
      verifyInputFromOutputs(ready.outputs, { authorityHost: emulator.url, scope: ready.outputs.identifierUri, propagationWindowStart: new Date() }),
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

if (require.main === module) {
  runVerifyBench().then(
    (results) => {
      for (const result of results) console.log(`${result.met ? "✔" : "✘"} ${result.name}: ${result.value} (goal ${result.goal}) — ${result.detail}`);
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
