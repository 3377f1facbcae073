/**
 * The sandbox's model of Pulumi's engine for one `pulumi up` (or `pulumi preview`) of a stack whose
 * state it keeps: refresh first (Pulumi.yaml sets `options.refresh: always`), run the real program,
 * and for each resource it declares decide create / same / update / replace from the provider's
 * diff, then delete what the program no longer declares and what was replaced.
 *
 * Rules, each from pulumi/pulumi pkg/resource/deploy (v3.270):
 * - step_generator.go `generateStepsFromDiff`: no diff → same; a diff with a replace key (or a
 *   `replaceOnChanges` property) → replace, else update. Replacing fails when the resource is
 *   protected in the state AND in the program ("unable to replace resource … as it is currently
 *   marked for protection"); unprotecting and replacing in one update is allowed.
 * - Replacement is create-before-delete unless `deleteBeforeReplace`: the new instance is created at
 *   once, the old one is deleted "later on, after all creates/updates finish" (`GenerateDeletes`).
 * - `GenerateDeletes`: resources of the old state the program did not register, and those pending
 *   deletion, are deleted in reverse dependency order; step.go `DeleteStep.Apply` refuses a
 *   protected one ("unable to delete resource … as it is currently marked for protection"), and a
 *   `retainOnDelete` resource is dropped from the state without calling the provider.
 * - `--replace URN` (step_generator.go `stepGenerator.diff`): a targeted resource gets "a 'replace'
 *   diff that blames the id", whatever the provider would say.
 * - `ignoreChanges`: the listed properties keep their prior value (the engine's
 *   `processIgnoreChanges`; pulumi-terraform-bridge applies them as Terraform `ignore_changes`,
 *   against the prior state).
 * - Refresh (`RefreshStep.Apply`): the provider's Read replaces each resource's outputs; a resource
 *   the provider no longer finds is removed from the state.
 * - A failed update keeps every completed step in the state (the engine checkpoints each step) and
 *   keeps replaced resources as pending deletion for the next update.
 */
import type * as pulumi from "@pulumi/pulumi";
import { CmicError, EXIT_FAILED } from "../../../contract/errors";
import type { ProviderContext, Properties, PropertyDiff, ResourceModel } from "../provider/types";
import { ResourceApplyError } from "../provider/errors";
import { renameResourceError } from "../provider/support";
import { runProgram, UNKNOWN_OUTPUT, unwrapMockInputs, type ResolvedOutput } from "../runProgram";
import { invokeDataSource } from "./dataSources";
import { RegistrationOptionsTap, type RegistrationOptions } from "./options";
import type { RefreshChange, Step } from "./plan";
import type { ResourceRecord, StackState } from "./state";

export interface EngineOptions {
  stack: string;
  /** Stack config, fully qualified keys. */
  config: Record<string, string>;
  /** The state before this update (not changed: the result carries the new one). */
  state: StackState;
  loadProgram: () => Record<string, unknown>;
  provider: ProviderContext;
  /** The provider model of each resource type. */
  modelFor: (type: string) => ResourceModel | undefined;
  /** Refresh before the update (`options.refresh: always`). */
  refresh: boolean;
  /** `pulumi preview`: decide every step, change nothing. */
  preview?: boolean;
  /** `pulumi up --replace URN`: these resources are replaced whatever their diff. */
  replace?: readonly string[];
  onStep?(step: Step): void;
  onRefresh?(change: RefreshChange): void;
}

export interface EngineResult {
  ok: boolean;
  /** Why the update failed (a resource operation, the program, a protected resource). */
  error: Error | null;
  steps: Step[];
  refreshed: RefreshChange[];
  /** The state after the update: after a failure, with every step that completed. */
  state: StackState;
  /** The state as refresh read it back, before any step (what a preview's "old" values are). */
  refreshedState: StackState;
  /** The program's exports; null when the update failed before they resolved. */
  outputs: Record<string, ResolvedOutput> | null;
}

/** Pulumi refused an operation on a protected resource. */
export class ProtectedResourceError extends CmicError {
  constructor(message: string, fix: string) {
    super("ERR_PROTECTED_RESOURCE", message, { fix, exitCode: EXIT_FAILED });
  }
}

/** Pulumi's runtime is process-wide: updates run one after another, never interleaved. */
let queue: Promise<unknown> = Promise.resolve();

