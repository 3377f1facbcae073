/**
 * The sandbox's model of `pulumi import --file FILE`: adopt objects that exist in the tenant (made
 * by hand, in the portal) into a stack's state exactly as they are, without running the program.
 * The next `pulumi up` then diffs the program's inputs against that state and updates what differs,
 * instead of creating the objects again.
 *
 * Rules, each from pulumi/pulumi (read at 1b5949891b, after v3.259; the project pins 3.270):
 * - The file (pkg/cmd/pulumi/operations/import.go `importFile`, `importSpec`, `parseImportFile`):
 *   `{ nameTable?: { name: urn }, resources: [{ type, name, id?, parent?, component?, logicalName?,
 *   properties?, provider?, version?, … }] }`. `name` and `logicalName` default to each other; every
 *   entry needs a type and a name; a custom resource needs an id, a component must not have one
 *   ("has no ID" / "has an ID, but is marked as a component"); `remote` needs `component`. A parent
 *   is a name in `nameTable` (looked up first) or another entry's name; a name two entries share is
 *   an "ambiguous parent"; two entries with one URN (or one URN of the name table) are "an ambiguous
 *   URN". Every problem of the file is collected and reported together, nothing is imported.
 * - The URN (pkg/resource/deploy/deployment.go `generateURN`): the parent's qualified type, then
 *   `$`, then the type; no parent (the stack) adds nothing. The sandbox's state has no root Stack
 *   resource (the program runs under Pulumi's mocks), so a resource without a parent has parent
 *   null, as the engine records it. The mock monitor the engine's URNs come from
 *   (@pulumi/pulumi runtime/mocks.js `newUrn`) keeps only the LAST type of the parent's chain, where
 *   Pulumi keeps all of it: the two agree for the program's one level of nesting, and this module
 *   follows the mocks so that the program registers exactly the URNs imported here.
 * - pkg/resource/deploy/import.go `importer.importResources`: a URN already in the state with the
 *   SAME id is skipped ("it already exists and we'll have registered it above"; a component's id is
 *   ""); with another id the step fails: step.go `ImportStep.Apply` "resource '<urn>' already
 *   exists". A parent must be in the state or imported in the same file ("unknown parent").
 * - step.go `ImportStep.Apply`: a custom resource is read with only its id (`prov.Read` with no
 *   inputs and no state); no outputs → "resource '<id>' does not exist". The new state's inputs are
 *   the provider's (all of them, or only the entry's `properties`), outputs the read state, no
 *   dependencies, `protect` from the CLI flag (`--protect`, default true; parseImportFile
 *   `Protect: protectResources`), a component with empty inputs. `pulumi import` previews first
 *   (import.go: unless --skip-preview), so a resource that does not exist fails the preview and
 *   nothing at all is imported ("Preview failed: resource '<id>' does not exist"): all or nothing.
 * - The inputs a bridged (Terraform Plugin SDK v2) provider returns for an import:
 *   pulumi/pulumi-terraform-bridge pkg/tfbridge/provider.go `Provider.Read` (no prior properties →
 *   the Terraform importer, then Refresh, then `ExtractInputsFromOutputs` with isRefresh false) and
 *   pkg/tfbridge/schema.go `extractSchemaInputsObject` (read at 59de6c661; defaults dropped since
 *   v3.19, #453; MaxItems-1 blocks since v3.80, #1812): every property of the read state that is an
 *   input (Required or Optional; a Computed-only one is dropped), except an Optional one whose value
 *   is its Default or, without a Default, its type's zero value (null, false, 0, "", [], {}); a
 *   MaxItems-1 block (`api`) is extracted field by field the same way, and dropped when empty.
 * - The models' Read with no prior state is what terraform-provider-azuread v3.8.0's Read gives an
 *   imported resource: `prevent_duplicate_names` and `use_existing` are kept from configuration
 *   (`d.Get`), so they read false; `oauth2_post_response_required` (Graph beta) reads false. One
 *   difference: the real Read lists `owners` from Graph (`ListOwners`), the models keep them from the
 *   prior state because the emulator has no owners routes, so an import reads them as none. Where
 *   the real first `pulumi up` shows an `owners` update (removing owners the stack does not list,
 *   such as the admin who made the app), the sandbox's shows it only for owners the stack adds.
 *
 * Not modelled: explicit providers (`provider`, `pulumi:providers:*` entries, `providerInputs`),
 * supplied `inputs`/`outputs`, remote components, parameterization, the check warnings Pulumi prints
 * after an import, code generation (`--generate-code`). `version` is accepted and ignored (the
 * sandbox models the provider versions package.json pins).
 */
