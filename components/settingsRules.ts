/**
 * The rule of each stack setting: one function per setting that checks the value, records what is
 * wrong in the problem list and returns the value with its default applied. Pure: no Pulumi, no
 * network; the clock comes in (certificate expiry). `checkSettingFields` runs them in the order the
 * problems are reported.
 */
import { readFileSync } from "node:fs";
import { CertificateError, readCertificate, type CertificateInfo } from "./certificate";
import { isEmailUsername } from "../contract/cmicUser";
import { CLOUD_HOSTS } from "../contract/entraEndpoints";
import { isRestrictedClaimName } from "./claimsMapping";
import {
  ACCESS_TOKEN_VERSIONS,
  AZURE_CLOUDS,
  CLAIM_SOURCES,
  CONFIG_NAMESPACE,
  CONNECTOR_PROFILES,
  CREDENTIAL_KINDS,
  DEFAULT_ACCESS_TOKEN_VERSION,
  DEFAULT_AZURE_CLOUD,
  DEFAULT_CONNECTOR_PROFILE,
  DEFAULT_CLAIM_NAME,
  DEPLOYMENTS,
  OPTIONAL_CLAIMS,
  isOneOf,
  type AccessTokenVersion,
  type OptionalClaim,
  type AzureCloud,
  type ClaimSource,
  type CredentialKind,
  type Deployment,
} from "../contract/kinds";
import { setCommand, type ProblemList } from "./settingsProblems";
import type { IntegrationSettings, SettingFields, ValidationContext } from "./settings";

export const DEFAULT_SECRET_LIFETIME_DAYS = 180;
/** Entra's portal offers at most 24 months; longer-lived secrets are a finding in most audits. */
export const MAX_SECRET_LIFETIME_DAYS = 730;
/** Days the connector's secret keeps working after its successor is issued, unless set (docs/rotation-design.md). */
export const DEFAULT_HANDOVER_DAYS = 30;
export const DEFAULT_IDENTIFIER_URI_FORMAT = "api://{clientId}.{domain}";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;
const CLAIM_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/** Characters nobody can see or that reorder text: controls, format characters (zero-width, bidi), line separators. */
export const INVISIBLE_CHARACTERS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
/**
 * The documented set of CMiC usernames: CMiC users are database users, whose names are ASCII
 * identifiers (letters, digits and _ $ #; CMiC also issues names with . and -), or, on CMiC Cloud,
 * the email-format username. Anything else (a look-alike letter, a fullwidth ｜, a quote) cannot
 * match a CMiC user and would deploy a claim CMiC rejects with "user not found".
 */
