/**
 * `npm run handoff`: the sheet for the CMiC admin and the connector admin, from real program outputs
 * (the program under recording mocks), and the CLI's handling of the secret.
 */
import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseStackOutputs, type StackOutputs } from "../../contract/stackOutputs";
import { defineCmicStack } from "../../components/stack";
import { maskSecret, renderHandoffSheet } from "../../scripts/handoff/sheet";
import { plainOutputs, runProgram } from "../../scripts/sandbox/runProgram";
import { MOCK_SECRET_VALUE, RecordingMocks } from "../support/recordingMocks";
import { runScript, type CliRun } from "../support/runScript";
import { handoffCommand } from "../../scripts/handoff/cli";
import { runCaptured } from "../../scripts/shared/cli";
import { validateIntegrationSettings, SettingsError } from "../../components/settings";
import { generateTestCertificate } from "../support/certificates";

const TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";

async function outputsFor(settings: Record<string, string>): Promise<StackOutputs> {
  const config: Record<string, string> = { "azuread:tenantId": TENANT };
  for (const [key, value] of Object.entries(settings)) config[`cmic-entra-oauth:${key}`] = value;
  const mocks = new RecordingMocks({ tenantId: TENANT, initialDomain: "contoso.onmicrosoft.com", now: new Date() });
  const run = await runProgram({ stack: "acme-prod", config, mocks, loadProgram: defineCmicStack });
  return parseStackOutputs(plainOutputs(run));
}

/** The handoff command in this process, without outputs in the environment. */
function runHandoff(args: string[]): Promise<CliRun> {
  return runCaptured(handoffCommand, args, { env: { ...process.env, CMIC_STACK_OUTPUTS: "" } });
}

/** The real process: for its exit codes. */
function runHandoffProcess(args: string[]): Promise<CliRun> {
  return runScript("handoff", args, { env: { CMIC_STACK_OUTPUTS: "" } });
}

describe("renderHandoffSheet", () => {
  it("follows the stack's token version: v1 values and wording for accessTokenVersion 1, v2 by default", async () => {
    const v1 = await outputsFor({
      deployment: "enterprise",
      serviceUser: "ARCORO_SVC",
      verifiedDomain: "acme.com",
      accessTokenVersion: "1",
    });
    const v1Sheet = renderHandoffSheet(v1, { stack: "acme-prod", reveal: false, generatedAt: new Date() });
    expect(v1Sheet).toContain(`| Issuer URL | \`https://sts.windows.net/${TENANT}/\` |`);
    expect(v1Sheet).toContain("| Keyset ID (JWKS URI) | `https://login.microsoftonline.com/common/discovery/keys` |");
    expect(v1Sheet).toContain("The app issues **v1** access tokens");
    const v2 = await outputsFor({ deployment: "enterprise", serviceUser: "ARCORO_SVC", verifiedDomain: "acme.com" });
    const v2Sheet = renderHandoffSheet(v2, { stack: "acme-prod", reveal: false, generatedAt: new Date() });
    expect(v2Sheet).toContain(`| Issuer URL | \`https://login.microsoftonline.com/${TENANT}/v2.0\` |`);
    expect(v2Sheet).toContain("The app issues **v2** access tokens");
  });

  let enterprise: StackOutputs;
  beforeAll(async () => {
    enterprise = await outputsFor({ deployment: "enterprise", serviceUser: "ARCORO_SVC", verifiedDomain: "acme.com" });
  });

  it("gives the CMiC admin every registration field and the connector admin every connector field", () => {
    const sheet = renderHandoffSheet(enterprise, { stack: "acme-prod", reveal: false, generatedAt: new Date("2026-11-23T00:00:00Z") });
    for (const value of [
      `| Issuer URL | \`https://login.microsoftonline.com/${TENANT}/v2.0\` |`,
      `| Application ID | \`${enterprise.clientId}\` |`,
      `| Keyset ID (JWKS URI) | \`https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys\` |`,
      "| Service user | `ARCORO_SVC` |",
      `| Token URL | \`https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token\` |`,
      `| Client ID | \`${enterprise.clientId}\` |`,
      `| Scope | \`api://${enterprise.clientId}.acme.com/.default\` |`,
    ]) {
      expect(sheet).toContain(value);
    }
  });

  it("masks the secret to Entra's three-character hint unless revealed", () => {
    const masked = renderHandoffSheet(enterprise, { stack: "acme-prod", reveal: false, generatedAt: new Date() });
    expect(masked).not.toContain(MOCK_SECRET_VALUE);
    expect(masked).toContain(`| Client Secret | \`${maskSecret(MOCK_SECRET_VALUE)}\` |`);
    expect(maskSecret(MOCK_SECRET_VALUE).startsWith(MOCK_SECRET_VALUE.slice(0, 3))).toBe(true);
    expect(masked).toContain("npm run handoff -- --stack acme-prod --reveal");
    const revealed = renderHandoffSheet(enterprise, { stack: "acme-prod", reveal: true, generatedAt: new Date() });
    expect(revealed).toContain(`| Client Secret | \`${MOCK_SECRET_VALUE}\` |`);
  });

  it("names the Cloud claim value and keeps every table row at two columns", async () => {
    const cloud = await outputsFor({ deployment: "cloud", serviceUser: "ARCORO_SVC", cmicTenant: "ACME", displayName: "Arcoro | CMiC" });
    const sheet = renderHandoffSheet(cloud, { stack: null, reveal: false, generatedAt: new Date() });
    expect(sheet).toContain("`cmicuser` = `ACME||ARCORO_SVC`");
    expect(sheet).toContain("| Description | `Arcoro \\| CMiC` |");
    const rows = sheet.split("\n").filter((line) => line.startsWith("|"));
    for (const row of rows) expect(row.replace(/\\\|/g, "").split("|")).toHaveLength(4);
  });

  it("tells the CMiC admin to enter the service user when the token carries no claim", async () => {
    const registration = await outputsFor({ deployment: "enterprise", serviceUser: "ARCORO_SVC", claimSource: "registration" });
    const sheet = renderHandoffSheet(registration, { stack: null, reveal: false, generatedAt: new Date() });
    expect(sheet).toContain("set the service user in this registration");
    expect(sheet).not.toContain("Tokens carry the claim");
  });
});

