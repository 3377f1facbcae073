/**
 * `npm run bench`: the project's performance figures, measured on the local emulator in one run and
 * printed as ratios against their goals. Not part of the tests: timing depends on the machine.
 * Exit 0 when every goal is met, 1 otherwise (so a regression is visible in CI logs if run there).
 *
 * The suites (emulator, Pulumi runtime, Graph client) are imported inside `run`, so `--help` and a
 * usage error start nothing.
 */
import { UsageError } from "../../contract/errors";
import { defineCommand, runWhenMain } from "../shared/cli";
import type { BenchResult } from "./types";

const SUITES = {
  verify: async (): Promise<BenchResult[]> => (await import("./verifyBench")).runVerifyBench(),
  drift: async (progress: (line: string) => void): Promise<BenchResult[]> => (await import("./driftBench")).runDriftBench(progress),
  start: async (): Promise<BenchResult[]> => (await import("./startBench")).runStartBench(),
} as const;
type SuiteName = keyof typeof SUITES;

function isSuiteName(name: string): name is SuiteName {
  return Object.prototype.hasOwnProperty.call(SUITES, name);
}

const HELP = `Usage: npm run bench [-- --suite verify|drift|start]

Measures, on the local Entra emulator: verify's time-to-green divided by the propagation delay,
the time to report a permanent misconfiguration, the HTTP requests one verify makes, drift's Graph
audit of 1,000 stacks in 50 tenants with 50 ms latency (against one at a time; round trips, token
requests, growth from 100 stacks, peak memory), and how long the CLIs take to start next to \`node -e 0\`
(\`npm run verify -- --help\` and the post-deploy check's command line, median of 7 interleaved
runs). Prints one line per figure with its goal.

  --suite NAME     run only this suite: ${Object.keys(SUITES).join(" or ")} (repeatable; default: all)

Exit status: 0 every goal met, 1 a goal missed (or the benchmark could not run), 2 bad usage.
`;

function format(result: BenchResult): string {
  const value = Number.isInteger(result.value) ? String(result.value) : result.value.toFixed(3);
  return `${result.met ? "✔" : "✘"} ${result.name.padEnd(62)} ${value.padStart(8)}  goal ${result.goal.padEnd(8)} (${result.detail})`;
}

export const benchCommand = defineCommand({
  name: "bench",
  summary: "Measure the project's performance goals on the local emulator.",
  help: HELP,
  options: { suite: { type: "string", multiple: true } },
  async run(options, io) {
    const chosen = options.suite ?? Object.keys(SUITES);
    const unknown = chosen.filter((name) => !isSuiteName(name));
    if (unknown.length > 0) throw new UsageError(`--suite '${unknown[0]}' is not one of ${Object.keys(SUITES).join(", ")}.`);
    const results: BenchResult[] = [];
    for (const name of chosen.filter(isSuiteName)) {
      const run = SUITES[name];
      io.stderr(`bench: running the ${name} benchmarks…\n`);
      for (const result of await run((line) => io.stderr(`${line}\n`))) {
        results.push(result);
        io.stdout(`${format(result)}\n`);
      }
    }
    const missed = results.filter((result) => !result.met).length;
    io.stdout(`\n${results.length - missed} of ${results.length} goals met.\n`);
    return missed === 0 ? 0 : 1;
  },
});

runWhenMain(module, benchCommand);
