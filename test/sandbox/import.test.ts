/**
 * `npm run sandbox -- --state DIR --stack NAME --import FILE` (scripts/sandbox/engine/import.ts): a
 * registration an admin made by hand in the portal (Graph calls, in a world's emulator) is imported
 * as `pulumi import --file` would, through the real provider models; the next sandbox run (the
 * real program, `pulumi up`) then updates it in place (client id kept) instead of creating it again.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Client } from "@microsoft/microsoft-graph-client";
import { claimsMappingDefinition } from "../../components/claimsMapping";
import { COMPONENT_TYPE } from "../../components/cmicEntraIntegration";
import { sandboxCommand } from "../../scripts/sandbox/cli";
import { runEngine } from "../../scripts/sandbox/engine/engine";
import { importResources, type ImportFile } from "../../scripts/sandbox/engine/import";
import { importIntoWorld } from "../../scripts/sandbox/importRun";
import { modelFor, PROVIDER_MODELS } from "../../scripts/sandbox/provider";
import type { ProviderContext } from "../../scripts/sandbox/provider/types";
import { runCaptured } from "../../scripts/shared/cli";
import { deployerGraph } from "../../scripts/world/deployerGraph";
import { openWorld, openWorldForReading, tenantOf } from "../../scripts/world/session";
import { readWorld } from "../../scripts/world/worldDir";
import { newWorldDir, upInWorld, type Settings } from "../support/world";

const APPLICATION = "azuread:index/application:Application";
const IDENTIFIER_URI = "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri";
const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";
const POLICY = "azuread:index/claimsMappingPolicy:ClaimsMappingPolicy";
const ASSIGNMENT = "azuread:index/servicePrincipalClaimsMappingPolicyAssignment:ServicePrincipalClaimsMappingPolicyAssignment";
const PASSWORD = "azuread:index/applicationPassword:ApplicationPassword";

const DISPLAY_NAME = "Arcoro Integration - CMiC (acme)";
/** The stack's settings: what the hand-made objects hold, except that the program asks for v2 tokens. */
const SETTINGS: Settings = {
  deployment: "enterprise",
  serviceUser: "ARCORO_SVC",
  verifiedDomain: "contoso.com",
  displayName: DISPLAY_NAME,
};
const CONFIG = Object.fromEntries(Object.entries(SETTINGS).map(([key, value]) => [`cmic-entra-oauth:${key}`, value]));

interface HandMade {
  appObjectId: string;
  clientId: string;
  identifierUri: string;
  servicePrincipalId: string;
  policyId: string;
  passwordKeyId: string;
}

