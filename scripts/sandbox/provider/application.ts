/**
 * azuread.Application (terraform-provider-azuread v3.8.0 `azuread_application`): the app registration.
 *
 * Modelled: display name, sign-in audience, preventDuplicateNames, owners, identifier URIs, the `api`
 * block (token version, mapped claims, known client applications) and the plain optional strings and
 * booleans. Blocks the program never sets (web, spa, public client, app roles, optional claims,
 * required resource access, password, feature tags, group membership claims, logo) are refused by
 * `check`, as is instantiating from a template.
 *
 * Not reachable in the emulator, so not sent: the owner references (GET/POST/DELETE
 * `/applications/{id}/owners`) and the beta `oauth2RequirePostResponse` calls. Their state is what the
 * provider's Read would report once those calls succeeded: the configured owners, and the configured
 * flag (see docs/provider-model.md).
 */
import { randomUUID } from "node:crypto";
import { GRAPH_URL } from "../../../contract/entraEndpoints";
import { diffSdkV2, inputProperties, valueOrDefault, type PropertyRule, type Schema } from "./schema";
import { SOURCES } from "./sources";
import {
  applyError,
  contextExtras,
  describeGraphFailure,
  graphStep,
  isNotFound,
  isRecord,
  objectIdIn,
  rejectUnmodelled,
  stringList,
  stringOr,
} from "./support";
import type { CreateResult, Properties, ProviderContext, ResourceModel } from "./types";

const TF_TYPE = "azuread_application";
const TYPE = "azuread:index/application:Application";

/** One token type's optional claims: schemaOptionalClaims (schema.go), a list of claim blocks. */
function optionalClaimList(token: string): PropertyRule {
  const source = `${SOURCES.applicationSchema} schemaOptionalClaims (optional_claims.${token})`;
  return {
    kind: "list",
    mode: "optional",
    source,
    element: {
      name: { kind: "string", mode: "required", source: `${source} name (Required)` },
      source: { kind: "string", mode: "optional", source: `${source} source (Optional; "user" or absent)` },
      essential: { kind: "bool", mode: "optional", default: false, source: `${source} essential (Default false)` },
      additionalProperties: { kind: "list", mode: "optional", source: `${source} additional_properties` },
    },
  };
}

