/**
 * `npm run bench`: the project's performance figures, measured on the local emulator in one run and
 * printed as ratios against their goals. Not part of the tests: timing depends on the machine.
 * Exit 0 when every goal is met, 1 otherwise (so a regression is visible in CI logs if run there).
 */
import { runDriftBench } from "./driftBench";
import type { BenchResult } from "./types";
import { runVerifyBench } from "./verifyBench";

function format(result: BenchResult): string {
  const value = Number.isInteger(result.value) ? String(result.value) : result.value.toFixed(3);
  return `${result.met ? "✔" : "✘"} ${result.name.padEnd(62)} ${value.padStart(8)}  goal ${result.goal.padEnd(8)} (${result.detail})`;
}

async function main(): Promise<number> {
  const suites: [string, () => Promise<BenchResult[]>][] = [
    ["verify", runVerifyBench],
    ["drift", runDriftBench],
  ];
  const results: BenchResult[] = [];
  for (const [name, run] of suites) {
    process.stderr.write(`bench: running the ${name} benchmarks…\n`);
    for (const result of await run()) {
      results.push(result);
      process.stdout.write(`${format(result)}\n`);
    }
  }
  const missed = results.filter((result) => !result.met).length;
  process.stdout.write(`\n${results.length - missed} of ${results.length} goals met.\n`);
  return missed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
