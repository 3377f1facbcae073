/**
 * The Application, ApplicationIdentifierUri and ServicePrincipal models against the emulator:
 * create → read → diff → update → delete, each with the requests terraform-provider-azuread v3.8.0
 * sends and the state its Read returns.
 */
import { randomUUID } from "node:crypto";
import { applicationModel } from "../../../scripts/sandbox/provider/application";
import { applicationIdentifierUriModel } from "../../../scripts/sandbox/provider/applicationIdentifierUri";
import { ResourceApplyError } from "../../../scripts/sandbox/provider/errors";
import { servicePrincipalModel } from "../../../scripts/sandbox/provider/servicePrincipal";
import type { Properties } from "../../../scripts/sandbox/provider/types";
import { uniqueName, useHarness, withInput, writes, PLAN_CLOCK } from "./harness";

const harness = useHarness();
const OWNER = "9a7b3c1d-2e4f-4a5b-8c6d-7e8f9a0b1c2d";

function appInputs(displayName = uniqueName("cmic-app")): Properties {
  return {
    displayName,
    signInAudience: "AzureADMyOrg",
    preventDuplicateNames: true,
    owners: [OWNER],
    api: { requestedAccessTokenVersion: 2, mappedClaimsEnabled: true },
  };
}

async function rejection(promise: Promise<unknown>): Promise<ResourceApplyError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ResourceApplyError) return error;
    throw error;
  }
  throw new Error("expected a ResourceApplyError");
}