export const APPLICATION_SCHEMA: Schema = {
  displayName: { kind: "string", mode: "required", source: `${SOURCES.application} schema display_name` },
  api: {
    kind: "block",
    mode: "optional",
    source: `${SOURCES.application} schema api (MaxItems 1, DiffSuppressFunc applicationDiffSuppress)`,
    note: "An absent block equals one holding only defaults (applicationDiffSuppress).",
    block: {
      knownClientApplications: { kind: "set", mode: "optional", source: `${SOURCES.application} schema api.known_client_applications` },
      mappedClaimsEnabled: {
        kind: "bool",
        mode: "optional",
        source: `${SOURCES.application} schema api.mapped_claims_enabled`,
        note: "Graph's api.acceptMappedClaims; Read: null → false (flattenApplicationApi).",
      },
      oauth2PermissionScopes: { kind: "set", mode: "optional", source: `${SOURCES.application} schema api.oauth2_permission_scope` },
      requestedAccessTokenVersion: {
        kind: "int",
        mode: "optional",
        default: 1,
        source: `${SOURCES.application} schema api.requested_access_token_version (Default 1)`,
        note: "Read: null → 1 (flattenApplicationApi).",
      },
    },
  },
  description: { kind: "string", mode: "optional", source: `${SOURCES.application} schema description` },
  deviceOnlyAuthEnabled: { kind: "bool", mode: "optional", source: `${SOURCES.application} schema device_only_auth_enabled` },
  fallbackPublicClientEnabled: { kind: "bool", mode: "optional", source: `${SOURCES.application} schema fallback_public_client_enabled` },
  identifierUris: {
    kind: "set",
    mode: "optional",
    source: `${SOURCES.application} schema identifier_uris (Optional, not Computed); Update sends it when changed`,
    note: "Not Computed: a URI added by ApplicationIdentifierUri is a difference unless ignoreChanges lists identifierUris (pulumi-azuread#1036).",
  },
  marketingUrl: { kind: "string", mode: "optional", source: `${SOURCES.application} schema marketing_url` },
  notes: { kind: "string", mode: "optional", source: `${SOURCES.application} schema notes` },
  oauth2PostResponseRequired: {
    kind: "bool",
    mode: "optional",
    source: `${SOURCES.application} schema oauth2_post_response_required (beta API)`,
    note: "Set and read through Graph beta, which the emulator lacks: state keeps the input.",
  },
  optionalClaims: {
    kind: "block",
    mode: "optional",
    source: `${SOURCES.application} schema optional_claims (MaxItems 1, DiffSuppressFunc applicationDiffSuppress)`,
    note: "An absent block equals one whose three lists are empty (applicationDiffSuppress: optional_claims.# 1 → 0).",
    block: {
      accessTokens: optionalClaimList("access_token"),
      idTokens: optionalClaimList("id_token"),
      saml2Tokens: optionalClaimList("saml2_token"),
    },
  },
  owners: {
    kind: "set",
    mode: "optional",
    source: `${SOURCES.application} schema owners (MaxItems 100); Create binds caller + owners, removes the caller unless listed`,
    note: "The emulator has no owners routes: state keeps the input.",
  },
  preventDuplicateNames: {
    kind: "bool",
    mode: "optional",
    default: false,
    source: `${SOURCES.application} schema prevent_duplicate_names (Default false); Read keeps d.Get`,
  },
  privacyStatementUrl: { kind: "string", mode: "optional", source: `${SOURCES.application} schema privacy_statement_url` },
  serviceManagementReference: { kind: "string", mode: "optional", source: `${SOURCES.application} schema service_management_reference` },
  signInAudience: {
    kind: "string",
    mode: "optional",
    default: "AzureADMyOrg",
    source: `${SOURCES.application} schema sign_in_audience (Default AzureADMyOrg)`,
  },
  supportUrl: { kind: "string", mode: "optional", source: `${SOURCES.application} schema support_url` },
  tags: { kind: "set", mode: "optional+computed", source: `${SOURCES.application} schema tags (Optional+Computed)` },
  templateId: {
    kind: "string",
    mode: "optional+computed",
    forceNew: true,
    source: `${SOURCES.application} schema template_id (Optional+Computed, ForceNew)`,
    note: "Instantiating from a template is not modelled: check refuses a templateId.",
  },
  termsOfServiceUrl: { kind: "string", mode: "optional", source: `${SOURCES.application} schema terms_of_service_url` },
  appRoleIds: { kind: "map", mode: "computed", source: `${SOURCES.application} schema app_role_ids` },
  clientId: { kind: "string", mode: "computed", source: `${SOURCES.application} Read: client_id = appId` },
  disabledByMicrosoft: {
    kind: "string",
    mode: "computed",
    source: `${SOURCES.application} Read: fmt.Sprintf("%v", disabledByMicrosoftStatus)`,
  },
  logoUrl: { kind: "string", mode: "computed", source: `${SOURCES.application} Read: info.logoUrl` },
  oauth2PermissionScopeIds: { kind: "map", mode: "computed", source: `${SOURCES.application} schema oauth2_permission_scope_ids` },
  objectId: { kind: "string", mode: "computed", source: `${SOURCES.application} Read: object_id = id` },
  publisherDomain: { kind: "string", mode: "computed", source: `${SOURCES.application} Read: publisher_domain` },
};

interface GraphApplication {
  id: string;
  appId: string;
  displayName?: string | null;
  [property: string]: unknown;
}

const nullIfEmpty = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

function apiInput(inputs: Properties): Properties {
  return isRecord(inputs.api) ? inputs.api : {};
}

/**
 * expandApplicationOptionalClaims (applications.go): all three collections, always; each claim
 * with its name, essential and additionalProperties, and its source only when one is set. An
 * absent block is three empty collections.
 */
