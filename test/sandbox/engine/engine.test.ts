/**
 * The engine model's rules (scripts/sandbox/engine/engine.ts), each from pulumi/pulumi's step
 * generator, shown on a small provider whose objects live in a Map: what a second update, a change,
 * a replacement, a deletion, a refresh after an outside change, `protect`, `retainOnDelete`,
 * `ignoreChanges`, a failure and a preview do to the objects and to the state.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Client } from "@microsoft/microsoft-graph-client";
import { runEngine, type EngineResult } from "../../../scripts/sandbox/engine/engine";
import { changeSummary } from "../../../scripts/sandbox/engine/plan";
import { emptyStackState, type StackState } from "../../../scripts/sandbox/engine/state";
import type { Properties, ProviderContext, ResourceModel } from "../../../scripts/sandbox/provider/types";

const THING = "test:index:Thing";

interface Declared {
  name: string;
  inputs: Properties;
  options?: pulumi.CustomResourceOptions;
}

/** A provider of "things": `key` forces replacement, `value` updates in place; every call logged. */
class ThingProvider implements ResourceModel {
  readonly type = THING;
  readonly sources = ["test provider"];
  readonly objects = new Map<string, Properties>();
  readonly calls: string[] = [];
  failOn: string | null = null;
  private next = 1;

  diff(state: Properties, inputs: Properties) {
    return ["key", "value"]
      .filter((property) => JSON.stringify(state[property]) !== JSON.stringify(inputs[property]))
      .map((property) => ({ property, replace: property === "key" }));
  }
  async create(inputs: Properties) {
    if (this.failOn === `create ${String(inputs.value)}`) throw new Error("provider refused");
    const id = `thing-${this.next++}`;
    this.calls.push(`create ${id} ${String(inputs.value)}`);
    this.objects.set(id, { ...inputs });
    return { id, state: { ...inputs, serial: id } };
  }
  async read(id: string) {
    const object = this.objects.get(id);
    return object ? { ...object, serial: id } : null;
  }
  async update(id: string, _state: Properties, inputs: Properties) {
    this.calls.push(`update ${id} ${String(inputs.value)}`);
    this.objects.set(id, { ...inputs });
    return { ...inputs, serial: id };
  }
  async delete(id: string) {
    this.calls.push(`delete ${id}`);
    this.objects.delete(id);
  }
}

const context: ProviderContext = {
  graph: {} as Client,
  tenantId: "00000000-0000-0000-0000-000000000001",
  now: () => new Date(),
  runCommand: () => Promise.reject(new Error("no commands here")),
};

class Thing extends pulumi.CustomResource {
  constructor(name: string, inputs: Properties, options: pulumi.CustomResourceOptions) {
    super(THING, name, inputs, options);
  }
}

function program(declared: Declared[]): () => Record<string, unknown> {
  return () => {
    const exported: Record<string, unknown> = {};
    let previous: Thing | undefined;
    for (const { name, inputs, options } of declared) {
      // Each thing depends on the one before it, so deletes have an order to respect.
      const thing: Thing = new Thing(name, inputs, { ...options, dependsOn: previous ? [previous] : [] });
      exported[name] = thing.id;
      previous = thing;
    }
    return exported;
  };
}

async function up(
  provider: ThingProvider,
  state: StackState,
  declared: Declared[],
  extra: { preview?: boolean; replace?: string[] } = {},
): Promise<EngineResult> {
  return runEngine({
    stack: "test",
    config: {},
    state,
    loadProgram: program(declared),
    provider: context,
    modelFor: (type) => (type === THING ? provider : undefined),
    refresh: true,
    ...extra,
  });
}

function ops(result: EngineResult): Record<string, string> {
  return Object.fromEntries(result.steps.map((step) => [step.name, step.op]));
}

function okState(result: EngineResult): StackState {
  if (!result.ok) throw result.error;
  return result.state;
}

it("creates on the first update and changes nothing on the second", async () => {
  const provider = new ThingProvider();
  const declared = [
    { name: "a", inputs: { key: "k", value: "1" } },
    { name: "b", inputs: { key: "k", value: "2" } },
  ];
  const first = await up(provider, emptyStackState(), declared);
  expect(ops(first)).toEqual({ a: "create", b: "create" });
  const second = await up(provider, okState(first), declared);
  expect(ops(second)).toEqual({ a: "same", b: "same" });
  expect(changeSummary(second.steps)).toEqual({ create: 0, same: 2, update: 0, replace: 0, delete: 0 });
  expect(provider.calls).toHaveLength(2);
});