/** As the portal (and CMiC's guide) has an admin make it: v1 tokens (the manifest left at null), everything else as the program would. */
async function makeByHand(graph: Client, displayName = DISPLAY_NAME): Promise<HandMade> {
  const app = (await graph.api("/applications").post({ displayName, signInAudience: "AzureADMyOrg" })) as { id: string; appId: string };
  const identifierUri = `api://${app.appId}.contoso.com`;
  await graph.api(`/applications/${app.id}`).patch({ identifierUris: [identifierUri], api: { acceptMappedClaims: true } });
  const password = (await graph.api(`/applications/${app.id}/addPassword`).post({ passwordCredential: { displayName: "connector" } })) as {
    keyId: string;
  };
  const sp = (await graph.api("/servicePrincipals").post({ appId: app.appId })) as { id: string };
  const policy = (await graph.api("/policies/claimsMappingPolicies").post({
    displayName: `${displayName} cmicuser`,
    definition: [claimsMappingDefinition("ARCORO_SVC", "cmicuser")],
    isOrganizationDefault: false,
  })) as { id: string };
  await graph
    .api(`/servicePrincipals/${sp.id}/claimsMappingPolicies/$ref`)
    .post({ "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${policy.id}` });
  return {
    appObjectId: app.id,
    clientId: app.appId,
    identifierUri,
    servicePrincipalId: sp.id,
    policyId: policy.id,
    passwordKeyId: password.keyId,
  };
}

/** A world whose tenant holds a hand-made registration and no stack yet. */
async function worldWithHandMade(): Promise<{ dir: string; made: HandMade }> {
  const dir = newWorldDir();
  const session = await openWorld(dir, { write: true });
  try {
    const tenant = session.emulator.addTenant({ initialDomain: "adoptacme.onmicrosoft.com", verifiedDomains: ["contoso.com"] });
    const access = { tenantId: tenant.tenantId, deployer: tenant.deployer };
    const made = await makeByHand(deployerGraph(session.emulator.url, access));
    session.save(access, {});
    return { dir, made };
  } finally {
    await session.close();
  }
}

/** The import file `npm run adopt` writes: the component, then the program's names (components/application.ts, claimsPolicy.ts). */
function adoptFile(made: HandMade): ImportFile {
  const uriId = Buffer.from(made.identifierUri, "utf8").toString("base64");
  return {
    resources: [
      { type: COMPONENT_TYPE, name: "cmic", component: true },
      { type: APPLICATION, name: "cmic-app", id: `/applications/${made.appObjectId}`, parent: "cmic" },
      {
        type: IDENTIFIER_URI,
        name: "cmic-identifier-uri",
        id: `/applications/${made.appObjectId}/identifierUris/${uriId}`,
        parent: "cmic",
      },
      { type: SERVICE_PRINCIPAL, name: "cmic-sp", id: `/servicePrincipals/${made.servicePrincipalId}`, parent: "cmic" },
      { type: POLICY, name: "cmic-claims-policy", id: `/policies/claimsMappingPolicies/${made.policyId}`, parent: "cmic" },
      {
        type: ASSIGNMENT,
        name: "cmic-claims-policy-assignment",
        id: `/servicePrincipals/${made.servicePrincipalId}/claimsMappingPolicies/${made.policyId}`,
        parent: "cmic",
      },
    ],
  };
}

function writeFile(file: unknown): string {
  const target = path.join(mkdtempSync(path.join(tmpdir(), "cmic-import-")), "acme.import.json");
  writeFileSync(target, JSON.stringify(file, null, 2));
  return target;
}

function importFileInto(dir: string, file: unknown, protect = true) {
  return importIntoWorld({ stateDir: dir, stack: "acme", file: writeFile(file), config: () => CONFIG, protect });
}

function stackState(dir: string) {
  return readWorld(dir)?.stacks.acme?.state;
}

const URN_PREFIX = "urn:pulumi:acme::cmic-entra-oauth::";
const childUrn = (type: string, name: string) => `${URN_PREFIX}${COMPONENT_TYPE}$${type}::${name}`;

it("imports a hand-made registration as it is; the next pulumi up updates the app in place (same client id) and creates none of it; the run after is all same", async () => {
  const { dir, made } = await worldWithHandMade();
  const done = await importFileInto(dir, adoptFile(made));
  expect(done.createdStack).toBe(true);
  expect(done.imported.map((resource) => [resource.type, resource.name, resource.id])).toEqual([
    [COMPONENT_TYPE, "cmic", ""],
    [APPLICATION, "cmic-app", `/applications/${made.appObjectId}`],
    [IDENTIFIER_URI, "cmic-identifier-uri", expect.stringMatching(/^\/applications\/.+\/identifierUris\//)],
    [SERVICE_PRINCIPAL, "cmic-sp", `/servicePrincipals/${made.servicePrincipalId}`],
    [POLICY, "cmic-claims-policy", `/policies/claimsMappingPolicies/${made.policyId}`],
    [ASSIGNMENT, "cmic-claims-policy-assignment", expect.stringContaining(made.policyId)],
  ]);

  // The state: the URNs the program registers, every resource protected, inputs as the bridge extracts them.
  const world = readWorld(dir);
  expect(world?.stacks.acme?.config).toEqual(CONFIG);
  const state = world?.stacks.acme?.state;
  const app = state?.resources.find((record) => record.name === "cmic-app");
  expect(app?.urn).toBe(childUrn(APPLICATION, "cmic-app"));
  expect(app?.parent).toBe(`${URN_PREFIX}${COMPONENT_TYPE}::cmic`);
  expect(state?.resources.every((record) => record.protect)).toBe(true);
  // requestedAccessTokenVersion 1 is the schema's Default and signInAudience AzureADMyOrg too: both left out.
  expect(app?.inputs).toEqual({ api: { mappedClaimsEnabled: true }, displayName: DISPLAY_NAME, identifierUris: [made.identifierUri] });
  expect(app?.state).toMatchObject({ clientId: made.clientId, api: { requestedAccessTokenVersion: 1 } });

  const first = await upInWorld(dir, SETTINGS, "+1h");
  const op = (name: string) => first.steps.find((step) => step.name === name)?.op;
  expect(op("cmic-app")).toBe("update");
  expect(first.steps.find((step) => step.name === "cmic-app")?.diffs).toContain("api");
  for (const name of ["cmic", "cmic-identifier-uri", "cmic-sp", "cmic-claims-policy", "cmic-claims-policy-assignment"]) {
    expect([name, op(name)]).toEqual([name, "same"]);
  }
  // Only what no import brings is created: the secret, its rotation, the post-deploy check.
  expect(first.steps.filter((step) => step.op === "create").map((step) => step.name)).toEqual(
    expect.arrayContaining(["cmic-secret-rotation", "cmic-secret", "cmic-token-check"]),
  );
  const importedUrns = new Set(done.imported.map((resource) => resource.urn));
  expect(first.steps.filter((step) => step.op === "create" && importedUrns.has(step.urn))).toEqual([]);
  expect(first.steps.filter((step) => importedUrns.has(step.urn))).toHaveLength(6);
  expect(first.steps.some((step) => step.op === "replace" || step.op === "delete")).toBe(false);
  expect(first.outputs.clientId).toBe(made.clientId);
  expect(first.outputs.applicationObjectId).toBe(made.appObjectId);

  const session = await openWorldForReading(dir, undefined);
  try {
    const live = (await deployerGraph(session.emulator.url, tenantOf(session.world)).api(`/applications/${made.appObjectId}`).get()) as {
      api: { requestedAccessTokenVersion: number | null };
    };
    expect(live.api.requestedAccessTokenVersion).toBe(2);
  } finally {
    await session.close();
  }

  const second = await upInWorld(dir, SETTINGS, "+1h");
  expect(second.steps.filter((step) => step.op !== "same")).toEqual([]);
}, 120_000);

it("fails and imports nothing when an id does not exist in the tenant", async () => {
  const { dir, made } = await worldWithHandMade();
  const file = adoptFile(made);
  const missing = "/applications/00000000-0000-4000-8000-000000000001";
  file.resources[1] = { ...file.resources[1], id: missing };
  await expect(importFileInto(dir, file)).rejects.toMatchObject({
    code: "ERR_IMPORT",
    exitCode: 1,
    message: expect.stringContaining(
      `resources[1] ('cmic-app' of type '${APPLICATION}'): Preview failed: resource '${missing}' does not exist`,
    ),
  });
  expect(stackState(dir)).toBeUndefined();
});

it("skips what the stack already holds with the same id (as pulumi import does), and refuses the same URN with another id", async () => {
  const { dir, made } = await worldWithHandMade();
  await importFileInto(dir, adoptFile(made));
  const before = stackState(dir);

  const again = await importFileInto(dir, adoptFile(made));
  expect(again.imported).toEqual([]);
  expect(again.skipped.map((resource) => resource.name)).toHaveLength(6);
  expect(stackState(dir)).toEqual(before);

  // Another hand-made app under the same logical name.
  const session = await openWorld(dir, { write: true });
  let other: HandMade;
  try {
    const world = session.world;
    if (!world) throw new Error("the world is missing");
    other = await makeByHand(deployerGraph(session.emulator.url, tenantOf(world)), "Another CMiC app");
    session.save(tenantOf(world), world.stacks);
  } finally {
    await session.close();
  }
  // The parent is the component the stack holds now, named through the nameTable.
  const file = {
    nameTable: { cmic: `${URN_PREFIX}${COMPONENT_TYPE}::cmic` },
    resources: [{ type: APPLICATION, name: "cmic-app", id: `/applications/${other.appObjectId}`, parent: "cmic" }],
  };
  await expect(importFileInto(dir, file)).rejects.toMatchObject({
    code: "ERR_IMPORT",
    message: expect.stringContaining(`resource '${childUrn(APPLICATION, "cmic-app")}' already exists`),
  });
  expect(stackState(dir)).toEqual(before);
});

/** `pulumi destroy` of the stack: an update whose program declares nothing. */
async function destroy(dir: string) {
  const session = await openWorldForReading(dir, undefined);
  try {
    const tenant = tenantOf(session.world);
    const graph = deployerGraph(session.emulator.url, tenant);
    const provider: ProviderContext = {
      graph,
      tenantId: tenant.tenantId,
      now: () => session.clock.now(),
      runCommand: () => Promise.reject(new Error("no command")),
    };
    const state = session.world.stacks.acme.state;
    const result = await runEngine({ stack: "acme", config: {}, state, loadProgram: () => ({}), provider, modelFor, refresh: true });
    const apps = (await graph.api("/applications").get()) as { value: { id: string }[] };
    return { result, apps: apps.value.map((app) => app.id) };
  } finally {
    await session.close();
  }
}

it("protects what it imports unless --protect=false: a destroy is refused, and goes through when unprotected", async () => {
  const { dir, made } = await worldWithHandMade();
  await importFileInto(dir, adoptFile(made));
  const guarded = await destroy(dir);
  expect(guarded.result.ok).toBe(false);
  expect(guarded.result.error).toMatchObject({ code: "ERR_PROTECTED_RESOURCE" });
  expect(guarded.apps).toContain(made.appObjectId);

  const open = await worldWithHandMade();
  await importFileInto(open.dir, adoptFile(open.made), false);
  expect(stackState(open.dir)?.resources.some((record) => record.protect)).toBe(false);
  const destroyed = await destroy(open.dir);
  expect(destroyed.result.error).toBeNull();
  expect(destroyed.apps).not.toContain(open.made.appObjectId);
}, 90_000);

it("refuses an ApplicationPassword entry (passwords cannot be imported) and imports nothing", async () => {
  const { dir, made } = await worldWithHandMade();
  const file = adoptFile(made);
  file.resources.push({ type: PASSWORD, name: "cmic-secret", id: `${made.appObjectId}/password/${made.passwordKeyId}`, parent: "cmic" });
  await expect(importFileInto(dir, file)).rejects.toMatchObject({
    code: "ERR_IMPORT_FILE",
    exitCode: 2,
    message: expect.stringMatching(/resources\[6\] \('cmic-secret'.*\.type: .*passwords cannot be imported.*#1118/s),
  });
  expect(stackState(dir)).toBeUndefined();
});

describe("the import file", () => {
  const ctx = {
    stack: "acme",
    provider: {
      graph: {} as Client,
      tenantId: "t",
      now: () => new Date(),
      runCommand: () => Promise.reject(new Error("none")),
    },
    modelFor: (type: string) => (Object.hasOwn(PROVIDER_MODELS, type) ? PROVIDER_MODELS[type] : undefined),
  };
  const empty = { resources: [], outputs: {} };

  it("names each bad entry by index and field, and reads nothing", async () => {
    const problems = importResources(
      empty,
      {
        resources: [
          { type: COMPONENT_TYPE, name: "cmic", component: true },
          { type: "azuread:index/user:User", name: "someone", id: "/users/1", parent: "cmic" },
          { type: APPLICATION, name: "cmic-app", parent: "cmic" },
          { type: SERVICE_PRINCIPAL, name: "cmic-sp", id: "/servicePrincipals/1", parent: "nowhere" },
          { type: POLICY, name: "cmic-claims-policy", id: "/policies/claimsMappingPolicies/1", parent: "cmic" },
          { type: POLICY, name: "cmic-claims-policy", id: "/policies/claimsMappingPolicies/2", parent: "cmic" },
        ],
      },
      ctx,
    );
    await expect(problems).rejects.toMatchObject({ code: "ERR_IMPORT_FILE", exitCode: 2 });
    const message = await problems.catch((error: Error) => error.message);
    expect(message).toContain(
      "resources[1] ('someone' of type 'azuread:index/user:User').type: no provider model for type azuread:index/user:User",
    );
    expect(message).toContain(`resources[2] ('cmic-app' of type '${APPLICATION}').id: has no ID`);
  });

  it("refuses a parent it cannot find and two entries with one URN", async () => {
    const message = await importResources(
      empty,
      {
        resources: [
          { type: COMPONENT_TYPE, name: "cmic", component: true },
          { type: SERVICE_PRINCIPAL, name: "cmic-sp", id: "/servicePrincipals/1", parent: "nowhere" },
          { type: POLICY, name: "cmic-claims-policy", id: "/policies/claimsMappingPolicies/1", parent: "cmic" },
          { type: POLICY, name: "cmic-claims-policy", id: "/policies/claimsMappingPolicies/2", parent: "cmic" },
        ],
      },
      ctx,
    ).catch((error: Error) => error.message);
    expect(message).toContain(
      `resources[1] ('cmic-sp' of type '${SERVICE_PRINCIPAL}').parent: the parent 'nowhere' has no entry in 'nameTable' or 'resources'`,
    );
    expect(message).toContain(`resources[3] ('cmic-claims-policy' of type '${POLICY}').name: has the same URN as resources[2]`);
  });

  it("refuses a nameTable parent the stack does not hold", async () => {
    const parent = `${URN_PREFIX}${COMPONENT_TYPE}::cmic`;
    await expect(
      importResources(
        empty,
        { nameTable: { cmic: parent }, resources: [{ type: APPLICATION, name: "cmic-app", id: "/applications/1", parent: "cmic" }] },
        ctx,
      ),
    ).rejects.toMatchObject({ code: "ERR_IMPORT", message: expect.stringContaining(`unknown parent '${parent}'`) });
  });
});

describe("the CLI", () => {
  it("exits 2 on bad usage of --import and --protect", async () => {
    const noState = await runCaptured(sandboxCommand, ["--import", "file.json"]);
    expect(noState.code).toBe(2);
    expect(noState.stderr).toContain("--import imports into a local world: give --state DIR.");
    const badProtect = await runCaptured(sandboxCommand, ["--state", newWorldDir(), "--import", "file.json", "--protect=maybe"]);
    expect(badProtect.code).toBe(2);
    expect(badProtect.stderr).toContain("--protect takes true or false");
    const alone = await runCaptured(sandboxCommand, ["--protect=false"]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain("--protect goes with --import only.");
    const withBreak = await runCaptured(sandboxCommand, ["--state", newWorldDir(), "--import", "file.json", "--break", "claim"]);
    expect(withBreak.code).toBe(2);
  });

  it("imports with --protect=false and --json, taking a new stack's settings from its stack file", async () => {
    const { dir, made } = await worldWithHandMade();
    const stackFile = path.join(mkdtempSync(path.join(tmpdir(), "cmic-import-stack-")), "Pulumi.acme.yaml");
    writeFileSync(
      stackFile,
      `config:\n${Object.entries(CONFIG)
        .map(([key, value]) => `  ${key}: ${JSON.stringify(value)}`)
        .join("\n")}\n`,
    );
    const run = await runCaptured(sandboxCommand, [
      "--state",
      dir,
      "--stack-file",
      stackFile,
      "--import",
      writeFile(adoptFile(made)),
      "--protect=false",
      "--json",
    ]);
    expect(run.code).toBe(0);
    const printed = JSON.parse(run.stdout) as {
      stack: string;
      protect: boolean;
      createdStack: boolean;
      imported: { type: string; name: string; id: string }[];
    };
    expect(printed).toMatchObject({ stack: "acme", protect: false, createdStack: true });
    expect(printed.imported.find((resource) => resource.name === "cmic-app")).toMatchObject({
      type: APPLICATION,
      id: `/applications/${made.appObjectId}`,
    });
    const world = readWorld(dir);
    expect(world?.stacks.acme?.config).toEqual(CONFIG);
    expect(world?.stacks.acme?.state.resources.some((record) => record.protect)).toBe(false);

    // Again, as text: everything is in the stack already, nothing is imported twice.
    const again = await runCaptured(sandboxCommand, ["--state", dir, "--stack", "acme", "--import", writeFile(adoptFile(made))]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/azuread:Application\s+cmic-app\s+already in the stack\s+\/applications\//);
    expect(again.stderr).toContain("stack 'acme': 0 resources imported, 6 already in the stack.");

    const missing = await runCaptured(sandboxCommand, ["--state", dir, "--stack", "acme", "--import", path.join(dir, "no-such.json")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("cannot be read");
  });
});