function expandOptionalClaims(inputs: Properties): Properties {
  const block = isRecord(inputs.optionalClaims) ? inputs.optionalClaims : {};
  const claims = (value: unknown): Properties[] =>
    (Array.isArray(value) ? value : []).filter(isRecord).map((claim) => ({
      name: String(claim.name),
      essential: claim.essential === true,
      additionalProperties: stringList(claim.additionalProperties),
      ...(typeof claim.source === "string" && claim.source !== "" ? { source: claim.source } : {}),
    }));
  return { accessToken: claims(block.accessTokens), idToken: claims(block.idTokens), saml2Token: claims(block.saml2Tokens) };
}

/**
 * flattenApplicationOptionalClaims: Graph's null is no block; otherwise each claim with source ""
 * when null and additionalProperties [] when absent.
 */
function flattenOptionalClaims(value: unknown): Properties | undefined {
  if (!isRecord(value)) return undefined;
  const claims = (list: unknown): Properties[] =>
    (Array.isArray(list) ? list : []).filter(isRecord).map((claim) => ({
      name: claim.name,
      essential: claim.essential === true,
      source: typeof claim.source === "string" ? claim.source : "",
      additionalProperties: stringList(claim.additionalProperties),
    }));
  return { accessTokens: claims(value.accessToken), idTokens: claims(value.idToken), saml2Tokens: claims(value.saml2Token) };
}

/**
 * The `api` object as expandApplicationApi builds it: acceptMappedClaims false and version 1 unless
 * configured. `oauth2PermissionScopes` is sent on create, and on update only when it changed.
 */
function expandApi(inputs: Properties, options: { scopes: boolean }): Properties {
  const api = apiInput(inputs);
  const expanded: Properties = {
    acceptMappedClaims: api.mappedClaimsEnabled === true,
    knownClientApplications: stringList(api.knownClientApplications),
    requestedAccessTokenVersion: typeof api.requestedAccessTokenVersion === "number" ? api.requestedAccessTokenVersion : 1,
  };
  if (options.scopes) expanded.oauth2PermissionScopes = [];
  return expanded;
}

/** The properties Create and Update both send (applicationResourceCreate / applicationResourceUpdate `properties`). */
function commonProperties(inputs: Properties): Properties {
  return {
    description: nullIfEmpty(inputs.description),
    displayName: inputs.displayName,
    groupMembershipClaims: null,
    info: {
      marketingUrl: nullIfEmpty(inputs.marketingUrl),
      privacyStatementUrl: nullIfEmpty(inputs.privacyStatementUrl),
      supportUrl: nullIfEmpty(inputs.supportUrl),
      termsOfServiceUrl: nullIfEmpty(inputs.termsOfServiceUrl),
    },
    isDeviceOnlyAuthSupported: inputs.deviceOnlyAuthEnabled === true,
    isFallbackPublicClient: inputs.fallbackPublicClientEnabled === true,
    notes: nullIfEmpty(inputs.notes),
    publicClient: { redirectUris: [] },
    serviceManagementReference: nullIfEmpty(inputs.serviceManagementReference),
    signInAudience: valueOrDefault(APPLICATION_SCHEMA, inputs, "signInAudience"),
    spa: { redirectUris: [] },
    tags: stringList(inputs.tags),
    web: {
      homePageUrl: null,
      implicitGrantSettings: { enableAccessTokenIssuance: false, enableIdTokenIssuance: false },
      logoutUrl: null,
      redirectUris: [],
    },
  };
}

/**
 * applicationFindByName: `displayName eq '<name>'` built with fmt.Sprintf and no escaping, then an
 * exact (case-sensitive) match on the results. A name with an apostrophe makes the filter a syntax
 * error, which Graph answers 400 "Invalid filter clause".
 */
async function findByName(ctx: ProviderContext, displayName: string, summary: string): Promise<GraphApplication[]> {
  const filter = `displayName eq '${displayName}'`;
  let listed: { value: GraphApplication[] };
  try {
    listed = (await ctx.graph.api("/applications").filter(filter).get()) as { value: GraphApplication[] };
  } catch (error) {
    const quoteFix = displayName.includes("'")
      ? "terraform-provider-azuread v3.8.0 puts the display name in this filter without doubling its apostrophe: " +
        "remove the apostrophe from the display name, or set preventDuplicateNames to false."
      : undefined;
    throw applyError(
      ctx,
      TF_TYPE,
      `${summary}: unable to list Applications with filter "${filter}": ${describeGraphFailure(error)}`,
      quoteFix,
    );
  }
  return listed.value.filter((app) => app.displayName === displayName);
}

