/**
 * `npm run verify -- [options]`: get a real token from Entra ID and validate it exactly as CMiC
 * will, then say what to fix. Exit 0 when every check passes, 1 when one fails, 2 on bad usage.
 * See `--help`. The token and the secret never appear in the output.
 *
 * The runner (@azure/identity, jose) is imported inside `run`, so `--help` and usage errors load
 * neither.
 */
import { readFile } from "node:fs/promises";
import { CLIENT_SECRET_ENV, readPostDeployCheckEnv } from "../../contract/postDeployCheck";
import { AZURE_CLOUDS, DEPLOYMENTS, isOneOf, type AzureCloud } from "../../contract/kinds";
import { UsageError } from "../../contract/errors";
import type { StackOutputs } from "../../contract/stackOutputs";
import { CLOUD_HOSTS, issuerUrlV2, jwksUri as defaultJwksUri } from "../../contract/entraEndpoints";
import { readStackOutputsFromEnv, readStackOutputsFromFile, readStackOutputsFromPulumi } from "../shared/stackOutputSources";
import type { ClientCredentialSecret } from "../shared/credentials";
import {
  defineCommand,
  numberOption,
  parseCommandLine,
  runCommand,
  runWhenMain,
  type CliIo,
  type OptionSpecs,
  type ParsedOptions,
} from "../shared/cli";
import type { VerifyInput } from "./runner";
import { redact, renderChecklist, renderJson } from "./report";

export const SECRET_ENV = CLIENT_SECRET_ENV;

const HELP = `Usage: npm run verify -- [options]

Requests an access token from Entra ID with the app's client credentials and validates it the
way CMiC does: signature (JWKS), issuer, application id, audience, lifetime, version, cmicuser
claim, and a note on CMiC's IP check. Each failure names its cause and the fix.

Where the app's values come from: one of
  --stack NAME                 read \`pulumi stack output --json --show-secrets\` of the stack
  --state DIR                  a local world of \`npm run sandbox -- --state DIR\` (--stack names its
                               stack when it holds several): the token is requested from that
                               world's emulated tenant, at its clock
  --outputs FILE               a saved copy of that JSON
  $CMIC_STACK_OUTPUTS          the same JSON in the environment (used by the post-deploy check;
                               read only without --stack and --outputs)
and these flags, which override single values:
  --tenant-id ID  --client-id ID  --scope URI/.default  --issuer URL  --jwks-uri URL
  --expect-cmicuser VALUE      expected cmicuser claim value
  --no-cmicuser                the claim is not expected (claimSource=registration)
  --claim-name NAME            CMiC's cmic.oauth2.user.claim.name (default cmicuser)
  --deployment enterprise|cloud  explains claim-format mismatches
  --azure-cloud public|usgovernment|china
                               the tenant's cloud (default: the stack's azureCloud, else public):
                               sets the default issuer, keys and login host

Credential (one of):
  $CMIC_CLIENT_SECRET          the client secret value (preferred: flags land in shell history)
  --client-secret VALUE        the same as a flag
  --certificate FILE           PEM file holding the certificate and its private key
                               (or $CMIC_CLIENT_CERTIFICATE_FILE)
  (with --stack / --outputs the stack's secret output is used when present)

Token mode (acquire nothing; only the JWKS is fetched; the token is sent nowhere, except to
--cmic-url when that is given):
  --token JWT | --token -      validate this token (\`-\` reads it from stdin)

Other options:
  --cmic-url URL               also GET this CMiC REST URL with the token and interpret the answer
  --authority-host URL         reach Entra elsewhere (the local emulator; or $CMIC_AUTHORITY_HOST);
                               issuers are not rewritten
  --propagation-window SECONDS retry propagation errors until this long after the secret was
                               created (the stack output secretCreatedAt) or after --just-deployed
                               (default 300, or $CMIC_PROPAGATION_WINDOW); with neither known,
                               nothing is retried
  --just-deployed              the app, a credential or the policy changed just now: start the
                               propagation window now (the post-deploy check of \`pulumi up\` sets it)
  --timeout SECONDS            overall time limit (default: rest of the window + 60)
  --at WHEN                    judge the token as at this instant (ISO date, or +Nd after the
                               world's last run with --state; or $CMIC_CHECK_AT)
  --json                       print { ok, checks: [{ id, ok, detail, fix? }], token: { header, claims } }

Exit status: 0 every check passed, 1 a check failed (including Entra errors) or the stack's
outputs could not be read, 2 bad usage.
`;

