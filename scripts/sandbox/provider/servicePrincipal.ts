/**
 * azuread.ServicePrincipal (terraform-provider-azuread v3.8.0 `azuread_service_principal`): the
 * application's service principal in the tenant. Only `clientId` forces replacement.
 *
 * Not modelled (refused by `check`): SAML single sign-on, features / featureTags. Not sent, because
 * the emulator has no route for them: the owner references and the beta `samlMetadataUrl` read.
 */
import { randomUUID } from "node:crypto";
import { GRAPH_URL } from "../../../contract/entraEndpoints";
import { diffSdkV2, inputProperties, valueOrDefault, type Schema } from "./schema";
import { SOURCES } from "./sources";
import {
  applyError,
  contextExtras,
  describeGraphFailure,
  graphStep,
  isGuid,
  isNotFound,
  objectIdIn,
  rejectUnmodelled,
  stringList,
  stringOr,
} from "./support";
import type { CreateResult, Properties, ProviderContext, ResourceModel } from "./types";

const TF_TYPE = "azuread_service_principal";
const TYPE = "azuread:index/servicePrincipal:ServicePrincipal";
const S = SOURCES.servicePrincipal;

export const SERVICE_PRINCIPAL_SCHEMA: Schema = {
  clientId: { kind: "string", mode: "required", forceNew: true, source: `${S} schema client_id (ForceNew, IsUUID)` },
  accountEnabled: { kind: "bool", mode: "optional", default: true, source: `${S} schema account_enabled (Default true)` },
  alternativeNames: { kind: "set", mode: "optional", source: `${S} schema alternative_names` },
  appRoleAssignmentRequired: { kind: "bool", mode: "optional", source: `${S} schema app_role_assignment_required` },
  description: { kind: "string", mode: "optional", source: `${S} schema description` },
  loginUrl: { kind: "string", mode: "optional", source: `${S} schema login_url` },
  notes: { kind: "string", mode: "optional", source: `${S} schema notes` },
  notificationEmailAddresses: { kind: "set", mode: "optional", source: `${S} schema notification_email_addresses` },
  owners: {
    kind: "set",
    mode: "optional",
    source: `${S} schema owners; Create binds caller + owners, removes the caller unless listed`,
    note: "The emulator has no owners routes: state keeps the input.",
  },
  preferredSingleSignOnMode: { kind: "string", mode: "optional", source: `${S} schema preferred_single_sign_on_mode` },
  tags: { kind: "set", mode: "optional+computed", source: `${S} schema tags (Optional+Computed)` },
  useExisting: { kind: "bool", mode: "optional", source: `${S} schema use_existing; Read keeps d.Get` },
  appRoleIds: { kind: "map", mode: "computed", source: `${S} schema app_role_ids` },
  appRoles: { kind: "list", mode: "computed", source: `${S} schema app_roles` },
  applicationTenantId: { kind: "string", mode: "computed", source: `${S} Read: appOwnerOrganizationId` },
  displayName: { kind: "string", mode: "computed", source: `${S} Read: displayName` },
  homepageUrl: { kind: "string", mode: "computed", source: `${S} Read: homepage` },
  logoutUrl: { kind: "string", mode: "computed", source: `${S} Read: logoutUrl` },
  oauth2PermissionScopeIds: { kind: "map", mode: "computed", source: `${S} schema oauth2_permission_scope_ids` },
  oauth2PermissionScopes: { kind: "list", mode: "computed", source: `${S} schema oauth2_permission_scopes` },
  objectId: { kind: "string", mode: "computed", source: `${S} Read: object_id = id` },
  redirectUris: { kind: "list", mode: "computed", source: `${S} Read: replyUrls` },
  samlMetadataUrl: { kind: "string", mode: "computed", source: `${S} Read: beta samlMetadataUrl (not in the emulator: "")` },
  servicePrincipalNames: { kind: "list", mode: "computed", source: `${S} Read: servicePrincipalNames without the app id` },
  signInAudience: { kind: "string", mode: "computed", source: `${S} Read: signInAudience` },
  type: { kind: "string", mode: "computed", source: `${S} Read: servicePrincipalType` },
};

interface GraphServicePrincipal {
  id: string;
  appId: string;
  [property: string]: unknown;
}

const nullIfEmpty = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

function servicePrincipalObjectId(ctx: ProviderContext, id: string): string {
  const objectId = objectIdIn(id, "servicePrincipals");
  if (!objectId)
    throw applyError(
      ctx,
      TF_TYPE,
      `Parsing ID: ${JSON.stringify(id)} is not a service principal ID (/servicePrincipals/{servicePrincipalId})`,
    );
  return objectId;
}

