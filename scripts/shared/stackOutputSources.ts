/**
 * Reads a deployed stack's outputs: from the Pulumi CLI (`--stack`), a saved JSON file
 * (`--outputs`), or the environment variable the post-deploy check is given.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { parseStackOutputs, type StackOutputs } from "../../contract/stackOutputs";
import { CmicError, EXIT_FAILED } from "../../contract/errors";
import { readPostDeployCheckEnv, STACK_OUTPUTS_ENV } from "../../contract/postDeployCheck";

export { STACK_OUTPUTS_ENV } from "../../contract/postDeployCheck";

/** The outputs could not be read at all (no Pulumi CLI, unknown stack, unreadable or non-JSON file). */
export class StackOutputsSourceError extends CmicError {
  constructor(
    code: "ERR_PULUMI_NOT_FOUND" | "ERR_PULUMI_STACK_OUTPUT" | "ERR_OUTPUTS_FILE" | "ERR_OUTPUTS_JSON",
    message: string,
    fix: string,
  ) {
    super(code, message, { fix, exitCode: EXIT_FAILED });
  }
}

export interface PulumiInvocation {
  /** The `pulumi` executable; tests put a stand-in first on PATH. */
  pulumiCommand?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
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
      { cwd: invocation.cwd, env: invocation.env ?? process.env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === "ENOENT") {
          reject(
            new StackOutputsSourceError(
              "ERR_PULUMI_NOT_FOUND",
              `The Pulumi CLI (\`${command}\`) was not found on PATH.`,
              "install it (https://www.pulumi.com/docs/install/), or pass --outputs FILE / explicit flags instead of --stack.",
            ),
          );
          return;
        }
        const exitCode = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ stdout, stderr, exitCode });
      },
    );
  });
}

/** `pulumi stack output --json [--show-secrets] --stack NAME`, parsed and validated. */
export async function readStackOutputsFromPulumi(
  stack: string,
  options: PulumiInvocation & { showSecrets?: boolean } = {},
): Promise<StackOutputs> {
  const args = ["stack", "output", "--json", "--stack", stack];
  if (options.showSecrets) args.splice(3, 0, "--show-secrets");
  const { stdout, stderr, exitCode } = await runPulumi(args, options);
  if (exitCode !== 0) {
    throw new StackOutputsSourceError(
      "ERR_PULUMI_STACK_OUTPUT",
      `\`pulumi ${args.join(" ")}\` failed (exit ${exitCode}): ${stderr.trim() || stdout.trim()}`,
      "check the stack name (`pulumi stack ls`), that you are logged in to the right backend " +
        "(`pulumi login`), and that PULUMI_CONFIG_PASSPHRASE is set for passphrase-encrypted stacks.",
    );
  }
  return parseStackOutputs(parseJson(stdout, `the output of \`pulumi ${args.join(" ")}\``));
}

export async function readStackOutputsFromFile(file: string): Promise<StackOutputs> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new StackOutputsSourceError(
      "ERR_OUTPUTS_FILE",
      `Cannot read the outputs file ${file}: ${(error as Error).message}.`,
      "save it with `pulumi stack output --json --show-secrets > outputs.json`.",
    );
  }
  return parseStackOutputs(parseJson(text, file));
}

export function readStackOutputsFromEnv(env: NodeJS.ProcessEnv = process.env): StackOutputs | null {
  const text = readPostDeployCheckEnv(env).stackOutputsJson;
  if (text === null) return null;
  return parseStackOutputs(parseJson(text, `$${STACK_OUTPUTS_ENV}`));
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    // Node's message quotes the text around the error, which may be the secret: keep the position only.
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    throw new StackOutputsSourceError(
      "ERR_OUTPUTS_JSON",
      `${source} is not valid JSON${position ? ` (error at character ${position})` : ""}.`,
      "save it again with `pulumi stack output --json --show-secrets > outputs.json`.",
    );
  }
}