describe("Application", () => {
  it("creates as the provider does, reads back the same state, and has no diff against the same inputs", async () => {
    const h = harness();
    const inputs = appInputs();
    await applicationModel.check?.(inputs, h.ctx, null);
    const { id, state } = await applicationModel.create(inputs, h.ctx);

    const objectId = String(state.objectId);
    expect(id).toBe(`/applications/${objectId}`);
    expect(state).toMatchObject({
      displayName: inputs.displayName,
      clientId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      api: { knownClientApplications: [], mappedClaimsEnabled: true, oauth2PermissionScopes: [], requestedAccessTokenVersion: 2 },
      identifierUris: [],
      owners: [OWNER],
      preventDuplicateNames: true,
      publisherDomain: "contoso.onmicrosoft.com",
      signInAudience: "AzureADMyOrg",
    });

    // The duplicate-name list (plan time, then apply time), the POST, two displayName PATCHes (a
    // temporary name proves the object replicated), and acceptMappedClaims in a PATCH of its own (issue #914).
    const filters = h.calls.filter((call) => call.filter !== undefined);
    expect(filters.map((call) => call.filter)).toEqual([
      `displayName eq '${inputs.displayName}'`,
      `displayName eq '${inputs.displayName}'`,
    ]);
    expect(writes(h.calls)).toEqual(["POST /applications", ...Array(3).fill(`PATCH /applications/${objectId}`)]);
    const post = h.calls.find((call) => call.method === "POST")?.body as Properties;
    expect(post.api).toEqual({ knownClientApplications: [], oauth2PermissionScopes: [], requestedAccessTokenVersion: 2 });
    expect(post["owners@odata.bind"]).toEqual([`https://graph.microsoft.com/v1.0/directoryObjects/${OWNER}`]);
    const patches = h.calls.filter((call) => call.method === "PATCH").map((call) => call.body as Properties);
    expect(String(patches[0].displayName)).toMatch(/^TERRAFORM_UPDATE_[0-9a-f-]{36}$/);
    expect(patches[1]).toEqual({ displayName: inputs.displayName });
    expect(patches[2]).toEqual({
      api: { acceptMappedClaims: true, knownClientApplications: [], requestedAccessTokenVersion: 2, oauth2PermissionScopes: [] },
    });

    expect(await applicationModel.read(id, state, h.ctx)).toEqual(state);
    expect(applicationModel.diff(state, inputs, PLAN_CLOCK)).toEqual([]);
  });

  it("diff: each input change, with the replace flag of its schema", async () => {
    const h = harness();
    const inputs = appInputs();
    const { state } = await applicationModel.create(inputs, h.ctx);
    const api = inputs.api as Properties;
    const cases: [string, Properties, { property: string; replace: boolean }[]][] = [
      ["displayName", withInput(inputs, "displayName", "renamed"), [{ property: "displayName", replace: false }]],
      ["token version", withInput(inputs, "api", { ...api, requestedAccessTokenVersion: 1 }), [{ property: "api", replace: false }]],
      ["mapped claims", withInput(inputs, "api", { ...api, mappedClaimsEnabled: false }), [{ property: "api", replace: false }]],
      ["owners", withInput(inputs, "owners", [OWNER, randomUUID()]), [{ property: "owners", replace: false }]],
      ["signInAudience", withInput(inputs, "signInAudience", "AzureADMultipleOrgs"), [{ property: "signInAudience", replace: false }]],
      ["templateId (ForceNew)", withInput(inputs, "templateId", randomUUID()), [{ property: "templateId", replace: true }]],
      // Left out: the Default (AzureADMyOrg) is what the state holds.
      ["signInAudience left out", withInput(inputs, "signInAudience", undefined), []],
      // Optional+Computed left out: the prior value is kept.
      ["tags left out", withInput(inputs, "tags", undefined), []],
      // api left out: version 2 and mapped claims are not defaults, so it is a change (applicationDiffSuppress does not suppress it).
      ["api left out", withInput(inputs, "api", undefined), [{ property: "api", replace: false }]],
    ];
    for (const [, changed, expected] of cases) expect(applicationModel.diff(state, changed, PLAN_CLOCK)).toEqual(expected);
    // owners is a set: order is no difference.
    const second = randomUUID();
    expect(applicationModel.diff({ ...state, owners: [OWNER, second] }, withInput(inputs, "owners", [second, OWNER]), PLAN_CLOCK)).toEqual(
      [],
    );
    // An app holding only defaults equals one declared without `api`.
    const plain = { displayName: "plain" };
    const { state: plainState } = await applicationModel.create(withInput(plain, "displayName", uniqueName("plain")), h.ctx);
    expect(applicationModel.diff(plainState, { displayName: plainState.displayName }, PLAN_CLOCK)).toEqual([]);
  });

  it("update PATCHes the configured properties; identifierUris only when it changed (pulumi-azuread#1036)", async () => {
    const h = harness();
    const inputs = appInputs();
    const { id, state } = await applicationModel.create(inputs, h.ctx);
    const uriInputs = { applicationId: id, identifierUri: `api://${String(state.clientId)}.contoso.com` };
    await applicationIdentifierUriModel.create(uriInputs, h.ctx);
    const refreshed = (await applicationModel.read(id, state, h.ctx)) as Properties;
    expect(refreshed.identifierUris).toEqual([uriInputs.identifierUri]);

    // The program's ignoreChanges: ["identifierUris"] (the engine copies the state's value into the inputs).
    const renamed = { ...inputs, displayName: `${String(inputs.displayName)}-renamed`, api: { requestedAccessTokenVersion: 1 } };
    const ignoring = { ...renamed, identifierUris: refreshed.identifierUris };
    expect(applicationModel.diff(refreshed, ignoring, PLAN_CLOCK)).toEqual([
      { property: "displayName", replace: false },
      { property: "api", replace: false },
    ]);
    h.calls.length = 0;
    const updated = await applicationModel.update(id, refreshed, ignoring, h.ctx);
    const patch = h.calls.find((call) => call.method === "PATCH")?.body as Properties;
    expect(patch).not.toHaveProperty("identifierUris");
    expect(patch.api).toEqual({ acceptMappedClaims: false, knownClientApplications: [], requestedAccessTokenVersion: 1 });
    expect(updated).toMatchObject({
      displayName: renamed.displayName,
      identifierUris: [uriInputs.identifierUri],
      api: { mappedClaimsEnabled: false, requestedAccessTokenVersion: 1 },
    });
    const graphApp = (await h.graph.api(`/applications/${String(state.objectId)}`).get()) as { displayName: string; api: Properties };
    expect(graphApp.displayName).toBe(renamed.displayName);
    expect(graphApp.api).toMatchObject({ acceptMappedClaims: false, requestedAccessTokenVersion: 1 });

    // Without ignoreChanges the URI is a difference, and the update removes it.
    expect(applicationModel.diff(updated, renamed, PLAN_CLOCK)).toEqual([{ property: "identifierUris", replace: false }]);
    const stripped = await applicationModel.update(id, updated, renamed, h.ctx);
    expect(stripped.identifierUris).toEqual([]);
  });

  it("delete sends DELETE; read then finds nothing (404 → removed from state)", async () => {
    const h = harness();
    const { id, state } = await applicationModel.create(appInputs(), h.ctx);
    await applicationModel.delete(id, state, h.ctx);
    expect(writes(h.calls)).toContain(`DELETE /applications/${String(state.objectId)}`);
    expect(await applicationModel.read(id, state, h.ctx)).toBeNull();
  });

  it("preventDuplicateNames with an apostrophe fails at check and at create: the provider does not escape it", async () => {
    const h = harness();
    const inputs = appInputs(`O'Brien ${uniqueName("app")}`);
    const atCheck = await rejection(applicationModel.check?.(inputs, h.ctx, null) ?? Promise.resolve());
    expect(atCheck.message).toContain(`unable to list Applications with filter "displayName eq '${String(inputs.displayName)}'"`);
    expect(atCheck.message).toContain("Graph answered 400 BadRequest: Invalid filter clause");
    expect(atCheck.fix).toMatch(/apostrophe/);
    const atCreate = await rejection(applicationModel.create(inputs, h.ctx));
    expect(atCreate.message).toContain("Invalid filter clause");
    expect(writes(h.calls)).toEqual([]);
    // Without the flag there is no filter, and the name is fine.
    const { state } = await applicationModel.create({ ...inputs, preventDuplicateNames: false }, h.ctx);
    expect(state.displayName).toBe(inputs.displayName);
  });

  it("preventDuplicateNames with a taken name: create fails; an existing app's check passes, its update fails", async () => {
    const h = harness({ resourceName: "cmic-app" });
    const inputs = appInputs();
    const first = await applicationModel.create(inputs, h.ctx);
    const duplicate = await rejection(applicationModel.check?.(inputs, h.ctx, null) ?? Promise.resolve());
    expect(duplicate.message).toBe(
      `cmic-app: An existing "azuread_application" with name "${String(inputs.displayName)}" (ID: "${String(first.state.objectId)}") was found and ` +
        "`prevent_duplicate_names` was specified. To be managed via Terraform, this resource needs to be imported into the State. " +
        'Please see the resource documentation for "azuread_application" for more information.',
    );
    await expect(applicationModel.create(inputs, h.ctx)).rejects.toThrow(/was found and `prevent_duplicate_names` was specified/);

    // A second app renamed to the taken name: CustomizeDiff compares "/applications/<oid>" with "<oid>" and lets it through…
    const second = await applicationModel.create(appInputs(), h.ctx);
    const renamed = { ...inputs };
    await expect(applicationModel.check?.(renamed, h.ctx, second.state)).resolves.toBeUndefined();
    // …and the apply-time check in Update stops it.
    await expect(applicationModel.update(second.id, second.state, renamed, h.ctx)).rejects.toThrow(/was found/);
  });

  it("--break token-version and mapped-claims create the broken app, and the state says so", async () => {
    const version = await applicationModel.create(appInputs(), harness({ breakName: "token-version" }).ctx);
    expect(version.state.api).toMatchObject({ requestedAccessTokenVersion: 1, mappedClaimsEnabled: true });
    const h = harness({ breakName: "mapped-claims" });
    const mapped = await applicationModel.create(appInputs(), h.ctx);
    expect(mapped.state.api).toMatchObject({ requestedAccessTokenVersion: 2, mappedClaimsEnabled: false });
    expect(writes(h.calls)).toHaveLength(3); // no acceptMappedClaims PATCH
  });

  it("check refuses what the model does not model", async () => {
    const h = harness();
    await expect(applicationModel.check?.({ ...appInputs(), web: { redirectUris: [] } }, h.ctx, null)).rejects.toThrow(
      /does not model web/,
    );
    await expect(applicationModel.check?.({ ...appInputs(), displayName: "" }, h.ctx, null)).rejects.toThrow(/display_name/);
  });
});