import { CmicError, EXIT_FAILED, EXIT_USAGE } from "../../../contract/errors";
import { CONFIG_NAMESPACE } from "../../../contract/kinds";
import { ResourceApplyError } from "../provider/errors";
import { renameResourceError } from "../provider/support";
import type { PropertyRule, Schema } from "../provider/schema";
import type { Properties, ProviderContext, ResourceModel } from "../provider/types";
import type { ResourceRecord, StackState } from "./state";

/** One entry of the import file, as `pulumi import --file` reads it (importSpec). */
export interface ImportSpec {
  type: string;
  name: string;
  id?: string;
  parent?: string;
  component?: boolean;
  logicalName?: string;
  /** Only these input properties go into the state (default: all the provider returns). */
  properties?: string[];
  version?: string;
}

export interface ImportFile {
  nameTable?: Record<string, string>;
  resources: ImportSpec[];
}

/** A model the import can use: reading by id, and the schema that tells inputs from outputs. */
export type ImportableModel = ResourceModel & { readonly schema?: Schema };

export interface ImportContext {
  stack: string;
  /** The Pulumi project (default the program's, `cmic-entra-oauth`, as the engine's runs use). */
  project?: string;
  provider: ProviderContext;
  modelFor(type: string): ImportableModel | undefined;
  /** `--protect` (default true, as `pulumi import`): mark every imported resource protected. */
  protect?: boolean;
}

export interface ImportedResource {
  urn: string;
  type: string;
  name: string;
  /** The provider's id ("" for a component). */
  id: string;
  component: boolean;
}

export interface ImportResult {
  /** The state with the imported resources appended (the given state is not changed). */
  state: StackState;
  imported: ImportedResource[];
  /** Entries whose URN the state already holds with the same id: Pulumi skips them. */
  skipped: ImportedResource[];
}

/** The import file cannot be used as it is (exit 2): every problem is listed, nothing was imported. */
export class ImportFileError extends CmicError {
  constructor(
    readonly problems: readonly string[],
    where: string,
  ) {
    super("ERR_IMPORT_FILE", `${where} cannot be imported:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`, {
      fix: "correct the entries named above; nothing was imported.",
      exitCode: EXIT_USAGE,
    });
  }
}

/** The import failed against the stack or the tenant (exit 1); nothing was imported. */
export class ImportError extends CmicError {
  constructor(message: string, fix: string) {
    super("ERR_IMPORT", message, { fix, exitCode: EXIT_FAILED });
  }
}

/**
 * Types whose provider cannot import, and why. Everything else with a provider model and a schema
 * is imported by Read with only its id.
 */
export const NOT_IMPORTABLE: Readonly<Record<string, string>> = {
  "azuread:index/applicationPassword:ApplicationPassword":
    "passwords cannot be imported: terraform-provider-azuread v3.8.0's azuread_application_password has no Importer " +
    '(docs/resources/application_password.md: "This resource does not support importing"), since Graph never returns a ' +
    "secret's value after it is created (hashicorp/terraform-provider-azuread#1118). Leave it out of the import file: " +
    "the next pulumi up adds a new secret, and the hand-made one is removed by hand once the connector uses the new one.",
  "time:index/rotating:Rotating":
    "the sandbox does not model importing time_rotating (terraform-provider-time imports it from an id " +
    '"<base RFC3339>,<years>,<months>,<days>,<hours>,<minutes>,<seconds>"): leave it out, pulumi up creates it.',
  "command:local:Command": "the sandbox does not model importing command:local:Command: leave it out, pulumi up creates it.",
};

