/**
 * Runs one of this project's compiled CLIs (`node dist/scripts/<name>/cli.js …`) as a child
 * process, the way a user or the scheduled pipelines run it, and collects what it prints. The
 * verify and drift steps use it: the real commands, with their own output and exit codes, not a
 * reimplementation.
 */
import { spawn } from "node:child_process";

export interface NodeCliRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they arrived. */
  output: string;
}

/** How long a child has between SIGTERM and SIGKILL. */
const KILL_AFTER_MS = 5_000;

export function runNodeCli(
  script: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; signal: AbortSignal },
): Promise<NodeCliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
    let killer: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill("SIGTERM");
      killer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
      killer.unref();
    };
    if (options.signal.aborted) stop();
    else options.signal.addEventListener("abort", stop, { once: true });
    child.on("error", (error) => {
      options.signal.removeEventListener("abort", stop);
      reject(error);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(killer);
      options.signal.removeEventListener("abort", stop);
      resolve({ exitCode, signal, output });
    });
  });
}