const OPTIONS = {
  stack: { type: "string" },
  outputs: { type: "string" },
  "tenant-id": { type: "string" },
  "client-id": { type: "string" },
  "client-secret": { type: "string" },
  certificate: { type: "string" },
  scope: { type: "string" },
  issuer: { type: "string" },
  "jwks-uri": { type: "string" },
  "authority-host": { type: "string" },
  "expect-cmicuser": { type: "string" },
  "no-cmicuser": { type: "boolean" },
  "claim-name": { type: "string" },
  deployment: { type: "string" },
  "azure-cloud": { type: "string" },
  "cmic-url": { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  timeout: { type: "string" },
  "propagation-window": { type: "string" },
  "just-deployed": { type: "boolean" },
  state: { type: "string" },
  at: { type: "string" },
} as const satisfies OptionSpecs;

type Flags = ParsedOptions<typeof OPTIONS>;

/**
 * The longest wait a flag may ask for: one day. Timers take at most 2^31-1 ms (24.8 days; more is a
 * RangeError), and no propagation or check needs more than minutes.
 */
const MAX_SECONDS = 86_400;

/** Milliseconds from a flag given in seconds; the window may be 0 (retry nothing), the timeout not. */
function positiveSeconds(flag: string, value: string | undefined, allowZero = false): number | undefined {
  const seconds = numberOption(flag, value, { min: 0, max: MAX_SECONDS, unit: "seconds" });
  if (seconds === undefined) return undefined;
  if (seconds === 0 && !allowZero) throw new UsageError(`--${flag} must be a positive number of seconds, got "${value}".`);
  return seconds * 1000;
}

/** A URL as it may be printed: user name and password replaced, everything else as given. */
export function printableUrl(url: URL): string {
  if (!url.username && !url.password) return url.href;
  const copy = new URL(url.href);
  copy.username = "***";
  copy.password = "";
  return copy.href;
}

function httpsUrl(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--${flag} must be a URL, got "${value}".`);
  }
  // Credentials in a URL end up in logs and proxies; CMiC takes the bearer token, nothing else.
  if (url.username || url.password) {
    throw new UsageError(
      `--${flag} must not carry a user name or password (${printableUrl(url)}).`,
      "remove the user:password@ part; verify authenticates with the token.",
    );
  }
  // The bearer token must not cross a network in clear text; plain http only to this machine.
  const loopback = ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  if (url.protocol !== "https:" && !(flag === "cmic-url" && url.protocol === "http:" && loopback)) {
    throw new UsageError(
      `--${flag} must be an https:// URL${flag === "cmic-url" ? " (http only for localhost)" : ""}, got "${printableUrl(url)}".`,
    );
  }
  return value;
}

/** A local world opened for this check (`--state DIR`): its outputs, emulator and clock. */
export interface VerifyWorld {
  outputs: StackOutputs;
  authorityHost: string;
  now(): Date;
}

async function loadOutputs(flags: Flags, env: NodeJS.ProcessEnv, world: VerifyWorld | null): Promise<StackOutputs | null> {
  if (flags.stack && flags.outputs) throw new UsageError("Pass either --stack or --outputs, not both.");
  if (world) return world.outputs;
  if (flags.stack) return readStackOutputsFromPulumi(flags.stack, { showSecrets: true, env });
  if (flags.outputs) return readStackOutputsFromFile(flags.outputs);
  return readStackOutputsFromEnv(env);
}

async function readStdin(stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8").trim();
}

