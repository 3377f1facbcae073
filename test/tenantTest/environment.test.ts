/**
 * What `npm run test:tenant` needs before it starts: every missing or invalid setting is reported
 * at once, with what it is for and where to get it, with exit 2 and before any `pulumi` command
 * runs; usage errors and the help follow the CLI kernel's conventions.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCaptured } from "../../scripts/shared/cli";
import { tenantTestCommand } from "../../scripts/tenantTest/cli";
import {
  ENVIRONMENT_SETTINGS,
  readTenantTestEnvironment,
  TenantTestEnvironmentError,
  type TenantTestEnvironment,
} from "../../scripts/tenantTest/environment";
import { STEPS } from "../../scripts/tenantTest/steps";
import { PROJECT_ROOT, STAND_IN_BIN, loggedCalls, runTenantTestCli, scratch } from "./harness";

const COMPLETE: NodeJS.ProcessEnv = {
  ARM_TENANT_ID: "3f2504e0-4f89-41d3-9a0c-0305e82c3301",
  ARM_CLIENT_ID: "9a7b3c1d-2e4f-4a5b-8c6d-7e8f9a0b1c2d",
  ARM_CLIENT_SECRET: "deployer-secret",
  CMIC_TENANT_TEST_DOMAIN: "contoso.com",
  CMIC_TENANT_TEST_SERVICE_USER: "CMICTEST",
  PULUMI_BACKEND_URL: "file:///tmp/state",
  PULUMI_CONFIG_PASSPHRASE: "passphrase",
  PATH: STAND_IN_BIN,
};

function read(overrides: NodeJS.ProcessEnv): TenantTestEnvironment {
  return readTenantTestEnvironment({ ...COMPLETE, ...overrides }, PROJECT_ROOT);
}

function problemsOf(overrides: NodeJS.ProcessEnv): string[] {
  try {
    read(overrides);
  } catch (error) {
    if (error instanceof TenantTestEnvironmentError) return error.problems.map((p) => `${p.setting.name}: ${p.problem}`);
    throw error;
  }
  return [];
}

it("with nothing set, exits 2 before any pulumi command, listing every missing setting with its purpose and where to get it", async () => {
  const run = scratch();
  const result = await runTenantTestCli([], { FAKE_PULUMI_STATE: run.state, FAKE_PULUMI_LOG: run.log });
  expect(result.code).toBe(2);
  expect(result.stdout).toBe("");
  expect(loggedCalls(run.log)).toEqual([]); // not even `pulumi version`
  expect(fs.existsSync(run.state)).toBe(false);
  expect(result.stderr).toContain("test:tenant: the tenant test cannot start; nothing was created. 7 setting(s) missing or invalid:");
  for (const name of [
    "ARM_TENANT_ID",
    "ARM_CLIENT_ID",
    "ARM_CLIENT_SECRET | ARM_CLIENT_CERTIFICATE_PATH | ARM_USE_OIDC=true",
    "CMIC_TENANT_TEST_DOMAIN",
    "CMIC_TENANT_TEST_SERVICE_USER",
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE | PULUMI_CONFIG_PASSPHRASE_FILE",
  ]) {
    const setting = ENVIRONMENT_SETTINGS.find((s) => s.name === name)!;
    expect(result.stderr).toContain(`  ${name}: `);
    expect(result.stderr).toContain(`what it is for: ${setting.purpose}`);
    expect(result.stderr).toContain(`where to get it: ${setting.howToGet}`);
  }
  expect(result.stderr).toContain('Fix: set them in the environment (README, "Testing against a real tenant")');
});

describe("reading the environment", () => {
  it("accepts a complete environment with a client secret", () => {
    expect(read({})).toEqual({
      tenantId: COMPLETE.ARM_TENANT_ID,
      clientId: COMPLETE.ARM_CLIENT_ID,
      signIn: "client secret",
      verifiedDomain: "contoso.com",
      serviceUser: "CMICTEST",
      deployment: "enterprise",
      cmicTenant: null,
      backendUrl: "file:///tmp/state",
    });
  });

  it("accepts OpenID Connect the way the azuread provider reads it (GitHub's request URL and token, or a token)", () => {
    const oidc = { ARM_CLIENT_SECRET: "", ARM_USE_OIDC: "true" };
    expect(
      read({ ...oidc, ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.actions.example/x", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" }).signIn,
    ).toBe("OpenID Connect");
    expect(read({ ...oidc, ARM_OIDC_TOKEN_FILE_PATH: "/var/run/token" }).signIn).toBe("OpenID Connect");
    expect(problemsOf(oidc)).toEqual([expect.stringContaining("ARM_USE_OIDC is true but no ID token is available")]);
    expect(read({ ARM_CLIENT_SECRET: "", ARM_CLIENT_CERTIFICATE_PATH: "/certs/deployer.pfx" }).signIn).toBe("client certificate");
  });

  it("needs the passphrase only for a file or cloud-storage backend, and refuses an empty one", () => {
    expect(read({ PULUMI_BACKEND_URL: "https://api.pulumi.com", PULUMI_CONFIG_PASSPHRASE: undefined }).backendUrl).toBe(
      "https://api.pulumi.com",
    );
    expect(problemsOf({ PULUMI_BACKEND_URL: "azblob://state", PULUMI_CONFIG_PASSPHRASE: "" })).toEqual([
      "PULUMI_CONFIG_PASSPHRASE | PULUMI_CONFIG_PASSPHRASE_FILE: empty",
    ]);
    expect(read({ PULUMI_CONFIG_PASSPHRASE: "", PULUMI_CONFIG_PASSPHRASE_FILE: "/secrets/passphrase" }).backendUrl).toBe(
      "file:///tmp/state",
    );
  });

  it("checks values, not only presence; an empty variable counts as missing", () => {
    expect(
      problemsOf({
        ARM_TENANT_ID: "contoso.onmicrosoft.com",
        ARM_CLIENT_ID: " ",
        CMIC_TENANT_TEST_DOMAIN: "https://contoso.com/",
        CMIC_TENANT_TEST_DEPLOYMENT: "saas",
      }),
    ).toEqual([
      "ARM_TENANT_ID: 'contoso.onmicrosoft.com' is not a GUID",
      "ARM_CLIENT_ID: not set",
      "CMIC_TENANT_TEST_DOMAIN: 'https://contoso.com/' is not a domain name (write it without a scheme or path, e.g. contoso.com)",
      "CMIC_TENANT_TEST_DEPLOYMENT: 'saas' is not one of enterprise, cloud",
    ]);
  });

  it("needs the CMiC Cloud tenant for cloud, unless the service user is an email-format username", () => {
    expect(problemsOf({ CMIC_TENANT_TEST_DEPLOYMENT: "cloud" })).toEqual([
      "CMIC_TENANT_TEST_CMIC_TENANT: not set, and the service user is not an email-format username",
    ]);
    expect(read({ CMIC_TENANT_TEST_DEPLOYMENT: "cloud", CMIC_TENANT_TEST_CMIC_TENANT: "ACME" })).toMatchObject({
      deployment: "cloud",
      cmicTenant: "ACME",
    });
    expect(read({ CMIC_TENANT_TEST_DEPLOYMENT: "cloud", CMIC_TENANT_TEST_SERVICE_USER: "svc@acme.com" }).cmicTenant).toBeNull();
  });

  it("needs the Pulumi CLI on PATH and the compiled verify and drift CLIs", () => {
    expect(problemsOf({ PATH: path.join(PROJECT_ROOT, "test") })).toEqual(["pulumi (on PATH): no `pulumi` executable on PATH"]);
    const emptyProject = fs.mkdtempSync(path.join(os.tmpdir(), "no-dist-"));
    try {
      readTenantTestEnvironment(COMPLETE, emptyProject);
      throw new Error("expected an error");
    } catch (error) {
      expect((error as TenantTestEnvironmentError).problems.map((p) => p.problem)).toEqual([
        `missing ${path.join("dist", "scripts", "verify", "cli.js")}, ${path.join("dist", "scripts", "drift", "cli.js")}`,
      ]);
      expect((error as TenantTestEnvironmentError).exitCode).toBe(2);
      expect((error as TenantTestEnvironmentError).code).toBe("ERR_TENANT_TEST_ENV");
    } finally {
      fs.rmSync(emptyProject, { recursive: true, force: true });
    }
  });
});

describe("usage", () => {
  it("--step-timeout has a stated range; a value outside it is a usage error (exit 2) before the environment is read", async () => {
    const run = await runCaptured(tenantTestCommand, ["--step-timeout", "1"], { env: {} });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "test:tenant: --step-timeout must be a number of seconds from 5 to 14400, got '1'.\nRun `npm run test:tenant -- --help` for the options.\n",
    );
  });

  it("an unknown option is a usage error", async () => {
    const run = await runCaptured(tenantTestCommand, ["--stack", "prod"], { env: {} });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("test:tenant: Unknown option '--stack'.");
  });

  it("--help lists the steps with their commands and every environment setting", async () => {
    const run = await runCaptured(tenantTestCommand, ["--help"], { env: {} });
    expect(run.code).toBe(0);
    for (const step of STEPS) expect(run.stdout).toContain(step.command("<stack>"));
    for (const setting of ENVIRONMENT_SETTINGS) expect(run.stdout).toContain(setting.name);
    expect(run.stdout).toContain("default 1800, 5–14400");
  });
});
