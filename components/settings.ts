/**
 * Stack settings: their schema, defaults and validation. Pure: no Pulumi, no network.
 *
 * Two entry points share one set of rules:
 *  - {@link settingsFromConfig} reads the raw strings of `pulumi config` (what index.ts has), and
 *  - {@link validateIntegrationSettings} checks typed settings (what another program passes the component).
 * Every problem names the setting, what is wrong, and the command that fixes it; all problems are
 * reported at once, before any resource is touched.
 */
import { CertificateError, readCertificate, type CertificateInfo } from "./certificate";
import { isEmailUsername } from "../contract/cmicUser";
import { isRestrictedClaimName } from "./claimsMapping";
import {
  CLAIM_SOURCES,
  CONFIG_NAMESPACE,
  CREDENTIAL_KINDS,
  DEFAULT_CLAIM_NAME,
  DEPLOYMENTS,
  type ClaimSource,
  type CredentialKind,
  type Deployment,
} from "../contract/kinds";

export { CONFIG_NAMESPACE, type ClaimSource, type CredentialKind };

export const DEFAULT_SECRET_LIFETIME_DAYS = 180;
/** Entra's portal offers at most 24 months; longer-lived secrets are a finding in most audits. */
export const MAX_SECRET_LIFETIME_DAYS = 730;
export const DEFAULT_IDENTIFIER_URI_FORMAT = "api://{clientId}.{domain}";

/** Settings of one CMiC integration, as the component takes them. */
export interface IntegrationSettings {
  /** `enterprise` (CMiC on premises) or `cloud` (CMiC Cloud); decides the `cmicuser` format. */
  deployment: Deployment;
  /** The CMiC service username (required unless `claimSource` is `registration`). */
  serviceUser?: string;
  /** CMiC Cloud tenant; required on Cloud unless `serviceUser` is an email-format username. */
  cmicTenant?: string;
  /** Domain of the Application ID URI; default: the tenant's initial `*.onmicrosoft.com` domain. */
  verifiedDomain?: string;
  /** Form of the Application ID URI; `{clientId}` and `{domain}` are filled in. Default `api://{clientId}.{domain}`. */
  identifierUriFormat?: string;
  /** `token` (default): a claims-mapping policy puts the claim in the token. `registration`: CMiC after Patch 22 takes the user from its registration. */
  claimSource?: ClaimSource;
  /** Name of the claim CMiC reads (`cmic.oauth2.user.claim.name`); default `cmicuser`. */
  claimName?: string;
  /** `secret` (default), `certificate` or `both`. */
  credential?: CredentialKind;
  /** PEM public certificate of the connector (required with `certificate` or `both`). */
  certificate?: string;
  /** Client secret lifetime in days: 1 to 730, default 180. The secret is replaced on the first `pulumi up` after it. */
  secretLifetimeDays?: number;
  /** Display name of the Entra application; default names the stack. */
  displayName?: string;
  /** Object ids of the application's and service principal's owners. */
  owners?: string[];
  /** Protect the application from `pulumi destroy` and replacement (default true). */
  protect?: boolean;
  /** Request a token and validate it as CMiC will at the end of `pulumi up` (default true). */
  postDeployCheck?: boolean;
  /** PEM file with certificate and private key for the post-deploy check when `credential` is `certificate`. */
  postDeployCertificateFile?: string;
  /** Entra tenant id; default: the tenant the azuread provider signs in to. */
  tenantId?: string;
}

