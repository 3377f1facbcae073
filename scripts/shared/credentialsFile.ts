/**
 * The per-tenant credentials file (integrator set-up "b": one credential per customer tenant),
 * named by `CMIC_CREDENTIALS_FILE` so every tool that signs in to a stack's tenant (drift, rotate,
 * the fleet command) gets it without a flag of its own:
 *
 * ```json
 * { "tenants": {
 *     "<tenant guid>": { "clientId": "<guid>", "clientSecretEnv": "ACME_CLIENT_SECRET" },
 *     "<tenant guid>": { "clientId": "<guid>", "certificatePathEnv": "CONTOSO_CERT_PEM_PATH" },
 *     "<tenant guid>": { "clientId": "<guid>", "certificatePath": "/secure/contoso.pem",
 *                        "pfxPath": "/secure/contoso.pfx", "pfxPasswordEnv": "CONTOSO_PFX_PASSWORD" } } }
 * ```
 *
 * (or the same as YAML, for a name ending in .yaml / .yml). The file holds no secret: a secret is
 * only ever named by the environment variable that holds it, so the file can live in a repository
 * and a secret value pasted into it is refused (without ever printing it). A tenant the file does
 * not list keeps set-up "a" (the operator app in AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, or
 * DefaultAzureCredential), so the two set-ups mix in one fleet.
 *
 * Every error is a {@link CmicError} whose message names the file, the entry and the key (the
 * cause) and never a value, since a value may be the very secret that does not belong there.
 */
import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { CmicError } from "../../contract/errors";

/** The environment variable that names the credentials file. */
export const CREDENTIALS_FILE_ENV = "CMIC_CREDENTIALS_FILE";
/** The file itself is wrong (unreadable, not JSON / YAML, a rule below broken): found at load. */
export const ERR_CREDENTIALS_FILE = "ERR_CREDENTIALS_FILE";
/** A variable an entry names is unset or empty: found when that tenant's credential is built. */
export const ERR_CREDENTIALS_ENV = "ERR_CREDENTIALS_ENV";
/** An entry's certificate (PEM for @azure/identity, PKCS#12 for the azuread provider) cannot be used. */
export const ERR_CREDENTIALS_CERTIFICATE = "ERR_CREDENTIALS_CERTIFICATE";

/** Where an entry's value comes from: written in the file, or read from a named variable at use. */
export type FileValue = { from: "file"; value: string } | { from: "env"; variable: string };

export interface TenantCredentialEntry {
  /** Lower-cased: Entra tenant ids are GUIDs, compared case-insensitively. */
  tenantId: string;
  clientId: string;
  /**
   * A client secret (always through a variable), or a PEM holding the certificate and its private
   * key, which is what @azure/identity's ClientCertificateCredential reads.
   */
  credential: { kind: "secret"; secretEnv: string } | { kind: "certificate"; pemPath: FileValue };
  /**
   * The same certificate as a PKCS#12 bundle, for `pulumi up` only: the azuread provider reads
   * ARM_CLIENT_CERTIFICATE_PATH as PKCS#12, never PEM (see {@link deployEnvironment}).
   */
  pfx?: { path: FileValue; passwordEnv?: string };
  /** Where to reach Entra for this tenant (sovereign cloud, emulator); default AZURE_AUTHORITY_HOST. */
  authorityHost?: string;
}

