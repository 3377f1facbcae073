/**
 * `scripts/verify/cli.ts` against an in-test emulator: exit codes, the JSON shape, and that neither
 * the secret nor any token ever reaches stdout or stderr. In-process (`main` with an io object),
 * except the first test, which runs the real process to check its exit code and streams.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { provisionVerifyApp, type ProvisionedApp } from "../../scripts/bench/verifyBench";
import { createClientCredential } from "../../scripts/shared/credentials";
import { runVerifyCli, runVerifyInProcess, type CliRun } from "../support/verifyCli";
import { startEmulator, uniqueDomain, type Emulator, type EmulatorTenant } from "../support/verifyEmulator";

/** Any compact JWT (header.payload.signature); tokens issued by the emulator start with eyJ. */
const ANY_JWT = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;

let emulator: Emulator;
let tenant: EmulatorTenant;
let tmp: string;
let secretApp: ProvisionedApp;
let outputsFile: string;

beforeAll(async () => {
  emulator = await startEmulator();
  tenant = emulator.addTenant({ initialDomain: uniqueDomain("verifycli") });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "verify-cli-"));
  secretApp = await provisionVerifyApp({ emulatorUrl: emulator.url, tenant, cmicUserClaim: "svc-arcoro" });
  outputsFile = path.join(tmp, "outputs.json");
  fs.writeFileSync(outputsFile, JSON.stringify(secretApp.outputs), { mode: 0o600 });
});