/** Settings with every default applied and every value checked. */
export interface ValidatedSettings {
  deployment: Deployment;
  serviceUser: string | null;
  cmicTenant: string | null;
  verifiedDomain: string | null;
  identifierUriFormat: string;
  claimSource: ClaimSource;
  claimName: string;
  credential: CredentialKind;
  certificate: CertificateInfo | null;
  secretLifetimeDays: number;
  displayName: string;
  owners: string[];
  protect: boolean;
  postDeployCheck: boolean;
  postDeployCertificateFile: string | null;
  tenantId: string | null;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid ${CONFIG_NAMESPACE} settings (nothing was changed in Entra):\n` +
        problems.map((problem) => `  - ${problem}`).join("\n"),
    );
    this.name = "SettingsError";
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;
const CLAIM_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

function setCommand(key: string, example: string): string {
  return `pulumi config set ${CONFIG_NAMESPACE}:${key} ${example}`;
}

class Problems {
  readonly list: string[] = [];
  add(key: string, message: string, fix: string): void {
    this.list.push(`${CONFIG_NAMESPACE}:${key} ${message}. Fix: ${fix}`);
  }
}

function checkName(problems: Problems, key: string, value: string, what: string): void {
  if (value.trim() === "") {
    problems.add(key, `is empty or only whitespace`, `${setCommand(key, `'<${what}>'`)}`);
  } else if (value !== value.trim()) {
    problems.add(key, `has leading or trailing spaces ('${value}'); CMiC would not find that ${what}`, setCommand(key, `'${value.trim()}'`));
  } else if (value.includes("|")) {
    problems.add(
      key,
      `contains '|' ('${value}'); the pipe separates tenant and username in the Cloud claim (tenant||username)`,
      `set the ${what} alone: ${setCommand(key, "'<value without |>'")}`,
    );
  } else if (CONTROL_CHARACTERS.test(value)) {
    problems.add(key, "contains control characters", setCommand(key, `'<${what}>'`));
  }
}

function oneOf<T extends string>(problems: Problems, key: string, value: string | undefined, allowed: readonly T[], fallback: T | null): T | null {
  if (value === undefined) {
    if (fallback === null) problems.add(key, `is required (one of ${allowed.join(", ")})`, setCommand(key, allowed[0]));
    return fallback;
  }
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.add(key, `is '${value}', which is not one of ${allowed.join(", ")}`, setCommand(key, allowed[0]));
  return fallback;
}

/** Check typed settings and apply defaults. `stack` names the default display name; `now` decides certificate expiry. */
export function validateIntegrationSettings(input: IntegrationSettings, context: { stack: string; now: Date }): ValidatedSettings {
  const problems = new Problems();

  const deployment = oneOf(problems, "deployment", input.deployment, DEPLOYMENTS, null);
  const claimSource = oneOf(problems, "claimSource", input.claimSource, CLAIM_SOURCES, "token") ?? "token";
  const credential = oneOf(problems, "credential", input.credential, CREDENTIAL_KINDS, "secret") ?? "secret";

  const serviceUser = input.serviceUser ?? null;
  if (serviceUser === null) {
    if (claimSource === "token") {
      problems.add(
        "serviceUser",
        "is required: it is the CMiC service user the cmicuser claim names",
        `${setCommand("serviceUser", "'<CMiC username>'")} (or set claimSource to 'registration' on CMiC after Patch 22)`,
      );
    }
  } else {
    checkName(problems, "serviceUser", serviceUser, "CMiC username");
  }

  const cmicTenant = input.cmicTenant ?? null;
  if (cmicTenant !== null) {
    checkName(problems, "cmicTenant", cmicTenant, "CMiC tenant");
    if (deployment === "enterprise") {
      problems.add(
        "cmicTenant",
        "is set but deployment is 'enterprise'; only CMiC Cloud prefixes the tenant",
        `pulumi config rm ${CONFIG_NAMESPACE}:cmicTenant (or set deployment to 'cloud')`,
      );
    }
  } else if (deployment === "cloud" && claimSource === "token" && serviceUser !== null && !isEmailUsername(serviceUser.trim())) {
    problems.add(
      "cmicTenant",
      `is required on CMiC Cloud: the claim must be 'tenant||${serviceUser.trim()}' unless serviceUser is the email-format username`,
      `${setCommand("cmicTenant", "'<CMiC Cloud tenant>'")}, or set serviceUser to the user's email-format username`,
    );
  }

  const verifiedDomain = input.verifiedDomain ?? null;
  if (verifiedDomain !== null && !HOSTNAME.test(verifiedDomain)) {
    problems.add(
      "verifiedDomain",
      `is '${verifiedDomain}', which is not a domain name (expected e.g. contoso.com, no scheme, path or port)`,
      `${setCommand("verifiedDomain", "<a verified domain of the tenant>")}, or remove it to use the tenant's initial *.onmicrosoft.com domain`,
    );
  }

  const identifierUriFormat = input.identifierUriFormat ?? DEFAULT_IDENTIFIER_URI_FORMAT;
  if (!/^(api|https):\/\/[^\s/]+(\/[^\s]*)?$/.test(identifierUriFormat) || identifierUriFormat.endsWith("/")) {
    problems.add(
      "identifierUriFormat",
      `is '${identifierUriFormat}': an Application ID URI starts with api:// or https://, has no spaces and no trailing slash`,
      setCommand("identifierUriFormat", `'${DEFAULT_IDENTIFIER_URI_FORMAT}'`),
    );
  } else if (!identifierUriFormat.includes("{domain}") && !identifierUriFormat.includes("{clientId}")) {
    problems.add(
      "identifierUriFormat",
      `('${identifierUriFormat}') names neither {domain} nor {clientId}; the URI must be unique in the tenant and, with mapped claims, on a verified domain (AADSTS501461)`,
      setCommand("identifierUriFormat", `'${DEFAULT_IDENTIFIER_URI_FORMAT}'`),
    );
  } else if (claimSource === "token" && !(/^[a-z]+:\/\/([^/]*)/.exec(identifierUriFormat)?.[1] ?? "").includes("{domain}")) {
    problems.add(
      "identifierUriFormat",
      `is '${identifierUriFormat}', whose host is not on the verified domain: Entra issues mapped claims (cmicuser) only for an audience on a verified domain of the tenant (AADSTS501461; CMiC's guide: not api://<guid> alone)`,
      `${setCommand("identifierUriFormat", `'${DEFAULT_IDENTIFIER_URI_FORMAT}'`)} (keep {domain} in the host)`,
    );
  }

  const claimName = input.claimName ?? DEFAULT_CLAIM_NAME;
  if (!CLAIM_NAME.test(claimName)) {
    problems.add("claimName", `is '${claimName}', which is not a valid JWT claim name (letters, digits, _ . -; starting with a letter)`, setCommand("claimName", DEFAULT_CLAIM_NAME));
  } else if (isRestrictedClaimName(claimName)) {
    problems.add("claimName", `is '${claimName}', a claim Entra reserves and will not let a policy set`, setCommand("claimName", DEFAULT_CLAIM_NAME));
  }

  let certificate: CertificateInfo | null = null;
  const wantsCertificate = credential === "certificate" || credential === "both";
  if (input.certificate !== undefined && input.certificate.trim() !== "") {
    if (!wantsCertificate) {
      problems.add("certificate", `is set but credential is '${credential}'`, `${setCommand("credential", "both")} (or remove the certificate)`);
    }
    try {
      certificate = readCertificate(input.certificate, context.now);
    } catch (error) {
      if (!(error instanceof CertificateError)) throw error;
      problems.add("certificate", error.message.replace(/\.$/, ""), `pulumi config set ${CONFIG_NAMESPACE}:certificate < connector-cert.pem`);
    }
  } else if (wantsCertificate) {
    problems.add("certificate", `is required when credential is '${credential}' (the connector's PEM public certificate)`, `pulumi config set ${CONFIG_NAMESPACE}:certificate < connector-cert.pem`);
  }

  const secretLifetimeDays = input.secretLifetimeDays ?? DEFAULT_SECRET_LIFETIME_DAYS;
  if (!Number.isInteger(secretLifetimeDays) || secretLifetimeDays < 1 || secretLifetimeDays > MAX_SECRET_LIFETIME_DAYS) {
    problems.add(
      "secretLifetimeDays",
      `is ${secretLifetimeDays}; it must be a whole number of days from 1 to ${MAX_SECRET_LIFETIME_DAYS}`,
      setCommand("secretLifetimeDays", String(DEFAULT_SECRET_LIFETIME_DAYS)),
    );
  }

  const displayName = input.displayName ?? `CMiC integration (${context.stack})`;
  if (displayName.trim() === "" || displayName.length > 120) {
    problems.add("displayName", "must be 1 to 120 characters", setCommand("displayName", "'CMiC integration (acme)'"));
  }

  const owners = input.owners ?? [];
  for (const owner of owners) {
    if (!isGuid(owner)) {
      problems.add("owners", `has '${owner}', which is not an object id (a GUID)`, `find it with \`az ad user show --id <upn> --query id\`, then ${setCommand("owners", "'[\"<guid>\"]'")}`);
    }
  }
  if (new Set(owners.map((owner) => owner.toLowerCase())).size !== owners.length) {
    problems.add("owners", "lists the same object id twice", "remove the duplicate");
  }

  const tenantId = input.tenantId ?? null;
  if (tenantId !== null && !isGuid(tenantId)) {
    problems.add(
      "tenantId",
      `('azuread:tenantId') is '${tenantId}', which is not a tenant id (a GUID)`,
      "pulumi config set azuread:tenantId <Directory (tenant) ID from Entra ID → Overview>",
    );
  }

  const postDeployCheck = input.postDeployCheck ?? true;
  const postDeployCertificateFile = input.postDeployCertificateFile ?? null;

  if (problems.list.length > 0 || deployment === null) throw new SettingsError(problems.list);
  return {
    deployment,
    serviceUser,
    cmicTenant,
    verifiedDomain: verifiedDomain?.toLowerCase() ?? null,
    identifierUriFormat,
    claimSource,
    claimName,
    credential,
    certificate,
    secretLifetimeDays,
    displayName,
    owners,
    protect: input.protect ?? true,
    postDeployCheck,
    postDeployCertificateFile,
    tenantId,
  };
}

