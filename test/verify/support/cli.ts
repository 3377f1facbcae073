/** Runs `scripts/verify.ts` as a child process, the way a user does, and captures everything it prints. */
import { spawn } from "node:child_process";
import path from "node:path";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..", "..");

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runVerifyCli(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["-r", "ts-node/register", path.join(PROJECT_ROOT, "scripts", "verify.ts"), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CMIC_CLIENT_SECRET: "", CMIC_STACK_OUTPUTS: "", ...options.env, TS_NODE_TRANSPILE_ONLY: "true" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? "");
  });
}