/** The state servicePrincipalResourceRead writes; `kept` holds what it takes from configuration (owners, use_existing). */
function stateFromGraph(sp: GraphServicePrincipal, kept: Properties): Properties {
  const appId = sp.appId;
  return {
    accountEnabled: sp.accountEnabled === true,
    alternativeNames: stringList(sp.alternativeNames),
    appRoleAssignmentRequired: sp.appRoleAssignmentRequired === true,
    appRoleIds: {},
    appRoles: Array.isArray(sp.appRoles) ? sp.appRoles : [],
    applicationTenantId: stringOr(sp.appOwnerOrganizationId),
    clientId: appId,
    description: stringOr(sp.description),
    displayName: stringOr(sp.displayName),
    homepageUrl: stringOr(sp.homepage),
    loginUrl: stringOr(sp.loginUrl),
    logoutUrl: stringOr(sp.logoutUrl),
    notes: stringOr(sp.notes),
    notificationEmailAddresses: stringList(sp.notificationEmailAddresses),
    oauth2PermissionScopeIds: {},
    oauth2PermissionScopes: Array.isArray(sp.oauth2PermissionScopes) ? sp.oauth2PermissionScopes : [],
    objectId: sp.id,
    owners: stringList(kept.owners),
    preferredSingleSignOnMode: stringOr(sp.preferredSingleSignOnMode),
    redirectUris: stringList(sp.replyUrls),
    samlMetadataUrl: "",
    // "Exclude the app ID from the list of service principal names" (case-insensitive).
    servicePrincipalNames: stringList(sp.servicePrincipalNames).filter((name) => name.toLowerCase() !== appId.toLowerCase()),
    signInAudience: stringOr(sp.signInAudience),
    tags: stringList(sp.tags),
    type: stringOr(sp.servicePrincipalType),
    useExisting: kept.useExisting === true,
  };
}

async function readServicePrincipal(ctx: ProviderContext, objectId: string, kept: Properties): Promise<Properties | null> {
  let sp: GraphServicePrincipal;
  try {
    sp = (await ctx.graph.api(`/servicePrincipals/${objectId}`).get()) as GraphServicePrincipal;
  } catch (error) {
    if (isNotFound(error)) return null; // "was not found - removing from state!"
    throw applyError(ctx, TF_TYPE, `Retrieving /servicePrincipals/${objectId}: ${describeGraphFailure(error)}`);
  }
  return stateFromGraph(sp, kept);
}

const keptFrom = (inputs: Properties): Properties => ({ owners: stringList(inputs.owners), useExisting: inputs.useExisting === true });

/** The properties servicePrincipalResourceUpdate PATCHes (Create sends the same, with a temporary description). */
function updateProperties(inputs: Properties): Properties {
  return {
    accountEnabled: valueOrDefault(SERVICE_PRINCIPAL_SCHEMA, inputs, "accountEnabled"),
    alternativeNames: stringList(inputs.alternativeNames),
    appRoleAssignmentRequired: inputs.appRoleAssignmentRequired === true,
    description: nullIfEmpty(inputs.description),
    loginUrl: nullIfEmpty(inputs.loginUrl),
    notes: nullIfEmpty(inputs.notes),
    notificationEmailAddresses: stringList(inputs.notificationEmailAddresses),
    preferredSingleSignOnMode: nullIfEmpty(inputs.preferredSingleSignOnMode),
    tags: stringList(inputs.tags),
  };
}

async function update(ctx: ProviderContext, objectId: string, inputs: Properties): Promise<Properties> {
  await graphStep(ctx, TF_TYPE, `Updating /servicePrincipals/${objectId}`, () =>
    ctx.graph.api(`/servicePrincipals/${objectId}`).patch(updateProperties(inputs)),
  );
  // Owner references when `owners` changed: not sent (no owners routes in the emulator).
  const state = await readServicePrincipal(ctx, objectId, keptFrom(inputs));
  if (!state) throw applyError(ctx, TF_TYPE, `Retrieving /servicePrincipals/${objectId}: it no longer exists`);
  return state;
}

