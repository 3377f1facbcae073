/**
 * What `npm run test:tenant` needs from its environment, checked all at once before any `pulumi`
 * command runs: the tenant and the deployer's credential (read by the azuread provider), the test
 * stack's settings, the Pulumi backend and passphrase, the Pulumi CLI on PATH and the compiled
 * verify and drift CLIs. One error lists every problem with what the value is for and where to
 * get it; nothing is created before the list is empty.
 *
 * Pure apart from looking at PATH and dist/ (no network, no child process). Light: the CLI loads it
 * for `--help`, which prints the same list.
 */
import fs from "node:fs";
import path from "node:path";
import { CmicError, EXIT_USAGE } from "../../contract/errors";
import { DEPLOYMENTS, isOneOf, type Deployment } from "../../contract/kinds";
import { isEmailUsername } from "../../contract/cmicUser";

/** One setting of the environment, as the help and the missing-settings error describe it. */
export interface EnvironmentSetting {
  /** The variable (or, for the two that are not variables, what is looked for). */
  name: string;
  required: "always" | "for a file/cloud-storage backend" | "with CMIC_TENANT_TEST_DEPLOYMENT=cloud" | "no";
  purpose: string;
  howToGet: string;
}

export const TENANT_ID = "ARM_TENANT_ID";
export const CLIENT_ID = "ARM_CLIENT_ID";
export const CLIENT_SECRET = "ARM_CLIENT_SECRET";
export const VERIFIED_DOMAIN = "CMIC_TENANT_TEST_DOMAIN";
export const SERVICE_USER = "CMIC_TENANT_TEST_SERVICE_USER";
export const DEPLOYMENT = "CMIC_TENANT_TEST_DEPLOYMENT";
export const CMIC_TENANT = "CMIC_TENANT_TEST_CMIC_TENANT";
export const BACKEND_URL = "PULUMI_BACKEND_URL";
export const PASSPHRASE = "PULUMI_CONFIG_PASSPHRASE";
export const PASSPHRASE_FILE = "PULUMI_CONFIG_PASSPHRASE_FILE";

/** The Pulumi CLI version from which `--expect-no-changes` with changes exits 7 (https://www.pulumi.com/docs/iac/cli/exit-codes/). */
export const MINIMUM_PULUMI_VERSION = "3.226.1";

