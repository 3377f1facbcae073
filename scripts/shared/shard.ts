/**
 * `--shard i/n`: one of n deterministic, disjoint parts of a fleet, so n CI jobs (a matrix) check
 * it together and every stack exactly once. The stacks are sorted (by code unit, the same on every
 * runner whatever the backend's order or the locale) and dealt round-robin: stack k of the sorted
 * list goes to shard (k mod n) + 1. Shards differ in size by one at most, and a fleet sorted by
 * customer spreads each customer's stacks (dev, prod) over different jobs.
 */
import { UsageError } from "../../contract/errors";

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** The largest matrix a shard may name: GitHub Actions allows 256 jobs per matrix. */
export const MAX_SHARDS = 256;

export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
    throw new UsageError(
      `--shard must be i/n with 1 ≤ i ≤ n ≤ ${MAX_SHARDS} (e.g. 2/4), got '${text}'.`,
      "give each job of the CI matrix its own i, from 1 to n, and the same n.",
    );
  }
  return { index, count };
}

/** The stacks of `shard`, in sorted order. */
export function selectShard(stacks: readonly string[], shard: Shard): string[] {
  const sorted = [...new Set(stacks)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.filter((_, position) => position % shard.count === shard.index - 1);
}

export function describeShard(shard: Shard): string {
  return `shard ${shard.index}/${shard.count}`;
}
