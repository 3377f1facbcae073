/**
 * The contract between the component's post-deploy check and `npm run verify`: the command the
 * check runs and the environment variables it hands over. One definition, read by the component,
 * the verify CLI and the sandbox (which runs the same command).
 */

/**
 * Run from the project directory (pulumi-command's working directory under `pulumi up`) after every
 * change that matters; `--just-deployed` starts the propagation window now. It runs the compiled
 * verify CLI that `npm ci` builds (`prepare`), not `npm run verify`: npm's own start-up and a
 * TypeScript loader cost seconds for a check that needs milliseconds, inside every `pulumi up`.
 * Plain `node <path>` also works in cmd.exe, which pulumi-command uses on Windows.
 */
export const POST_DEPLOY_CHECK_COMMAND = "node dist/scripts/verify/cli.js --just-deployed";

/** The stack outputs about to be exported, as JSON, without the secret. */
export const STACK_OUTPUTS_ENV = "CMIC_STACK_OUTPUTS";
/** The client secret value. */
export const CLIENT_SECRET_ENV = "CMIC_CLIENT_SECRET";
/** A PEM file with the connector's certificate and private key, for certificate-only stacks. */
export const CLIENT_CERTIFICATE_FILE_ENV = "CMIC_CLIENT_CERTIFICATE_FILE";
/** Where to reach Entra when it is not the public cloud (the sandbox points it at the emulator). */
export const AUTHORITY_HOST_ENV = "CMIC_AUTHORITY_HOST";
/** Seconds of the propagation window, when `--propagation-window` is not given. */
export const PROPAGATION_WINDOW_ENV = "CMIC_PROPAGATION_WINDOW";
/**
 * The instant (ISO 8601) the check's clock starts at, when `--at` is not given: the sandbox sets it
 * to its simulated clock (`npm run sandbox -- --state DIR --at WHEN`), so tokens the emulator issues
 * in the simulated future are judged at that time. Never set under a real `pulumi up`.
 */
export const CHECK_AT_ENV = "CMIC_CHECK_AT";

/** What the post-deploy check hands `verify` through the environment; each value null when absent. */
export interface PostDeployCheckEnv {
  /** The stack outputs as JSON text (not parsed here: the reader decides how to report bad JSON). */
  stackOutputsJson: string | null;
  clientSecret: string | null;
  /** Path of the PEM with the connector's certificate and private key. */
  certificateFile: string | null;
  authorityHost: string | null;
  /** The propagation window in seconds, as text (validated where it is used, like the flag). */
  propagationWindowSeconds: string | null;
  /** The check's clock, as text (validated where it is used, like `--at`). */
  checkAt: string | null;
}

/**
 * The one reader of the variables above, used by verify and by the sandbox (which runs the same
 * check). An empty variable counts as absent: shells and CI systems export unset values as "".
 */
export function readPostDeployCheckEnv(env: Readonly<Record<string, string | undefined>>): PostDeployCheckEnv {
  const value = (name: string): string | null => {
    const text = env[name];
    return text === undefined || text === "" ? null : text;
  };
  return {
    stackOutputsJson: value(STACK_OUTPUTS_ENV),
    clientSecret: value(CLIENT_SECRET_ENV),
    certificateFile: value(CLIENT_CERTIFICATE_FILE_ENV),
    authorityHost: value(AUTHORITY_HOST_ENV),
    propagationWindowSeconds: value(PROPAGATION_WINDOW_ENV),
    checkAt: value(CHECK_AT_ENV),
  };
}
