/**
 * `npm run connector-cert -- --out DIR --name NAME [options]`: when the connector admin brings no
 * certificate, make one: an RSA key pair and a self-signed certificate (selfSigned.ts), the
 * keystore Informatica CAI / Java read (PKCS#12, pkcs12.ts), the public certificate for the stack,
 * and the keystore's password, each written atomically and owner-only where secret (files.ts).
 * Exit 0 written, 2 bad usage or files in the way, 1 anything else.
 *
 * The password is never printed: not on stdout, not in an error. The CLI's redaction is given it
 * as a last line of defence, but no code path formats it in the first place.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CmicError, EXIT_OK, UsageError } from "../../contract/errors";
import { CONFIG_NAMESPACE } from "../../contract/kinds";
import { defineCommand, numberOption, runWhenMain, type OptionSpecs, type ParsedOptions } from "../shared/cli";
import { redact } from "../shared/redact";
import { colonSeparatedThumbprint } from "../shared/thumbprint";
import { ConnectorCertExistsError, existing, modeText, writeFileSet, type PlannedFile } from "./files";
import { DEFAULT_ITERATIONS, buildPkcs12 } from "./pkcs12";
import { KEY_SIZES, createSelfSigned, type KeySize } from "./selfSigned";

export const INVOCATION = "npm run connector-cert --";

const MAX_DAYS = 1095;
const DEFAULT_DAYS = 365;
/** Assertions are signed on the connector's clock; a few minutes' head start covers a clock behind ours. */
const CLOCK_SKEW_MS = 5 * 60 * 1000;
const MIN_PASSWORD_LENGTH = 8;
/** X.520 ub-common-name (RFC 5280 Appendix A): a longer CN is not a valid certificate. */
const MAX_COMMON_NAME = 64;

const HELP = `Usage: ${INVOCATION} --out DIR --name NAME [options]

Creates the connector's key pair and a self-signed certificate (RSA, SHA-256, X.509 v3), for a
connector admin who brings none: the keystore the connector (Informatica CAI, any Java client)
loads, and the public certificate the stack registers in Entra ID. Nothing is sent anywhere.

Required:
  --out DIR              an existing directory to write into (keep it off shared drives and
                         out of version control)
  --name NAME            base name of the files: letters, digits, . _ - (at most ${MAX_COMMON_NAME})

Options:
  --common-name CN       the certificate's subject CN (default: NAME)
  --days N               validity in days, 1-${MAX_DAYS} (default ${DEFAULT_DAYS}); it starts 5 minutes
                         ago, for clocks slightly behind
  --key-size BITS        2048 (default) or 3072
  --alias ALIAS          the keystore entry's alias / friendlyName (default: NAME): Informatica's
                         Keystore_Alias
  --password-env VAR     take the keystore password from environment variable VAR (at least
                         ${MIN_PASSWORD_LENGTH} printable ASCII characters); without it a random one is generated
                         and written to NAME.p12.password
  --pem-with-key         also write NAME.key-and-cert.pem: the certificate and the unencrypted
                         private key, for postDeployCertificateFile and verify --certificate
  --force                replace NAME's files; a file of the earlier set this run does not
                         write (NAME.p12.password with --password-env, NAME.key-and-cert.pem
                         without --pem-with-key) is deleted, since it belongs to the old key
  --json                 print one JSON object instead of the text below (no password)

Files (in DIR):
  NAME.p12               0600  PKCS#12 keystore (PBES2/AES-256-CBC, SHA-256 MAC, as OpenSSL 3
                               writes): private key + certificate under the alias
  NAME.p12.password      0600  its password (store and key password are the same), one line
  NAME.cer.pem           0644  the public certificate, for the stack setting certificate
  NAME.key-and-cert.pem  0600  with --pem-with-key only

Printed: the files, the SHA-1 thumbprint as Entra shows it and as Informatica's
SHA1_Fingerprint (with colons), the expiry, the keystore type and alias, and the next commands.
The password is never printed.

Exit status: 0 written; 2 bad usage or files already there (nothing written); 1 anything else.
`;

const OPTIONS = {
  out: { type: "string" },
  name: { type: "string" },
  "common-name": { type: "string" },
  days: { type: "string" },
  "key-size": { type: "string" },
  alias: { type: "string" },
  "password-env": { type: "string" },
  "pem-with-key": { type: "boolean" },
  force: { type: "boolean" },
  json: { type: "boolean" },
} as const satisfies OptionSpecs;

type Values = ParsedOptions<typeof OPTIONS>;

