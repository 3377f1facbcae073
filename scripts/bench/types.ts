/** One measured figure printed by `npm run bench`: a ratio or count compared with its goal. */
export interface BenchResult {
  /** What was measured, e.g. "verify: time-to-green / propagation delay". */
  name: string;
  value: number;
  /** Human-readable goal, e.g. "<= 1.1". */
  goal: string;
  /** Whether `value` meets the goal. */
  met: boolean;
  /** Raw figures behind the ratio, e.g. "10.43 s / 10.00 s". */
  detail: string;
}