describe("the connector section follows connectorProfile", () => {
  const certificate = generateTestCertificate({ commonName: "cai-connector" });
  const base = { deployment: "enterprise", serviceUser: "ARCORO_SVC", verifiedDomain: "acme.com" };
  const render = (outputs: StackOutputs): string =>
    renderHandoffSheet(outputs, { stack: "acme-prod", reveal: false, generatedAt: new Date() });
  /** The rows of section 2 only, so a value of section 1 cannot satisfy an assertion about the connector's form. */
  const connectorRows = (sheet: string): string[] =>
    (sheet.split("## 2. ")[1] ?? "")
      .split("\n## ")[0]
      .split("\n")
      .filter((line) => line.startsWith("| ") && !line.startsWith("| Field") && !line.startsWith("| ---"))
      .map((line) => line.split(" | ")[0].slice(2));

  it("arcoro (the default): Token URL, Client ID, Client Secret and Scope, as Arcoro's form asks", async () => {
    const outputs = await outputsFor(base);
    expect(outputs.connectorProfile).toBe("arcoro");
    const sheet = render(outputs);
    expect(sheet).toContain("## 2. Connector administrator: Arcoro Integration module");
    expect(connectorRows(sheet)).toEqual(["Token URL", "Client ID", "Client Secret", "Scope"]);
  });

  it("informatica-cai with a certificate: Resource (the App ID URI), tenant, client, the keystore and the SHA-1 fingerprint with colons", async () => {
    const outputs = await outputsFor({
      ...base,
      connectorProfile: "informatica-cai",
      credential: "certificate",
      certificate: certificate.certPem,
      postDeployCheck: "false",
    });
    expect(outputs.connectorProfile).toBe("informatica-cai");
    const sheet = render(outputs);
    expect(sheet).toContain("## 2. Connector administrator: Informatica CAI");
    expect(connectorRows(sheet)).toEqual([
      "Resource",
      "Azure_Tenant_ID",
      "Client_ID",
      "SHA1_Fingerprint",
      "Keystore_Type",
      "Keystore_File",
      "Keystore_Alias",
      "Key_Password, Keystore_Password",
    ]);
    expect(sheet).toContain(`| Resource | \`${outputs.identifierUri}\` |`);
    expect(outputs.identifierUri).toBe(`api://${outputs.clientId}.acme.com`);
    expect(sheet).toContain(`| Azure_Tenant_ID | \`${TENANT}\` |`);
    const fingerprint = /\| SHA1_Fingerprint \| `([^`]+)` \|/.exec(sheet)?.[1] ?? "";
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(fingerprint.replace(/:/g, "")).toBe(certificate.thumbprintSha1Hex);
    expect(sheet).toContain("| Keystore_Type | `PKCS12` |");
    expect(sheet).toContain("**GetAccessTokenUsingCertificate**; leave Client_Secret blank");
    expect(sheet).toContain("npm run connector-cert -- --out DIR --name NAME");
  });

  it("informatica-cai with a secret: Client_Secret masked, the shared-secret action, and how to move to a certificate", async () => {
    const sheet = render(await outputsFor({ ...base, connectorProfile: "informatica-cai" }));
    expect(connectorRows(sheet)).toEqual(["Resource", "Azure_Tenant_ID", "Client_ID", "Client_Secret"]);
    expect(sheet).toContain(`| Client_Secret | \`${maskSecret(MOCK_SECRET_VALUE)}\` |`);
    expect(sheet).not.toContain(MOCK_SECRET_VALUE);
    expect(sheet).toContain("**GetAccessTokenUsingSharedSecret**");
    expect(sheet).toContain("set `credential` to `certificate`");
  });

  it("generic: every OAuth value, and the thumbprint in both forms", async () => {
    const outputs = await outputsFor({ ...base, connectorProfile: "generic", credential: "both", certificate: certificate.certPem });
    const sheet = render(outputs);
    expect(connectorRows(sheet)).toEqual([
      "Grant type",
      "Token URL",
      "Client ID",
      "Client Secret",
      "Scope",
      "Tenant ID",
      "Resource / audience (v1 `resource` parameter)",
      "Certificate thumbprint (SHA-1)",
      "Certificate thumbprint (SHA-1, with colons)",
    ]);
    expect(sheet).toContain(`| Certificate thumbprint (SHA-1) | \`${certificate.thumbprintSha1Hex}\` |`);
    expect(sheet).toContain("| Grant type | `client_credentials` |");
  });

  it("refuses an unknown profile with the ones there are and the command that sets one", () => {
    let caught: unknown;
    try {
      validateIntegrationSettings(
        { deployment: "enterprise", serviceUser: "ARCORO_SVC", connectorProfile: "informatica" as never },
        { stack: "acme", now: new Date() },
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SettingsError);
    const text = String((caught as Error).message);
    expect(text).toContain("connectorProfile");
    expect(text).toContain("arcoro, informatica-cai, generic");
    expect(text).toContain("pulumi config set cmic-entra-oauth:connectorProfile");
  });
});