/** A C0/C1 control character or a line break: it would corrupt a subject, an alias or the output. */
function hasControlCharacter(value: string): boolean {
  return [...value].some((character) => {
    const code = character.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
  });
}

function required(value: string | undefined, flag: string, fix: string): string {
  if (value === undefined || value === "") throw new UsageError(`${flag} is missing.`, fix);
  return value;
}

function checkName(name: string): void {
  if (/[/\\]/.test(name)) {
    throw new UsageError(
      `--name '${name}' holds a path separator; it is only the files' base name.`,
      "put the directory in --out and a plain name in --name, e.g. --out ./certs --name acme-connector.",
    );
  }
  if (!/^[A-Za-z0-9._-]+$/.test(name) || /^\.+$/.test(name) || name.startsWith("-") || name.length > MAX_COMMON_NAME) {
    throw new UsageError(
      `--name '${name}' is not a plain file name.`,
      `use letters, digits, '.', '_' and '-' only (not only dots, at most ${MAX_COMMON_NAME} characters), e.g. --name acme-connector.`,
    );
  }
}

function outputDirectory(out: string): string {
  const dir = path.resolve(out);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new UsageError(`--out ${dir} does not exist.`, `create it first (mkdir -p ${shellWord(dir)}) or name an existing directory.`);
  }
  if (!stat.isDirectory()) throw new UsageError(`--out ${dir} is not a directory.`, "name the directory the files go into.");
  return dir;
}

function checkText(flag: string, value: string, what: string): string {
  if (value.trim() === "" || value.length > MAX_COMMON_NAME || hasControlCharacter(value)) {
    throw new UsageError(
      `${flag} must be 1 to ${MAX_COMMON_NAME} characters without control characters or line breaks.`,
      `give the ${what}, e.g. ${flag} acme-connector.`,
    );
  }
  // friendlyName is a BMPString: a character outside the Basic Multilingual Plane (an emoji) has no
  // single UTF-16 code unit there, and Java would read the alias back differently.
  if (/[\ud800-\udfff]/.test(value)) throw new UsageError(`${flag} holds a character outside Unicode's Basic Multilingual Plane.`);
  return value;
}

function keySizeFrom(value: string | undefined): KeySize {
  if (value === undefined) return 2048;
  const size = KEY_SIZES.find((candidate) => String(candidate) === value.trim());
  if (size === undefined) throw new UsageError(`--key-size must be ${KEY_SIZES.join(" or ")}, got '${value}'.`);
  return size;
}

/** The password from the environment, checked; errors name the variable, never the value. */
function passwordFromEnv(variable: string, env: NodeJS.ProcessEnv): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
    throw new UsageError(
      `--password-env takes the NAME of an environment variable ('${variable}' is not one).`,
      "export the password into a variable and name it, e.g. read -rs P12_PASSWORD; export P12_PASSWORD; then --password-env P12_PASSWORD.",
    );
  }
  const value = env[variable];
  if (value === undefined || value === "") {
    throw new UsageError(
      `--password-env ${variable}: the environment variable ${variable} is not set or is empty.`,
      `export ${variable} in this shell first (read -rs ${variable}; export ${variable}), or leave out --password-env to have one generated.`,
    );
  }
  if (value.length < MIN_PASSWORD_LENGTH) {
    throw new UsageError(
      `--password-env ${variable}: the password in ${variable} is shorter than ${MIN_PASSWORD_LENGTH} characters.`,
      `use a longer one (or leave out --password-env to have a random one generated).`,
    );
  }
  if (!/^[\x20-\x7e]+$/.test(value)) {
    // PBKDF2 reads the password as UTF-8, the MAC as UTF-16, and Java, OpenSSL and Windows have
    // disagreed on non-ASCII passwords there: a keystore one of them cannot open is worse than a refusal.
    throw new UsageError(
      `--password-env ${variable}: the password in ${variable} holds characters outside printable ASCII (or a line break).`,
      "use letters, digits, spaces and ASCII punctuation only, or leave out --password-env to have one generated.",
    );
  }
  return value;
}

/**
 * 24 random bytes in base64url: 32 characters, 192 bits. Never one that starts with '-', which a
 * tool's command line (keytool -storepass, openssl -passin pass:) could take for an option.
 */
function generatePassword(): string {
  for (;;) {
    const password = crypto.randomBytes(24).toString("base64url");
    if (!password.startsWith("-")) return password;
  }
}

