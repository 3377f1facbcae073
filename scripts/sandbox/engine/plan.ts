/**
 * What an update did, step by step, in the vocabulary of `pulumi up`: the ops, the properties that
 * caused them, the change summary, and the plan rendered the way the Pulumi CLI shows it.
 */

/** Pulumi's step ops, as `pulumi preview --json` names them (pkg/resource/deploy/step.go). */
export const STEP_OPS = ["create", "same", "update", "replace", "delete"] as const;
export type StepOp = (typeof STEP_OPS)[number];

export interface Step {
  urn: string;
  name: string;
  type: string;
  op: StepOp;
  /** The properties that caused an update or replace (Pulumi's `diffReasons`); for a replace, those that forced it first. */
  diffs: string[];
  /** The properties whose change forced the replacement (Pulumi's `replaceReasons`). */
  replaceReasons?: string[];
  /** A delete that left the object in Entra (retainOnDelete). */
  retained?: boolean;
}

export type ChangeSummary = Record<StepOp, number>;

/** A change refresh found: the object was changed or deleted outside Pulumi (in the portal). */
export interface RefreshChange {
  urn: string;
  name: string;
  type: string;
  change: "changed" | "deleted";
  properties: string[];
}

export function changeSummary(steps: readonly Step[]): ChangeSummary {
  const summary: ChangeSummary = { create: 0, same: 0, update: 0, replace: 0, delete: 0 };
  for (const step of steps) summary[step.op] += 1;
  return summary;
}

/** The CLI's symbols (pkg/display/diff.go `getStepOpSymbol`): `+-` replace, `~` update. */
const SYMBOL: Record<StepOp, string> = { create: "+ ", same: "  ", update: "~ ", replace: "+-", delete: "- " };
const PAST: Record<StepOp, string> = { create: "created", same: "", update: "updated", replace: "replaced", delete: "deleted" };

/** The short type a reader knows from the portal: `azuread:index/application:Application` → `azuread:Application`. */
export function shortType(type: string): string {
  const [pkg] = type.split(":");
  return `${pkg}:${type.split(":").pop() ?? type}`;
}

/** The update as `pulumi up` prints it: one line per resource, then "Resources:" with the counts. */
export function renderPlan(steps: readonly Step[], refreshed: readonly RefreshChange[]): string {
  const lines: string[] = [];
  for (const change of refreshed) {
    lines.push(
      change.change === "deleted"
        ? `  refresh: ${shortType(change.type)} ${change.name} was deleted outside Pulumi`
        : `  refresh: ${shortType(change.type)} ${change.name} was changed outside Pulumi [${change.properties.join(", ")}]`,
    );
  }
  const typeWidth = Math.max(4, ...steps.map((step) => shortType(step.type).length));
  const nameWidth = Math.max(4, ...steps.map((step) => step.name.length));
  lines.push(`     ${"Type".padEnd(typeWidth)}  ${"Name".padEnd(nameWidth)}  Status`);
  for (const step of steps) {
    const diffs = step.diffs.length > 0 ? ` [diff: ${step.diffs.map((property) => `~${property}`).join(", ")}]` : "";
    const retained = step.retained ? " [retain]" : "";
    lines.push(
      ` ${SYMBOL[step.op]}  ${shortType(step.type).padEnd(typeWidth)}  ${step.name.padEnd(nameWidth)}  ${PAST[step.op]}${diffs}${retained}`.trimEnd(),
    );
  }
  const summary = changeSummary(steps);
  lines.push("", "Resources:");
  for (const op of ["create", "update", "replace", "delete"] as const) {
    if (summary[op] > 0) lines.push(`    ${SYMBOL[op].trim().padEnd(2)} ${summary[op]} ${PAST[op]}`);
  }
  if (summary.same > 0) lines.push(`    ${summary.same} unchanged`);
  return lines.join("\n");
}