const PROVIDER_TYPE_PREFIX = "pulumi:providers:";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `resources[2] ('cmic-app' of type 'azuread:…')`: the entry as a message names it (Pulumi's describeResource, plus the index). */
function describe(index: number, spec: Partial<ImportSpec>): string {
  const label = spec.name ? `'${spec.name}'` : spec.id ? `'${spec.id}'` : "";
  const type = spec.type ? ` of type '${spec.type}'` : "";
  return `resources[${index}]${label || type ? ` (${[label, type.trim()].filter(Boolean).join(" ")})` : ""}`;
}

const UNMODELLED_FIELDS: Record<string, string> = {
  provider: "explicit providers are not modelled (the sandbox uses the default provider of each package)",
  remote: "remote components are not modelled",
  inputs: "supplied inputs are not modelled (the provider's Read gives them)",
  outputs: "supplied outputs are not modelled (the sandbox always reads the object)",
  parameterization: "parameterized providers are not modelled",
  extension: "provider extensions are not modelled",
  pluginDownloadUrl: "plugin downloads are not modelled",
};

/** Check the file's shape (what Go's JSON decoder would refuse, and the fields the sandbox cannot honour). */
export function parseImportFile(value: unknown, where = "the import file"): ImportFile {
  const problems: string[] = [];
  if (!isRecord(value))
    throw new ImportFileError(["the file must hold a JSON object with `resources` (and optionally `nameTable`)"], where);
  const { nameTable, resources, providerInputs } = value;
  if (providerInputs !== undefined) problems.push(`providerInputs: ${UNMODELLED_FIELDS.provider}`);
  if (nameTable !== undefined && nameTable !== null) {
    if (!isRecord(nameTable)) problems.push("nameTable must map names to URNs");
    else
      for (const [name, urn] of Object.entries(nameTable)) {
        if (typeof urn !== "string" || !urn.startsWith("urn:pulumi:"))
          problems.push(`nameTable.${name} must be a URN (urn:pulumi:…), got ${JSON.stringify(urn)}`);
      }
  }
  if (!Array.isArray(resources) || resources.length === 0) {
    problems.push("resources must be a non-empty list of resources to import");
    throw new ImportFileError(problems, where);
  }
  const specs = resources.map((entry: unknown, index): ImportSpec => {
    if (!isRecord(entry)) {
      problems.push(`resources[${index}] must be an object`);
      return { type: "", name: "" };
    }
    const at = describe(index, entry as Partial<ImportSpec>);
    for (const [field, why] of Object.entries(UNMODELLED_FIELDS)) {
      if (entry[field] !== undefined && entry[field] !== false) problems.push(`${at}.${field}: ${why}`);
    }
    for (const field of ["type", "name", "id", "parent", "logicalName", "version"] as const) {
      if (entry[field] !== undefined && typeof entry[field] !== "string") problems.push(`${at}.${field} must be a string`);
    }
    if (entry.component !== undefined && typeof entry.component !== "boolean") problems.push(`${at}.component must be true or false`);
    if (entry.properties !== undefined && (!Array.isArray(entry.properties) || !entry.properties.every((p) => typeof p === "string")))
      problems.push(`${at}.properties must be a list of property names`);
    const spec: ImportSpec = {
      type: typeof entry.type === "string" ? entry.type : "",
      name: typeof entry.name === "string" ? entry.name : "",
    };
    if (typeof entry.id === "string" && entry.id !== "") spec.id = entry.id;
    if (typeof entry.parent === "string" && entry.parent !== "") spec.parent = entry.parent;
    if (entry.component === true) spec.component = true;
    if (typeof entry.logicalName === "string" && entry.logicalName !== "") spec.logicalName = entry.logicalName;
    if (Array.isArray(entry.properties)) spec.properties = entry.properties.filter((p): p is string => typeof p === "string");
    if (typeof entry.version === "string") spec.version = entry.version;
    // Unknown fields are ignored, as Go's encoding/json does; the known but unmodelled ones are refused above.
    return spec;
  });
  if (problems.length > 0) throw new ImportFileError(problems, where);
  return { ...(isRecord(nameTable) ? { nameTable: nameTable as Record<string, string> } : {}), resources: specs };
}

/** The qualified type in a URN (`a$b$c`): the part before the name. */
function qualifiedTypeOf(urn: string): string {
  return urn.split("::")[2] ?? "";
}

/** The URN the engine's runs give a resource (see the module comment: the mocks' newUrn). */
export function resourceUrn(stack: string, project: string, parentUrn: string | null, type: string, name: string): string {
  const qualified = parentUrn ? `${qualifiedTypeOf(parentUrn).split("$").pop()}$${type}` : type;
  return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
}

function isZero(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === "boolean") return !value;
  if (typeof value === "number") return value === 0;
  if (typeof value === "string") return value === "";
  if (Array.isArray(value)) return value.length === 0;
  if (isRecord(value)) return Object.keys(value).length === 0;
  return false;
}