const CMIC_USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.$#-]{0,127}$/;
/** CMiC Cloud tenant codes: short ASCII identifiers. */
const CMIC_TENANT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** An ASCII email-format username (RFC 5321 lengths: 64 local, 254 total). */
const ASCII_EMAIL =
  /^(?=.{3,254}$)[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const NIL_GUID = "00000000-0000-0000-0000-000000000000";
/** The placeholders identifierUriFormat may use; any other `{…}` is a typo that would reach Entra verbatim. */
const URI_PLACEHOLDERS = ["{clientId}", "{domain}"];
const CHARACTER_NAMES: Record<number, string> = {
  0x00a0: "no-break space",
  0x0085: "next line",
  0x200b: "zero-width space",
  0x200c: "zero-width non-joiner",
  0x200d: "zero-width joiner",
  0x202e: "right-to-left override",
  0xfeff: "byte order mark",
  0xff5c: "fullwidth vertical line",
};
const CERTIFICATE_FIX = `pulumi config set ${CONFIG_NAMESPACE}:certificate < connector-cert.pem`;

export function isGuid(value: string): boolean {
  return GUID.test(value);
}

/** Every rule in reporting order. Returns null only when `deployment` is missing or unknown (then a problem says so). */
export function checkSettingFields(input: IntegrationSettings, context: ValidationContext, problems: ProblemList): SettingFields | null {
  const deployment = oneOf(problems, "deployment", input.deployment, DEPLOYMENTS, null);
  const claimSource = oneOf(problems, "claimSource", input.claimSource, CLAIM_SOURCES, "token") ?? "token";
  const credential = oneOf(problems, "credential", input.credential, CREDENTIAL_KINDS, "secret") ?? "secret";
  const serviceUser = checkServiceUser(problems, input.serviceUser ?? null, claimSource);
  const cmicTenant = checkCmicTenant(problems, input.cmicTenant ?? null, { deployment, claimSource, serviceUser });
  const verifiedDomain = checkVerifiedDomain(problems, input.verifiedDomain ?? null);
  const identifierUriFormat = checkIdentifierUriFormat(problems, input.identifierUriFormat ?? DEFAULT_IDENTIFIER_URI_FORMAT, claimSource);
  const claimName = checkClaimName(problems, input.claimName ?? DEFAULT_CLAIM_NAME);
  const certificate = checkCertificate(problems, input.certificate, credential, context.now);
  const secretLifetimeDays = checkSecretLifetimeDays(problems, input.secretLifetimeDays ?? DEFAULT_SECRET_LIFETIME_DAYS);
  const handoverDays = checkHandoverDays(problems, input.handoverDays, secretLifetimeDays);
  const displayName = checkDisplayName(problems, input.displayName ?? `CMiC integration (${context.stack})`);
  const owners = checkOwners(problems, input.owners ?? []);
  const tenantId = checkTenantId(problems, input.tenantId ?? null);
  const accessTokenVersion = checkAccessTokenVersion(problems, input.accessTokenVersion);
  const connectorProfile =
    oneOf(problems, "connectorProfile", input.connectorProfile, CONNECTOR_PROFILES, DEFAULT_CONNECTOR_PROFILE) ?? DEFAULT_CONNECTOR_PROFILE;
  const azureCloud = checkAzureCloud(problems, input.azureCloud, input.providerEnvironment ?? null);
  const optionalClaims = checkOptionalClaims(problems, input.optionalClaims ?? []);
  if (deployment === null) return null;
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
    handoverDays,
    displayName,
    owners,
    protect: input.protect ?? true,
    postDeployCheck: input.postDeployCheck ?? true,
    postDeployCertificateFile: checkPostDeployCertificateFile(
      problems,
      input.postDeployCertificateFile ?? null,
      input.postDeployCheck ?? true,
    ),
    tenantId,
    accessTokenVersion,
    connectorProfile,
    azureCloud,
    optionalClaims,
  };
}

/** 1 or 2 (Entra's `requestedAccessTokenVersion`; null means 1 there, so the setting is explicit). */
function checkAccessTokenVersion(problems: ProblemList, value: number | undefined): AccessTokenVersion {
  if (value === undefined) return DEFAULT_ACCESS_TOKEN_VERSION;
  if ((ACCESS_TOKEN_VERSIONS as readonly number[]).includes(value)) return value as AccessTokenVersion;
  problems.add(
    "accessTokenVersion",
    `is ${value}, which is not 1 or 2 (2: v2 tokens, as the Arcoro guide registers; 1: v1 tokens, as CMiC's own guide registers)`,
    setCommand("accessTokenVersion", "2"),
  );
  return DEFAULT_ACCESS_TOKEN_VERSION;
}

/**
 * The cloud, and that the azuread provider signs in to the same one (its `environment`): the
 * outputs name that cloud's hosts, so a mismatch would hand CMiC and the connector values of
 * another cloud, all refused. CLOUD_HOSTS lists each cloud's provider environments.
 */
function checkAzureCloud(problems: ProblemList, value: AzureCloud | undefined, providerEnvironment: string | null): AzureCloud {
  const cloud = oneOf(problems, "azureCloud", value, AZURE_CLOUDS, DEFAULT_AZURE_CLOUD) ?? DEFAULT_AZURE_CLOUD;
  if (value !== undefined && !(AZURE_CLOUDS as readonly string[]).includes(value)) return cloud;
  const environment = providerEnvironment?.trim().toLowerCase() ?? null;
  const providerCloud =
    environment === null
      ? null
      : (AZURE_CLOUDS.find((candidate) => CLOUD_HOSTS[candidate].providerEnvironments.includes(environment)) ?? null);
  const envSet = `pulumi config set azuread:environment ${CLOUD_HOSTS[cloud].providerEnvironments[0]}`;
  if (environment === "usgovernmentl5" || environment === "dod") {
    problems.add(
      "azureCloud",
      `cannot follow the azuread provider's environment '${providerEnvironment}' (US Government DoD, L5): its Graph host (dod-graph.microsoft.us) is not supported yet`,
      "deploy DoD tenants by hand for now, or set azuread:environment usgovernment for a GCC High (L4) tenant",
    );
  } else if (environment !== null && providerCloud === null) {
    problems.add(
      "azureCloud",
      `cannot be matched with the azuread provider's environment '${providerEnvironment}' (azuread:environment or ARM_ENVIRONMENT), which is none of ${AZURE_CLOUDS.map((c) => CLOUD_HOSTS[c].providerEnvironments.join("/")).join(", ")}`,
      envSet,
    );
  } else if (providerCloud !== null && providerCloud !== cloud) {
    problems.add(
      "azureCloud",
      `is '${cloud}', but the azuread provider signs in to the ${providerCloud} cloud (environment '${providerEnvironment}'): the outputs would name ${cloud} hosts (${CLOUD_HOSTS[cloud].authorityHost}) that CMiC and the connector would find wrong`,
      `${setCommand("azureCloud", providerCloud)} (the tenant's cloud), or ${envSet}`,
    );
  } else if (providerCloud === null && cloud !== "public") {
    problems.add(
      "azureCloud",
      `is '${cloud}', but the azuread provider would sign in to the public cloud (neither azuread:environment nor ARM_ENVIRONMENT is set)`,
      envSet,
    );
  }
  return cloud;
}