afterAll(async () => {
  await emulator?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function expectNothingSecret(run: CliRun, ...secrets: string[]): void {
  const printed = run.stdout + run.stderr;
  for (const secret of secrets) expect(printed).not.toContain(secret);
  expect(printed).not.toMatch(ANY_JWT);
}

async function realToken(app: ProvisionedApp): Promise<string> {
  const token = await createClientCredential({
    tenantId: app.outputs.tenantId,
    clientId: app.outputs.clientId,
    credential: { kind: "secret", clientSecret: app.clientSecret! },
    authorityHost: emulator.url,
  }).getToken(app.outputs.scope);
  return token!.token;
}

describe("verify CLI against the emulator", () => {
  it("exits 0 with the JSON shape on a good stack, printing neither secret nor token", async () => {
    const run = await runVerifyCli(["--outputs", outputsFile, "--authority-host", emulator.url, "--json"]);
    expect(run.code).toBe(0);
    const body = JSON.parse(run.stdout);
    expect(Object.keys(body)).toEqual(["ok", "checks", "token"]);
    expect(body.ok).toBe(true);
    expect(body.checks.map((c: { id: string }) => c.id)).toEqual([
      "token",
      "signature",
      "issuer",
      "application-id",
      "audience",
      "lifetime",
      "version",
      "cmicuser",
      "ip-check",
    ]);
    for (const check of body.checks) {
      expect(typeof check.detail).toBe("string");
      expect(check.ok).toBe(true);
    }
    expect(Object.keys(body.token)).toEqual(["header", "claims"]);
    expect(body.token.claims.cmicuser).toBe("svc-arcoro");
    expectNothingSecret(run, secretApp.clientSecret!);
  });

  it("shows propagation progress on stderr and then passes", async () => {
    // Propagation would take ten minutes; it ends when verify says it is waiting, so the test
    // depends on events, never on how fast anything starts.
    emulator.setPropagationDelay(600_000);
    try {
      const app = await provisionVerifyApp({ emulatorUrl: emulator.url, tenant, cmicUserClaim: "svc-new" });
      const file = path.join(tmp, "new-outputs.json");
      fs.writeFileSync(file, JSON.stringify(app.outputs), { mode: 0o600 });
      const run = await runVerifyInProcess(["--outputs", file, "--authority-host", emulator.url, "--just-deployed"], {
        onStderr: (text) => {
          if (text.includes("waiting for Entra to propagate")) emulator.completePropagation();
        },
      });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(
        /^waiting for Entra to propagate: AADSTS\d+ \(.+\) — \d+\.\d s elapsed, retrying for up to \d+\.\d s more$/m,
      );
      expect(run.stdout).toMatch(/^✔ token/m);
      expectNothingSecret(run, app.clientSecret!);
    } finally {
      emulator.setPropagationDelay(0);
    }
  });

  it("exits 1 with a checklist when a check fails", async () => {
    const run = await runVerifyInProcess(["--outputs", outputsFile, "--authority-host", emulator.url, "--expect-cmicuser", "someone-else"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✘ cmicuser +cmicuser is "svc-arcoro", expected "someone-else"/m);
    expect(run.stdout).toMatch(/^✔ signature/m);
    expect(run.stdout).toContain("FAILED: 1 check failed (cmicuser)");
    expectNothingSecret(run, secretApp.clientSecret!);
  });

  it("exits 1 on an Entra error with the diagnosis, without echoing the wrong secret", async () => {
    const wrong = "Q~a-wrong-secret-value-for-the-cli-test-000";
    const run = await runVerifyInProcess(
      ["--outputs", outputsFile, "--authority-host", emulator.url, "--propagation-window", "0", "--json"],
      {
        env: { CMIC_CLIENT_SECRET: wrong },
      },
    );
    expect(run.code).toBe(1);
    const body = JSON.parse(run.stdout);
    expect(body.token).toBeNull();
    expect(body.checks).toHaveLength(1);
    expect(body.checks[0]).toMatchObject({ id: "token", ok: false });
    expect(body.checks[0].detail).toContain("AADSTS7000215");
    expect(body.checks[0].fix).toContain("Secret ID");
    expectNothingSecret(run, wrong, secretApp.clientSecret!);
  });

  it("works from flags alone with the secret in CMIC_CLIENT_SECRET", async () => {
    const { outputs } = secretApp;
    const run = await runVerifyInProcess(
      [
        "--tenant-id",
        outputs.tenantId,
        "--client-id",
        outputs.clientId,
        "--scope",
        outputs.scope,
        "--expect-cmicuser",
        "svc-arcoro",
        "--authority-host",
        emulator.url,
      ],
      { env: { CMIC_CLIENT_SECRET: secretApp.clientSecret! } },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("OK: the token passes every check CMiC makes");
    expectNothingSecret(run, secretApp.clientSecret!);
  });

  it("uses a certificate credential from --certificate", async () => {
    const app = await provisionVerifyApp({ emulatorUrl: emulator.url, tenant, cmicUserClaim: "svc-cert", credential: "certificate" });
    const outputs = path.join(tmp, "cert-outputs.json");
    const pem = path.join(tmp, "connector.pem");
    fs.writeFileSync(outputs, JSON.stringify(app.outputs));
    fs.writeFileSync(pem, app.certificatePem!, { mode: 0o600 });
    const run = await runVerifyInProcess(["--outputs", outputs, "--certificate", pem, "--authority-host", emulator.url]);
    expect(run.code).toBe(0);
    const privateKeyBody = app.certificatePem!.split("-----BEGIN RSA PRIVATE KEY-----")[1].split("\n")[1];
    expectNothingSecret(run, privateKeyBody);
  });

  it("validates a token from stdin (--token -) offline and never prints it", async () => {
    const token = await realToken(secretApp);
    emulator.clearRequestLog();
    const run = await runVerifyInProcess(["--outputs", outputsFile, "--authority-host", emulator.url, "--token", "-", "--json"], {
      stdin: token,
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).ok).toBe(true);
    // Only the JWKS was fetched: the token went nowhere.
    expect(emulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /${secretApp.outputs.tenantId}/discovery/v2.0/keys`]);
    expectNothingSecret(run, token, token.split(".")[2]);
  });

  it("fails a tampered --token on the signature and never prints it", async () => {
    const token = await realToken(secretApp);
    const [header, payload, signature] = token.split(".");
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, cmicuser: "admin" })).toString("base64url")}.${signature}`;
    const run = await runVerifyInProcess([
      "--outputs",
      outputsFile,
      "--authority-host",
      emulator.url,
      "--token",
      forged,
      "--expect-cmicuser",
      "admin",
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^✘ signature/m);
    expect(run.stdout).toMatch(/^✔ cmicuser/m);
    expectNothingSecret(run, forged, signature);
  });
});