/** The `--password-env` value in a raw command line, for the kernel's redaction before parsing. */
function passwordEnvName(argv: readonly string[]): string | undefined {
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index];
    if (arg === "--") return undefined;
    if (arg === "--password-env") return argv[index + 1];
    if (arg.startsWith("--password-env=")) return arg.slice("--password-env=".length);
  }
  return undefined;
}

/** Bare when safe, else single-quoted: the next commands are meant to be pasted into a shell. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@=,+%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

interface Role {
  file: string;
  mode: number;
  role: string;
}

/**
 * Node's own OpenSSL opens the keystore with the password (the MAC holds, the key decrypts and
 * matches the certificate): a fault in the PKCS#12 writer stops here, before a file is written.
 */
async function assertKeystoreOpens(pfx: Buffer, passphrase: string): Promise<void> {
  const tls = await import("node:tls");
  try {
    tls.createSecureContext({ pfx, passphrase });
  } catch (error) {
    throw new CmicError(
      "ERR_CONNECTOR_CERT_SELF_CHECK",
      "the keystore just built does not open with its own password; nothing was written.",
      {
        fix: "this is a bug in scripts/connectorCert: please report it (the Node and OpenSSL versions help: node -p process.versions).",
        cause: error,
      },
    );
  }
}

export const connectorCertCommand = defineCommand({
  name: "connector-cert",
  summary: "Create the connector's certificate and key pair (PKCS#12 keystore + public certificate PEM).",
  help: HELP,
  invocation: INVOCATION,
  options: OPTIONS,
  redaction: {
    // The password of --password-env is known before anything is parsed: hide it from every line.
    knownSecrets: (argv, env) => {
      const variable = passwordEnvName(argv);
      return variable === undefined ? [] : [env[variable]];
    },
    redact: (text, secrets) => redact(text, secrets),
  },
  async run(values: Values, io, context) {
    const name = required(values.name, "--name", "give the files' base name, e.g. --name acme-connector.");
    checkName(name);
    const dir = outputDirectory(required(values.out, "--out", "give the directory to write into, e.g. --out ./certs."));
    const commonName = checkText("--common-name", values["common-name"] ?? name, "certificate's subject name");
    const alias = checkText("--alias", values.alias ?? name, "keystore alias");
    const days = numberOption("days", values.days, { integer: true, min: 1, max: MAX_DAYS, unit: "days" }) ?? DEFAULT_DAYS;
    const keySize = keySizeFrom(values["key-size"]);
    const passwordEnv = values["password-env"];
    const password = passwordEnv === undefined ? generatePassword() : passwordFromEnv(passwordEnv, io.env);
    context.addSecret(password);
    const force = values.force === true;
    const withKey = values["pem-with-key"] === true;

    const p12File = path.join(dir, `${name}.p12`);
    const passwordFile = path.join(dir, `${name}.p12.password`);
    const cerFile = path.join(dir, `${name}.cer.pem`);
    const keyAndCertFile = path.join(dir, `${name}.key-and-cert.pem`);
    const writes = new Set([p12File, cerFile, ...(passwordEnv === undefined ? [passwordFile] : []), ...(withKey ? [keyAndCertFile] : [])]);
    // The whole set: a stale password file or key PEM beside a new keystore would belong to
    // another key, so it is in the way as much as a file this run writes.
    const present = existing([p12File, passwordFile, cerFile, keyAndCertFile]);
    if (present.length > 0 && !force) throw new ConnectorCertExistsError(present);

    const now = Date.now();
    const certificate = createSelfSigned({
      commonName,
      keySize,
      notBefore: new Date(now - CLOCK_SKEW_MS),
      notAfter: new Date(now + days * 24 * 60 * 60 * 1000),
    });
    const pfx = buildPkcs12({
      certificateDer: certificate.certificateDer,
      privateKeyPkcs8Der: certificate.privateKeyPkcs8Der,
      password,
      friendlyName: alias,
    });
    await assertKeystoreOpens(pfx, password);

    const planned: Array<PlannedFile & Role> = [
      { file: p12File, contents: pfx, mode: 0o600, role: `PKCS#12 keystore: private key + certificate, alias "${alias}"` },
    ];
    if (passwordEnv === undefined) {
      planned.push({
        file: passwordFile,
        contents: `${password}\n`,
        mode: 0o600,
        role: "the keystore's password (store and key), one line",
      });
    }
    planned.push({ file: cerFile, contents: certificate.certificatePem, mode: 0o644, role: "public certificate only: for the stack" });
    if (withKey) {
      planned.push({
        file: keyAndCertFile,
        contents: `${certificate.certificatePem}${certificate.privateKeyPem}`,
        mode: 0o600,
        role: "certificate + UNENCRYPTED private key: postDeployCertificateFile, verify --certificate",
      });
    }
    writeFileSet(planned, { force });
    const removed = present.filter((file) => !writes.has(file));
    for (const file of removed) fs.rmSync(file, { force: true });

    const thumbprint = certificate.thumbprintSha1;
    const fingerprint = colonSeparatedThumbprint(thumbprint);
    const next = [
      `pulumi config set ${CONFIG_NAMESPACE}:credential certificate`,
      `pulumi config set ${CONFIG_NAMESPACE}:certificate < ${shellWord(cerFile)}`,
      ...(withKey ? [`pulumi config set ${CONFIG_NAMESPACE}:postDeployCertificateFile ${shellWord(keyAndCertFile)}`] : []),
    ];
    const handOver = passwordEnv === undefined ? [p12File, passwordFile] : [p12File];
    const cleanup = `rm ${handOver.map(shellWord).join(" ")}`;
    // The unencrypted key is for this machine's checks only: once they passed, it goes too (and the
    // setting with it, or the next `pulumi up` stops on the missing file).
    const keyCleanup = withKey
      ? `pulumi config rm ${CONFIG_NAMESPACE}:postDeployCertificateFile && rm ${shellWord(keyAndCertFile)}`
      : undefined;

    if (values.json === true) {
      io.stdout(
        `${JSON.stringify(
          {
            name,
            directory: dir,
            files: planned.map(({ file, mode, role }) => ({ path: file, mode: modeText(mode), role })),
            removed,
            subject: `CN=${commonName}`,
            keyType: "RSA",
            keySize,
            signatureAlgorithm: "sha256WithRSAEncryption",
            thumbprint,
            sha1Fingerprint: fingerprint,
            notBefore: certificate.notBefore.toISOString(),
            notAfter: certificate.notAfter.toISOString(),
            keystoreType: "PKCS12",
            keystoreFile: p12File,
            alias,
            keystoreProtection: { encryption: "PBES2 PBKDF2-HMAC-SHA256 AES-256-CBC", mac: "SHA-256", iterations: DEFAULT_ITERATIONS },
            password: passwordEnv === undefined ? { file: passwordFile } : { env: passwordEnv },
            nextCommands: next,
            handOver,
            cleanupCommand: cleanup,
            ...(keyCleanup === undefined ? {} : { keyCleanupCommand: keyCleanup }),
          },
          null,
          2,
        )}\n`,
      );
      return EXIT_OK;
    }

    const width = Math.max(...planned.map(({ file }) => file.length));
    const lines = [
      `connector-cert: a new key pair and self-signed certificate for ${name}.`,
      "",
      "Files:",
      ...planned.map(({ file, mode, role }) => `  ${file.padEnd(width)}  ${modeText(mode)}  ${role}`),
      ...removed.map((file) => `  ${file.padEnd(width)}  removed (it belonged to the replaced key)`),
      "",
      "Certificate:",
      `  Subject                  CN=${commonName} (self-signed, RSA ${keySize}, sha256WithRSAEncryption)`,
      `  Thumbprint (Entra)       ${thumbprint}`,
      `  SHA1_Fingerprint         ${fingerprint}`,
      `  Valid                    ${certificate.notBefore.toISOString()} until ${certificate.notAfter.toISOString()} (expires in ${days} days)`,
      "",
      "Connector (Informatica CAI connection properties):",
      `  Keystore_File            ${path.basename(p12File)} (its path on the Secure Agent)`,
      "  Keystore_Type            PKCS12",
      `  Keystore_Alias           ${alias}`,
      `  Key_Password             ${passwordEnv === undefined ? `the line in ${path.basename(passwordFile)}` : `the password in $${passwordEnv}`} (Keystore_Password is the same)`,
      `  SHA1_Fingerprint         ${fingerprint}`,
      "",
      "Next:",
      ...next.map((command) => `  ${command}`),
      "  pulumi up",
      `  Hand ${handOver.map((file) => path.basename(file)).join(" and ")} to the connector admin over a secure channel` +
        (passwordEnv === undefined
          ? " (the password by another channel than the keystore)"
          : ` (and the password from $${passwordEnv}, by another channel)`) +
        ", then delete them from this machine:",
      `  ${cleanup}`,
      ...(keyCleanup === undefined ? [] : [`  Once the post-deploy check (or npm run verify -- --certificate ...) passed: ${keyCleanup}`]),
      "",
    ];
    io.stdout(lines.join("\n"));
    return EXIT_OK;
  },
});

runWhenMain(module, connectorCertCommand);