/** One of `allowed`; `fallback` when unset (null fallback: the setting is required). */
function oneOf<T extends string>(
  problems: ProblemList,
  key: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T | null,
): T | null {
  if (value === undefined) {
    if (fallback === null) problems.add(key, `is required (one of ${allowed.join(", ")})`, setCommand(key, allowed[0]));
    return fallback;
  }
  if ((allowed as readonly string[]).includes(value)) return value as T;
  problems.add(key, `is '${value}', which is not one of ${allowed.join(", ")}`, setCommand(key, allowed[0]));
  return fallback;
}

/** `U+200B (zero-width space)`, or `'а' (U+0430)` for a visible character. */
function describeCharacter(character: string): string {
  const codePoint = character.codePointAt(0) ?? 0;
  const hex = `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
  const name = CHARACTER_NAMES[codePoint];
  if (name) return `${hex} (${name})`;
  return INVISIBLE_CHARACTERS.test(character) ? hex : `'${character}' (${hex})`;
}

/** The first character of `value` outside `allowed` (a one-character class). */
function firstCharacterOutside(value: string, allowed: RegExp): string | undefined {
  return [...value].find((character) => !allowed.test(character));
}

/** A CMiC name (user or tenant) as CMiC will compare it: trimmed, no pipe, no control characters, the documented characters and length. */
function checkName(problems: ProblemList, key: string, value: string, what: string): void {
  if (value.trim() === "") {
    problems.add(key, `is empty or only whitespace`, `${setCommand(key, `'<${what}>'`)}`);
  } else if (value !== value.trim()) {
    problems.add(
      key,
      `has leading or trailing spaces ('${value}'); CMiC would not find that ${what}`,
      setCommand(key, `'${value.trim()}'`),
    );
  } else if (value.includes("|")) {
    problems.add(
      key,
      `contains '|' ('${value}'); the pipe separates tenant and username in the Cloud claim (tenant||username)`,
      `set the ${what} alone: ${setCommand(key, "'<value without |>'")}`,
    );
  } else if (CONTROL_CHARACTERS.test(value)) {
    problems.add(key, "contains control characters", setCommand(key, `'<${what}>'`));
  } else {
    checkNameCharacters(problems, key, value, what);
  }
}

function checkNameCharacters(problems: ProblemList, key: string, value: string, what: string): void {
  const isUser = key === "serviceUser";
  const pattern = isUser ? CMIC_USERNAME : CMIC_TENANT;
  if (pattern.test(value) || (isUser && ASCII_EMAIL.test(value))) return;
  const allowed = isUser ? /[A-Za-z0-9_.$#@%+-]/ : /[A-Za-z0-9_.-]/;
  const documented = isUser
    ? "ASCII letters, digits and _ . - $ #, starting with a letter or digit, at most 128 characters, or the email-format username"
    : "ASCII letters, digits and _ . -, starting with a letter or digit, at most 64 characters";
  const invisible = [...value].find((character) => INVISIBLE_CHARACTERS.test(character));
  const outside = invisible ?? firstCharacterOutside(value, allowed);
  const found = outside
    ? `contains ${describeCharacter(outside)}, which no CMiC ${what} has`
    : value.length > (isUser ? 128 : 64)
      ? `is ${value.length} characters long`
      : `is '${value}', which is not a CMiC ${what}`;
  problems.add(
    key,
    `${found} (a CMiC ${what} is ${documented})`,
    `${setCommand(key, `'<${what} exactly as CMiC shows it>'`)}; retype it rather than pasting it`,
  );
}

function checkServiceUser(problems: ProblemList, serviceUser: string | null, claimSource: ClaimSource): string | null {
  if (serviceUser !== null) {
    checkName(problems, "serviceUser", serviceUser, "CMiC username");
  } else if (claimSource === "token") {
    problems.add(
      "serviceUser",
      "is required: it is the CMiC service user the cmicuser claim names",
      `${setCommand("serviceUser", "'<CMiC username>'")} (or set claimSource to 'registration' on CMiC after Patch 22)`,
    );
  }
  return serviceUser;
}

function checkCmicTenant(
  problems: ProblemList,
  cmicTenant: string | null,
  others: { deployment: Deployment | null; claimSource: ClaimSource; serviceUser: string | null },
): string | null {
  const { deployment, claimSource, serviceUser } = others;
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
  return cmicTenant;
}

function checkVerifiedDomain(problems: ProblemList, verifiedDomain: string | null): string | null {
  if (verifiedDomain !== null && !HOSTNAME.test(verifiedDomain)) {
    problems.add(
      "verifiedDomain",
      `is '${verifiedDomain}', which is not a domain name (expected e.g. contoso.com, no scheme, path or port)`,
      `${setCommand("verifiedDomain", "<a verified domain of the tenant>")}, or remove it to use the tenant's initial *.onmicrosoft.com domain`,
    );
  }
  return verifiedDomain;
}

