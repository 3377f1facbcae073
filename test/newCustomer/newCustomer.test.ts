/**
 * new-customer without a tenant: the file it writes is read back the way the sandbox hands a stack
 * file to the program (scripts/sandbox/stackFile.ts) and must pass the program's settings rules;
 * invalid settings, missing flags, an existing file and a bad stack name write nothing.
 */
import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import yaml from "js-yaml";
import { settingsFromConfig, SettingsError, renderSettingsProblem } from "../../components/settings";
import { readStackConfig } from "../../scripts/sandbox/stackFile";
import { generateTestCertificate } from "../support/certificates";
import { runScript } from "../support/runScript";
import { fakeTerminal, OWNER_ID, runNewCustomer, TENANT_ID, tempProject } from "./runNewCustomer";

/** The required flags of an enterprise stack. */
const ENTERPRISE_FLAGS = ["--stack", "acme", "--tenant-id", TENANT_ID, "--deployment", "enterprise", "--service-user", "SVC"];

const SECOND_OWNER = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const dirs: string[] = [];
function project(prefix: string): string {
  const dir = tempProject(prefix);
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** The program's reading of a stack file: `pulumi config` strings, validated as components/stack.ts does. */
function programSettings(file: string, stack: string) {
  const config = readStackConfig(file);
  return settingsFromConfig(
    (key) => config[`cmic-entra-oauth:${key}`],
    (key) => config[`azuread:${key}`],
    { stack, now: new Date() },
    {
      all: Object.keys(config),
      warn: (warning) => {
        throw new Error(warning);
      },
    },
  );
}

test("a valid enterprise stack is written, parses back to exactly the flags, and passes the program's settings rules", async () => {
  const dir = project("valid");
  const certificate = generateTestCertificate({ commonName: "acme connector" });
  const certificateFile = path.join(dir, "connector-cert.pem");
  fs.writeFileSync(certificateFile, certificate.certPem);
  const run = await runNewCustomer([
    "--stack",
    "acme-prod",
    "--tenant-id",
    TENANT_ID,
    "--deployment",
    "enterprise",
    "--service-user",
    "ARCORO_SVC",
    "--verified-domain",
    "contoso.com",
    "--credential",
    "both",
    "--certificate-file",
    certificateFile,
    "--display-name",
    "Arcoro: CMiC (acme)",
    "--owner",
    OWNER_ID,
    "--owner",
    SECOND_OWNER,
    "--secret-lifetime-days",
    "90",
    "--handover-days",
    "14",
    "--cwd",
    dir,
  ]);
  expect(run.stderr).not.toContain("unexpected error");
  expect(run.code).toBe(0);
  const file = path.join(dir, "Pulumi.acme-prod.yaml");
  expect(run.stdout).toContain(`Wrote ${file}`);
  expect(run.stdout).toContain("pulumi stack init acme-prod");
  expect(run.stdout).toContain("pulumi up --stack acme-prod");
  expect(run.stdout).toContain("Domain: not checked");

  const text = fs.readFileSync(file, "utf8");
  expect(text.split("\n")[0]).toMatch(/^# Written by new-customer/);
  expect(text).toContain("# " + "  npm run new-customer -- --stack acme-prod");
  // The file's shape is Pulumi.dev.yaml's: a config map, numbers as strings, owners a list, the PEM a block string.
  const document = yaml.load(text) as { config: Record<string, unknown> };
  expect(Object.keys(document)).toEqual(["config"]);
  expect(document.config).toEqual({
    "azuread:tenantId": TENANT_ID,
    "cmic-entra-oauth:deployment": "enterprise",
    "cmic-entra-oauth:serviceUser": "ARCORO_SVC",
    "cmic-entra-oauth:verifiedDomain": "contoso.com",
    "cmic-entra-oauth:credential": "both",
    // CRLF (the test certificate has it, as a PEM from Windows does) becomes LF, so the PEM is a block string.
    "cmic-entra-oauth:certificate": certificate.certPem.replace(/\r\n/g, "\n"),
    "cmic-entra-oauth:secretLifetimeDays": "90",
    "cmic-entra-oauth:handoverDays": "14",
    "cmic-entra-oauth:displayName": "Arcoro: CMiC (acme)",
    "cmic-entra-oauth:owners": [OWNER_ID, SECOND_OWNER],
  });
  expect(text).toMatch(/cmic-entra-oauth:certificate: \|/);
  expect(text).not.toContain("PRIVATE KEY");

  const settings = programSettings(file, "acme-prod");
  expect(settings).toMatchObject({
    deployment: "enterprise",
    serviceUser: "ARCORO_SVC",
    verifiedDomain: "contoso.com",
    credential: "both",
    secretLifetimeDays: 90,
    handoverDays: 14,
    displayName: "Arcoro: CMiC (acme)",
    owners: [OWNER_ID, SECOND_OWNER],
    tenantId: TENANT_ID,
  });
  expect(settings.certificate?.thumbprintSha1).toBe(certificate.thumbprintSha1Hex);
  // The write went through a temporary file that is gone.
  expect(fs.readdirSync(dir).sort()).toEqual(["Pulumi.acme-prod.yaml", "connector-cert.pem"]);
});

test("an Azure Government stack for Informatica with v1 tokens and ipaddr: the file names the cloud for the provider too, and passes the rules", async () => {
  const dir = project("gov");
  const run = await runNewCustomer([
    ...ENTERPRISE_FLAGS,
    "--azure-cloud",
    "usgovernment",
    "--access-token-version",
    "1",
    "--connector-profile",
    "informatica-cai",
    "--optional-claim",
    "ipaddr",
    "--optional-claim",
    "upn",
    "--cwd",
    dir,
  ]);
  expect(run.stderr).not.toContain("unexpected error");
  expect(run.code).toBe(0);
  const file = path.join(dir, "Pulumi.acme.yaml");
  const document = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
  expect(document.config).toMatchObject({
    "azuread:environment": "usgovernment",
    "cmic-entra-oauth:azureCloud": "usgovernment",
    "cmic-entra-oauth:accessTokenVersion": "1",
    "cmic-entra-oauth:connectorProfile": "informatica-cai",
    "cmic-entra-oauth:optionalClaims": ["ipaddr", "upn"],
  });
  expect(programSettings(file, "acme")).toMatchObject({
    azureCloud: "usgovernment",
    accessTokenVersion: 1,
    connectorProfile: "informatica-cai",
    optionalClaims: ["ipaddr", "upn"],
  });
  expect(fs.readFileSync(file, "utf8")).toContain("--azure-cloud usgovernment --optional-claim ipaddr --optional-claim upn");
});

test("an unknown cloud, profile or optional claim is refused with the program's problems and the flag to change; nothing is written", async () => {
  const dir = project("bad-new-settings");
  const run = await runNewCustomer([
    ...ENTERPRISE_FLAGS,
    "--azure-cloud",
    "germany",
    "--connector-profile",
    "mulesoft",
    "--optional-claim",
    "groups",
    "--cwd",
    dir,
  ]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("[flag: --azure-cloud]");
  expect(run.stderr).toContain("[flag: --connector-profile]");
  expect(run.stderr).toContain("'groups'");
  expect(run.stderr).toContain("[flag: --optional-claim]");
  expect(fs.readdirSync(dir)).toEqual([]);
});

test("a cloud stack without cmic-tenant and with a non-email user is refused with the program's own problems; nothing is written", async () => {
  const dir = project("cloud");
  const run = await runNewCustomer([
    "--stack",
    "acme-cloud",
    "--tenant-id",
    TENANT_ID,
    "--deployment",
    "cloud",
    "--service-user",
    "ARCORO_SVC",
    "--cwd",
    dir,
  ]);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("nothing was written");
  expect(run.stderr).toContain("cmic-entra-oauth:cmicTenant is required on CMiC Cloud: the claim must be 'tenant||ARCORO_SVC'");
  expect(run.stderr).toContain("[flag: --cmic-tenant]");
  // Exactly the program's text for the same settings, every problem of it.
  let problems: string[] = [];
  try {
    settingsFromConfig(
      (key) => ({ deployment: "cloud", serviceUser: "ARCORO_SVC" })[key],
      (key) => (key === "tenantId" ? TENANT_ID : undefined),
      { stack: "acme-cloud", now: new Date() },
    );
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    problems = error.problems.map(renderSettingsProblem);
  }
  expect(problems).toHaveLength(1);
  for (const problem of problems) expect(run.stderr).toContain(problem);
  expect(fs.readdirSync(dir)).toEqual([]);
});

test("every invalid setting is printed at once, each with its flag; an unreadable certificate file is a usage error", async () => {
  const dir = project("many");
  const run = await runNewCustomer([
    "--stack",
    "acme",
    "--tenant-id",
    "not-a-guid",
    "--deployment",
    "enterprise",
    "--service-user",
    "bob smith",
    "--cmic-tenant",
    "ACME",
    "--owner",
    "alice@contoso.com",
    "--secret-lifetime-days",
    "1000",
    "--cwd",
    dir,
  ]);
  expect(run.code).toBe(2);
  for (const [key, flag] of [
    ["serviceUser", "--service-user"],
    ["cmicTenant", "--cmic-tenant"],
    ["secretLifetimeDays", "--secret-lifetime-days"],
    ["owners", "--owner"],
    ["tenantId", "--tenant-id"],
  ]) {
    expect(run.stderr).toMatch(new RegExp(`- cmic-entra-oauth:${key} .*\\[flag: ${flag}\\]`));
  }
  expect(fs.readdirSync(dir)).toEqual([]);

  const missing = await runNewCustomer([...ENTERPRISE_FLAGS, "--certificate-file", path.join(dir, "nope.pem"), "--cwd", dir]);
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("--certificate-file");
  expect(missing.stderr).toContain("ENOENT");
});

test("a certificate file that holds the private key is refused by the certificate rule: no key reaches the stack file", async () => {
  const dir = project("key");
  const certificate = generateTestCertificate({ commonName: "with key" });
  const pem = path.join(dir, "connector.pem");
  fs.writeFileSync(pem, certificate.certificateWithKeyPem);
  const run = await runNewCustomer([...ENTERPRISE_FLAGS, "--credential", "certificate"].concat(["--certificate-file", pem, "--cwd", dir]));
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("cmic-entra-oauth:certificate contains a private key");
  expect(run.stderr).not.toContain(certificate.keyPem.split("\n")[1]);
  expect(fs.readdirSync(dir)).toEqual(["connector.pem"]);
});

test("without a terminal, missing values are one usage error naming every missing flag, and stdin is never waited on", async () => {
  const dir = project("missing");
  // A stdin that never ends: a prompt would wait on it forever and the test would time out.
  const openStdin = new PassThrough();
  const run = await runNewCustomer(["--deployment", "cloud", "--cwd", dir], { stdin: openStdin });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("missing required values: --stack, --tenant-id, --service-user.");
  expect(run.stderr).toContain("without a terminal nothing is asked");
  expect(run.stderr).not.toContain("(--stack): ");
  expect(fs.readdirSync(dir)).toEqual([]);
  // With claimSource registration the rules need no service user, so neither does the command.
  const registration = await runNewCustomer(["--claim-source", "registration", "--cwd", dir], { stdin: openStdin });
  expect(registration.stderr).toContain("missing required values: --stack, --tenant-id, --deployment.");
  openStdin.destroy();
}, 10_000);

test("an existing stack file is refused without --force and replaced with it", async () => {
  const dir = project("exists");
  const file = path.join(dir, "Pulumi.acme.yaml");
  fs.writeFileSync(file, "config:\n  cmic-entra-oauth:deployment: cloud\n");
  const args = ["--stack", "acme", "--tenant-id", TENANT_ID, "--deployment", "enterprise", "--service-user", "NEW_SVC", "--cwd", dir];
  const refused = await runNewCustomer(args);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain(`${file} already exists`);
  expect(refused.stderr).toContain("Fix: add --force");
  expect(fs.readFileSync(file, "utf8")).toBe("config:\n  cmic-entra-oauth:deployment: cloud\n");

  const replaced = await runNewCustomer([...args, "--force"]);
  expect(replaced.code).toBe(0);
  expect(readStackConfig(file)).toEqual({
    "azuread:tenantId": TENANT_ID,
    "cmic-entra-oauth:deployment": "enterprise",
    "cmic-entra-oauth:serviceUser": "NEW_SVC",
  });
  expect(fs.readdirSync(dir)).toEqual(["Pulumi.acme.yaml"]);
});

test.each([["acme/prod"], ["acme prod"], ["x".repeat(101)], ["../acme"]])(
  "stack name %j is not a Pulumi stack name: exit 2, nothing written",
  async (stack) => {
    const dir = project("name");
    const run = await runNewCustomer(
      ["--stack", stack, "--tenant-id", TENANT_ID, "--deployment", "enterprise", "--service-user", "SVC"].concat(["--cwd", dir]),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is not a Pulumi stack name");
    expect(fs.readdirSync(dir)).toEqual([]);
  },
);

test("on a terminal, each missing value is asked for; the answers are written", async () => {
  const dir = project("tty");
  const stdin = fakeTerminal();
  // Every answer at once, as a paste: lines that arrive before their question must not be lost.
  stdin.write(`acme-tty\n${TENANT_ID}\n  enterprise \nTTY_SVC\n`);
  const run = await runNewCustomer(["--cwd", dir, "--owner", OWNER_ID], { stdin });
  expect(run.stderr).not.toContain("unexpected error");
  expect(run.code).toBe(0);
  expect(run.stderr).toContain("Pulumi stack name for the customer (e.g. acme-prod) (--stack): ");
  expect(run.stderr).toContain("(--service-user): ");
  expect(readStackConfig(path.join(dir, "Pulumi.acme-tty.yaml"))).toEqual({
    "azuread:tenantId": TENANT_ID,
    "cmic-entra-oauth:deployment": "enterprise",
    "cmic-entra-oauth:serviceUser": "TTY_SVC",
    "cmic-entra-oauth:owners": JSON.stringify([OWNER_ID]),
  });
  // The header's command line holds the answers too: running it writes the same file.
  expect(fs.readFileSync(path.join(dir, "Pulumi.acme-tty.yaml"), "utf8")).toContain(
    `--stack acme-tty --tenant-id ${TENANT_ID} --deployment enterprise --service-user TTY_SVC --owner ${OWNER_ID}`,
  );
});

test("on a terminal closed before every answer (Ctrl-D), the values still missing are named", async () => {
  const dir = project("tty-eof");
  const stdin = fakeTerminal();
  stdin.end(`acme-eof\n`);
  const run = await runNewCustomer(["--cwd", dir, "--deployment", "enterprise"], { stdin });
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("missing required values: --tenant-id, --service-user.");
  expect(fs.readdirSync(dir)).toEqual([]);
});

test("as a child process: --help, a missing flag with a closed stdin, then a file written", async () => {
  const dir = project("child");
  const noCredential = { AZURE_CLIENT_ID: "", AZURE_CLIENT_SECRET: "" };
  const help = await runScript("newCustomer", ["--help"], { env: noCredential });
  expect(help.stderr).toBe("");
  expect(help.code).toBe(0);
  expect(help.stdout).toContain("Usage: npm run new-customer -- --stack NAME --tenant-id GUID");
  expect(help.stdout).toContain("--version");

  const missing = await runScript("newCustomer", ["--stack", "acme", "--cwd", dir], { env: noCredential });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("missing required values: --tenant-id, --deployment, --service-user.");

  const written = await runScript(
    "newCustomer",
    ["--stack", "acme", "--tenant-id", TENANT_ID, "--deployment", "enterprise", "--service-user", "SVC", "--cwd", dir],
    { env: noCredential },
  );
  expect(written.stderr).not.toContain("unexpected error");
  expect(written.code).toBe(0);
  expect(written.stdout).toContain(`Wrote ${path.join(dir, "Pulumi.acme.yaml")}`);
  expect(programSettings(path.join(dir, "Pulumi.acme.yaml"), "acme")).toMatchObject({ serviceUser: "SVC", tenantId: TENANT_ID });
}, 30_000);