/** Every setting, in the order the help lists them. */
export const ENVIRONMENT_SETTINGS: readonly EnvironmentSetting[] = [
  {
    name: TENANT_ID,
    required: "always",
    purpose: "the Entra tenant the test app is created in (the azuread provider reads it; also set as azuread:tenantId)",
    howToGet: "Entra admin center → Overview → Tenant ID, or `az account show --query tenantId -o tsv`",
  },
  {
    name: CLIENT_ID,
    required: "always",
    purpose:
      "the app registration the azuread provider signs in as; it needs the Graph application permissions " +
      "Application.ReadWrite.All, Policy.ReadWrite.ApplicationConfiguration, Policy.Read.All and Domain.Read.All (admin consent); " +
      "AuditLog.Read.All is optional (drift reads credential sign-in activity with it, in tenants with Entra ID P1/P2)",
    howToGet: "Entra admin center → App registrations → the deployer app → Application (client) ID",
  },
  {
    name: `${CLIENT_SECRET} | ARM_CLIENT_CERTIFICATE_PATH | ARM_USE_OIDC=true`,
    required: "always",
    purpose:
      "how that app signs in, as the azuread provider reads it: a client secret, a PFX certificate " +
      "(with ARM_CLIENT_CERTIFICATE_PASSWORD if it has one), or OpenID Connect with an ID token from " +
      "ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH or ARM_OIDC_REQUEST_URL + ARM_OIDC_REQUEST_TOKEN " +
      "(in GitHub Actions ACTIONS_ID_TOKEN_REQUEST_URL + ACTIONS_ID_TOKEN_REQUEST_TOKEN, with `permissions: id-token: write`)",
    howToGet:
      "the deployer app → Certificates & secrets: a client secret or certificate, or a federated credential for your CI " +
      "(workload identity federation, no secret)",
  },
  {
    name: VERIFIED_DOMAIN,
    required: "always",
    purpose: "a verified domain of the tenant: the test app's Application ID URI is api://<client-id>.<domain>",
    howToGet: "Entra admin center → Domain names (status Verified); the initial <name>.onmicrosoft.com domain will do",
  },
  {
    name: SERVICE_USER,
    required: "always",
    purpose: "the CMiC service username the test app's cmicuser claim carries (CMiC itself is never called)",
    howToGet: "the CMiC user created for the integration (phase 1), or any valid name such as CMICTEST",
  },
  {
    name: DEPLOYMENT,
    required: "no",
    purpose: `the CMiC deployment model of the test stack: ${DEPLOYMENTS.join(" or ")} (default enterprise)`,
    howToGet: "enterprise for CMiC on premises, cloud for CMiC Cloud",
  },
  {
    name: CMIC_TENANT,
    required: "with CMIC_TENANT_TEST_DEPLOYMENT=cloud",
    purpose:
      "the CMiC Cloud tenant (the claim becomes <tenant>||<service user>); not needed when the service user is an email-format username",
    howToGet: "your CMiC Cloud tenant name",
  },
  {
    name: BACKEND_URL,
    required: "always",
    purpose:
      "where the throwaway stack's state is kept (named explicitly, so the test never writes to a backend you happen to be logged in to)",
    howToGet:
      "file://<folder> for a local folder (e.g. file://$HOME/.pulumi-tenant-test), azblob://<container>, s3://<bucket>, " +
      "or https://api.pulumi.com with PULUMI_ACCESS_TOKEN",
  },
  {
    name: `${PASSPHRASE} | ${PASSPHRASE_FILE}`,
    required: "for a file/cloud-storage backend",
    purpose:
      "encrypts the test app's client secret in the state (the default secrets provider of a file or cloud-storage backend); " +
      "an empty passphrase is refused",
    howToGet: "any non-empty string you keep: cleaning up a stack left by --keep or a failed destroy needs it again",
  },
  {
    name: "pulumi (on PATH)",
    required: "always",
    purpose: `the Pulumi CLI the Automation API drives, v${MINIMUM_PULUMI_VERSION} or newer (exit code 7 for --expect-no-changes)`,
    howToGet: "https://www.pulumi.com/docs/install/ (CI: pulumi/actions with a pinned pulumi-version)",
  },
  {
    name: "dist/ (compiled CLIs)",
    required: "always",
    purpose: "the verify and drift steps run dist/scripts/verify/cli.js and dist/scripts/drift/cli.js, as `npm run verify` / `drift` do",
    howToGet: "`npm ci` (it builds) or `npm run build`",
  },
];

/** The settings read and checked: everything the test needs from its environment. */
export interface TenantTestEnvironment {
  tenantId: string;
  clientId: string;
  /** How the azuread provider signs in, for the header line. */
  signIn: "client secret" | "client certificate" | "OpenID Connect";
  verifiedDomain: string;
  serviceUser: string;
  deployment: Deployment;
  cmicTenant: string | null;
  backendUrl: string;
}

/** One thing missing or wrong, with the setting it belongs to. */
export interface EnvironmentProblem {
  setting: EnvironmentSetting;
  problem: string;
}

