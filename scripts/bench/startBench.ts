/**
 * How long the CLIs take to start, printed by `npm run bench`: a user's `npm run verify -- --help`
 * and the post-deploy check's own command line (which runs inside every `pulumi up`), each compared
 * with `node -e 0` on the same machine at the same time. Runs are interleaved (one of each per
 * round) so a busy machine slows all three alike, and the median of the rounds is compared.
 * Goal: within 0.5 s of bare node start-up (issue #8: precompiled JavaScript, heavy modules loaded
 * only when a command needs them).
 */
import { execFile } from "node:child_process";
import { performance } from "node:perf_hooks";
import { POST_DEPLOY_CHECK_COMMAND } from "../../contract/postDeployCheck";
import { PROJECT_ROOT } from "../shared/projectRoot";
import type { BenchResult } from "./types";

const ROUNDS = 7;
const GOAL_SECONDS = 0.5;

interface Launch {
  label: string;
  file: string;
  args: string[];
}

function timeLaunch(launch: Launch): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    execFile(launch.file, launch.args, { cwd: PROJECT_ROOT, timeout: 60_000 }, (error) => {
      if (error) reject(new Error(`${launch.label} failed: ${error.message}`));
      else resolve(performance.now() - started);
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `npm run …` as the user types it: under `npm run bench`, npm tells its own entry point. */
function npmLaunch(args: string[]): Launch {
  const npmCli = process.env.npm_execpath;
  return npmCli && npmCli.endsWith(".js")
    ? { label: `npm ${args.join(" ")}`, file: process.execPath, args: [npmCli, ...args] }
    : { label: `npm ${args.join(" ")}`, file: "npm", args };
}

/** The post-deploy check's command line with `--help` in place of its check (nothing is requested). */
function postDeployLaunch(): Launch {
  const [program, script] = POST_DEPLOY_CHECK_COMMAND.split(" ");
  if (program !== "node" || !script) throw new Error(`unexpected post-deploy command: ${POST_DEPLOY_CHECK_COMMAND}`);
  return { label: `${program} ${script} --help`, file: process.execPath, args: [script, "--help"] };
}

export async function runStartBench(): Promise<BenchResult[]> {
  const bare: Launch = { label: "node -e 0", file: process.execPath, args: ["-e", "0"] };
  const launches = [npmLaunch(["run", "--silent", "verify", "--", "--help"]), postDeployLaunch()];
  const samples = new Map<Launch, number[]>([[bare, []], ...launches.map((launch): [Launch, number[]] => [launch, []])]);
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [launch, times] of samples) times.push(await timeLaunch(launch));
  }
  const bareMs = median(samples.get(bare) ?? []);
  return launches.map((launch) => {
    const launchMs = median(samples.get(launch) ?? []);
    const overheadSeconds = (launchMs - bareMs) / 1000;
    return {
      name: `start: ${launch.label} minus node -e 0 (s)`,
      value: Number(overheadSeconds.toFixed(3)),
      goal: `<= ${GOAL_SECONDS}`,
      met: overheadSeconds <= GOAL_SECONDS,
      detail: `median of ${ROUNDS}: ${(launchMs / 1000).toFixed(3)} s vs ${(bareMs / 1000).toFixed(3)} s`,
    };
  });
}