export function runEngine(options: EngineOptions): Promise<EngineResult> {
  const run = queue.then(() => new Update(options).run());
  queue = run.catch(() => undefined);
  return run;
}

/** Key order does not make two states differ. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}

/** Inputs that hold a value only known after the update (a preview's unknowns). */
function holdsUnknown(value: unknown): boolean {
  if (value === UNKNOWN_OUTPUT) return true;
  if (Array.isArray(value)) return value.some(holdsUnknown);
  if (value !== null && typeof value === "object") return Object.values(value).some(holdsUnknown);
  return false;
}

/**
 * The provider's plan-time validation, which, like Terraform's validators, cannot judge a value not
 * known yet: at preview, inputs holding unknowns are not checked (the update checks them).
 */
async function checkKnown(model: ResourceModel, inputs: Properties, provider: ProviderContext, state: Properties | null): Promise<void> {
  if (holdsUnknown(inputs)) return;
  await model.check?.(inputs, provider, state);
}

/** Top-level properties whose values differ. */
export function changedProperties(before: Properties, after: Properties): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((key) => canonical(before[key]) !== canonical(after[key])).sort();
}

/** `ignoreChanges` paths (`identifierUris`, `api.mappedClaimsEnabled`) take their value from the prior state. */
export function withIgnoredChanges(inputs: Properties, state: Properties, ignoreChanges: readonly string[]): Properties {
  const merged = structuredClone(inputs);
  for (const path of ignoreChanges) {
    const keys = path.split(".");
    let source: unknown = state;
    for (const key of keys) source = source !== null && typeof source === "object" ? (source as Record<string, unknown>)[key] : undefined;
    let target: Record<string, unknown> = merged;
    for (const key of keys.slice(0, -1)) {
      const next = target[key];
      if (next === null || typeof next !== "object") target[key] = {};
      target = target[key] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1];
    if (source === undefined) delete target[last];
    else target[last] = structuredClone(source);
  }
  return merged;
}

/**
 * Copy a value into this module's realm. Objects parsed by node's fetch belong to node's own realm;
 * under Jest (a separate vm realm) Pulumi's serializer does not recognise those arrays as arrays.
 */
function sameRealm<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A provider's failure, named after the resource as `pulumi up` prints it. */
function resourceError(name: string, error: unknown): Error {
  if (error instanceof ResourceApplyError) return renameResourceError(error, name);
  if (error instanceof CmicError) return error;
  const graphError = error as { statusCode?: number; code?: string; message?: string };
  return new ResourceApplyError(
    name,
    graphError.statusCode !== undefined
      ? `Graph answered ${graphError.statusCode} ${graphError.code ?? ""}: ${graphError.message ?? String(error)}`
      : (graphError.message ?? String(error)),
  );
}

class Update {
  /** The live state this update works on, by URN (refreshed; replaced ones move to pendingDeletes). */
  private readonly current = new Map<string, ResourceRecord>();
  /** Prior-state order: deletes run in its reverse. */
  private prior: ResourceRecord[] = [];
  private readonly registered: ResourceRecord[] = [];
  private readonly steps: Step[] = [];
  private readonly refreshed: RefreshChange[] = [];
  private tap: RegistrationOptionsTap | null = null;
  private refreshedRecords: ResourceRecord[] = [];

  constructor(private readonly options: EngineOptions) {}

  async run(): Promise<EngineResult> {
    const { options } = this;
    let outputs: Record<string, ResolvedOutput> | null = null;
    let error: Error | null = null;
    try {
      this.prior = options.refresh ? await this.refresh(options.state.resources) : options.state.resources.map((r) => ({ ...r }));
      this.refreshedRecords = [...this.prior];
      for (const record of this.prior) if (!record.pendingDelete) this.current.set(record.urn, record);
      const run = await runProgram({
        stack: options.stack,
        config: options.config,
        preview: options.preview,
        mocks: this.mocks(),
        loadProgram: options.loadProgram,
        onMocksInstalled: () => {
          this.tap = RegistrationOptionsTap.install();
        },
      });
      await this.deleteLeftovers();
      outputs = run.outputs;
    } catch (caught) {
      error = caught instanceof Error ? caught : new Error(String(caught));
    }
    return {
      ok: error === null,
      error,
      steps: this.steps,
      refreshed: this.refreshed,
      state: this.newState(outputs),
      refreshedState: { resources: this.refreshedRecords, outputs: options.state.outputs },
      outputs,
    };
  }