/** isDefaultOrZeroValue: equal to the schema's Default when it has one, else the type's zero value. */
function isDefaultOrZero(rule: PropertyRule, value: unknown): boolean {
  if (rule.default !== undefined) return value === rule.default;
  return isZero(value);
}

/** extractSchemaInputsObject: the inputs the bridge hands Pulumi for an imported resource. */
export function extractImportInputs(schema: Schema, state: Properties): Properties {
  const inputs: Properties = {};
  for (const [property, value] of Object.entries(state)) {
    const rule = Object.hasOwn(schema, property) ? schema[property] : undefined;
    if (!rule || rule.mode === "computed") continue; // not in the schema, or not an input
    const extracted = rule.kind === "block" && rule.block && isRecord(value) ? extractImportInputs(rule.block, value) : value;
    if (rule.mode !== "required" && isDefaultOrZero(rule, extracted)) continue;
    inputs[property] = structuredClone(extracted);
  }
  return inputs;
}

/** An entry with `name` and `logicalName` defaulted to each other. */
type NamedSpec = ImportSpec & { logicalName: string };

interface Planned {
  index: number;
  spec: NamedSpec;
  urn: string;
  parent: string | null;
  custom: boolean;
  model: ImportableModel | null;
}

/**
 * `pulumi import --file`: validate the file against the state and the provider models, read every
 * custom resource by its id, then add them all to the state (or none, on any failure).
 */
