/**
 * A resource schema as a table (one rule per Pulumi property) and the diff pulumi-terraform-bridge
 * computes from it for a Terraform Plugin SDK v2 provider:
 *
 * - the property names are the bridge's camelCase of Terraform's snake_case, lists and sets
 *   pluralised, MaxItems-1 blocks as objects (`api`);
 * - a property the program sets is compared with the state (the provider's last Read);
 * - a property the program leaves out is compared with its Default, else its type's zero value
 *   ("", false, 0, empty), unless it is Optional+Computed: then the prior value is kept and it is no
 *   difference (terraform-plugin-sdk helper/schema schemaMap.diffString: `removed && schema.Computed`);
 * - a difference in a ForceNew property is a replacement (the bridge reports it in `replaces`, trimmed
 *   to the top-level property).
 *
 * The same tables feed docs/provider-model.md, so a reader can check each row against the provider.
 */
import type { Properties, PropertyDiff } from "./types";
import { isRecord } from "./support";

export type Kind = "string" | "bool" | "int" | "list" | "set" | "map" | "block";

/** How the program may set the property: Required, Optional, Optional+Computed, or not at all (Computed). */
export type Mode = "required" | "optional" | "optional+computed" | "computed";

export interface PropertyRule {
  kind: Kind;
  mode: Mode;
  /**
   * Whether a change replaces the resource: true (ForceNew / RequiresReplace / replaceOnChanges),
   * or the condition under which the model's own diff replaces (a sentence, for the documentation).
   */
  forceNew?: boolean | string;
  /** The schema's Default, used when the program leaves the property out. */
  default?: unknown;
  /** A MaxItems-1 block's fields (`api`). */
  block?: Schema;
  /**
   * A list of blocks: each element's fields (`optionalClaims.accessTokens`). Elements compare in
   * order, field by field with their Defaults, as the SDK diffs `list.N.field` keys.
   */
  element?: Schema;
  /** Where the rule is in the provider's source. */
  source: string;
  /** What a reader should know: a normalisation, something the sandbox does not model. */
  note?: string;
}

export type Schema = Readonly<Record<string, PropertyRule>>;

/** Key-sorted JSON: equal values, equal text, whatever the key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

function zero(kind: Kind): unknown {
  switch (kind) {
    case "string":
      return "";
    case "bool":
      return false;
    case "int":
      return 0;
    case "list":
    case "set":
      return [];
    case "map":
    case "block":
      return {};
  }
}

const absent = (value: unknown) => value === undefined || value === null;

/** Equality as Terraform compares the kind: sets without order, maps of strings, blocks field by field. */
function sameValue(rule: PropertyRule, prior: unknown, next: unknown): boolean {
  switch (rule.kind) {
    case "string":
      return String(prior) === String(next);
    case "bool":
      return Boolean(prior) === Boolean(next);
    case "int":
      return Number(prior) === Number(next);
    case "list": {
      const priorItems = Array.isArray(prior) ? prior : [];
      const nextItems = Array.isArray(next) ? next : [];
      if (!rule.element) return canonical(priorItems) === canonical(nextItems);
      const item: PropertyRule = { kind: "block", mode: "optional", block: rule.element, source: rule.source };
      return priorItems.length === nextItems.length && priorItems.every((value, index) => sameValue(item, value, nextItems[index]));
    }
    case "set": {
      const sorted = (value: unknown) => (Array.isArray(value) ? value.map(canonical).sort() : []);
      return canonical(sorted(prior)) === canonical(sorted(next));
    }
    case "map": {
      const entries = (value: unknown) =>
        isRecord(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) : {};
      return canonical(entries(prior)) === canonical(entries(next));
    }
    case "block": {
      const priorBlock = isRecord(prior) ? prior : {};
      const nextBlock = isRecord(next) ? next : {};
      return Object.entries(rule.block ?? {}).every(([name, field]) => !differs(field, priorBlock[name], nextBlock[name]));
    }
  }
}

/** Whether the program's value (`next`, possibly absent) differs from the state's (`prior`). */
export function differs(rule: PropertyRule, prior: unknown, next: unknown): boolean {
  if (rule.mode === "computed") return false;
  if (absent(next)) {
    // An Optional+Computed property the program leaves out keeps its prior value.
    if (rule.mode === "optional+computed") return false;
    next = rule.default ?? zero(rule.kind);
  }
  return !sameValue(rule, absent(prior) ? (rule.default ?? zero(rule.kind)) : prior, next);
}

/**
 * The bridge's diff for a Plugin SDK v2 resource: every input property that differs, replacing when
 * its rule is ForceNew (`forceNew: true`; a string condition is the model's to evaluate).
 */
export function diffSdkV2(schema: Schema, state: Properties, inputs: Properties): PropertyDiff[] {
  const diffs: PropertyDiff[] = [];
  for (const [property, rule] of Object.entries(schema)) {
    if (differs(rule, state[property], inputs[property])) diffs.push({ property, replace: rule.forceNew === true });
  }
  return diffs;
}

/** The properties a program may set (everything but Computed-only ones). */
export function inputProperties(schema: Schema): string[] {
  return Object.entries(schema)
    .filter(([, rule]) => rule.mode !== "computed")
    .map(([name]) => name);
}

/** The inputs' value for a property, else the schema's Default (what Terraform's `d.Get` returns). */
export function valueOrDefault(schema: Schema, inputs: Properties, property: string): unknown {
  const value = inputs[property];
  if (!absent(value)) return value;
  const rule = schema[property];
  return rule?.default ?? (rule ? zero(rule.kind) : undefined);
}