describe("ApplicationIdentifierUri", () => {
  it("appends the URI with GET + PATCH; the id holds the URI in base64; both inputs replace", async () => {
    const h = harness();
    const app = await applicationModel.create(appInputs(), h.ctx);
    const uri = `api://${String(app.state.clientId)}.contoso.com`;
    const inputs = { applicationId: app.id, identifierUri: uri };
    await applicationIdentifierUriModel.check?.(inputs, h.ctx, null);
    h.calls.length = 0;
    const { id, state } = await applicationIdentifierUriModel.create(inputs, h.ctx);
    expect(id).toBe(`/applications/${String(app.state.objectId)}/identifierUris/${Buffer.from(uri).toString("base64")}`);
    expect(state).toEqual(inputs);
    expect(h.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      `GET /applications/${String(app.state.objectId)}`,
      `PATCH /applications/${String(app.state.objectId)}`,
      `GET /applications/${String(app.state.objectId)}`,
    ]);
    expect(h.calls[1].body).toEqual({ identifierUris: [uri] });
    expect(await applicationIdentifierUriModel.read(id, state, h.ctx)).toEqual(state);
    expect(applicationIdentifierUriModel.diff(state, inputs, PLAN_CLOCK)).toEqual([]);
    expect(applicationIdentifierUriModel.diff(state, { ...inputs, identifierUri: `${uri}/v2` }, PLAN_CLOCK)).toEqual([
      { property: "identifierUri", replace: true },
    ]);
    expect(applicationIdentifierUriModel.diff(state, { ...inputs, applicationId: `/applications/${randomUUID()}` }, PLAN_CLOCK)).toEqual([
      { property: "applicationId", replace: true },
    ]);

    // A URI that is already on the application "requires import".
    const again = await rejection(applicationIdentifierUriModel.create(inputs, h.ctx));
    expect(again.message).toBe(
      `azuread_application_identifier_uri: A resource with the ID "${id}" already exists - to be managed via Terraform this resource needs to be ` +
        'imported into the State. Please see the resource documentation for "azuread_application_identifier_uri" for more information.',
    );

    // Delete PATCHes the list without it; read then finds it gone.
    await applicationIdentifierUriModel.delete(id, state, h.ctx);
    expect(h.calls.at(-1)).toMatchObject({ method: "PATCH", body: { identifierUris: [] } });
    expect(await applicationIdentifierUriModel.read(id, state, h.ctx)).toBeNull();
  });

  it("a URI another application holds fails with Graph's 400; read is null once the application is gone", async () => {
    const h = harness();
    const owner = await applicationModel.create(appInputs(), h.ctx);
    const uri = `api://${String(owner.state.clientId)}.contoso.com`;
    const held = await applicationIdentifierUriModel.create({ applicationId: owner.id, identifierUri: uri }, h.ctx);
    const other = await applicationModel.create(appInputs(), h.ctx);
    const clash = await rejection(applicationIdentifierUriModel.create({ applicationId: other.id, identifierUri: uri }, h.ctx));
    expect(clash.message).toContain(
      "Graph answered 400 Request_BadRequest: Another object with the same value for property identifierUris already exists.",
    );
    await applicationModel.delete(owner.id, owner.state, h.ctx);
    expect(await applicationIdentifierUriModel.read(held.id, held.state, h.ctx)).toBeNull();
  });
});