  /** The provider context for one resource: its name travels with it, for errors and ids. */
  private context(name: string): ProviderContext {
    return { ...this.options.provider, resourceName: name };
  }

  private model(record: { type: string; name: string }): ResourceModel {
    const model = this.options.modelFor(record.type);
    if (!model) throw new ResourceApplyError(record.name, `the sandbox does not emulate resources of type ${record.type}`);
    return model;
  }

  private async refresh(records: readonly ResourceRecord[]): Promise<ResourceRecord[]> {
    const read = await Promise.all(
      records.map(async (record): Promise<ResourceRecord | null> => {
        if (!record.custom) return { ...record };
        let live: Properties | null;
        try {
          live = await this.model(record).read(record.id, record.state, this.context(record.name));
        } catch (error) {
          throw resourceError(record.name, error);
        }
        const base = { urn: record.urn, name: record.name, type: record.type };
        if (live === null) {
          this.noteRefresh({ ...base, change: "deleted", properties: [] });
          return null;
        }
        const properties = changedProperties(record.state, live);
        if (properties.length > 0) this.noteRefresh({ ...base, change: "changed", properties });
        return { ...record, state: live };
      }),
    );
    return read.filter((record): record is ResourceRecord => record !== null);
  }

  private noteRefresh(change: RefreshChange): void {
    this.refreshed.push(change);
    this.options.onRefresh?.(change);
  }

