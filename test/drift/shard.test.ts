/**
 * `--shard i/n` (issue #13): n CI jobs, each with its own i, check every stack of the fleet exactly
 * once, whatever order the backend lists the stacks in. The partition itself
 * (scripts/shared/shard.ts), then the drift CLI with the stand-in `pulumi` listing a fleet.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseShard, selectShard } from "../../scripts/shared/shard";
import type { DriftReportJson } from "../../scripts/drift/report";
import { FIXTURE_STACKS, runDriftInProcess } from "../support/drift";

/** A deterministic shuffle (a backend lists stacks in no promised order). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const copy = [...items];
  let state = seed;
  for (let index = copy.length - 1; index > 0; index -= 1) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    const other = state % (index + 1);
    [copy[index], copy[other]] = [copy[other], copy[index]];
  }
  return copy;
}

describe("the partition", () => {
  const fleets = [0, 1, 2, 7, 20, 101, 1000].map((size) =>
    Array.from({ length: size }, (_, index) => `customer-${(index * 7919) % 10007}-prod`),
  );

  test.each([1, 2, 3, 4, 8, 50, 256])(
    "%i shards cover every stack exactly once, differ in size by one at most, in any listing order",
    (count) => {
      for (const fleet of fleets) {
        const shards = Array.from({ length: count }, (_, index) =>
          selectShard(shuffled(fleet, count * 31 + index), { index: index + 1, count }),
        );
        expect(shards.flat().sort()).toEqual([...fleet].sort());
        expect(new Set(shards.flat()).size).toBe(fleet.length);
        const sizes = shards.map((shard) => shard.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    },
  );

  test("a stack's shard depends on the sorted fleet only, not on the locale or the listing", () => {
    const fleet = ["Zeta", "alpha", "Émile", "beta", "_tools"];
    // By code unit: "Zeta" < "_tools" < "alpha" < "beta" < "Émile"; shard 1 of 2 takes positions 0, 2, 4.
    expect(selectShard(fleet, { index: 1, count: 2 })).toEqual(["Zeta", "alpha", "Émile"]);
    expect(selectShard(shuffled(fleet, 3), { index: 1, count: 2 })).toEqual(selectShard(fleet, { index: 1, count: 2 }));
    expect(selectShard(["b", "a", "b"], { index: 1, count: 1 })).toEqual(["a", "b"]);
  });

  test.each(["0/4", "5/4", "1/0", "2", "a/b", "1/257", "-1/4", "1.5/4"])("'%s' is a usage error naming the form", (text) => {
    expect(() => parseShard(text)).toThrow(/--shard must be i\/n with 1 ≤ i ≤ n ≤ 256/);
  });

  test("i/n with spaces is read", () => {
    expect(parseShard(" 3 / 4 ")).toEqual({ index: 3, count: 4 });
  });
});

describe("drift --all --shard i/n over the stand-in pulumi's fleet", () => {
  let fakeDir: string;
  const stacks = ["north-prod", "north-dev", "south-prod", "east-prod", "west-prod", "west-dev", "central"];
  beforeAll(() => {
    fakeDir = fs.mkdtempSync(path.join(os.tmpdir(), "drift-shard-"));
    for (const stack of stacks) fs.cpSync(path.join(FIXTURE_STACKS, "acme-clean"), path.join(fakeDir, stack), { recursive: true });
  });
  afterAll(() => fs.rmSync(fakeDir, { recursive: true, force: true }));

  test("three jobs check every stack once; a job past the fleet's size checks nothing and exits 0", async () => {
    const checked: string[] = [];
    for (const index of [1, 2, 3]) {
      const run = await runDriftInProcess(["--all", "--skip-audit", "--json", "--shard", `${index}/3`], { FAKE_PULUMI_DIR: fakeDir });
      expect(run.code).toBe(0);
      expect(run.stderr).toContain(`drift: shard ${index}/3: ${index === 1 ? 3 : 2} of 7 stacks`);
      const report = JSON.parse(run.stdout) as DriftReportJson;
      checked.push(...report.stacks.map((stack) => stack.stack));
    }
    expect(checked.sort()).toEqual([...stacks].sort());

    const empty = await runDriftInProcess(["--all", "--skip-audit", "--json", "--shard", "8/8"], { FAKE_PULUMI_DIR: fakeDir });
    expect(empty.code).toBe(0);
    expect(empty.stderr).toContain("drift: shard 8/8: 0 of 7 stacks");
    expect((JSON.parse(empty.stdout) as DriftReportJson).stacks).toEqual([]);
  });

  test("a bad --shard is a usage error (exit 2) before any stack is read", async () => {
    const run = await runDriftInProcess(["--all", "--skip-audit", "--shard", "4/3"], {
      FAKE_PULUMI_DIR: path.join(fakeDir, "no-such-dir"),
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--shard must be i\/n/);
    expect(run.stderr).toMatch(/same n/);
  });
});
