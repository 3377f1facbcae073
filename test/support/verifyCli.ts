/** Runs `scripts/verify/cli.ts` as a child process, the way a user does, and captures everything it prints. */
import { runScript, type CliRun } from "./runScript";

export { PROJECT_ROOT, type CliRun } from "./runScript";

export function runVerifyCli(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliRun> {
  // The developer's own secret or outputs in the environment must not leak into a test.
  return runScript("verify", args, { env: { CMIC_CLIENT_SECRET: "", CMIC_STACK_OUTPUTS: "", ...options.env }, stdin: options.stdin });
}