export async function importResources(state: StackState, importFile: unknown, ctx: ImportContext): Promise<ImportResult> {
  const file = parseImportFile(importFile);
  const project = ctx.project ?? CONFIG_NAMESPACE;
  const protect = ctx.protect ?? true;
  const problems: string[] = [];
  const specs = file.resources.map((spec): NamedSpec => ({
    ...spec,
    name: spec.name || (spec.logicalName ?? ""),
    logicalName: spec.logicalName ?? spec.name,
  }));

  // Basic constraints (parseImportFile in pulumi's CLI), then the sandbox's own: a model that can import.
  const models = specs.map((spec, index): ImportableModel | null => {
    const at = describe(index, spec);
    if (spec.type === "") problems.push(`${at}.type: missing (every entry needs a type)`);
    if (spec.name === "") problems.push(`${at}.name: missing (every entry needs a name)`);
    if (spec.type.startsWith(PROVIDER_TYPE_PREFIX)) {
      problems.push(`${at}.type: ${UNMODELLED_FIELDS.provider}`);
      return null;
    }
    if (spec.component) {
      if (spec.id !== undefined) problems.push(`${at}.id: has an ID, but is marked as a component`);
      return null;
    }
    if (spec.id === undefined) problems.push(`${at}.id: has no ID (a custom resource is imported by its provider id)`);
    if (spec.type === "") return null;
    const reason = Object.hasOwn(NOT_IMPORTABLE, spec.type) ? NOT_IMPORTABLE[spec.type] : undefined;
    if (reason) {
      problems.push(`${at}.type: ${spec.type} cannot be imported: ${reason}`);
      return null;
    }
    const model = ctx.modelFor(spec.type);
    if (!model) {
      problems.push(`${at}.type: no provider model for type ${spec.type}`);
      return null;
    }
    if (!model.schema) {
      problems.push(`${at}.type: the sandbox's model of ${spec.type} has no schema to tell its inputs from its outputs`);
      return null;
    }
    return model;
  });
  if (problems.length > 0) throw new ImportFileError(problems, "the import file");

  // Names: a name two entries share is ambiguous only when something names it as its parent.
  const nameCount = new Map<string, number>();
  for (const spec of specs) nameCount.set(spec.name, (nameCount.get(spec.name) ?? 0) + 1);
  const nameTable = file.nameTable ?? {};
  const urnOf = new Map<string, string>(); // in-file name → URN, once resolved
  const takenUrns = new Map<string, string>(Object.values(nameTable).map((urn) => [urn, "the nameTable"]));
  const planned: (Planned | undefined)[] = new Array<Planned | undefined>(specs.length).fill(undefined);
  /** Parents before children: the order the state records them in. */
  const resolved: Planned[] = [];
  // Resolve parents entry by entry until every URN is known (a parent may come later in the file).
  let progress = true;
  while (progress && planned.some((entry) => entry === undefined)) {
    progress = false;
    specs.forEach((spec, index) => {
      if (planned[index] !== undefined) return;
      let parent: string | null = null;
      if (spec.parent !== undefined) {
        if (Object.hasOwn(nameTable, spec.parent)) parent = nameTable[spec.parent];
        else if (!nameCount.has(spec.parent)) {
          problems.push(`${describe(index, spec)}.parent: the parent '${spec.parent}' has no entry in 'nameTable' or 'resources'`);
          planned[index] = { index, spec, urn: "", parent: null, custom: false, model: null };
          progress = true;
          return;
        } else if ((nameCount.get(spec.parent) ?? 0) > 1) {
          problems.push(`${describe(index, spec)}.parent: '${spec.parent}' is ambiguous (several entries have that name)`);
          planned[index] = { index, spec, urn: "", parent: null, custom: false, model: null };
          progress = true;
          return;
        } else {
          const parentUrn = urnOf.get(spec.parent);
          if (parentUrn === undefined) return; // its parent's URN is not known yet: next pass
          parent = parentUrn;
        }
      }
      const urn = resourceUrn(ctx.stack, project, parent, spec.type, spec.logicalName);
      const taken = takenUrns.get(urn);
      if (taken !== undefined)
        problems.push(`${describe(index, spec)}.name: has the same URN as ${taken} (${urn}): set name (or logicalName) to be unique`);
      takenUrns.set(urn, describe(index, spec));
      urnOf.set(spec.name, urn);
      const entry: Planned = { index, spec, urn, parent, custom: spec.component !== true, model: models[index] };
      planned[index] = entry;
      resolved.push(entry);
      progress = true;
    });
  }
  specs.forEach((spec, index) => {
    if (planned[index] === undefined) problems.push(`${describe(index, spec)}.parent: '${spec.parent ?? ""}' is its own ancestor`);
  });
  if (problems.length > 0) throw new ImportFileError(problems, "the import file");
  const plan = resolved;

  // Against the state: the same URN with the same id is skipped, another id is refused; a parent must exist.
  const existing = new Map(state.resources.filter((record) => !record.pendingDelete).map((record) => [record.urn, record]));
  const importing = new Set(plan.map((entry) => entry.urn));
  const skipped: ImportedResource[] = [];
  const toImport: Planned[] = [];
  const failures: string[] = [];
  for (const entry of plan) {
    const old = existing.get(entry.urn);
    const summary = {
      urn: entry.urn,
      type: entry.spec.type,
      name: entry.spec.logicalName,
      id: entry.spec.id ?? "",
      component: !entry.custom,
    };
    if (old) {
      if (old.id === (entry.spec.id ?? "")) skipped.push({ ...summary, id: old.id });
      else failures.push(`${describe(entry.index, entry.spec)}: resource '${entry.urn}' already exists (with id '${old.id}')`);
      continue;
    }
    if (entry.parent !== null && !existing.has(entry.parent) && !importing.has(entry.parent)) {
      failures.push(`${describe(entry.index, entry.spec)}.parent: unknown parent '${entry.parent}' (not in the stack)`);
    }
    toImport.push(entry);
  }
  if (failures.length > 0) {
    throw new ImportError(
      `Importing into stack '${ctx.stack}' failed, nothing was imported:\n${failures.map((line) => `  - ${line}`).join("\n")}`,
      "a resource already in the stack is managed already: leave it out of the import file (or `pulumi state delete` it first); " +
        "name a parent the stack holds or the file imports.",
    );
  }

  // The preview: read every custom resource by its id alone (no inputs, no prior state).
  const read = await Promise.all(
    toImport.map(async (entry): Promise<{ entry: Planned; live: Properties | null; error?: string }> => {
      if (!entry.custom || !entry.model) return { entry, live: {} };
      try {
        return { entry, live: await entry.model.read(entry.spec.id ?? "", {}, { ...ctx.provider, resourceName: entry.spec.logicalName }) };
      } catch (error) {
        const named = error instanceof ResourceApplyError ? renameResourceError(error, entry.spec.logicalName) : null;
        return { entry, live: null, error: named?.message ?? (error instanceof Error ? error.message : String(error)) };
      }
    }),
  );
  const readFailures = read
    .filter(({ live, error }) => live === null || error !== undefined)
    .map(
      ({ entry, error }) =>
        `${describe(entry.index, entry.spec)}: ${error ?? `Preview failed: resource '${entry.spec.id ?? ""}' does not exist`}`,
    );
  if (readFailures.length > 0) {
    throw new ImportError(
      `Importing into stack '${ctx.stack}' failed, nothing was imported:\n${readFailures.map((line) => `  - ${line}`).join("\n")}`,
      "check each id against the tenant (the application's object id, not its client id: /applications/<objectId>).",
    );
  }

  const records: ResourceRecord[] = read.map(({ entry, live }) => {
    const outputs = live ?? {};
    let inputs = entry.custom && entry.model?.schema ? extractImportInputs(entry.model.schema, outputs) : {};
    if (entry.spec.properties && entry.spec.properties.length > 0) {
      const wanted = new Set(entry.spec.properties);
      inputs = Object.fromEntries(Object.entries(inputs).filter(([key]) => wanted.has(key)));
    }
    return {
      urn: entry.urn,
      type: entry.spec.type,
      name: entry.spec.logicalName,
      custom: entry.custom,
      parent: entry.parent,
      id: entry.custom ? (entry.spec.id ?? "") : "",
      inputs,
      state: entry.custom ? outputs : {},
      protect,
      retainOnDelete: false,
      dependencies: [],
    };
  });
  return {
    state: { resources: [...state.resources, ...records], outputs: state.outputs },
    imported: records.map((record) => ({
      urn: record.urn,
      type: record.type,
      name: record.name,
      id: record.id,
      component: !record.custom,
    })),
    skipped,
  };
}