function duplicateError(ctx: ProviderContext, existingId: string, displayName: string) {
  // tf.ImportAsDuplicateError / ImportAsDuplicateDiag (internal/helpers/tf/errors.go).
  return applyError(
    ctx,
    TF_TYPE,
    `An existing "${TF_TYPE}" with name "${displayName}" (ID: "${existingId}") was found and \`prevent_duplicate_names\` was specified. ` +
      `To be managed via Terraform, this resource needs to be imported into the State. Please see the resource documentation for "${TF_TYPE}" for more information.`,
    `choose a display name no other application has (cmic-entra-oauth:displayName), or import the existing one: ` +
      `pulumi import ${TYPE} <name> /applications/${existingId}`,
  );
}

function applicationObjectId(ctx: ProviderContext, id: string): string {
  const objectId = objectIdIn(id, "applications");
  if (!objectId)
    throw applyError(ctx, TF_TYPE, `Parsing ID: ${JSON.stringify(id)} is not an application ID (/applications/{applicationId})`);
  return objectId;
}

/** The state applicationResourceRead writes, from Graph's application and what Read keeps from the prior state. */
function stateFromGraph(app: GraphApplication, kept: Properties): Properties {
  const api = isRecord(app.api) ? app.api : {};
  const info = isRecord(app.info) ? app.info : null;
  const scopes = Array.isArray(api.oauth2PermissionScopes) ? api.oauth2PermissionScopes : [];
  return {
    api: {
      knownClientApplications: stringList(api.knownClientApplications),
      mappedClaimsEnabled: api.acceptMappedClaims === true,
      oauth2PermissionScopes: scopes,
      // flattenApplicationApi: a null version reads as 1.
      requestedAccessTokenVersion: typeof api.requestedAccessTokenVersion === "number" ? api.requestedAccessTokenVersion : 1,
    },
    appRoleIds: {},
    clientId: app.appId,
    description: stringOr(app.description),
    deviceOnlyAuthEnabled: app.isDeviceOnlyAuthSupported === true,
    disabledByMicrosoft: stringOr(app.disabledByMicrosoftStatus),
    displayName: stringOr(app.displayName),
    fallbackPublicClientEnabled: app.isFallbackPublicClient === true,
    identifierUris: stringList(app.identifierUris),
    // app.Info is always returned by Graph; the emulator returns what was sent.
    logoUrl: stringOr(info?.logoUrl),
    marketingUrl: stringOr(info?.marketingUrl),
    notes: stringOr(app.notes),
    oauth2PermissionScopeIds: {},
    oauth2PostResponseRequired: kept.oauth2PostResponseRequired === true,
    objectId: app.id,
    optionalClaims: flattenOptionalClaims(app.optionalClaims),
    owners: stringList(kept.owners),
    preventDuplicateNames: kept.preventDuplicateNames === true,
    privacyStatementUrl: stringOr(info?.privacyStatementUrl),
    publisherDomain: stringOr(app.publisherDomain),
    serviceManagementReference: stringOr(app.serviceManagementReference),
    signInAudience: stringOr(app.signInAudience),
    supportUrl: stringOr(info?.supportUrl),
    tags: stringList(app.tags),
    templateId: stringOr(app.applicationTemplateId),
    termsOfServiceUrl: stringOr(info?.termsOfServiceUrl),
  };
}

async function readApplication(ctx: ProviderContext, objectId: string, kept: Properties): Promise<Properties | null> {
  let app: GraphApplication;
  try {
    app = (await ctx.graph.api(`/applications/${objectId}`).get()) as GraphApplication;
  } catch (error) {
    // applicationResourceRead: 404 → "was not found - removing from state".
    if (isNotFound(error)) return null;
    throw applyError(ctx, TF_TYPE, `Retrieving /applications/${objectId}: ${describeGraphFailure(error)}`);
  }
  return stateFromGraph(app, kept);
}

