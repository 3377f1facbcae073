/**
 * `npm run sandbox` end to end: the real program applied to the emulator through Graph, then the
 * post-deploy check requesting a real token with @azure/identity and validating it with jose.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { generateTestCertificate } from "../support/certificates";
import { assertEmulatorCaTrusted } from "../support/emulatorFixture";
import { startEmulator, type Emulator } from "../../emulator";
import { runSandbox, type SandboxResult } from "../../scripts/sandbox/runSandbox";
import { readStackConfig } from "../../scripts/sandbox/stackFile";
import type { BreakName } from "../../scripts/sandbox/breaks";

let emulator: Emulator;
beforeAll(async () => {
  emulator = await startEmulator({ propagationDelayMs: 300 });
  assertEmulatorCaTrusted(emulator.caCertFile);
});
afterAll(() => emulator.close());

function loadIndex(): Record<string, unknown> {
  let program: Record<string, unknown> = {};
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require("../..");
  });
  return program;
}

async function sandbox(settings: Record<string, string>, breakName?: BreakName): Promise<{ result: SandboxResult; log: string[] }> {
  const log: string[] = [];
  const config: Record<string, string> = { "azuread:tenantId": randomUUID() };
  for (const [key, value] of Object.entries(settings)) config[key.includes(":") ? key : `cmic-entra-oauth:${key}`] = value;
  const result = await runSandbox({
    stack: "e2e",
    config,
    breakName,
    propagationDelayMs: 300,
    propagationWindowMs: 4_000,
    loadProgram: loadIndex,
    emulator,
    log: (line) => log.push(line),
  });
  return { result, log };
}

function expectGreen(result: SandboxResult): asserts result is Extract<SandboxResult, { ok: true }> {
  if (!result.ok) throw result.error;
  expect(result.report?.ok).toBe(true);
}

function claims(result: SandboxResult): Record<string, unknown> {
  return result.report?.token?.claims ?? {};
}

it("deploys the example stack file (Pulumi.dev.yaml) and its token passes every check", async () => {
  const config = readStackConfig(path.join(__dirname, "..", "..", "Pulumi.dev.yaml"));
  delete config["azuread:tenantId"];
  const { result, log } = await sandbox(config);
  expectGreen(result);
  expect(claims(result)).toMatchObject({
    cmicuser: "ARCORO_SVC",
    azp: result.outputs.clientId,
    aud: result.outputs.clientId,
    ver: "2.0",
    iss: result.outputs.issuerUrl,
  });
  expect(result.outputs.identifierUri).toBe(`api://${result.outputs.clientId}.contoso.com`);
  // The simulated propagation was waited for, visibly.
  expect(log.some((line) => line.includes("waiting for Entra to propagate"))).toBe(true);
  expect(log.join("\n")).not.toContain(result.outputs.clientSecret ?? "<no secret>");
});

it("cloud: the token carries tenant||username", async () => {
  const { result } = await sandbox({ deployment: "cloud", serviceUser: "ARCORO_SVC", cmicTenant: "ACME" });
  expectGreen(result);
  expect(claims(result).cmicuser).toBe("ACME||ARCORO_SVC");
  // No verifiedDomain: the URI is on the tenant's initial onmicrosoft.com domain, found through Graph.
  expect(result.outputs.identifierUri).toMatch(/^api:\/\/[0-9a-f-]{36}\.sandbox[0-9a-f]{8}\.onmicrosoft\.com$/);
});

it("certificate credential: the post-deploy check signs a client assertion with the connector's key", async () => {
  const certificate = generateTestCertificate({ commonName: "arcoro-connector" });
  const directory = mkdtempSync(path.join(tmpdir(), "cmic-sandbox-"));
  const keyFile = path.join(directory, "connector.pem");
  writeFileSync(keyFile, certificate.certificateWithKeyPem, { mode: 0o600 });
  const { result } = await sandbox({
    deployment: "enterprise",
    serviceUser: "ARCORO_SVC",
    credential: "certificate",
    certificate: certificate.certPem,
    postDeployCertificateFile: keyFile,
  });
  expectGreen(result);
  expect(claims(result)).toMatchObject({ cmicuser: "ARCORO_SVC", azpacr: "2" });
  expect(result.outputs).toMatchObject({ clientSecret: null, certificateThumbprint: certificate.thumbprintSha1Hex });
});

it("a certificate-only stack without the connector's private key is not called green", async () => {
  const certificate = generateTestCertificate({ commonName: "arcoro-connector" });
  const { result } = await sandbox({
    deployment: "enterprise",
    serviceUser: "ARCORO_SVC",
    credential: "certificate",
    certificate: certificate.certPem,
  });
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.error.message).toContain("No token was checked");
});

it("claimSource=registration: no claims policy, and the token is still accepted without cmicuser", async () => {
  const { result } = await sandbox({ deployment: "enterprise", serviceUser: "ARCORO_SVC", claimSource: "registration" });
  expectGreen(result);
  expect(claims(result).cmicuser).toBeUndefined();
  expect(result.outputs.claimsMappingPolicyId).toBeNull();
  expect(result.outputs.cmicRegistration.serviceUser).toBe("ARCORO_SVC");
});

it.each([
  ["mapped-claims", "AADSTS50146"],
  ["domain", "AADSTS501461"],
  ["token-version", "a v1.0 token"],
  ["claim", "no cmicuser claim"],
  ["secret", "AADSTS7000215"],
] as const)("--break %s fails the deployment with the diagnosis (%s)", async (breakName, diagnosis) => {
  // Domain names are global across the emulator's tenants, as in Entra: each tenant gets its own.
  const verifiedDomain = `${breakName}-${randomUUID().slice(0, 8)}.example.com`;
  const { result } = await sandbox({ deployment: "enterprise", serviceUser: "ARCORO_SVC", verifiedDomain }, breakName);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.error.message).toContain("the post-deploy token check failed");
  expect(result.error.message).toContain(diagnosis);
  expect(result.error.message).toMatch(/fix: /);
  // The failed deployment carries the check's structured report as a typed field (DeployError.report).
  expect(result.report?.ok).toBe(false);
});

it("a stack file with a bad setting fails before anything is created in the tenant", async () => {
  const { result } = await sandbox({ deployment: "cloud", serviceUser: "ARCORO_SVC" });
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.error.message).toContain("cmic-entra-oauth:cmicTenant is required on CMiC Cloud");
});
