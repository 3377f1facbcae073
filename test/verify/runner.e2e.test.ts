/**
 * runVerification against the local Entra emulator over HTTPS with the real @azure/identity
 * client: one passing run per stack kind, each AADSTS diagnosis, propagation, fail-fast.
 * Fail-fast is asserted on the number of token requests in the emulator's log, never on time.
 */
import { claimsMappingDefinition } from "../../components/claimsMapping";
import crypto from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { provisionVerifyApp, type ProvisionOptions, type ProvisionedApp } from "../../scripts/bench/verifyBench";
import { runVerification, verifyInputFromOutputs, type VerifyOverrides } from "../../scripts/verify/runner";
import type { CheckResult, VerifyReport } from "../../scripts/verify/report";
import { ensureTlsMaterial } from "../../emulator/tls";
import { startEmulator, tokenRequests, uniqueDomain, type Emulator, type EmulatorTenant } from "../support/verifyEmulator";

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A window that has long closed: propagation errors must be reported at once. */
const LONG_AGO = new Date("2020-01-01T00:00:00Z");

let emulator: Emulator;
let tenant: EmulatorTenant;

beforeAll(async () => {
  emulator = await startEmulator();
  tenant = emulator.addTenant({ initialDomain: uniqueDomain("verify"), verifiedDomains: ["contoso-verified.com"] });
});

afterAll(async () => {
  await emulator?.close();
});

beforeEach(() => {
  emulator.setPropagationDelay(0);
});

function provision(options: Partial<ProvisionOptions> = {}): Promise<ProvisionedApp> {
  return provisionVerifyApp({ emulatorUrl: emulator.url, tenant, cmicUserClaim: "svc-arcoro", ...options });
}

/** Verify with the emulator as authority; the request log is cleared first so counts are this run's. */
async function verify(app: ProvisionedApp, overrides: VerifyOverrides = {}, progress: string[] = []): Promise<VerifyReport> {
  emulator.clearRequestLog();
  const credential = app.certificatePem ? { kind: "certificate" as const, certificatePem: app.certificatePem } : undefined;
  return runVerification(
    verifyInputFromOutputs(app.outputs, { authorityHost: emulator.url, credential, timeoutMs: 20_000, ...overrides }),
    { onProgress: (line) => progress.push(line) },
  );
}