describe("ServicePrincipal", () => {
  it("creates with the provider's requests, reads back the same state; only clientId replaces", async () => {
    const h = harness();
    const app = await applicationModel.create(appInputs(), h.ctx);
    const inputs = { clientId: app.state.clientId, owners: [OWNER], appRoleAssignmentRequired: false };
    await servicePrincipalModel.check?.(inputs, h.ctx, null);
    h.calls.length = 0;
    const { id, state } = await servicePrincipalModel.create(inputs, h.ctx);
    expect(id).toBe(`/servicePrincipals/${String(state.objectId)}`);
    expect(state).toMatchObject({
      clientId: app.state.clientId,
      accountEnabled: true,
      appRoleAssignmentRequired: false,
      applicationTenantId: h.ctx.tenantId,
      displayName: app.state.displayName,
      owners: [OWNER],
      servicePrincipalNames: [],
      type: "Application",
      useExisting: false,
    });
    expect(h.calls[0]).toEqual({ method: "GET", path: "/servicePrincipals", filter: `appId eq '${String(app.state.clientId)}'` });
    const post = h.calls.find((call) => call.method === "POST")?.body as Properties;
    expect(post).toMatchObject({
      appId: app.state.clientId,
      accountEnabled: true,
      description: expect.stringMatching(/^TERRAFORM_UPDATE_/),
    });
    expect(h.calls.find((call) => call.method === "PATCH")?.body).toEqual({ description: null });

    expect(await servicePrincipalModel.read(id, state, h.ctx)).toEqual(state);
    expect(servicePrincipalModel.diff(state, inputs, PLAN_CLOCK)).toEqual([]);
    expect(servicePrincipalModel.diff(state, { ...inputs, clientId: randomUUID() }, PLAN_CLOCK)).toEqual([
      { property: "clientId", replace: true },
    ]);
    expect(servicePrincipalModel.diff(state, { ...inputs, appRoleAssignmentRequired: true }, PLAN_CLOCK)).toEqual([
      { property: "appRoleAssignmentRequired", replace: false },
    ]);
    expect(servicePrincipalModel.diff(state, { ...inputs, accountEnabled: false }, PLAN_CLOCK)).toEqual([
      { property: "accountEnabled", replace: false },
    ]);

    // A second one for the same app "requires import"; useExisting adopts it instead.
    await expect(servicePrincipalModel.create(inputs, h.ctx)).rejects.toThrow(
      `A resource with the ID "${String(state.objectId)}" already exists`,
    );
    const adopted = await servicePrincipalModel.create({ ...inputs, useExisting: true }, h.ctx);
    expect(adopted.id).toBe(id);

    h.calls.length = 0;
    await servicePrincipalModel.update(id, state, { ...inputs, notes: "managed" }, h.ctx);
    expect(h.calls[0]).toMatchObject({ method: "PATCH", path: `/servicePrincipals/${String(state.objectId)}`, body: { notes: "managed" } });

    await servicePrincipalModel.delete(id, state, h.ctx);
    expect(writes(h.calls)).toContain(`DELETE /servicePrincipals/${String(state.objectId)}`);
    expect(await servicePrincipalModel.read(id, state, h.ctx)).toBeNull();
  });
});