/** The host part of an identifier URI form (placeholders kept), or null when it has none. */
function identifierUriHost(format: string): string | null {
  return /^[a-z]+:\/\/([^/?#]*)/.exec(format)?.[1] ?? null;
}

/** The host is the verified domain itself or a name under it: `{domain}` or `<labels>.{domain}`. */
function hostIsOnDomain(host: string): boolean {
  if (host === "{domain}") return true;
  if (!host.endsWith(".{domain}")) return false;
  const labels = host.slice(0, -".{domain}".length).replace(/\{clientId\}/g, "00000000-0000-0000-0000-000000000000");
  return /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i.test(labels);
}

/** The identifier URI form puts the URI on the verified domain (its host is `{domain}` or under it). */
export function identifierUriOnDomain(format: string): boolean {
  const host = identifierUriHost(format);
  return host !== null && hostIsOnDomain(host);
}

/** A URI form problem beyond the basic shape: unknown placeholders, user info, query, fragment. */
function uriFormProblem(format: string): string | null {
  const unknown = (format.match(/\{[^}]*\}?/g) ?? []).filter((placeholder) => !URI_PLACEHOLDERS.includes(placeholder));
  if (unknown.length > 0)
    return `uses ${unknown.map((p) => `'${p}'`).join(", ")}; the only placeholders are ${URI_PLACEHOLDERS.join(" and ")} (case matters)`;
  if ((identifierUriHost(format) ?? "").includes("@"))
    return "has user information ('@') before its host, which would put the URI on another host than it appears to";
  if (format.includes("?") || format.includes("#"))
    return "has a query or fragment ('?' or '#'), which an Application ID URI does not have";
  return null;
}

function checkIdentifierUriFormat(problems: ProblemList, format: string, claimSource: ClaimSource): string {
  const useDefault = setCommand("identifierUriFormat", `'${DEFAULT_IDENTIFIER_URI_FORMAT}'`);
  const formProblem = uriFormProblem(format);
  const host = identifierUriHost(format) ?? "";
  if (formProblem) {
    problems.add("identifierUriFormat", `is '${format}': it ${formProblem}`, useDefault);
  } else if (!/^(api|https):\/\/[^\s/]+(\/[^\s]*)?$/.test(format) || format.endsWith("/")) {
    problems.add(
      "identifierUriFormat",
      `is '${format}': an Application ID URI starts with api:// or https://, has no spaces and no trailing slash`,
      useDefault,
    );
  } else if (!format.includes("{domain}") && !format.includes("{clientId}")) {
    problems.add(
      "identifierUriFormat",
      `('${format}') names neither {domain} nor {clientId}; the URI must be unique in the tenant and, with mapped claims, on a verified domain (AADSTS501461)`,
      useDefault,
    );
  } else if ((claimSource === "token" || format.startsWith("https://")) && !hostIsOnDomain(host)) {
    // Mapped claims need an audience on a verified domain (AADSTS501461), and Graph refuses an
    // https identifier URI whose host is not on one (HostNameNotOnVerifiedDomain). "On" means the
    // host IS the domain or ends with ".<domain>": https://{domain}.evil.example merely contains it.
    problems.add(
      "identifierUriFormat",
      `is '${format}', whose host is not on the verified domain: Entra issues mapped claims (cmicuser) only for an audience on a verified domain of the tenant (AADSTS501461; CMiC's guide: not api://<guid> alone)`,
      `${useDefault} (keep {domain} in the host)`,
    );
  }
  return format;
}

function checkClaimName(problems: ProblemList, claimName: string): string {
  if (!CLAIM_NAME.test(claimName)) {
    problems.add(
      "claimName",
      `is '${claimName}', which is not a valid JWT claim name (letters, digits, _ . -; starting with a letter)`,
      setCommand("claimName", DEFAULT_CLAIM_NAME),
    );
  } else if (isRestrictedClaimName(claimName)) {
    problems.add(
      "claimName",
      `is '${claimName}', a claim Entra reserves and will not let a policy set`,
      setCommand("claimName", DEFAULT_CLAIM_NAME),
    );
  }
  return claimName;
}

/** The certificate is read (and its expiry judged against `now`) only when one is given. */
function checkCertificate(problems: ProblemList, pem: string | undefined, credential: CredentialKind, now: Date): CertificateInfo | null {
  const wantsCertificate = credential === "certificate" || credential === "both";
  if (pem === undefined || pem.trim() === "") {
    if (wantsCertificate) {
      problems.add(
        "certificate",
        `is required when credential is '${credential}' (the connector's PEM public certificate)`,
        CERTIFICATE_FIX,
      );
    }
    return null;
  }
  if (!wantsCertificate) {
    problems.add(
      "certificate",
      `is set but credential is '${credential}'`,
      `${setCommand("credential", "both")} (or remove the certificate)`,
    );
  }
  try {
    return readCertificate(pem, now);
  } catch (error) {
    if (!(error instanceof CertificateError)) throw error;
    problems.add("certificate", error.message.replace(/\.$/, ""), CERTIFICATE_FIX);
    return null;
  }
}

function checkSecretLifetimeDays(problems: ProblemList, days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_SECRET_LIFETIME_DAYS) {
    problems.add(
      "secretLifetimeDays",
      `is ${days}; it must be a whole number of days from 1 to ${MAX_SECRET_LIFETIME_DAYS}`,
      setCommand("secretLifetimeDays", String(DEFAULT_SECRET_LIFETIME_DAYS)),
    );
  }
  return days;
}