it("updates in place when no changed property forces replacement, naming the property", async () => {
  const provider = new ThingProvider();
  const first = await up(provider, emptyStackState(), [{ name: "a", inputs: { key: "k", value: "1" } }]);
  const second = await up(provider, okState(first), [{ name: "a", inputs: { key: "k", value: "2" } }]);
  expect(second.steps).toMatchObject([{ name: "a", op: "update", diffs: ["value"] }]);
  expect(provider.calls.at(-1)).toBe("update thing-1 2");
});

it("replaces create-before-delete, deleting the old instance only after every other step", async () => {
  const provider = new ThingProvider();
  const declared = [
    { name: "a", inputs: { key: "k", value: "1" } },
    { name: "b", inputs: { key: "k", value: "2" } },
  ];
  const first = await up(provider, emptyStackState(), declared);
  const second = await up(provider, okState(first), [
    { name: "a", inputs: { key: "new", value: "1" } },
    { name: "b", inputs: { key: "k", value: "3" } },
  ]);
  expect(second.steps).toMatchObject([
    { name: "a", op: "replace", diffs: ["key"], replaceReasons: ["key"] },
    { name: "b", op: "update" },
  ]);
  expect(provider.calls.slice(2)).toEqual(["create thing-3 1", "update thing-2 3", "delete thing-1"]);
  expect(okState(second).resources.map((record) => record.id)).toEqual(["thing-3", "thing-2"]);
});

it("replaces a resource targeted with --replace although nothing changed, blaming the id, and leaves the others alone", async () => {
  const provider = new ThingProvider();
  const declared = [
    { name: "a", inputs: { key: "k", value: "1" } },
    { name: "b", inputs: { key: "k", value: "2" } },
  ];
  const first = okState(await up(provider, emptyStackState(), declared));
  const target = first.resources.find((record) => record.name === "a")?.urn ?? "";
  const second = await up(provider, first, declared, { replace: [target] });
  expect(second.steps).toMatchObject([
    { name: "a", op: "replace", replaceReasons: ["id"] },
    { name: "b", op: "same" },
  ]);
  expect(provider.calls.slice(2)).toEqual(["create thing-3 1", "delete thing-1"]);
  expect(ops(await up(provider, okState(second), declared))).toEqual({ a: "same", b: "same" });
});

it("deletes before creating when deleteBeforeReplace is set", async () => {
  const provider = new ThingProvider();
  const first = await up(provider, emptyStackState(), [
    { name: "a", inputs: { key: "k", value: "1" }, options: { deleteBeforeReplace: true } },
  ]);
  await up(provider, okState(first), [{ name: "a", inputs: { key: "new", value: "1" }, options: { deleteBeforeReplace: true } }]);
  expect(provider.calls.slice(1)).toEqual(["delete thing-1", "create thing-2 1"]);
});

it("refuses to replace a resource protected in the state and the program, with Pulumi's message, and changes nothing", async () => {
  const provider = new ThingProvider();
  const first = await up(provider, emptyStackState(), [{ name: "a", inputs: { key: "k", value: "1" }, options: { protect: true } }]);
  const second = await up(provider, okState(first), [{ name: "a", inputs: { key: "new", value: "1" }, options: { protect: true } }]);
  expect(second.ok).toBe(false);
  expect(second.error?.message).toMatch(
    /^unable to replace resource "urn:pulumi:test::cmic-entra-oauth::test:index:Thing::a"\nas it is currently marked for protection/,
  );
  expect(provider.calls).toEqual(["create thing-1 1"]);
  expect(second.state.resources.map((record) => record.id)).toEqual(["thing-1"]);
  // Unprotecting and replacing in one update is allowed (step_generator.go).
  const third = await up(provider, second.state, [{ name: "a", inputs: { key: "new", value: "1" }, options: { protect: false } }]);
  expect(ops(third)).toEqual({ a: "replace" });
  expect(provider.calls.slice(1)).toEqual(["create thing-2 1", "delete thing-1"]);
});