describe("npm run handoff", () => {
  let directory: string;
  let withSecret: string;
  let withoutSecret: string;
  beforeAll(async () => {
    directory = mkdtempSync(path.join(tmpdir(), "cmic-handoff-"));
    const outputs = await outputsFor({ deployment: "enterprise", serviceUser: "ARCORO_SVC" });
    withSecret = path.join(directory, "outputs.json");
    writeFileSync(withSecret, JSON.stringify(outputs));
    // What `pulumi stack output --json` prints without --show-secrets.
    withoutSecret = path.join(directory, "outputs-redacted.json");
    writeFileSync(
      withoutSecret,
      JSON.stringify({ ...outputs, clientSecret: "[secret]", connector: { ...outputs.connector, clientSecret: "[secret]" } }),
    );
  });

  it("prints the sheet with the secret masked", async () => {
    const run = await runHandoff(["--outputs", withSecret]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("## 1. CMiC administrator");
    expect(run.stdout + run.stderr).not.toContain(MOCK_SECRET_VALUE);
  });

  it("writes a revealed sheet to a file only its owner can read, even one that existed", async () => {
    const out = path.join(directory, "sheet.md");
    writeFileSync(out, "old sheet", { mode: 0o644 });
    const run = await runHandoff(["--outputs", withSecret, "--reveal", "--out", out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(readFileSync(out, "utf8")).toContain(MOCK_SECRET_VALUE);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it("never follows a symbolic link with --out: the secret cannot be steered into its target", async () => {
    const target = path.join(directory, "elsewhere.txt");
    writeFileSync(target, "someone else's file", { mode: 0o644 });
    const link = path.join(directory, "sheet-link.md");
    symlinkSync(target, link);
    const run = await runHandoff(["--outputs", withSecret, "--reveal", "--out", link]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("it is a symbolic link");
    expect(readFileSync(target, "utf8")).toBe("someone else's file");
    expect(run.stdout + run.stderr).not.toContain(MOCK_SECRET_VALUE);
  });

  it("refuses --reveal when the outputs hold no secret, and says how to get it", async () => {
    const run = await runHandoff(["--outputs", withoutSecret, "--reveal"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("--show-secrets");
  });

  it("exits 1 with the fix for outputs this project did not write", async () => {
    const bad = path.join(directory, "bad.json");
    writeFileSync(bad, JSON.stringify({ clientId: "x" }));
    const run = await runHandoff(["--outputs", bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("`tenantId` is missing");
  });

  it("exits 2 on bad usage", async () => {
    expect((await runHandoffProcess(["--stack", "a", "--outputs", withSecret])).code).toBe(2);
    expect((await runHandoffProcess(["--frobnicate"])).code).toBe(2);
    expect((await runHandoffProcess([])).code).toBe(2);
  });
});