function check(report: VerifyReport, id: string): CheckResult {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} check: ${JSON.stringify(report.checks)}`);
  return found;
}

function failing(report: VerifyReport): string[] {
  return report.checks.filter((c) => !c.ok).map((c) => c.id);
}

describe("passing runs", () => {
  it("enterprise stack with a client secret", async () => {
    const app = await provision({ deployment: "enterprise" });
    const report = await verify(app);
    expect(failing(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.token?.claims.cmicuser).toBe("svc-arcoro");
    expect(report.token?.claims.ver).toBe("2.0");
    expect(tokenRequests(emulator)).toBe(1);
    expect(check(report, "ip-check")).toMatchObject({ ok: true, warning: true });
  });

  it("cloud stack with tenant||user", async () => {
    const app = await provision({ deployment: "cloud", cmicUserClaim: "acme||svc-arcoro" });
    const report = await verify(app);
    expect(failing(report)).toEqual([]);
    expect(report.token?.claims.cmicuser).toBe("acme||svc-arcoro");
  });

  it("certificate credential", async () => {
    const app = await provision({ credential: "certificate" });
    const report = await verify(app);
    expect(failing(report)).toEqual([]);
    expect(report.token?.claims.azpacr).toBe("2");
  });

  it("claimSource=registration: no cmicuser expected or present", async () => {
    const app = await provision({ cmicUserClaim: null });
    const report = await verify(app);
    expect(failing(report)).toEqual([]);
    expect(report.token?.claims.cmicuser).toBeUndefined();
    expect(check(report, "cmicuser").detail).toContain("claimSource=registration");
  });

  it("calls CMiC with the token when --cmic-url is given", async () => {
    const app = await provision();
    let authorization = "";
    const server = http.createServer((req, res) => {
      authorization = req.headers.authorization ?? "";
      res.writeHead(200).end("[]");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const report = await verify(app, { cmicUrl: `http://127.0.0.1:${port}/cmictestrest/system/users` });
      expect(check(report, "cmic-endpoint").ok).toBe(true);
      expect(authorization).toMatch(/^Bearer eyJ/);
      // The token went to CMiC, and nowhere into the report.
      expect(JSON.stringify(report)).not.toContain(authorization.slice("Bearer ".length));
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("AADSTS diagnoses (each fails fast: one token request)", () => {
  async function expectDiagnosis(report: VerifyReport, code: string, fix: RegExp): Promise<void> {
    expect(report.ok).toBe(false);
    expect(failing(report)).toEqual(["token"]);
    expect(check(report, "token").detail).toContain(`AADSTS${code}`);
    expect(check(report, "token").fix).toMatch(fix);
    expect(report.token).toBeNull();
  }

  it("1002012: scope without /.default", async () => {
    const app = await provision();
    const report = await verify(app, { scope: app.outputs.identifierUri });
    await expectDiagnosis(report, "1002012", /\/\.default/);
    expect(tokenRequests(emulator)).toBe(1);
  });

  it("501461: Application ID URI not on a verified domain", async () => {
    // v1 tokens: Entra judges mapped claims by the token's audience, and a v2 token's audience is the
    // client id whatever URI the scope names (emulator/oidc/mappedClaims.ts, the AADSTS501461 message).
    const app = await provision({ verifiedDomain: "not-verified.example", requestedAccessTokenVersion: 1 });
    const report = await verify(app);
    await expectDiagnosis(report, "501461", /verifiedDomain/);
    expect(tokenRequests(emulator)).toBe(1);
  });

  it("50146: mapped claims without acceptMappedClaims", async () => {
    const app = await provision({ acceptMappedClaims: false });
    const report = await verify(app);
    await expectDiagnosis(report, "50146", /acceptMappedClaims = true/);
    expect(tokenRequests(emulator)).toBe(1);
  });

  it("90002: unknown tenant", async () => {
    const app = await provision();
    const report = await verify(app, { tenantId: crypto.randomUUID() });
    await expectDiagnosis(report, "90002", /tenant/i);
  });

  it("an unreachable authority is named with its host and the network error, not as an unknown tenant", async () => {
    const app = await provision();
    const closed = await closedPort();
    const report = await verify(app, { authorityHost: `https://localhost:${closed}`, timeoutMs: 3_000, propagationWindowStart: LONG_AGO });
    const token = check(report, "token");
    expect(token.ok).toBe(false);
    expect(token.detail).toContain(`cannot reach localhost:${closed}`);
    expect(token.detail).toMatch(/ECONNREFUSED/);
    expect(token.detail).not.toMatch(/AADSTS90002|tenant not found/);
  });

  it("an HTML page where Entra should answer is named as such, not as an unknown tenant", async () => {
    const app = await provision();
    const tls = await ensureTlsMaterial();
    const page = https.createServer({ key: tls.serverKeyPem, cert: tls.serverCertPem }, (_request, response) => {
      response.writeHead(200, { "content-type": "text/html" }).end("<html><body>Sign in to the proxy</body></html>");
    });
    await new Promise<void>((resolve) => page.listen(0, "127.0.0.1", resolve));
    try {
      const port = (page.address() as AddressInfo).port;
      const report = await verify(app, { authorityHost: `https://localhost:${port}`, propagationWindowStart: LONG_AGO });
      const token = check(report, "token");
      expect(token.ok).toBe(false);
      expect(token.detail).toContain(`localhost:${port} did not answer like Entra`);
      expect(token.detail).toContain("text/html");
      expect(token.fix).toMatch(/proxy/);
    } finally {
      await new Promise<void>((resolve) => page.close(() => resolve()));
    }
  });

  it("right after a deployment, 50146 is retried inside the window; otherwise it is reported at once", async () => {
    const app = await provision({ acceptMappedClaims: false });
    const settled = await verify(app, { propagationWindowStart: new Date(), propagationWindowMs: 600 });
    await expectDiagnosis(settled, "50146", /acceptMappedClaims = true/);
    expect(tokenRequests(emulator)).toBe(1);
    const justDeployed = await verify(app, { propagationWindowStart: new Date(), propagationWindowMs: 2_000, justDeployed: true });
    await expectDiagnosis(justDeployed, "50146", /acceptMappedClaims = true/);
    expect(tokenRequests(emulator)).toBeGreaterThan(1);
  });

  it("7000215: wrong secret, outside the propagation window", async () => {
    const app = await provision();
    const report = await verify(app, {
      credential: { kind: "secret", clientSecret: "Q~definitely-not-the-secret-value-000" },
      propagationWindowStart: LONG_AGO,
    });
    await expectDiagnosis(report, "7000215", /secret Value.*not the Secret ID/);
    expect(tokenRequests(emulator)).toBe(1);
  });

  it("7000222: expired secret", async () => {
    const app = await provision({ secretEndDateTime: new Date(Date.now() + 1500).toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 1600));
    const report = await verify(app);
    await expectDiagnosis(report, "7000222", /pulumi up/);
    expect(tokenRequests(emulator)).toBe(1);
  });

  it("700016: unknown client id, outside the window", async () => {
    const app = await provision();
    const report = await verify(app, { clientId: crypto.randomUUID(), propagationWindowStart: LONG_AGO });
    await expectDiagnosis(report, "700016", /Application \(client\) ID/);
    expect(tokenRequests(emulator)).toBe(1);
  });

  it("500011: the scope names a resource with no service principal, outside the window", async () => {
    const app = await provision();
    const report = await verify(app, {
      scope: `api://${crypto.randomUUID()}.${tenant.initialDomain}/.default`,
      propagationWindowStart: LONG_AGO,
    });
    await expectDiagnosis(report, "500011", /scope/);
    expect(tokenRequests(emulator)).toBe(1);
  });

  it("700027: a certificate that is not registered on the app, outside the window", async () => {
    const app = await provision({ credential: "certificate" });
    const other = await provision({ credential: "certificate" });
    const report = await verify(app, {
      credential: { kind: "certificate", certificatePem: other.certificatePem! },
      propagationWindowStart: LONG_AGO,
    });
    await expectDiagnosis(report, "700027", /certificateThumbprint/);
    expect(tokenRequests(emulator)).toBe(1);
  });

  it("7000215 inside the window is retried until the window closes", async () => {
    const app = await provision();
    // The window opens at the call (not at the secret's creation, which a busy machine may put
    // further back than the window is long), and is long enough for a first retry after its backoff.
    const report = await verify(app, {
      credential: { kind: "secret", clientSecret: "Q~definitely-not-the-secret-value-000" },
      propagationWindowStart: new Date(),
      propagationWindowMs: 2_000,
    });
    await expectDiagnosis(report, "7000215", /Secret ID/);
    expect(tokenRequests(emulator)).toBeGreaterThan(1);
  });
});