async function loadCredential(flags: Flags, env: NodeJS.ProcessEnv, outputs: StackOutputs | null): Promise<ClientCredentialSecret> {
  const handedOver = readPostDeployCheckEnv(env);
  const certificateFile = flags.certificate || handedOver.certificateFile;
  if (certificateFile) {
    let pem: string;
    try {
      pem = await readFile(certificateFile, "utf8");
    } catch (error) {
      throw new UsageError(`Cannot read --certificate ${certificateFile}: ${(error as NodeJS.ErrnoException).code ?? "error"}.`);
    }
    if (!/-----BEGIN CERTIFICATE-----/.test(pem) || !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
      throw new UsageError(
        `--certificate ${certificateFile} must be a PEM file with both the certificate and its (unencrypted) private key ` +
          "(e.g. cat cert.pem key.pem > connector.pem).",
      );
    }
    return { kind: "certificate", certificatePem: pem };
  }
  // An empty variable (exported but unset) counts as absent.
  const secret = flags["client-secret"] || handedOver.clientSecret || outputs?.clientSecret || null;
  if (secret) return { kind: "secret", clientSecret: secret };
  if (outputs?.credential === "certificate") {
    throw new UsageError(
      "The stack uses a certificate credential: pass --certificate FILE (PEM with the certificate and its private key).",
    );
  }
  throw new UsageError(
    `No client secret: set ${SECRET_ENV} (preferred), pass --client-secret, read the stack with --stack (uses --show-secrets), ` +
      "pass --certificate FILE, or validate an existing token with --token.",
  );
}

function required(name: string, value: string | undefined | null, flag: string): string {
  if (value) return value;
  throw new UsageError(`Missing ${name}: pass ${flag}, or --stack NAME / --outputs FILE to read it from the stack outputs.`);
}

/** Turn the parsed flags (and environment) into the runner's input. Throws UsageError, or a CmicError when the outputs cannot be read. */
export async function verifyInputFromFlags(
  flags: Flags,
  env: NodeJS.ProcessEnv,
  stdin: NodeJS.ReadableStream,
  world: VerifyWorld | null = null,
  now: () => Date = () => new Date(),
): Promise<{ input: VerifyInput; json: boolean }> {
  if (flags["expect-cmicuser"] !== undefined && flags["no-cmicuser"]) {
    throw new UsageError("Pass either --expect-cmicuser VALUE or --no-cmicuser, not both.");
  }
  if (flags.deployment !== undefined && !isOneOf(DEPLOYMENTS, flags.deployment)) {
    throw new UsageError(`--deployment must be enterprise or cloud, got "${flags.deployment}".`);
  }
  if (flags["azure-cloud"] !== undefined && !isOneOf(AZURE_CLOUDS, flags["azure-cloud"])) {
    throw new UsageError(`--azure-cloud must be one of ${AZURE_CLOUDS.join(", ")}, got "${flags["azure-cloud"]}".`);
  }
  const outputs = await loadOutputs(flags, env, world);
  const handedOver = readPostDeployCheckEnv(env);

  const tenantId = required("the tenant id", flags["tenant-id"] ?? outputs?.tenantId, "--tenant-id");
  const clientId = required("the client id", flags["client-id"] ?? outputs?.clientId, "--client-id");
  const scope = required("the scope", flags.scope ?? outputs?.scope, "--scope <Application ID URI>/.default");
  let expectedCmicUser: string | null;
  if (flags["no-cmicuser"]) expectedCmicUser = null;
  else if (flags["expect-cmicuser"] !== undefined) expectedCmicUser = flags["expect-cmicuser"];
  else if (outputs) expectedCmicUser = outputs.cmicUserClaim;
  else
    throw new UsageError(
      "Missing the expected cmicuser value: pass --expect-cmicuser VALUE, or --no-cmicuser when CMiC's registration names the service user.",
    );

  let token: string | undefined;
  if (flags.token !== undefined) {
    token = flags.token === "-" ? await readStdin(stdin) : flags.token.trim();
    if (!token) throw new UsageError("--token - read nothing from stdin: pipe the access token in.");
  }
  const credential = token !== undefined ? null : await loadCredential(flags, env, outputs);

  const overrides: Partial<VerifyInput> = {
    tenantId,
    clientId,
    scope,
    issuerUrl: httpsUrl("issuer", flags.issuer),
    jwksUri: httpsUrl("jwks-uri", flags["jwks-uri"]),
    expectedCmicUser,
    deployment: flags.deployment as VerifyInput["deployment"],
    azureCloud: flags["azure-cloud"] as AzureCloud | undefined,
    claimName: flags["claim-name"],
    credential,
    token,
    authorityHost: world?.authorityHost ?? httpsUrl("authority-host", flags["authority-host"] || handedOver.authorityHost || undefined),
    cmicUrl: httpsUrl("cmic-url", flags["cmic-url"]),
    timeoutMs: positiveSeconds("timeout", flags.timeout),
    propagationWindowMs: positiveSeconds(
      "propagation-window",
      flags["propagation-window"] || handedOver.propagationWindowSeconds || undefined,
      true,
    ),
    propagationWindowStart: flags["just-deployed"] ? now() : undefined,
  };
  if (outputs) {
    const { verifyInputFromOutputs } = await import("./runner");
    return { input: verifyInputFromOutputs(outputs, overrides), json: Boolean(flags.json) };
  }
  const cloud = overrides.azureCloud ?? "public";
  const input: VerifyInput = {
    tenantId,
    clientId,
    scope,
    issuerUrl: overrides.issuerUrl ?? issuerUrlV2(tenantId, cloud),
    jwksUri: overrides.jwksUri ?? defaultJwksUri(tenantId, cloud),
    ...(cloud !== "public" ? { authorityHost: CLOUD_HOSTS[cloud].authorityHost } : {}),
    expectedCmicUser,
    credential,
    ...Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)),
  };
  return { input, json: Boolean(flags.json) };
}