/**
 * The handover window must be shorter than the rotation period: otherwise a secret would still be in
 * its window when the next one is issued, more than two secrets would be valid at once and "the
 * previous secret" would not name one. Unset, the default is capped below the lifetime so that a
 * stack with a short lifetime (secretLifetimeDays=1 in the tenant test) stays valid.
 */
function checkHandoverDays(problems: ProblemList, days: number | undefined, secretLifetimeDays: number): number {
  const lifetimeIsValid = Number.isInteger(secretLifetimeDays) && secretLifetimeDays >= 1;
  if (days === undefined) return lifetimeIsValid ? Math.min(DEFAULT_HANDOVER_DAYS, secretLifetimeDays - 1) : DEFAULT_HANDOVER_DAYS;
  if (!Number.isInteger(days) || days < 0) {
    problems.add(
      "handoverDays",
      `is ${days}; it must be a whole number of days, 0 or more`,
      setCommand("handoverDays", String(DEFAULT_HANDOVER_DAYS)),
    );
  } else if (lifetimeIsValid && days >= secretLifetimeDays) {
    problems.add(
      "handoverDays",
      `is ${days}, not shorter than secretLifetimeDays (${secretLifetimeDays}); a secret would still be in its handover window when the next one is issued`,
      `${setCommand("handoverDays", String(Math.max(0, secretLifetimeDays - 1)))} (or raise secretLifetimeDays above ${days})`,
    );
  }
  return days;
}

function checkDisplayName(problems: ProblemList, displayName: string): string {
  const fix = setCommand("displayName", "'CMiC integration (acme)'");
  const invisible = [...displayName].find((character) => INVISIBLE_CHARACTERS.test(character));
  if (displayName.trim() === "" || displayName.length > 120) {
    problems.add("displayName", "must be 1 to 120 characters", fix);
  } else if (invisible) {
    problems.add(
      "displayName",
      `contains ${describeCharacter(invisible)}; a line break or an invisible character breaks the handoff sheet and hides in the portal`,
      fix,
    );
  } else if (displayName.includes("'")) {
    // preventDuplicateNames builds the Graph filter displayName eq '<name>' without escaping
    // (terraform-provider-azuread v3.8.0, internal/services/applications/applications.go), at
    // plan time too: an apostrophe fails every preview and update.
    problems.add(
      "displayName",
      `contains an apostrophe ('${displayName}'), which breaks the azuread provider's duplicate-name check at every preview`,
      `${fix} (use ’ or leave it out)`,
    );
  } else if (displayName.includes("`")) {
    problems.add("displayName", "contains a backtick, which breaks the Markdown of the handoff sheet", fix);
  }
  return displayName;
}