/** Reads one raw config value; `undefined` when unset. index.ts passes `new pulumi.Config(ns).get`. */
export type ConfigReader = (key: string) => string | undefined;

/**
 * Parse the raw strings of the stack config into typed settings and validate them, so that a bad
 * value fails the program before anything is declared. Type errors (a lifetime that is not a number,
 * a boolean that is not true/false, owners that are not a list) are reported together with the rule
 * violations. Returns the typed settings, ready for the component (which validates them again: it
 * never trusts its input, and the rules are cheap and pure).
 */
export function settingsFromConfig(
  read: ConfigReader,
  readTenantId: ConfigReader,
  context: { stack: string; now: Date },
): IntegrationSettings {
  const problems = new Problems();
  const text = (key: string): string | undefined => {
    const value = read(key);
    return value === undefined || value === "" ? undefined : value;
  };
  const integer = (key: string): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value.trim())) {
      problems.add(key, `is '${value}', which is not a whole number`, setCommand(key, String(DEFAULT_SECRET_LIFETIME_DAYS)));
      return undefined;
    }
    return Number(value);
  };
  const boolean = (key: string): boolean | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (value === "true" || value === "false") return value === "true";
    problems.add(key, `is '${value}', which is not true or false`, setCommand(key, "true"));
    return undefined;
  };
  const list = (key: string): string[] | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (value.trim().startsWith("[")) {
      try {
        const parsed: unknown = JSON.parse(value);
        if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) return parsed as string[];
      } catch {
        // reported below
      }
      problems.add(key, `is '${value}', which is not a list of strings`, setCommand(key, `'["<guid>"]'`));
      return undefined;
    }
    return value.split(",").map((item) => item.trim()).filter((item) => item !== "");
  };

  const typed: IntegrationSettings = {
    deployment: text("deployment") as Deployment,
    // Pulumi.yaml declares optional settings with an empty default: empty means "not set", while
    // whitespace-only is kept so that validation can name it.
    serviceUser: text("serviceUser"),
    cmicTenant: text("cmicTenant"),
    verifiedDomain: text("verifiedDomain"),
    identifierUriFormat: text("identifierUriFormat"),
    claimSource: text("claimSource") as ClaimSource | undefined,
    claimName: text("claimName"),
    credential: text("credential") as CredentialKind | undefined,
    certificate: text("certificate"),
    secretLifetimeDays: integer("secretLifetimeDays"),
    displayName: text("displayName"),
    owners: list("owners"),
    protect: boolean("protect"),
    postDeployCheck: boolean("postDeployCheck"),
    postDeployCertificateFile: text("postDeployCertificateFile"),
    tenantId: readTenantId("tenantId") || undefined,
  };
  try {
    validateIntegrationSettings(typed, context);
    if (problems.list.length > 0) throw new SettingsError(problems.list);
    return typed;
  } catch (error) {
    if (error instanceof SettingsError) throw new SettingsError([...problems.list, ...error.problems]);
    throw error;
  }
}