/** What Read keeps from configuration rather than Graph (d.Get): see stateFromGraph. */
function keptFrom(inputs: Properties): Properties {
  return {
    oauth2PostResponseRequired: inputs.oauth2PostResponseRequired,
    owners: stringList(inputs.owners),
    preventDuplicateNames: valueOrDefault(APPLICATION_SCHEMA, inputs, "preventDuplicateNames"),
  };
}

/** A PATCH as the provider sends it after create (applicationUpdateRetryFunc retries 404 and 409 while the app replicates). */
async function patch(ctx: ProviderContext, objectId: string, body: Properties, summary: string): Promise<void> {
  await graphStep(ctx, TF_TYPE, summary, () => ctx.graph.api(`/applications/${objectId}`).patch(body));
}

export const applicationModel: ResourceModel & { readonly schema: Schema } = {
  type: TYPE,
  schema: APPLICATION_SCHEMA,
  sources: [
    SOURCES.application,
    SOURCES.applicationHelpers,
    SOURCES.importErrors,
    SOURCES.graphIds,
    SOURCES.graphBaseUri,
    SOURCES.sdkv2Diff,
    SOURCES.bridgeDiff,
    SOURCES.bridgeNames,
  ],

  /**
   * applicationResourceCustomizeDiff: with preventDuplicateNames and a new or changed display name,
   * list applications by name (at preview too). Only a create fails on a match: for an existing
   * resource the provider compares its id (`/applications/<oid>`) with the bare object id Graph
   * returns, which never match. The list itself fails for a name with an apostrophe.
   */
  async check(inputs, ctx, state) {
    // web, spa, publicClient, appRoles, requiredResourceAccesses, password, featureTags,
    // groupMembershipClaims, logoImage: the program never sets them, so they are not modelled.
    rejectUnmodelled(ctx, TF_TYPE, TYPE, inputs, inputProperties(APPLICATION_SCHEMA));
    const displayName = inputs.displayName;
    if (typeof displayName !== "string" || displayName === "") {
      throw applyError(ctx, TF_TYPE, `expected "display_name" to not be an empty string`); // validation.StringIsNotEmpty
    }
    if (typeof inputs.templateId === "string" && inputs.templateId !== "") {
      rejectUnmodelled(ctx, TF_TYPE, TYPE, { templateId: inputs.templateId }, []);
    }
    const api = apiInput(inputs);
    if (Array.isArray(api.oauth2PermissionScopes) && api.oauth2PermissionScopes.length > 0) {
      rejectUnmodelled(ctx, TF_TYPE, TYPE, { "api.oauth2PermissionScopes": true }, []);
    }
    const version = api.requestedAccessTokenVersion;
    if (version !== undefined && version !== 1 && version !== 2) {
      throw applyError(ctx, TF_TYPE, "api.0.requested_access_token_version: Value must be one of: 1, 2");
    }
    const priorName = state ? stringOr(state.displayName) : "";
    if (inputs.preventDuplicateNames === true && (priorName === "" || priorName !== displayName)) {
      const found = await findByName(ctx, displayName, "could not check for existing application(s)");
      if (found.length > 0 && state === null) throw duplicateError(ctx, found[0].id, displayName);
    }
  },

  diff(state, inputs) {
    return diffSdkV2(APPLICATION_SCHEMA, state, inputs);
  },

  async create(inputs, ctx): Promise<CreateResult> {
    const displayName = String(inputs.displayName);
    // Checked again at apply time "to catch any duplicate names created during the same apply".
    if (inputs.preventDuplicateNames === true) {
      const found = await findByName(ctx, displayName, "Could not check for existing application(s)");
      if (found.length > 0) throw duplicateError(ctx, found[0].id, displayName);
    }

    const api = expandApi(inputs, { scopes: true });
    // `domain` needs v1 tokens too: Entra judges mapped claims by the token's audience, which in v2
    // tokens is the client id whatever URI was asked for (emulator/oidc/mappedClaims.ts).
    if (ctx.breakName === "token-version" || ctx.breakName === "domain") api.requestedAccessTokenVersion = 1;
    // "API bug: cannot set acceptMappedClaims when holding Application.ReadWrite.OwnedBy" (issue #914):
    // a true value is left out of the POST and PATCHed once the application exists.
    const acceptMappedClaims = api.acceptMappedClaims === true;
    if (acceptMappedClaims) delete api.acceptMappedClaims;

    // Owners: the caller first (it must be able to finish the create), then the configured ones.
    const callerId = contextExtras(ctx).callerObjectId;
    const owners = stringList(inputs.owners);
    const bound = [...(callerId ? [callerId] : []), ...owners.filter((owner) => owner.toLowerCase() !== callerId?.toLowerCase())];
    const body: Properties = {
      ...commonProperties(inputs),
      api,
      appRoles: [],
      identifierUris: stringList(inputs.identifierUris),
      optionalClaims: expandOptionalClaims(inputs),
      requiredResourceAccess: [],
      "owners@odata.bind": bound.map((owner) => `${GRAPH_URL}/v1.0/directoryObjects/${owner}`),
    };
    const created = (await graphStep(ctx, TF_TYPE, "Could not create application", () =>
      ctx.graph.api("/applications").post(body),
    )) as GraphApplication;
    const objectId = created.id;

    // A temporary name, then the real one: the PATCH tells the provider the new object has replicated.
    for (const name of [`TERRAFORM_UPDATE_${randomUUID()}`, displayName]) {
      await patch(ctx, objectId, { displayName: name }, `Failed to patch application with object ID "${objectId}" after creating`);
    }
    if (acceptMappedClaims && ctx.breakName !== "mapped-claims") {
      await patch(
        ctx,
        objectId,
        { api: { ...api, acceptMappedClaims: true } },
        "api.0.mapped_claims_enabled: Failed to patch application after creating to set `api.0.mapped_claims_enabled` property",
      );
    }
    // The owner references (POST …/owners/$ref beyond 20, DELETE …/owners/{caller}/$ref) are not sent:
    // the emulator has no owners routes.

    const state = await readApplication(ctx, objectId, keptFrom(inputs));
    if (!state) throw applyError(ctx, TF_TYPE, `/applications/${objectId} was not found right after it was created`);
    return { id: `/applications/${objectId}`, state };
  },

  read(id, state, ctx) {
    return readApplication(ctx, applicationObjectId(ctx, id), state);
  },

  async update(id, state, inputs, ctx) {
    const objectId = applicationObjectId(ctx, id);
    const displayName = String(inputs.displayName);
    // applicationResourceUpdate checks names on every update, whatever changed.
    if (inputs.preventDuplicateNames === true) {
      const found = await findByName(ctx, displayName, "display_name: Could not check for existing application(s)");
      const other = found.find((app) => app.id !== objectId);
      if (other) throw duplicateError(ctx, other.id, displayName);
    }
    const changed = new Set(diffSdkV2(APPLICATION_SCHEMA, state, inputs).map((change) => change.property));
    const body: Properties = { ...commonProperties(inputs), api: expandApi(inputs, { scopes: false }) };
    // Only a changed identifierUris is sent, and then as configured: absent means none (pulumi-azuread#1036).
    if (changed.has("identifierUris")) body.identifierUris = stringList(inputs.identifierUris);
    // applicationResourceUpdate: `if d.HasChange("optional_claims")`.
    if (changed.has("optionalClaims")) body.optionalClaims = expandOptionalClaims(inputs);
    await patch(ctx, objectId, body, `Could not update application with object ID: "${objectId}"`);
    const next = await readApplication(ctx, objectId, keptFrom(inputs));
    if (!next) throw applyError(ctx, TF_TYPE, `Retrieving /applications/${objectId}: it no longer exists`);
    return next;
  },

  async delete(id, _state, ctx) {
    const objectId = applicationObjectId(ctx, id);
    await graphStep(ctx, TF_TYPE, `deleting /applications/${objectId}`, () => ctx.graph.api(`/applications/${objectId}`).delete());
    // consistency.WaitForDeletion: Graph answers 404 at once in the emulator, so one GET settles it.
    if ((await readApplication(ctx, objectId, {})) !== null) {
      throw applyError(ctx, TF_TYPE, `Waiting for deletion of application with object ID "${objectId}": it still exists`);
    }
  },
};