/** Names from OPTIONAL_CLAIMS, each once, in the order given (the app lists them so). */
function checkOptionalClaims(problems: ProblemList, claims: readonly string[]): OptionalClaim[] {
  const known = claims.filter((claim): claim is OptionalClaim => isOneOf(OPTIONAL_CLAIMS, claim));
  for (const claim of claims.filter((claim) => !isOneOf(OPTIONAL_CLAIMS, claim))) {
    problems.add(
      "optionalClaims",
      `has '${claim}', which is none of the access-token claims CMiC's guide asks for (${OPTIONAL_CLAIMS.join(", ")})`,
      setCommand("optionalClaims", "'[\"ipaddr\"]'"),
    );
  }
  if (new Set(known).size !== known.length) problems.add("optionalClaims", "lists the same claim twice", "remove the duplicate");
  return [...new Set(known)];
}

function checkOwners(problems: ProblemList, owners: string[]): string[] {
  for (const owner of owners) {
    if (!isGuid(owner)) {
      problems.add(
        "owners",
        `has '${owner}', which is not an object id (a GUID)`,
        `find it with \`az ad user show --id <upn> --query id\`, then ${setCommand("owners", "'[\"<guid>\"]'")}`,
      );
    }
  }
  if (new Set(owners.map((owner) => owner.toLowerCase())).size !== owners.length) {
    problems.add("owners", "lists the same object id twice", "remove the duplicate");
  }
  return owners;
}

/**
 * The PEM the post-deploy check signs its client assertion with: it must be readable and hold the
 * certificate and its unencrypted private key, or `pulumi up` would fail only after every resource
 * was written. The one rule that reads a file (a local path, no network).
 */
function checkPostDeployCertificateFile(problems: ProblemList, file: string | null, postDeployCheck: boolean): string | null {
  if (file === null || !postDeployCheck) return file;
  const fix = `${setCommand("postDeployCertificateFile", "<PEM with the connector's certificate and private key>")} (e.g. cat cert.pem key.pem > connector.pem), or pulumi config rm ${CONFIG_NAMESPACE}:postDeployCertificateFile`;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    problems.add(
      "postDeployCertificateFile",
      `is '${file}', which cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      fix,
    );
    return file;
  }
  if (!/-----BEGIN CERTIFICATE-----/.test(text)) {
    problems.add("postDeployCertificateFile", `('${file}') holds no certificate (-----BEGIN CERTIFICATE-----)`, fix);
  } else if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(text) || !/-----BEGIN (?:RSA |EC )?PRIVATE KEY-----/.test(text)) {
    problems.add(
      "postDeployCertificateFile",
      `('${file}') holds no unencrypted private key, which the check needs to sign its client assertion`,
      fix,
    );
  }
  return file;
}

function checkTenantId(problems: ProblemList, tenantId: string | null): string | null {
  if (tenantId !== null && HOSTNAME.test(tenantId)) {
    problems.add(
      "tenantId",
      `('azuread:tenantId') is '${tenantId}', a domain: the tenant id is the directory's GUID, which issuer URLs and CMiC's registration need`,
      `pulumi config set azuread:tenantId <GUID>; find it in Entra ID → Overview → Tenant ID, with \`az account show --query tenantId\`, or in the issuer of https://login.microsoftonline.com/${tenantId}/v2.0/.well-known/openid-configuration`,
    );
  } else if (tenantId !== null && tenantId === NIL_GUID) {
    problems.add(
      "tenantId",
      `('azuread:tenantId') is the nil GUID ${NIL_GUID}, which is no tenant`,
      "pulumi config set azuread:tenantId <Directory (tenant) ID from Entra ID → Overview>",
    );
  } else if (tenantId !== null && !isGuid(tenantId)) {
    problems.add(
      "tenantId",
      `('azuread:tenantId') is '${tenantId}', which is not a tenant id (a GUID)`,
      "pulumi config set azuread:tenantId <Directory (tenant) ID from Entra ID → Overview>",
    );
  }
  return tenantId;
}
