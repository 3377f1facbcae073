/**
 * The one place a tool starts the Pulumi CLI: `pulumi <args>` as a child process, with its stdout,
 * stderr and exit code. Callers decide what a non-zero exit means; a missing CLI is an error with
 * the fix. Tests put a stand-in \`pulumi\` first on PATH.
 */
import { execFile } from "node:child_process";
import { CmicError, EXIT_FAILED } from "../../contract/errors";

/** The Pulumi CLI is not installed (or not on PATH). */
export class PulumiNotFoundError extends CmicError {
  constructor(readonly command: string) {
    super("ERR_PULUMI_NOT_FOUND", `The Pulumi CLI (\`${command}\`) was not found on PATH.`, {
      fix: "install it (https://www.pulumi.com/docs/install/), or pass --outputs FILE / explicit flags instead of --stack.",
      exitCode: EXIT_FAILED,
    });
  }
}

/** The Pulumi CLI did not finish within its time limit and was stopped. */
export class PulumiTimeoutError extends CmicError {
  constructor(
    readonly args: readonly string[],
    readonly timeoutMs: number,
  ) {
    super("ERR_PULUMI_TIMEOUT", `\`pulumi ${args.join(" ")}\` did not finish within ${Math.round(timeoutMs / 1000)} s and was stopped.`, {
      fix: "check the backend (PULUMI_BACKEND_URL) and the provider's network access, or raise the time limit (drift: --stack-timeout).",
      exitCode: EXIT_FAILED,
    });
  }
}

export interface PulumiInvocation {
  /** The `pulumi` executable; tests put a stand-in first on PATH. */
  pulumiCommand?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Stop the child (SIGTERM, which the CLI handles as a cancellation) after this long. */
  timeoutMs?: number;
}

/** Run `pulumi <args>` and return stdout; a missing CLI or a failure becomes a message with the fix. */
export function runPulumi(
  args: string[],
  invocation: PulumiInvocation = {},
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const command = invocation.pulumiCommand ?? "pulumi";
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: invocation.cwd, env: invocation.env ?? process.env, maxBuffer: 64 * 1024 * 1024, timeout: invocation.timeoutMs ?? 0 },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
          reject(new PulumiNotFoundError(command));
          return;
        }
        if (error?.killed && invocation.timeoutMs) {
          reject(new PulumiTimeoutError(args, invocation.timeoutMs));
          return;
        }
        const exitCode = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ stdout, stderr, exitCode });
      },
    );
  });
}
