/** The bridge's diff for Plugin SDK v2 schemas (scripts/sandbox/provider/schema.ts), rule by rule. */
import { diffSdkV2, type Schema } from "../../../scripts/sandbox/provider/schema";
import { goRfc3339 } from "../../../scripts/sandbox/provider/support";

const schema: Schema = {
  name: { kind: "string", mode: "required", source: "test" },
  id: { kind: "string", mode: "required", forceNew: true, source: "test" },
  audience: { kind: "string", mode: "optional", default: "AzureADMyOrg", source: "test" },
  notes: { kind: "string", mode: "optional", source: "test" },
  enabled: { kind: "bool", mode: "optional", source: "test" },
  tags: { kind: "set", mode: "optional+computed", source: "test" },
  uris: { kind: "set", mode: "optional", source: "test" },
  definitions: { kind: "list", mode: "required", source: "test" },
  rotate: { kind: "map", mode: "optional", forceNew: true, source: "test" },
  api: {
    kind: "block",
    mode: "optional",
    source: "test",
    block: {
      version: { kind: "int", mode: "optional", default: 1, source: "test" },
      mapped: { kind: "bool", mode: "optional", source: "test" },
    },
  },
  clientId: { kind: "string", mode: "computed", source: "test" },
};

const state = {
  name: "a",
  id: "x",
  audience: "AzureADMyOrg",
  notes: "",
  enabled: false,
  tags: ["t1"],
  uris: ["u1", "u2"],
  definitions: ["d1", "d2"],
  rotate: { r: "1" },
  api: { version: 1, mapped: false },
  clientId: "c",
};
const inputs = { name: "a", id: "x", uris: ["u2", "u1"], definitions: ["d1", "d2"], rotate: { r: "1" } };

it("left-out properties compare with their default or zero value; Optional+Computed ones are kept", () => {
  expect(diffSdkV2(schema, state, inputs)).toEqual([]);
  expect(diffSdkV2(schema, { ...state, notes: "kept?" }, inputs)).toEqual([{ property: "notes", replace: false }]);
  expect(diffSdkV2(schema, { ...state, tags: ["other"] }, inputs)).toEqual([]);
  expect(diffSdkV2(schema, { ...state, audience: "AzureADMultipleOrgs" }, inputs)).toEqual([{ property: "audience", replace: false }]);
  expect(diffSdkV2(schema, { ...state, api: { version: 2 } }, inputs)).toEqual([{ property: "api", replace: false }]);
});

it("sets ignore order, lists do not; maps compare by entries; ForceNew properties replace; outputs never differ", () => {
  expect(diffSdkV2(schema, state, { ...inputs, definitions: ["d2", "d1"] })).toEqual([{ property: "definitions", replace: false }]);
  expect(diffSdkV2(schema, state, { ...inputs, rotate: { r: 1 } })).toEqual([]);
  expect(diffSdkV2(schema, state, { ...inputs, rotate: { r: "2" } })).toEqual([{ property: "rotate", replace: true }]);
  expect(diffSdkV2(schema, state, { ...inputs, id: "y" })).toEqual([{ property: "id", replace: true }]);
  expect(diffSdkV2(schema, state, { ...inputs, clientId: "other" })).toEqual([]);
  expect(diffSdkV2(schema, state, { ...inputs, api: { version: 1, mapped: false } })).toEqual([]);
});

it("Go's RFC3339 round trip drops the fraction and keeps the offset; what Go would not parse is null", () => {
  expect(goRfc3339("2026-01-01T00:00:00.000Z")).toBe("2026-01-01T00:00:00Z");
  expect(goRfc3339("2026-01-01T01:00:00.5+01:00")).toBe("2026-01-01T01:00:00+01:00");
  expect(goRfc3339("2026-01-01")).toBeNull();
  expect(goRfc3339("2026-13-01T00:00:00Z")).toBeNull();
});