export interface CredentialsFile {
  /** The file as named (absolute), for messages. */
  path: string;
  /** Keyed by lower-cased tenant id. */
  tenants: ReadonlyMap<string, TenantCredentialEntry>;
  /** Worth saying on stderr, never fatal (e.g. the file is writable by others). */
  warnings: string[];
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** POSIX shell variable names; the same rule Node's process.env needs nothing stricter than. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * The shape of a client secret Entra issues since 2021: three characters, a digit, `Q~`, then 31–34
 * more (the pattern GitHub secret scanning and Microsoft's credential scanner use for
 * "Azure Active Directory application secret").
 */
const ENTRA_SECRET = /[A-Za-z0-9_~.-]{3}\dQ~[A-Za-z0-9_~.-]{31,34}/;
const PEM = /-----BEGIN [A-Z0-9 ]+-----/;

/** Keys that would hold a secret value: refused with a fix that says to name a variable instead. */
const SECRET_KEYS: Record<string, string> = {
  clientSecret: "clientSecretEnv",
  secret: "clientSecretEnv",
  password: "pfxPasswordEnv",
  pfxPassword: "pfxPasswordEnv",
  certificatePassword: "pfxPasswordEnv",
  certificate: "certificatePath or certificatePathEnv",
  certificatePem: "certificatePath or certificatePathEnv",
  privateKey: "certificatePath or certificatePathEnv",
  pfx: "pfxPath or pfxPathEnv",
};
const ENTRY_KEYS = new Set([
  "clientId",
  "clientSecretEnv",
  "certificatePath",
  "certificatePathEnv",
  "pfxPath",
  "pfxPathEnv",
  "pfxPasswordEnv",
  "authorityHost",
]);

const FORMAT_FIX = `write { "tenants": { "<tenant guid>": { "clientId": "<guid>", "clientSecretEnv": "NAME" } } } (JSON, or YAML for .yaml / .yml); see scripts/shared/credentialsFile.ts`;

/** A secret's shape, whichever key it sits under. */
export function looksLikeSecret(value: string): boolean {
  return ENTRA_SECRET.test(value) || PEM.test(value);
}

function fileError(file: string, what: string, fix: string, cause?: unknown): CmicError {
  return new CmicError(ERR_CREDENTIALS_FILE, `credentials file ${file} (${CREDENTIALS_FILE_ENV}): ${what}`, { fix, cause });
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Where a parse failed, without the parser's own message: Node 22's JSON.parse quotes the text
 * around the error, and js-yaml prints a snippet, either of which may be a pasted secret.
 */
function parseFailure(file: string, text: string, error: unknown, format: "JSON" | "YAML"): CmicError {
  let where = "";
  if (error instanceof yaml.YAMLException) {
    where = error.mark ? ` at line ${error.mark.line + 1}, column ${error.mark.column + 1} (${error.reason})` : ` (${error.reason})`;
  } else if (error instanceof SyntaxError) {
    const position = /position (\d+)/.exec(error.message);
    if (position) {
      const before = text.slice(0, Number(position[1])).split("\n");
      where = ` at line ${before.length}, column ${before[before.length - 1].length + 1}`;
    }
  }
  return fileError(file, `is not valid ${format}${where}`, `fix the syntax there; ${FORMAT_FIX}`);
}

/**
 * Parse and check the file's text (no I/O: `file` is only for messages and for resolving relative
 * certificate paths against the file's folder). Throws ERR_CREDENTIALS_FILE naming the entry and key.
 */
export function parseCredentialsFile(text: string, file: string): CredentialsFile {
  const format = /\.ya?ml$/i.test(file) ? "YAML" : "JSON";
  let document: unknown;
  try {
    // CORE_SCHEMA: plain YAML scalars only (no dates or custom tags), as JSON would read them.
    document = format === "YAML" ? yaml.load(text, { schema: yaml.CORE_SCHEMA }) : JSON.parse(text);
  } catch (error) {
    throw parseFailure(file, text, error, format);
  }
  if (!isRecord(document)) throw fileError(file, "is not an object", FORMAT_FIX);
  for (const key of Object.keys(document)) {
    if (key !== "tenants")
      throw fileError(file, `has the unknown top-level key "${printableKey(key)}"`, `the only key is "tenants"; ${FORMAT_FIX}`);
  }
  const { tenants } = document;
  if (!isRecord(tenants)) throw fileError(file, `"tenants" must be an object of tenant id → entry`, FORMAT_FIX);
  const entries = new Map<string, TenantCredentialEntry>();
  Object.entries(tenants).forEach(([key, value], index) => {
    const name = GUID.test(key) ? `tenant ${key}` : `entry #${index + 1}`;
    if (!GUID.test(key)) {
      throw fileError(
        file,
        `${name}: its key "${printableKey(key)}" is not a tenant id (a GUID)`,
        "key each entry by the customer's tenant id (Entra admin center → Overview → Tenant ID), not a domain name",
      );
    }
    const tenantId = key.toLowerCase();
    if (entries.has(tenantId))
      throw fileError(file, `${name} is listed twice (tenant ids compare case-insensitively)`, "keep one entry per tenant");
    entries.set(tenantId, parseEntry(file, name, tenantId, value));
  });
  return { path: file, tenants: entries, warnings: [] };
}

/** A key as it may be printed: never one shaped like a secret. */
function printableKey(key: string): string {
  return looksLikeSecret(key) ? "(a value shaped like a secret, not shown)" : key.slice(0, 80);
}

function parseEntry(file: string, name: string, tenantId: string, value: unknown): TenantCredentialEntry {
  if (!isRecord(value)) throw fileError(file, `${name} must be an object`, FORMAT_FIX);
  // Secrets first, so that a pasted secret is named as such whatever else is wrong.
  for (const [key, field] of Object.entries(value)) {
    if (key in SECRET_KEYS) {
      throw fileError(
        file,
        `${name} has the key "${key}", which would hold a secret (its value is not shown)`,
        `remove it from the file (and rotate it if the file was shared); put the secret in an environment variable and name that variable with "${SECRET_KEYS[key]}"`,
      );
    }
    if (typeof field === "string" && looksLikeSecret(field)) {
      throw fileError(
        file,
        `${name}: the value of "${printableKey(key)}" looks like a client secret or a PEM key (not shown)`,
        `the file names environment variables and file paths only: put the secret in an environment variable (or the PEM in a file) and name it here; rotate the secret if the file was shared`,
      );
    }
  }
  for (const key of Object.keys(value)) {
    if (!ENTRY_KEYS.has(key)) {
      throw fileError(
        file,
        `${name} has the unknown key "${printableKey(key)}"`,
        `use only ${[...ENTRY_KEYS].join(", ")} (a misspelt key must not silently fall back to another credential)`,
      );
    }
  }
  const text = (key: string): string | undefined => {
    const field = value[key];
    if (field === undefined) return undefined;
    if (typeof field !== "string" || field.trim() === "") throw fileError(file, `${name}: "${key}" must be a non-empty string`, FORMAT_FIX);
    return field;
  };
  const envName = (key: string): string | undefined => {
    const variable = text(key);
    if (variable !== undefined && !ENV_NAME.test(variable)) {
      throw fileError(
        file,
        `${name}: "${key}" is not an environment variable name (letters, digits and _, not starting with a digit; value not shown)`,
        `"${key}" names the variable that holds the value, e.g. "ACME_CLIENT_SECRET", never the value itself`,
      );
    }
    return variable;
  };
  const pathValue = (fileKey: string, envKey: string): FileValue | undefined => {
    const inFile = text(fileKey);
    const variable = envName(envKey);
    if (inFile !== undefined && variable !== undefined)
      throw fileError(file, `${name} has both "${fileKey}" and "${envKey}"`, "keep one of them");
    if (inFile !== undefined) return { from: "file", value: path.resolve(path.dirname(file), inFile) };
    return variable === undefined ? undefined : { from: "env", variable };
  };

  const clientId = text("clientId");
  if (clientId === undefined || !GUID.test(clientId)) {
    throw fileError(
      file,
      `${name}: "clientId" ${clientId === undefined ? "is missing" : "is not a GUID (value not shown)"}`,
      "set it to the application (client) id of the app drift signs in as in that tenant",
    );
  }
  const secretEnv = envName("clientSecretEnv");
  const pemPath = pathValue("certificatePath", "certificatePathEnv");
  if ((secretEnv === undefined) === (pemPath === undefined)) {
    throw fileError(
      file,
      `${name} needs exactly one of "clientSecretEnv", "certificatePath", "certificatePathEnv"${secretEnv !== undefined ? " (it has a secret and a certificate)" : ""}`,
      FORMAT_FIX,
    );
  }
  const entry: TenantCredentialEntry = {
    tenantId,
    clientId: clientId.toLowerCase(),
    credential: secretEnv !== undefined ? { kind: "secret", secretEnv } : { kind: "certificate", pemPath: pemPath! },
  };
  const pfxPath = pathValue("pfxPath", "pfxPathEnv");
  const pfxPasswordEnv = envName("pfxPasswordEnv");
  if (pfxPath !== undefined && entry.credential.kind !== "certificate") {
    throw fileError(
      file,
      `${name} has a PKCS#12 bundle ("pfxPath" / "pfxPathEnv") but signs in with a client secret`,
      "drop the pfx keys, or use a certificate entry",
    );
  }
  if (pfxPasswordEnv !== undefined && pfxPath === undefined)
    throw fileError(file, `${name} has "pfxPasswordEnv" without "pfxPath" / "pfxPathEnv"`, "add the bundle's path, or drop the password");
  if (pfxPath !== undefined) entry.pfx = pfxPasswordEnv === undefined ? { path: pfxPath } : { path: pfxPath, passwordEnv: pfxPasswordEnv };
  const authorityHost = text("authorityHost");
  if (authorityHost !== undefined) {
    const url = URL.canParse(authorityHost) ? new URL(authorityHost) : null;
    if (url?.protocol !== "https:") {
      throw fileError(
        file,
        `${name}: "authorityHost" must be an https URL`,
        "e.g. https://login.microsoftonline.us for US Government; MSAL refuses http authorities",
      );
    }
    entry.authorityHost = url.origin;
  }
  return entry;
}

/**
 * Read and check the file (its errors before any stack is checked). On POSIX a file others may
 * WRITE is warned about: it holds no secret, so being readable is harmless, but whoever can edit it
 * can point a tenant at another app or certificate, and an audit signed in elsewhere is not one.
 */
export function loadCredentialsFile(file: string): CredentialsFile {
  const absolute = path.resolve(file);
  let text: string;
  let mode: number;
  try {
    text = fs.readFileSync(absolute, "utf8");
    mode = fs.statSync(absolute).mode;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "error";
    throw fileError(
      absolute,
      `cannot be read (${code})`,
      `point ${CREDENTIALS_FILE_ENV} at an existing, readable file, or unset it to sign in as AZURE_CLIENT_ID / DefaultAzureCredential for every tenant`,
      error,
    );
  }
  const parsed = parseCredentialsFile(text, absolute);
  const warnings = process.platform !== "win32" && (mode & 0o022) !== 0 ? [writableWarning(absolute, mode)] : [];
  return { ...parsed, warnings };
}

function writableWarning(file: string, mode: number): string {
  return (
    `warning: credentials file ${file} is writable by ${mode & 0o002 ? "others" : "its group"} (mode ${(mode & 0o777).toString(8)}): ` +
    `whoever can edit it chooses which app each tenant is checked as. Fix: chmod go-w ${file}`
  );
}

/** The file `CMIC_CREDENTIALS_FILE` names, loaded; null when the variable is unset or empty. */
export function credentialsFileFromEnv(env: NodeJS.ProcessEnv = process.env): CredentialsFile | null {
  const file = env[CREDENTIALS_FILE_ENV];
  return file ? loadCredentialsFile(file) : null;
}

/** The value of a variable an entry names, or ERR_CREDENTIALS_ENV naming it (never its value). */
export function entryVariable(entry: TenantCredentialEntry, file: string, key: string, variable: string, env: NodeJS.ProcessEnv): string {
  const value = env[variable];
  if (value === undefined || value === "") {
    throw new CmicError(
      ERR_CREDENTIALS_ENV,
      `the environment variable ${variable} is ${value === undefined ? "not set" : "empty"}: credentials file ${file} names it as "${key}" of tenant ${entry.tenantId}`,
      {
        fix: `set ${variable} in the environment drift, rotate or pulumi runs in (e.g. from the pipeline's secret store), or remove tenant ${entry.tenantId} from ${file}`,
      },
    );
  }
  return value;
}

function resolvePath(entry: TenantCredentialEntry, file: string, key: string, value: FileValue, env: NodeJS.ProcessEnv): string {
  return value.from === "file" ? value.value : entryVariable(entry, file, key, value.variable, env);
}

/** The certificate PEM an entry names, read now (ERR_CREDENTIALS_ENV / ERR_CREDENTIALS_CERTIFICATE). */
export function readEntryCertificatePem(entry: TenantCredentialEntry, pemPath: FileValue, file: string, env: NodeJS.ProcessEnv): string {
  const pemFile = resolvePath(entry, file, pemPath.from === "file" ? "certificatePath" : "certificatePathEnv", pemPath, env);
  let pem: string;
  try {
    pem = fs.readFileSync(pemFile, "utf8");
  } catch (error) {
    throw new CmicError(
      ERR_CREDENTIALS_CERTIFICATE,
      `the certificate of tenant ${entry.tenantId} (${file}) cannot be read at ${pemFile} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      {
        fix: "point the entry at the PEM file holding the certificate and its private key",
        cause: error,
      },
    );
  }
  // @azure/identity's ClientCertificateCredential takes a PEM with the certificate AND its private
  // key (https://learn.microsoft.com/en-us/javascript/api/@azure/identity/clientcertificatecredential);
  // a PKCS#12 bundle or a certificate alone fails only at sign-in, with a vaguer message.
  if (!/-----BEGIN CERTIFICATE-----/.test(pem) || !/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
    throw new CmicError(
      ERR_CREDENTIALS_CERTIFICATE,
      `the certificate file ${pemFile} of tenant ${entry.tenantId} (${file}) is not a PEM with a certificate and its private key`,
      {
        fix: "drift and rotate sign in with @azure/identity, which reads PEM: `openssl pkcs12 -in cert.pfx -nodes -out cert.pem` makes one from a .pfx (store it 0600)",
      },
    );
  }
  return pem;
}

/**
 * The azuread provider's environment for `pulumi up` of a stack in `tenantId`, per the credentials
 * file; null when the tenant is not in it (the caller keeps its own environment). Pure when `file`
 * is given; by default it loads the file `CMIC_CREDENTIALS_FILE` names.
 *
 * Variable names are the provider's own (hashicorp/terraform-provider-azuread
 * internal/provider/provider.go, `EnvDefaultFunc`: ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET,
 * ARM_CLIENT_SECRET_FILE_PATH, ARM_CLIENT_CERTIFICATE, ARM_CLIENT_CERTIFICATE_PATH,
 * ARM_CLIENT_CERTIFICATE_PASSWORD), which Pulumi's bridged azuread provider reads as well
 * (https://www.pulumi.com/registry/packages/azuread/installation-configuration/).
 *
 * ARM_CLIENT_CERTIFICATE_PATH must be a PKCS#12 bundle: the provider hands it to go-azure-sdk
 * (sdk/auth/client_certificate_authorizer.go reads it with go-pkcs12), and its guide
 * (docs/guides/service_principal_client_certificate.md) makes it with `openssl pkcs12 -export`.
 * A PEM, which @azure/identity needs for drift, is refused there; so a certificate entry deploys
 * only with "pfxPath" / "pfxPathEnv" (and "pfxPasswordEnv" when the bundle has a password).
 *
 * The other way of signing in is set to "": `EnvDefaultFunc` treats an empty variable as unset, so
 * an operator's ARM_CLIENT_SECRET in the caller's environment cannot mix with a tenant's certificate.
 * The entry's authorityHost is not mapped: the provider picks its cloud by ARM_ENVIRONMENT or
 * ARM_METADATA_HOSTNAME, not by a login host.
 */
export function deployEnvironment(
  tenantId: string,
  env: NodeJS.ProcessEnv = process.env,
  file: CredentialsFile | null = credentialsFileFromEnv(env),
): Record<string, string> | null {
  const entry = file?.tenants.get(tenantId.toLowerCase());
  if (!file || !entry) return null;
  const base = { ARM_TENANT_ID: entry.tenantId, ARM_CLIENT_ID: entry.clientId };
  if (entry.credential.kind === "secret") {
    return {
      ...base,
      ARM_CLIENT_SECRET: entryVariable(entry, file.path, "clientSecretEnv", entry.credential.secretEnv, env),
      ARM_CLIENT_SECRET_FILE_PATH: "",
      ARM_CLIENT_CERTIFICATE: "",
      ARM_CLIENT_CERTIFICATE_PATH: "",
      ARM_CLIENT_CERTIFICATE_PASSWORD: "",
    };
  }
  if (!entry.pfx) {
    throw new CmicError(
      ERR_CREDENTIALS_CERTIFICATE,
      `tenant ${entry.tenantId} in credentials file ${file.path} has only a PEM certificate, and the azuread provider reads ARM_CLIENT_CERTIFICATE_PATH as a PKCS#12 (.pfx) bundle`,
      {
        fix: `make one from the PEM (\`openssl pkcs12 -export -in cert.pem -out cert.pfx\`, store it 0600) and add "pfxPath" (or "pfxPathEnv", plus "pfxPasswordEnv" if it has a password) to that entry`,
      },
    );
  }
  const pfxKey = entry.pfx.path.from === "file" ? "pfxPath" : "pfxPathEnv";
  return {
    ...base,
    ARM_CLIENT_CERTIFICATE_PATH: resolvePath(entry, file.path, pfxKey, entry.pfx.path, env),
    ARM_CLIENT_CERTIFICATE_PASSWORD: entry.pfx.passwordEnv
      ? entryVariable(entry, file.path, "pfxPasswordEnv", entry.pfx.passwordEnv, env)
      : "",
    ARM_CLIENT_CERTIFICATE: "",
    ARM_CLIENT_SECRET: "",
    ARM_CLIENT_SECRET_FILE_PATH: "",
  };
}
