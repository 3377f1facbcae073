/**
 * Runs one of the project's CLIs as a child process, the way `npm run <name>` runs it: the
 * precompiled `dist/scripts/<name>/cli.js` (built by `npm run build`, which `npm test` runs first),
 * and captures everything it prints, so tests can assert exit codes and that no secret appears.
 */
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");

/** The compiled entry point of a CLI, as the npm scripts run it. */
export function compiledCli(script: string): string {
  return path.join(PROJECT_ROOT, "dist", "scripts", script, "cli.js");
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunScriptOptions {
  /** Added to (and overriding) the test process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Written to the child's standard input, which is then closed. */
  stdin?: string;
}

export function runScript(script: string, args: string[], options: RunScriptOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [compiledCli(script), ...args], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...options.env },
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

export interface SignalledRun extends CliRun {
  signal: NodeJS.Signals | null;
}

/**
 * A CLI as a child with exactly `env` (no standard input) and the signal it may have died of;
 * `onStart` gets the child, to signal it as a terminal's Ctrl-C would.
 */
export function spawnCli(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onStart?: (child: ChildProcess) => void,
): Promise<SignalledRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [compiledCli(script), ...args], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    onStart?.(child);
  });
}