export const servicePrincipalModel: ResourceModel & { readonly schema: Schema } = {
  type: TYPE,
  schema: SERVICE_PRINCIPAL_SCHEMA,
  sources: [S, SOURCES.importErrors, SOURCES.graphIds, SOURCES.graphBaseUri, SOURCES.sdkv2Diff, SOURCES.bridgeDiff, SOURCES.bridgeNames],

  async check(inputs, ctx) {
    // samlSingleSignOn, features and featureTags are not modelled.
    rejectUnmodelled(ctx, TF_TYPE, TYPE, inputs, inputProperties(SERVICE_PRINCIPAL_SCHEMA));
    if (!isGuid(inputs.clientId)) throw applyError(ctx, TF_TYPE, `expected "client_id" to be a valid UUID, got ${String(inputs.clientId)}`);
  },

  diff(state, inputs) {
    return diffSdkV2(SERVICE_PRINCIPAL_SCHEMA, state, inputs);
  },

  async create(inputs, ctx): Promise<CreateResult> {
    const clientId = String(inputs.clientId);
    // An existing service principal for the app: adopted with use_existing, else "requires import".
    // This filter escapes quotes (odata.EscapeSingleQuote), unlike the Application's name filter.
    const listed = (await graphStep(ctx, TF_TYPE, "Could not list existing service principals", () =>
      ctx.graph
        .api("/servicePrincipals")
        .filter(`appId eq '${clientId.replace(/'/g, "''")}'`)
        .get(),
    )) as { value: GraphServicePrincipal[] };
    if (listed.value.length > 1) {
      throw applyError(
        ctx,
        TF_TYPE,
        `Could not list existing service principals: unexpected number of service principals returned (expected: 1, received: ${listed.value.length}`,
      );
    }
    if (listed.value.length === 1) {
      const existing = listed.value[0];
      if (inputs.useExisting === true) return { id: `/servicePrincipals/${existing.id}`, state: await update(ctx, existing.id, inputs) };
      // tf.ImportAsExistsDiag with the bare object id.
      throw applyError(
        ctx,
        TF_TYPE,
        `A resource with the ID "${existing.id}" already exists. To be managed via Terraform, this resource needs to be imported into the State. ` +
          `Please see the resource documentation for "${TF_TYPE}" for more information.`,
        `import it (pulumi import ${TYPE} <name> /servicePrincipals/${existing.id}), or set useExisting.`,
      );
    }

    const callerId = contextExtras(ctx).callerObjectId;
    const owners = stringList(inputs.owners);
    const bound = [...(callerId ? [callerId] : []), ...owners.filter((owner) => owner.toLowerCase() !== callerId?.toLowerCase())];
    const body: Properties = {
      ...updateProperties(inputs),
      appId: clientId,
      // A temporary description, PATCHed to the real one: the PATCH proves the object has replicated.
      description: `TERRAFORM_UPDATE_${randomUUID()}`,
      "owners@odata.bind": bound.map((owner) => `${GRAPH_URL}/v1.0/directoryObjects/${owner}`),
    };
    // The provider retries a 400 "does not reference a valid application object" while the app replicates;
    // Graph in the emulator sees a new application at once, so one attempt is what that retry ends with.
    const created = (await graphStep(ctx, TF_TYPE, "Could not create service principal", () =>
      ctx.graph.api("/servicePrincipals").post(body),
    )) as GraphServicePrincipal;
    await graphStep(ctx, TF_TYPE, "Failed to patch service principal after creating", () =>
      ctx.graph.api(`/servicePrincipals/${created.id}`).patch({ description: nullIfEmpty(inputs.description) }),
    );
    // Owner references (beyond 20, and removing the caller): not sent, see the module comment.
    const state = await readServicePrincipal(ctx, created.id, keptFrom(inputs));
    if (!state) throw applyError(ctx, TF_TYPE, `/servicePrincipals/${created.id} was not found right after it was created`);
    return { id: `/servicePrincipals/${created.id}`, state };
  },

  read(id, state, ctx) {
    return readServicePrincipal(ctx, servicePrincipalObjectId(ctx, id), state);
  },

  update(id, _state, inputs, ctx) {
    return update(ctx, servicePrincipalObjectId(ctx, id), inputs);
  },

  async delete(id, state, ctx) {
    const objectId = servicePrincipalObjectId(ctx, id);
    try {
      await ctx.graph.api(`/servicePrincipals/${objectId}`).delete();
    } catch (error) {
      // With use_existing the provider deletes all the same, but ignores a failure.
      if (state.useExisting === true) return;
      throw applyError(ctx, TF_TYPE, `id: Deleting /servicePrincipals/${objectId}: ${describeGraphFailure(error)}`);
    }
    if (state.useExisting !== true && (await readServicePrincipal(ctx, objectId, {})) !== null) {
      throw applyError(ctx, TF_TYPE, `Waiting for deletion of /servicePrincipals/${objectId}: it still exists`);
    }
  },
};
