/**
 * The clock of a local world: each run happens at one instant of simulated time (`--at WHEN`), and
 * time then passes at the real pace during the run (propagation waits, token lifetimes).
 */
import { UsageError } from "../../contract/errors";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Ten years: far beyond any secret or certificate lifetime the project knows. */
const MAX_STEP_DAYS = 3650;

export interface WorldClock {
  /** The instant the run started at. */
  readonly at: Date;
  /** Now, in the world: `at` plus the real time elapsed since the clock was made. */
  now(): Date;
}

export function worldClock(at: Date, realNow: () => number = Date.now): WorldClock {
  const offsetMs = at.getTime() - realNow();
  return { at, now: () => new Date(realNow() + offsetMs) };
}

/** An ISO 8601 instant with a zone, or a date (midnight UTC). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const RELATIVE = /^\+(\d+)([dh])$/;

/**
 * The instant of a run. `WHEN` is an ISO date (`2027-06-01`, `2027-06-01T09:00:00Z`) or `+Nd` /
 * `+Nh` after the world's previous run. Without `--at`, the run is now, or at the previous run if
 * the world is already ahead of the real clock: a world's time never runs backwards (what was
 * created at its previous run would be in the future).
 */
export function runInstant(when: string | undefined, previousRunAt: Date | null, realNow: Date): Date {
  const floor = previousRunAt && previousRunAt > realNow ? previousRunAt : realNow;
  if (when === undefined) return floor;
  const relative = RELATIVE.exec(when);
  if (relative) {
    const amount = Number(relative[1]);
    const days = relative[2] === "d" ? amount : amount / 24;
    if (days > MAX_STEP_DAYS) throw new UsageError(`--at ${when} is more than ${MAX_STEP_DAYS} days ahead.`, "use a smaller step.");
    const base = previousRunAt ?? realNow;
    return new Date(base.getTime() + amount * (relative[2] === "d" ? DAY_MS : HOUR_MS));
  }
  if (!ISO_INSTANT.test(when) || Number.isNaN(Date.parse(when))) {
    throw new UsageError(
      `--at '${when}' is neither an ISO date nor +Nd / +Nh.`,
      "write e.g. --at 2027-06-01, --at 2027-06-01T09:00:00Z, or --at +7d (7 days after the world's previous run).",
    );
  }
  const at = new Date(when);
  if (previousRunAt && at < previousRunAt) {
    throw new UsageError(
      `--at ${when} is before the world's previous run (${previousRunAt.toISOString()}): its time cannot run backwards.`,
      `give a later instant, or +Nd; or start a new world in another --state directory.`,
    );
  }
  return at;
}
