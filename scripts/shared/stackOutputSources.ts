/**
 * Reads a deployed stack's outputs: from the Pulumi CLI (`--stack`), a saved JSON file
 * (`--outputs`), or the environment variable the post-deploy check is given.
 */
import { readFile } from "node:fs/promises";
import { parseStackOutputs, type StackOutputs } from "../../contract/stackOutputs";
import { CmicError, EXIT_FAILED } from "../../contract/errors";
import { readPostDeployCheckEnv, STACK_OUTPUTS_ENV } from "../../contract/postDeployCheck";
import { runPulumi, type PulumiInvocation } from "./pulumiCli";

export type { PulumiInvocation };

export { STACK_OUTPUTS_ENV } from "../../contract/postDeployCheck";

/** The outputs could not be read at all (no Pulumi CLI, unknown stack, unreadable or non-JSON file). */
export class StackOutputsSourceError extends CmicError {
  constructor(code: "ERR_PULUMI_STACK_OUTPUT" | "ERR_OUTPUTS_FILE" | "ERR_OUTPUTS_JSON", message: string, fix: string) {
    super(code, message, { fix, exitCode: EXIT_FAILED });
  }
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
      // Only stderr is quoted: stdout is the outputs JSON, secrets included with --show-secrets,
      // even when the command fails after printing it.
      `\`pulumi ${args.join(" ")}\` failed (exit ${exitCode}): ${stderr.trim() || "it printed no error message"}`,
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