  private mocks(): pulumi.runtime.Mocks {
    return {
      call: async (args) => sameRealm(await invokeDataSource(args.token, args.inputs as Properties, this.options.provider)),
      newResource: async (args) => {
        if (!this.tap) throw new Error("The engine's registration tap is not installed.");
        const registration = this.tap.take(args.type, args.name);
        const { inputs, secretPaths } = unwrapMockInputs(args.inputs as Properties);
        const secretProperties = [
          ...new Set([...secretPaths.map((path) => path.split(/[.[]/)[0]), ...registration.additionalSecretOutputs]),
        ].filter((name) => name !== "");
        const record = await this.register(args.type, args.name, args.custom !== false, inputs, { ...registration, secretProperties });
        return { id: record.id, state: sameRealm(record.state) };
      },
    };
  }

  private step(step: Step): void {
    this.steps.push(step);
    this.options.onStep?.(step);
  }

  private async register(
    type: string,
    name: string,
    custom: boolean,
    inputs: Properties,
    registration: RegistrationOptions & { secretProperties: string[] },
  ): Promise<ResourceRecord> {
    const old = this.current.get(registration.urn);
    const base = {
      urn: registration.urn,
      type,
      name,
      custom,
      parent: registration.parent,
      protect: registration.protect,
      retainOnDelete: registration.retainOnDelete,
      dependencies: registration.dependencies,
      ...(registration.secretProperties.length > 0 ? { secretProperties: registration.secretProperties } : {}),
    };
    const stepOf = (op: Step["op"], diffs: PropertyDiff[] = []): Step => ({
      urn: registration.urn,
      name,
      type,
      op,
      diffs: diffs.map((diff) => diff.property),
      ...(op === "replace" ? { replaceReasons: diffs.filter((diff) => diff.replace).map((diff) => diff.property) } : {}),
    });
    let record: ResourceRecord;
    if (!custom) {
      record = { ...base, id: "", inputs, state: {} };
      this.step(stepOf(old ? "same" : "create"));
    } else {
      try {
        record = old ? await this.change(old, base, inputs, registration, stepOf) : await this.create(base, inputs, stepOf);
      } catch (error) {
        throw resourceError(name, error);
      }
    }
    this.current.set(record.urn, record);
    this.registered.push(record);
    return record;
  }

  private async create(
    base: Omit<ResourceRecord, "id" | "inputs" | "state">,
    inputs: Properties,
    stepOf: (op: Step["op"]) => Step,
  ): Promise<ResourceRecord> {
    const model = this.model(base);
    const provider = this.context(base.name);
    await checkKnown(model, inputs, provider, null);
    const created = this.options.preview ? { id: "", state: inputs } : await model.create(inputs, provider);
    this.step(stepOf("create"));
    return { ...base, id: created.id, inputs, state: created.state };
  }

  private async change(
    old: ResourceRecord,
    base: Omit<ResourceRecord, "id" | "inputs" | "state">,
    programInputs: Properties,
    registration: RegistrationOptions,
    stepOf: (op: Step["op"], diffs?: PropertyDiff[]) => Step,
  ): Promise<ResourceRecord> {
    const { preview } = this.options;
    const provider = this.context(base.name);
    const model = this.model(base);
    const inputs = withIgnoredChanges(programInputs, old.state, registration.ignoreChanges);
    await checkKnown(model, inputs, provider, old.state);
    // A targeted replace (`--replace URN`) skips the provider's diff: "just return a 'replace' diff
    // that blames the id" (pulumi/pulumi pkg/resource/deploy/step_generator.go, stepGenerator.diff).
    const diffs = this.options.replace?.includes(old.urn)
      ? [{ property: "id", replace: true }]
      : model.diff(old.state, inputs, provider).map((diff) => ({
          ...diff,
          replace: diff.replace || registration.replaceOnChanges.includes(diff.property) || registration.replaceOnChanges.includes("*"),
        }));
    if (diffs.length === 0) {
      this.step(stepOf("same"));
      return { ...base, id: old.id, inputs, state: old.state };
    }
    if (!diffs.some((diff) => diff.replace)) {
      const state = preview ? { ...old.state, ...inputs } : await model.update(old.id, old.state, inputs, provider);
      this.step(stepOf("update", diffs));
      return { ...base, id: old.id, inputs, state };
    }
    if (registration.protect && old.protect) {
      throw new ProtectedResourceError(
        `unable to replace resource "${old.urn}"\nas it is currently marked for protection. To unprotect the resource, ` +
          "remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`",
        `the change of ${diffs
          .filter((diff) => diff.replace)
          .map((diff) => diff.property)
          .join(
            ", ",
          )} needs a new ${old.name}: set cmic-entra-oauth:protect false, run pulumi up, then set it back (CMiC's registration must then be updated with the new client id).`,
      );
    }
    if (registration.deleteBeforeReplace === true && !preview) {
      if (!old.retainOnDelete) await model.delete(old.id, old.state, provider);
      this.current.delete(old.urn);
      this.prior = this.prior.filter((record) => record !== old);
    } else {
      // Create-before-delete: the old instance waits for the end of the update, unprotected along
      // with the new goal (Pulumi allows unprotecting and replacing in one update).
      this.prior = this.prior.map((record) =>
        record === old ? { ...old, protect: old.protect && registration.protect, pendingDelete: true } : record,
      );
    }
    const created = preview ? { id: "", state: inputs } : await model.create(inputs, provider);
    this.step(stepOf("replace", diffs));
    return { ...base, id: created.id, inputs, state: created.state };
  }

  /** Pulumi's deletes, after every create and update: undeclared resources and replaced ones, reverse order. */
  private async deleteLeftovers(): Promise<void> {
    const registered = new Set(this.registered.map((record) => record.urn));
    const leftovers = this.prior.filter((record) => record.pendingDelete === true || !registered.has(record.urn)).reverse();
    for (const record of leftovers) {
      if (record.protect) {
        throw new ProtectedResourceError(
          `unable to delete resource "${record.urn}"\nas it is currently marked for protection. To unprotect the resource, ` +
            "either remove the `protect` flag from the resource in your Pulumi program or use the command:\n" +
            `\`pulumi state unprotect ${record.urn}\``,
          `set cmic-entra-oauth:protect false and run pulumi up, then run the change again.`,
        );
      }
      if (!this.options.preview && record.custom && !record.retainOnDelete) {
        try {
          await this.model(record).delete(record.id, record.state, this.context(record.name));
        } catch (error) {
          throw resourceError(record.name, error);
        }
      }
      this.prior = this.prior.filter((candidate) => candidate !== record);
      if (!record.pendingDelete) {
        this.current.delete(record.urn);
        this.step({
          urn: record.urn,
          name: record.name,
          type: record.type,
          op: "delete",
          diffs: [],
          ...(record.retainOnDelete ? { retained: true } : {}),
        });
      }
    }
  }

  /** Registered resources in registration order, then what is left of the prior state (after a failure). */
  private newState(outputs: Record<string, ResolvedOutput> | null): StackState {
    const registered = new Set(this.registered.map((record) => record.urn));
    const left = this.prior.filter((record) => record.pendingDelete === true || !registered.has(record.urn));
    const plainOutputs = outputs
      ? Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value]))
      : this.options.state.outputs;
    return { resources: [...this.registered, ...left], outputs: plainOutputs };
  }
}