/** The value of `--flag VALUE` or `--flag=VALUE` in the raw arguments, before any parsing. */
function flagValue(argv: readonly string[], flag: string): string | undefined {
  const index = argv.findIndex((arg) => arg === flag || arg.startsWith(`${flag}=`));
  if (index === -1) return undefined;
  return argv[index].includes("=") ? argv[index].slice(flag.length + 1) : argv[index + 1];
}

export const verifyCommand = defineCommand({
  name: "verify",
  summary: "Request a token from Entra ID and validate it as CMiC will.",
  help: HELP,
  options: OPTIONS,
  redaction: {
    // Known before parsing, so even a usage error echoing a flag value cannot print them.
    knownSecrets: (argv, env) => [readPostDeployCheckEnv(env).clientSecret, flagValue(argv, "--client-secret"), flagValue(argv, "--token")],
    redact: (text, secrets) => redact(text, secrets),
  },
  async run(flags, io, context) {
    if (flags.state !== undefined) {
      for (const flag of ["outputs", "authority-host"] as const) {
        if (flags[flag] !== undefined)
          throw new UsageError(`--${flag} does not go with --state (the world holds the outputs and serves Entra).`);
      }
      // The world's emulator serves HTTPS in this process: node must trust its CA from the start.
      const { rerunTrustingEmulator } = await import("../shared/emulatorTrust");
      const rerun = await rerunTrustingEmulator(io.env);
      if (rerun !== null) return rerun;
    }
    const session = flags.state !== undefined ? await (await import("../world/session")).openWorldForReading(flags.state, flags.at) : null;
    try {
      let world: VerifyWorld | null = null;
      let now: () => Date;
      if (session) {
        const { worldStackOutputs } = await import("../world/worldDir");
        const { outputs } = worldStackOutputs(session.world, session.dir, flags.stack);
        world = { outputs, authorityHost: session.emulator.url, now: () => session.clock.now() };
        now = world.now;
      } else {
        const at = flags.at ?? readPostDeployCheckEnv(io.env).checkAt ?? undefined;
        const { runInstant, worldClock } = await import("../world/clock");
        const clock = worldClock(runInstant(at, null, new Date()));
        now = () => clock.now();
      }
      const { input, json } = await verifyInputFromFlags(
        { ...flags, stack: session ? undefined : flags.stack },
        io.env,
        io.stdin,
        world,
        now,
      );
      context.addSecret(input.credential?.kind === "secret" ? input.credential.clientSecret : null);
      context.addSecret(input.token);
      const { runVerification } = await import("./runner");
      const report = await runVerification(input, { onProgress: (line) => io.stderr(`${line}\n`), now: () => now().getTime() });
      io.stdout(`${json ? renderJson(report) : renderChecklist(report)}\n`);
      return report.ok ? 0 : 1;
    } finally {
      await session?.close();
    }
  },
});

/** Parse a verify command line into the runner's input (tests); throws UsageError. */
export async function buildVerifyInput(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  stdin: NodeJS.ReadableStream,
): Promise<{ input: VerifyInput; json: boolean }> {
  return verifyInputFromFlags(parseCommandLine(verifyCommand, argv).options, env, stdin);
}

/** The whole CLI as a function returning the exit code (tests call it in-process). */
export function main(argv: readonly string[], io: CliIo): Promise<number> {
  return runCommand(verifyCommand, argv, io);
}

runWhenMain(module, verifyCommand);
