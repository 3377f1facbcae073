/**
 * time.Rotating (@pulumiverse/time 0.1.1 = terraform-provider-time v0.12.1 `time_rotating`, a
 * Plugin Framework resource): a base timestamp and a rotation timestamp, kept in state only.
 *
 * How a rotation happens: Read removes the resource once the clock is past `rotation_rfc3339`, so a
 * refresh drops it and the next update creates it again with a new base (and a new id, which is what
 * ApplicationPassword.rotateWhenChanged watches). Without a refresh, nothing rotates: the plan
 * compares the rotation time only when something else changed.
 *
 * Changing `rotationDays` (or another rotation_* argument) is an in-place Update: the rotation time
 * is recomputed from the same base, and the id stays (ModifyPlan and Update call setRotationValues
 * with the stored base).
 */
import type { Schema } from "./schema";
import { canonical } from "./schema";
import { SOURCES } from "./sources";
import { applyError, formatGoRfc3339, goRfc3339, isRecord, rejectUnmodelled } from "./support";
import type { CreateResult, Properties, PropertyDiff, ProviderContext, ResourceModel } from "./types";

const TF_TYPE = "time_rotating";
const TYPE = "time:index/rotating:Rotating";
const S = SOURCES.rotating;

const ROTATION_ARGUMENTS = ["rotationDays", "rotationHours", "rotationMinutes", "rotationMonths", "rotationYears"] as const;

export const ROTATING_SCHEMA: Schema = {
  rotationDays: { kind: "int", mode: "optional", forceNew: false, source: `${S} Schema rotation_days (no plan modifier: Update)` },
  rotationHours: { kind: "int", mode: "optional", forceNew: false, source: `${S} Schema rotation_hours (no plan modifier: Update)` },
  rotationMinutes: { kind: "int", mode: "optional", forceNew: false, source: `${S} Schema rotation_minutes (no plan modifier: Update)` },
  rotationMonths: { kind: "int", mode: "optional", forceNew: false, source: `${S} Schema rotation_months (no plan modifier: Update)` },
  rotationYears: { kind: "int", mode: "optional", forceNew: false, source: `${S} Schema rotation_years (no plan modifier: Update)` },
  rotationRfc3339: {
    kind: "string",
    mode: "optional+computed",
    forceNew:
      "the run's clock (the machine's under pulumi up) is past the stored rotation time and the planned value differs (it is unknown after any other change)",
    source: `${S} Schema rotation_rfc3339 (RequiresReplaceIf ReplaceIfOutdated); ${SOURCES.rotatingOutdated}; ${SOURCES.frameworkPlan}`,
  },
  rfc3339: { kind: "string", mode: "optional+computed", forceNew: true, source: `${S} Schema rfc3339 (RequiresReplace)` },
  triggers: { kind: "map", mode: "optional", forceNew: true, source: `${S} Schema triggers (mapplanmodifier.RequiresReplace)` },
  day: { kind: "int", mode: "computed", source: `${S} setRotationValues (of the rotation time)` },
  hour: { kind: "int", mode: "computed", source: `${S} setRotationValues` },
  minute: { kind: "int", mode: "computed", source: `${S} setRotationValues` },
  month: { kind: "int", mode: "computed", source: `${S} setRotationValues` },
  second: { kind: "int", mode: "computed", source: `${S} setRotationValues` },
  unix: { kind: "int", mode: "computed", source: `${S} setRotationValues (rotation time, seconds)` },
  year: { kind: "int", mode: "computed", source: `${S} setRotationValues` },
};

const absent = (value: unknown) => value === undefined || value === null;
const positive = (value: unknown): number | null => (typeof value === "number" && value !== 0 ? value : null);

/** Go's time.AddDate in UTC: calendar arithmetic that normalises overflow (Jan 31 + 1 month = Mar 3). */
function addDate(base: Date, years: number, months: number, days: number): Date {
  return new Date(
    Date.UTC(
      base.getUTCFullYear() + years,
      base.getUTCMonth() + months,
      base.getUTCDate() + days,
      base.getUTCHours(),
      base.getUTCMinutes(),
      base.getUTCSeconds(),
      base.getUTCMilliseconds(),
    ),
  );
}

/**
 * setRotationValues: the rotation time from the base. Each configured argument overwrites the one
 * before, in the provider's order (days, hours, minutes, months, rfc3339, years), so the last wins.
 */
function rotationValues(inputs: Properties, base: Date): Properties {
  let rotation = new Date(Date.UTC(1, 0, 1)); // Go's zero time when nothing is configured (ConfigValidators prevent it)
  const days = positive(inputs.rotationDays);
  if (days !== null) rotation = addDate(base, 0, 0, days);
  const hours = positive(inputs.rotationHours);
  if (hours !== null) rotation = new Date(base.getTime() + hours * 3_600_000);
  const minutes = positive(inputs.rotationMinutes);
  if (minutes !== null) rotation = new Date(base.getTime() + minutes * 60_000);
  const months = positive(inputs.rotationMonths);
  if (months !== null) rotation = addDate(base, 0, months, 0);
  if (typeof inputs.rotationRfc3339 === "string" && inputs.rotationRfc3339 !== "") rotation = new Date(inputs.rotationRfc3339);
  const years = positive(inputs.rotationYears);
  if (years !== null) rotation = addDate(base, years, 0, 0);

  const state: Properties = {};
  for (const argument of ROTATION_ARGUMENTS) if (!absent(inputs[argument])) state[argument] = inputs[argument];
  if (!absent(inputs.triggers)) state.triggers = inputs.triggers;
  return {
    ...state,
    // timetypes.NewRFC3339TimeValue formats with time.RFC3339: whole seconds, the fraction dropped.
    day: rotation.getUTCDate(),
    hour: rotation.getUTCHours(),
    minute: rotation.getUTCMinutes(),
    month: rotation.getUTCMonth() + 1,
    rfc3339: formatGoRfc3339(base),
    rotationRfc3339: formatGoRfc3339(rotation),
    second: rotation.getUTCSeconds(),
    unix: Math.floor(rotation.getTime() / 1000),
    year: rotation.getUTCFullYear(),
  };
}