describe("propagation", () => {
  it("waits for a new secret and service principal to propagate, then passes", async () => {
    emulator.setPropagationDelay(1200);
    const app = await provision();
    const progress: string[] = [];
    const report = await verify(app, { propagationWindowStart: new Date() }, progress);
    expect(failing(report)).toEqual([]);
    expect(report.tokenRequests).toBeGreaterThan(1);
    expect(tokenRequests(emulator)).toBe(report.tokenRequests);
    // One credential serves every failed try: MSAL reads the tenant's discovery document once, not once per try.
    expect(emulator.requests.filter((entry) => entry.path.includes("/.well-known/openid-configuration")).length).toBe(1);
    expect(progress[0]).toMatch(
      /^waiting for Entra to propagate: AADSTS(7000229|700016|7000215|500011) \(.+\) — \d+\.\d s elapsed, retrying for up to \d+\.\d s more$/,
    );
  });

  it("waits for a just-assigned claims-mapping policy, then passes", async () => {
    const app = await provision({ skipPolicyAssignment: true });
    emulator.setPropagationDelay(1000);
    await app.graph.api(`/servicePrincipals/${app.servicePrincipalObjectId}/claimsMappingPolicies/$ref`).post({
      "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${app.outputs.claimsMappingPolicyId}`,
    });
    const progress: string[] = [];
    const report = await verify(app, { propagationWindowStart: new Date() }, progress);
    expect(failing(report)).toEqual([]);
    expect(report.token?.claims.cmicuser).toBe("svc-arcoro");
    expect(report.tokenRequests).toBeGreaterThan(1);
    expect(progress.some((line) => line.includes("no cmicuser claim in the token yet"))).toBe(true);
  });

  it("reports a missing cmicuser claim at once outside the window", async () => {
    const app = await provision({ skipPolicyAssignment: true });
    const report = await verify(app, { propagationWindowStart: LONG_AGO });
    expect(failing(report)).toEqual(["cmicuser"]);
    expect(check(report, "cmicuser").fix).toMatch(/not assigned|not yet propagated/);
    expect(tokenRequests(emulator)).toBe(1);
  });

  it("never waits past the timeout", async () => {
    emulator.setPropagationDelay(30_000);
    const app = await provision();
    const progress: string[] = [];
    const report = await verify(app, { propagationWindowStart: new Date(), timeoutMs: 700 }, progress);
    expect(failing(report)).toEqual(["token"]);
    // The deadline may end during a wait between tries or during a try, depending on the machine's
    // pace: both name the overall timeout (a test must not depend on how fast a request is).
    expect(check(report, "token").detail).toMatch(/timeout \(0\.7 s\) ran out while waiting|\(the overall timeout, 0\.7 s, ran out\)/);
    expect(progress.length).toBeGreaterThan(0);
  });

  it("retries through Entra server errors (503)", async () => {
    const app = await provision();
    emulator.setFaults({ serverErrors: { count: 4, status: 503 }, pathPrefix: `/${tenant.tenantId}/oauth2` });
    const report = await verify(app, { propagationWindowStart: LONG_AGO });
    emulator.setFaults({});
    expect(failing(report)).toEqual([]);
    expect(emulator.requests.filter((r) => r.status === 503).length).toBe(4);
  });

  it("retries through Entra throttling (429)", async () => {
    const app = await provision();
    emulator.clearRequestLog();
    emulator.setFaults({ throttle: { count: 2, retryAfterSeconds: 0 }, pathPrefix: `/${tenant.tenantId}/oauth2` });
    const report = await runVerification(
      verifyInputFromOutputs(app.outputs, { authorityHost: emulator.url, propagationWindowStart: LONG_AGO, timeoutMs: 20_000 }),
    );
    emulator.setFaults({});
    expect(failing(report)).toEqual([]);
    expect(emulator.requests.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(1);
  });
});

describe("token formats the emulator issues", () => {
  it("an app-specific signing key fails as CMiC fails it, and the ?appid= Keyset ID it names makes it pass", async () => {
    const app = await provision({ acceptMappedClaims: false });
    await app.graph
      .api(`/servicePrincipals/${app.servicePrincipalObjectId}/addTokenSigningCertificate`)
      .post({ displayName: "CN=cmic verify" });
    const report = await verify(app);
    expect(failing(report)).toEqual(["signature"]);
    expect(report.token?.claims.cmicuser).toBe("svc-arcoro");
    const signature = check(report, "signature");
    expect(signature.detail).toContain("Unable to validate signature");
    const appSpecific = `${app.outputs.jwksUri}?appid=${app.outputs.clientId}`;
    expect(signature.fix).toContain(appSpecific);
    const registeredAppSpecific = await verify(app, { jwksUri: appSpecific });
    expect(failing(registeredAppSpecific)).toEqual([]);
  });

  it("a v1 app (requestedAccessTokenVersion not 2) fails issuer and version with the manifest fix", async () => {
    const app = await provision({ requestedAccessTokenVersion: 1 });
    const report = await verify(app);
    expect(failing(report)).toEqual(["issuer", "version"]);
    expect(check(report, "issuer").fix).toContain("requestedAccessTokenVersion = 2");
    expect(check(report, "audience").ok).toBe(true);
  });

  it("a wrong expected cmicuser explains the Cloud format", async () => {
    const app = await provision({ deployment: "cloud", cmicUserClaim: "acme||svc-arcoro" });
    // Someone "fixed" the policy in the portal with a single pipe.
    await app.graph
      .api(`/policies/claimsMappingPolicies/${app.outputs.claimsMappingPolicyId}`)
      .patch({ definition: [claimsMappingDefinition("acme|svc-arcoro")] });
    const report = await verify(app, { expectedCmicUser: "acme||svc-arcoro" });
    expect(failing(report)).toEqual(["cmicuser"]);
    expect(check(report, "cmicuser").detail).toContain("single pipe");
  });

  it("token mode validates a given token without requesting one", async () => {
    const app = await provision();
    const first = await verify(app);
    expect(first.ok).toBe(true);
    // Obtain a real token the way a connector would, then hand it to token mode.
    const { createClientCredential } = await import("../../scripts/shared/credentials");
    const accessToken = await createClientCredential({
      tenantId: app.outputs.tenantId,
      clientId: app.outputs.clientId,
      credential: { kind: "secret", clientSecret: app.clientSecret! },
      authorityHost: emulator.url,
    }).getToken(app.outputs.scope);
    emulator.clearRequestLog();
    const report = await runVerification(
      verifyInputFromOutputs(app.outputs, { authorityHost: emulator.url, credential: null, token: accessToken!.token }),
    );
    expect(failing(report)).toEqual([]);
    expect(report.tokenRequests).toBe(0);
    expect(tokenRequests(emulator)).toBe(0);
    expect(emulator.requests.map((r) => r.path.split("?")[0])).toEqual([`/${app.outputs.tenantId}/discovery/v2.0/keys`]);
  });
});
