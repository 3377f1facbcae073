/**
 * verify's fault matrix: a peer that accepts and never answers, 429 with an absurd Retry-After,
 * endless 5xx, latency beyond the deadline, HTML or truncated JSON where Entra should answer, a JWKS
 * endpoint that hangs. Each run goes through the real @azure/identity client and must end within
 * its deadline plus 5 s, failed, with a diagnosis. Runs are in-process: the bound is on verify's own
 * waiting, never on how fast a process starts.
 */
import { provisionVerifyApp, type ProvisionedApp } from "../../scripts/bench/verifyBench";
import { runVerification, verifyInputFromOutputs, type VerifyOverrides } from "../../scripts/verify/runner";
import type { VerifyReport } from "../../scripts/verify/report";
import { startEmulator, uniqueDomain, type Emulator, type EmulatorTenant } from "../support/verifyEmulator";
import { startHttpsPeer } from "../support/httpsPeer";

const DEADLINE_MS = 3_000;
const SLACK_MS = 5_000;
const LONG_AGO = new Date("2020-01-01T00:00:00Z");

let emulator: Emulator;
let tenant: EmulatorTenant;
let app: ProvisionedApp;

beforeAll(async () => {
  emulator = await startEmulator();
  tenant = emulator.addTenant({ initialDomain: uniqueDomain("faults"), verifiedDomains: ["contoso-verified.com"] });
  app = await provisionVerifyApp({ emulatorUrl: emulator.url, tenant, cmicUserClaim: "svc-arcoro" });
});

afterAll(async () => {
  await emulator?.close();
});

afterEach(() => {
  emulator.setFaults({});
});

async function timedVerify(overrides: VerifyOverrides): Promise<{ report: VerifyReport; elapsedMs: number }> {
  const started = Date.now();
  const report = await runVerification(
    verifyInputFromOutputs(app.outputs, {
      authorityHost: emulator.url,
      timeoutMs: DEADLINE_MS,
      propagationWindowStart: LONG_AGO,
      ...overrides,
    }),
  );
  return { report, elapsedMs: Date.now() - started };
}

function expectEndedWithDiagnosis({ report, elapsedMs }: { report: VerifyReport; elapsedMs: number }, detail: RegExp): void {
  expect(report.ok).toBe(false);
  const failed = report.checks.filter((check) => !check.ok);
  expect(failed.length).toBeGreaterThan(0);
  expect(failed.map((check) => `${check.detail} ${check.fix ?? ""}`).join("\n")).toMatch(detail);
  expect(failed.every((check) => (check.fix ?? "").length > 0)).toBe(true);
  expect(elapsedMs).toBeLessThan(DEADLINE_MS + SLACK_MS);
}

describe("verify ends within its deadline, with a diagnosis, whatever the peer does", () => {
  it("a peer that accepts connections and never answers", async () => {
    const silent = await startHttpsPeer(() => undefined);
    try {
      expectEndedWithDiagnosis(await timedVerify({ authorityHost: silent.url }), /no answer|could not be reached|timeout/i);
    } finally {
      await silent.close();
    }
  });

  it("429 with Retry-After: 99999 on the token endpoint", async () => {
    emulator.setFaults({ throttle: { count: 1_000, retryAfterSeconds: 99_999 }, pathPrefix: `/${tenant.tenantId}/oauth2` });
    expectEndedWithDiagnosis(await timedVerify({}), /429|throttl|no answer/i);
  });

  it("5xx on every token request", async () => {
    emulator.setFaults({ serverErrors: { count: 1_000, status: 503 }, pathPrefix: `/${tenant.tenantId}/oauth2` });
    expectEndedWithDiagnosis(await timedVerify({}), /server error|no answer/i);
  });

  it("latency beyond the deadline on every request", async () => {
    emulator.setFaults({ latencyMs: 60_000 });
    expectEndedWithDiagnosis(await timedVerify({}), /no answer|timeout/i);
  });

  it("an HTML page where the discovery document should be", async () => {
    const html = await startHttpsPeer((response) =>
      response.writeHead(200, { "content-type": "text/html" }).end("<html>proxy login</html>"),
    );
    try {
      expectEndedWithDiagnosis(await timedVerify({ authorityHost: html.url }), /did not answer like Entra.*text\/html/);
    } finally {
      await html.close();
    }
  });

  it("truncated JSON where the discovery document should be", async () => {
    const truncated = await startHttpsPeer((response) =>
      response.writeHead(200, { "content-type": "application/json" }).end('{"issuer":"https://login.micro'),
    );
    try {
      expectEndedWithDiagnosis(await timedVerify({ authorityHost: truncated.url }), /did not answer like Entra/);
    } finally {
      await truncated.close();
    }
  });

  it("a JWKS endpoint that never answers, after a good token", async () => {
    emulator.setFaults({ latencyMs: 60_000, pathPrefix: `/${tenant.tenantId}/discovery/v2.0/keys` });
    expectEndedWithDiagnosis(await timedVerify({}), /cannot load the registered JWKS/);
  });
});