function rotationTime(state: Properties): Date | null {
  return typeof state.rotationRfc3339 === "string" && state.rotationRfc3339 !== "" ? new Date(state.rotationRfc3339) : null;
}

const changed = (prior: unknown, next: unknown) => canonical(absent(prior) ? null : prior) !== canonical(absent(next) ? null : next);

/**
 * The plan, as the Plugin Framework and the provider make it. `now` is the clock ReplaceIfOutdated
 * reads: the real provider calls time.Now() (the machine's clock, not the provider's), so a caller
 * running under a simulated clock passes that clock's time.
 */
export function diffRotating(state: Properties, inputs: Properties, now: Date): PropertyDiff[] {
  const diffs: PropertyDiff[] = [];
  for (const argument of ROTATION_ARGUMENTS)
    if (changed(state[argument], inputs[argument])) diffs.push({ property: argument, replace: false });
  if (changed(state.triggers ?? null, inputs.triggers ?? null)) diffs.push({ property: "triggers", replace: true });
  // Optional+Computed: a value the program leaves out keeps the state's.
  if (!absent(inputs.rfc3339) && changed(state.rfc3339, inputs.rfc3339)) diffs.push({ property: "rfc3339", replace: true });

  // rotation_rfc3339's RequiresReplaceIf runs when its planned value differs from the state: when the
  // program sets another value, or, left out, when any other change made the framework mark it unknown.
  const rotationPlanned = !absent(inputs.rotationRfc3339) ? changed(state.rotationRfc3339, inputs.rotationRfc3339) : diffs.length > 0;
  if (rotationPlanned) {
    const rotation = rotationTime(state);
    const outdated = rotation !== null && now.getTime() > rotation.getTime();
    if (!absent(inputs.rotationRfc3339) || outdated) diffs.push({ property: "rotationRfc3339", replace: outdated });
  }
  return diffs;
}

export const rotatingModel: ResourceModel & { readonly schema: Schema } = {
  type: TYPE,
  schema: ROTATING_SCHEMA,
  sources: [S, SOURCES.rotatingOutdated, SOURCES.frameworkPlan],

  async check(inputs, ctx: ProviderContext) {
    rejectUnmodelled(
      ctx,
      TF_TYPE,
      TYPE,
      inputs,
      Object.keys(ROTATING_SCHEMA).filter((key) => ROTATING_SCHEMA[key].mode !== "computed"),
    );
    // ConfigValidators: AtLeastOneOf the rotation_* arguments.
    if ([...ROTATION_ARGUMENTS, "rotationRfc3339"].every((argument) => absent(inputs[argument]))) {
      throw applyError(
        ctx,
        TF_TYPE,
        "Invalid Attribute Combination: At least one attribute out of [rotation_minutes,rotation_hours,rotation_days,rotation_months,rotation_years,rotation_rfc3339] must be specified",
      );
    }
    for (const argument of ROTATION_ARGUMENTS) {
      const value = inputs[argument];
      if (!absent(value) && !(typeof value === "number" && Number.isInteger(value) && value >= 1)) {
        throw applyError(ctx, TF_TYPE, `Attribute ${argument} value must be at least 1, got: ${String(value)}`);
      }
    }
    for (const argument of ["rfc3339", "rotationRfc3339"]) {
      const value = inputs[argument];
      if (!absent(value) && (typeof value !== "string" || goRfc3339(value) === null)) {
        throw applyError(ctx, TF_TYPE, `${argument}: ${String(value)} is not an RFC3339 timestamp`);
      }
    }
    if (!absent(inputs.triggers) && !isRecord(inputs.triggers)) throw applyError(ctx, TF_TYPE, "triggers must be a map of strings");
  },

  /** The plan at the run's clock (see diffRotating). */
  diff(state, inputs, ctx) {
    return diffRotating(state, inputs, ctx.now());
  },

  create(inputs, ctx): Promise<CreateResult> {
    // The base is now (UTC) unless rfc3339 is configured; the id is the base in RFC3339.
    const base = typeof inputs.rfc3339 === "string" && inputs.rfc3339 !== "" ? new Date(inputs.rfc3339) : ctx.now();
    const state = rotationValues(inputs, base);
    return Promise.resolve({ id: String(state.rfc3339), state });
  },

  /** Read changes nothing, except that past the rotation time the resource is removed. */
  read(_id, state, ctx) {
    const rotation = rotationTime(state);
    if (rotation !== null && ctx.now().getTime() > rotation.getTime()) return Promise.resolve(null);
    return Promise.resolve(state);
  },

  /**
   * Update: when a rotation argument changed, recompute the rotation time from the stored base (the
   * id), which does not change. A change of triggers or rfc3339 is a replacement, never an update.
   */
  update(id, state, inputs) {
    const rotationChanged =
      ROTATION_ARGUMENTS.some((argument) => changed(state[argument], inputs[argument])) ||
      (!absent(inputs.rotationRfc3339) && changed(state.rotationRfc3339, inputs.rotationRfc3339));
    // Update returns early when no rotation argument changed (the plan is then the state).
    if (!rotationChanged) return Promise.resolve(state);
    return Promise.resolve(rotationValues(inputs, new Date(id)));
  },

  // "Delete" does nothing: the resource exists only in state.
  delete() {
    return Promise.resolve();
  },
};
