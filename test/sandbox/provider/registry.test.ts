/**
 * The registry covers every resource type the real program declares, each model accepts the inputs
 * the program gives it, and docs/provider-model.md states each model's properties as the code does.
 */
import fs from "node:fs";
import path from "node:path";
import { generateTestCertificate } from "../../support/certificates";
import { RecordingMocks } from "../../support/recordingMocks";
import { runProgram } from "../../../scripts/sandbox/runProgram";
import { modelFor, PROVIDER_MODELS, renameResourceError } from "../../../scripts/sandbox/provider";
import { ResourceApplyError } from "../../../scripts/sandbox/provider/errors";
import type { PropertyRule } from "../../../scripts/sandbox/provider/schema";
import { useHarness } from "./harness";

const harness = useHarness();
const COMPONENT = "cmic-entra-oauth:index:CmicEntraIntegration";

function loadIndex(): Record<string, unknown> {
  let program: Record<string, unknown> = {};
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require("../../..");
  });
  return program;
}

it("every type the program declares has a model, and each model's check accepts the program's inputs", async () => {
  const h = harness();
  const mocks = new RecordingMocks({ tenantId: h.ctx.tenantId, initialDomain: "contoso.onmicrosoft.com", now: new Date() });
  const certificate = generateTestCertificate({ commonName: "arcoro-connector" });
  const settings: Record<string, string> = {
    deployment: "enterprise",
    serviceUser: "ARCORO_SVC",
    verifiedDomain: "contoso.com",
    owners: JSON.stringify(["9a7b3c1d-2e4f-4a5b-8c6d-7e8f9a0b1c2d"]),
    credential: "both",
    certificate: certificate.certPem,
  };
  const config: Record<string, string> = { "azuread:tenantId": h.ctx.tenantId };
  for (const [key, value] of Object.entries(settings)) config[`cmic-entra-oauth:${key}`] = value;
  await runProgram({ stack: "registry", config, mocks, loadProgram: loadIndex });

  const declared = mocks.resources.filter((resource) => resource.type !== COMPONENT);
  expect(new Set(declared.map((resource) => resource.type))).toEqual(new Set(Object.keys(PROVIDER_MODELS)));
  for (const resource of declared) {
    const model = modelFor(resource.type);
    expect(model?.type).toBe(resource.type);
    await expect(model?.check?.(resource.inputs, h.ctx, null)).resolves.toBeUndefined();
  }
  expect(modelFor(COMPONENT)).toBeUndefined();
  expect(modelFor("toString")).toBeUndefined();
});

it("errors carry the resource's name when the engine gives it, and can be renamed after the fact", async () => {
  const named = harness({ resourceName: "cmic-app" });
  await expect(modelFor("azuread:index/application:Application")?.check?.({ displayName: "" }, named.ctx, null)).rejects.toThrow(
    /^cmic-app: /,
  );
  const anonymous = harness();
  const error = await modelFor("azuread:index/application:Application")
    ?.check?.({ displayName: "" }, anonymous.ctx, null)
    .catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(ResourceApplyError);
  expect((error as ResourceApplyError).message).toMatch(/^azuread_application: /);
  const renamed = renameResourceError(error as ResourceApplyError, "cmic-app");
  expect(renamed.message).toBe((error as ResourceApplyError).message.replace(/^azuread_application: /, "cmic-app: "));
});

/** The documentation's "Replaces?" cell for a rule, as docs/provider-model.md writes it. */
function replacesCell(rule: PropertyRule): string {
  if (rule.mode === "computed") return "— (output)";
  if (rule.forceNew === true) return "**yes**";
  if (typeof rule.forceNew === "string") return `if ${rule.forceNew}`;
  return "no";
}

it("docs/provider-model.md has one row per model property, with its mode and whether it replaces", () => {
  const doc = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "provider-model.md"), "utf8");
  for (const model of Object.values(PROVIDER_MODELS)) {
    const start = doc.indexOf(`### \`${model.type}\``);
    expect(start).toBeGreaterThanOrEqual(0);
    const end = doc.indexOf("\n### ", start + 1);
    const section = doc.slice(start, end === -1 ? undefined : end);
    const rows = new Map(
      section
        .split("\n")
        .filter((line) => line.startsWith("| `"))
        .map((line) => line.split("|").map((cell) => cell.trim()))
        .map((cells) => [cells[1].replace(/`/g, ""), { mode: cells[2], replaces: cells[3] }]),
    );
    const expected = new Map<string, { mode: string; replaces: string }>();
    for (const [property, rule] of Object.entries(model.schema)) {
      expected.set(property, { mode: rule.mode, replaces: replacesCell(rule) });
      for (const [field, fieldRule] of Object.entries(rule.block ?? {})) {
        expected.set(`${property}.${field}`, { mode: fieldRule.mode, replaces: replacesCell(fieldRule) });
      }
    }
    expect(rows).toEqual(expected);
  }
});