/** Nothing was started: settings are missing or invalid (exit 2, like a usage error). */
export class TenantTestEnvironmentError extends CmicError {
  constructor(readonly problems: readonly EnvironmentProblem[]) {
    const lines = problems.flatMap(({ setting, problem }) => [
      `  ${setting.name}: ${problem}`,
      `      what it is for: ${setting.purpose}`,
      `      where to get it: ${setting.howToGet}`,
    ]);
    super(
      "ERR_TENANT_TEST_ENV",
      `the tenant test cannot start; nothing was created. ${problems.length} setting(s) missing or invalid:\n${lines.join("\n")}`,
      {
        fix: 'set them in the environment (README, "Testing against a real tenant"), then run `npm run test:tenant` again.',
        exitCode: EXIT_USAGE,
      },
    );
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function settingNamed(name: string): EnvironmentSetting {
  const setting = ENVIRONMENT_SETTINGS.find((s) => s.name === name || s.name.startsWith(`${name} `));
  if (!setting) throw new Error(`no environment setting named ${name}`);
  return setting;
}

/** An empty variable counts as absent: shells and CI systems export unset values (a missing secret) as "". */
function value(env: NodeJS.ProcessEnv, name: string): string | null {
  const text = env[name]?.trim();
  return text ? text : null;
}

/** True for "true"/"1" as the provider's boolean environment variables accept them (Go's strconv.ParseBool, case-insensitively). */
function envTrue(env: NodeJS.ProcessEnv, name: string): boolean {
  return ["1", "t", "true"].includes((value(env, name) ?? "").toLowerCase());
}

/**
 * How the azuread provider will sign in, or null when the environment gives it no credential. The
 * variables are the ones hashicorp/terraform-provider-azuread (which @pulumi/azuread bridges) reads
 * in `internal/provider/provider.go`: ARM_CLIENT_SECRET, ARM_CLIENT_CERTIFICATE_PATH, ARM_USE_OIDC
 * with ARM_OIDC_TOKEN / ARM_OIDC_TOKEN_FILE_PATH / ARM_OIDC_REQUEST_URL+TOKEN, the last two falling
 * back to GitHub's ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN. The Azure CLI
 * login is deliberately not accepted: a test run must not depend on whoever is signed in on the machine.
 */
export function providerSignIn(env: NodeJS.ProcessEnv): TenantTestEnvironment["signIn"] | null {
  if (value(env, CLIENT_SECRET)) return "client secret";
  if (value(env, "ARM_CLIENT_CERTIFICATE_PATH")) return "client certificate";
  if (envTrue(env, "ARM_USE_OIDC")) {
    const requestUrl = value(env, "ARM_OIDC_REQUEST_URL") ?? value(env, "ACTIONS_ID_TOKEN_REQUEST_URL");
    const requestToken = value(env, "ARM_OIDC_REQUEST_TOKEN") ?? value(env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    if (value(env, "ARM_OIDC_TOKEN") || value(env, "ARM_OIDC_TOKEN_FILE_PATH") || (requestUrl && requestToken)) return "OpenID Connect";
  }
  return null;
}

/**
 * True when the backend keeps state in a file or cloud storage (a "DIY" backend), whose default
 * secrets provider is the passphrase; Pulumi Cloud (http/https URLs) encrypts with its own service.
 * https://www.pulumi.com/docs/iac/concepts/state-and-backends/ ,
 * https://www.pulumi.com/docs/iac/concepts/secrets/#configuring-secrets-encryption
 */
export function isDiyBackend(backendUrl: string): boolean {
  return !/^https?:\/\//i.test(backendUrl);
}

/** Where `name` is found as an executable on PATH, or null. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  const extensions = process.platform === "win32" ? (env.PATHEXT ?? ".EXE;.CMD;.BAT").split(";") : [""];
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    for (const extension of extensions) {
      const candidate = path.join(dir, `${name}${extension}`);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // Not here; keep looking.
      }
    }
  }
  return null;
}

/** The compiled CLIs the verify and drift steps start. */
export function compiledCliPath(projectRoot: string, name: "verify" | "drift"): string {
  return path.join(projectRoot, "dist", "scripts", name, "cli.js");
}

/**
 * Read and check everything at once; throws {@link TenantTestEnvironmentError} listing every problem.
 * `projectRoot` locates dist/; PATH comes from `env`.
 */
export function readTenantTestEnvironment(env: NodeJS.ProcessEnv, projectRoot: string): TenantTestEnvironment {
  const problems: EnvironmentProblem[] = [];
  const report = (name: string, problem: string) => problems.push({ setting: settingNamed(name), problem });

  const guid = (name: string): string => {
    const text = value(env, name);
    if (text === null) report(name, "not set");
    else if (!GUID.test(text)) report(name, `'${text}' is not a GUID`);
    return text ?? "";
  };
  const tenantId = guid(TENANT_ID);
  const clientId = guid(CLIENT_ID);

  const signIn = providerSignIn(env);
  if (signIn === null) {
    report(
      CLIENT_SECRET,
      envTrue(env, "ARM_USE_OIDC")
        ? "ARM_USE_OIDC is true but no ID token is available (ARM_OIDC_TOKEN, ARM_OIDC_TOKEN_FILE_PATH or an OIDC request URL and token)"
        : "no credential for the azuread provider is set",
    );
  }

  const verifiedDomain = value(env, VERIFIED_DOMAIN);
  if (verifiedDomain === null) report(VERIFIED_DOMAIN, "not set");
  else if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/i.test(verifiedDomain)) {
    report(VERIFIED_DOMAIN, `'${verifiedDomain}' is not a domain name (write it without a scheme or path, e.g. contoso.com)`);
  }

  const serviceUser = value(env, SERVICE_USER);
  if (serviceUser === null) report(SERVICE_USER, "not set");

  const deploymentText = value(env, DEPLOYMENT) ?? "enterprise";
  if (!isOneOf(DEPLOYMENTS, deploymentText)) report(DEPLOYMENT, `'${deploymentText}' is not one of ${DEPLOYMENTS.join(", ")}`);
  const deployment: Deployment = isOneOf(DEPLOYMENTS, deploymentText) ? deploymentText : "enterprise";
  const cmicTenant = value(env, CMIC_TENANT);
  if (deployment === "cloud" && cmicTenant === null && serviceUser !== null && !isEmailUsername(serviceUser)) {
    report(CMIC_TENANT, "not set, and the service user is not an email-format username");
  }

  const backendUrl = value(env, BACKEND_URL);
  if (backendUrl === null) report(BACKEND_URL, "not set");
  // Only a file or cloud-storage backend needs the passphrase; Pulumi Cloud encrypts with its own
  // service. Without a backend yet, say so too: it is needed with the usual (file://) choice.
  if ((backendUrl === null || isDiyBackend(backendUrl)) && value(env, PASSPHRASE) === null && value(env, PASSPHRASE_FILE) === null) {
    report(PASSPHRASE, env[PASSPHRASE] === undefined ? "not set" : "empty");
  }

  if (findOnPath("pulumi", env) === null) report("pulumi (on PATH)", "no `pulumi` executable on PATH");
  const missingCli = (["verify", "drift"] as const)
    .map((name) => compiledCliPath(projectRoot, name))
    .filter((file) => !fs.existsSync(file));
  if (missingCli.length > 0) {
    report("dist/ (compiled CLIs)", `missing ${missingCli.map((file) => path.relative(projectRoot, file)).join(", ")}`);
  }

  if (problems.length > 0) throw new TenantTestEnvironmentError(problems);
  return {
    tenantId,
    clientId,
    signIn: signIn ?? "client secret",
    verifiedDomain: verifiedDomain ?? "",
    serviceUser: serviceUser ?? "",
    deployment,
    cmicTenant,
    backendUrl: backendUrl ?? "",
  };
}

/**
 * Values the command must never print, known from the environment before anything runs: the
 * provider's credentials, the passphrase, the Pulumi Cloud token, and the credentials verify and
 * drift could be given.
 */
export const SECRET_VARIABLES = [
  CLIENT_SECRET,
  "ARM_CLIENT_CERTIFICATE_PASSWORD",
  "ARM_OIDC_TOKEN",
  "ARM_OIDC_REQUEST_TOKEN",
  "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
  PASSPHRASE,
  "PULUMI_ACCESS_TOKEN",
  "AZURE_CLIENT_SECRET",
  "CMIC_CLIENT_SECRET",
] as const;

/** A URL as it may be printed: a `user:password@` part is masked (a postgres:// backend can carry one). */
export function printableBackend(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, "$1***@");
}