it("deletes what the program no longer declares, refuses a protected one, and leaves a retained one in place", async () => {
  const provider = new ThingProvider();
  const first = await up(provider, emptyStackState(), [
    { name: "a", inputs: { key: "k", value: "1" } },
    { name: "kept", inputs: { key: "k", value: "2" }, options: { retainOnDelete: true } },
    { name: "guarded", inputs: { key: "k", value: "3" }, options: { protect: true } },
  ]);
  const refused = await up(provider, okState(first), [{ name: "a", inputs: { key: "k", value: "1" } }]);
  expect(refused.ok).toBe(false);
  expect(refused.error?.message).toMatch(/^unable to delete resource ".*::guarded"\nas it is currently marked for protection/);
  expect(provider.objects.has("thing-3")).toBe(true);

  const unprotected = await up(provider, refused.state, [
    { name: "a", inputs: { key: "k", value: "1" } },
    { name: "guarded", inputs: { key: "k", value: "3" }, options: { protect: false } },
  ]);
  expect(unprotected.ok).toBe(true);
  const removed = await up(provider, okState(unprotected), [{ name: "a", inputs: { key: "k", value: "1" } }]);
  expect(removed.steps).toMatchObject([
    { name: "a", op: "same" },
    { name: "guarded", op: "delete" },
  ]);
  expect(provider.objects.has("thing-2")).toBe(true); // retained: still in the directory
  expect(provider.objects.has("thing-3")).toBe(false);
  expect(okState(removed).resources.map((record) => record.name)).toEqual(["a"]);
});

it("refresh undoes an outside change on the next update, recreates an object deleted outside, and keeps ignored properties", async () => {
  const provider = new ThingProvider();
  const declared: Declared[] = [
    { name: "a", inputs: { key: "k", value: "1" } },
    { name: "b", inputs: { key: "k", value: "2" } },
    { name: "c", inputs: { key: "k", value: "3" }, options: { ignoreChanges: ["value"] } },
  ];
  const first = await up(provider, emptyStackState(), declared);
  provider.objects.set("thing-1", { key: "k", value: "changed in the portal" });
  provider.objects.delete("thing-2");
  provider.objects.set("thing-3", { key: "k", value: "owned elsewhere" });
  const second = await up(provider, okState(first), declared);
  expect(second.refreshed).toMatchObject([
    { name: "a", change: "changed", properties: ["value"] },
    { name: "b", change: "deleted" },
    { name: "c", change: "changed", properties: ["value"] },
  ]);
  expect(ops(second)).toEqual({ a: "update", b: "create", c: "same" });
  expect(provider.objects.get("thing-1")?.value).toBe("1");
  expect(provider.objects.get("thing-3")?.value).toBe("owned elsewhere");
  expect(ops(await up(provider, okState(second), declared))).toEqual({ a: "same", b: "same", c: "same" });
});

it("keeps every completed step in the state when an update fails, and finishes the replacement on the next one", async () => {
  const provider = new ThingProvider();
  const first = await up(provider, emptyStackState(), [{ name: "a", inputs: { key: "k", value: "1" } }]);
  provider.failOn = "create 2";
  const failed = await up(provider, okState(first), [
    { name: "a", inputs: { key: "new", value: "1" } },
    { name: "b", inputs: { key: "k", value: "2" } },
  ]);
  expect(failed.ok).toBe(false);
  expect(failed.error?.message).toBe("b: provider refused");
  // The replacement of `a` was created; its old instance is pending deletion, not lost.
  expect(failed.state.resources.map((record) => [record.id, record.pendingDelete === true])).toEqual([
    ["thing-2", false],
    ["thing-1", true],
  ]);
  expect(provider.objects.has("thing-1")).toBe(true);
  provider.failOn = null;
  const retried = await up(provider, failed.state, [
    { name: "a", inputs: { key: "new", value: "1" } },
    { name: "b", inputs: { key: "k", value: "2" } },
  ]);
  expect(ops(retried)).toEqual({ a: "same", b: "create" });
  expect(provider.objects.has("thing-1")).toBe(false);
  expect(okState(retried).resources.map((record) => record.id)).toEqual(["thing-2", "thing-3"]);
});

it("previews every step without touching an object", async () => {
  const provider = new ThingProvider();
  const first = await up(provider, emptyStackState(), [{ name: "a", inputs: { key: "k", value: "1" } }]);
  const preview = await up(
    provider,
    okState(first),
    [
      { name: "a", inputs: { key: "new", value: "1" } },
      { name: "b", inputs: { key: "k", value: "2" } },
    ],
    {
      preview: true,
    },
  );
  expect(ops(preview)).toEqual({ a: "replace", b: "create" });
  expect(provider.calls).toEqual(["create thing-1 1"]);
});
