/**
 * The verify CLI for tests: in-process (`runVerify`, for what it does and prints) or as a child
 * process the way a user runs it (`runVerifyCli`, for the real process: exit code, streams).
 */
import { Readable } from "node:stream";
import { main } from "../../scripts/verify/cli";
import { runScript, type CliRun } from "./runScript";

export { PROJECT_ROOT, type CliRun } from "./runScript";

/** The developer's own secret or outputs in the environment must not leak into a test. */
const CLEAN_ENV = { CMIC_CLIENT_SECRET: "", CMIC_STACK_OUTPUTS: "" };

export function runVerifyCli(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliRun> {
  return runScript("verify", args, { env: { ...CLEAN_ENV, ...options.env }, stdin: options.stdin });
}

/** `main(args, io)` in this process, with the same environment the spawned CLI would get. */
export async function runVerifyInProcess(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: string; onStderr?: (text: string) => void } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => {
      stderr += text;
      options.onStderr?.(text);
    },
    env: { ...process.env, ...CLEAN_ENV, ...options.env },
    stdin: Readable.from(options.stdin === undefined ? [] : [options.stdin]),
  });
  return { code, stdout, stderr };
}
