/**
 * azuread.ApplicationIdentifierUri (terraform-provider-azuread v3.8.0
 * `azuread_application_identifier_uri`): one identifier URI on an application, owned apart from the
 * Application resource. Both inputs force replacement; there is no update.
 */
import { diffSdkV2, inputProperties, type Schema } from "./schema";
import { SOURCES } from "./sources";
import { applyError, describeGraphFailure, graphStep, isNotFound, objectIdIn, rejectUnmodelled, stringList } from "./support";
import type { CreateResult, Properties, ProviderContext, ResourceModel } from "./types";

const TF_TYPE = "azuread_application_identifier_uri";
const TYPE = "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri";

export const IDENTIFIER_URI_SCHEMA: Schema = {
  applicationId: {
    kind: "string",
    mode: "required",
    forceNew: true,
    source: `${SOURCES.identifierUri} Arguments application_id (ForceNew)`,
  },
  identifierUri: {
    kind: "string",
    mode: "required",
    forceNew: true,
    source: `${SOURCES.identifierUri} Arguments identifier_uri (ForceNew)`,
  },
};

/** `/applications/<oid>/identifierUris/<base64 of the URI>` (parse/identifier_uri.go IdentifierUriId.ID, standard base64). */
function identifierUriId(objectId: string, uri: string): string {
  return `/applications/${objectId}/identifierUris/${Buffer.from(uri, "utf8").toString("base64")}`;
}

function parseId(ctx: ProviderContext, id: string): { objectId: string; uri: string } {
  const match = /^\/applications\/([^/]+)\/identifierUris\/([^/]+)$/.exec(id);
  if (!match)
    throw applyError(
      ctx,
      TF_TYPE,
      `parsing ${JSON.stringify(id)}: not an identifier URI ID (/applications/{applicationId}/identifierUris/{identifierUri})`,
    );
  return { objectId: match[1], uri: Buffer.from(match[2], "base64").toString("utf8") };
}

async function identifierUrisOf(ctx: ProviderContext, objectId: string, summary: string): Promise<string[]> {
  const app = (await graphStep(ctx, TF_TYPE, summary, () => ctx.graph.api(`/applications/${objectId}`).get())) as {
    identifierUris?: unknown;
  };
  return stringList(app.identifierUris);
}

async function read(ctx: ProviderContext, id: string): Promise<Properties | null> {
  const { objectId, uri } = parseId(ctx, id);
  let app: { identifierUris?: unknown };
  try {
    app = (await ctx.graph.api(`/applications/${objectId}`).get()) as { identifierUris?: unknown };
  } catch (error) {
    if (isNotFound(error)) return null; // metadata.MarkAsGone
    throw applyError(ctx, TF_TYPE, `retrieving ${id}: ${describeGraphFailure(error)}`);
  }
  // An exact, case-sensitive match on the decoded URI; anything else is gone.
  if (!stringList(app.identifierUris).includes(uri)) return null;
  return { applicationId: `/applications/${objectId}`, identifierUri: uri };
}

export const applicationIdentifierUriModel: ResourceModel & { readonly schema: Schema } = {
  type: TYPE,
  schema: IDENTIFIER_URI_SCHEMA,
  sources: [SOURCES.identifierUri, SOURCES.identifierUriId, SOURCES.typedResourceRead, SOURCES.importErrors, SOURCES.bridgeDiff],

  async check(inputs, ctx) {
    rejectUnmodelled(ctx, TF_TYPE, TYPE, inputs, inputProperties(IDENTIFIER_URI_SCHEMA));
    if (!objectIdIn(inputs.applicationId, "applications")) {
      throw applyError(
        ctx,
        TF_TYPE,
        `application_id: ${JSON.stringify(inputs.applicationId)} is not an application ID (/applications/{applicationId})`,
      );
    }
    if (typeof inputs.identifierUri !== "string" || inputs.identifierUri === "") {
      throw applyError(ctx, TF_TYPE, `expected "identifier_uri" to not be an empty string`);
    }
  },

  diff(state, inputs) {
    return diffSdkV2(IDENTIFIER_URI_SCHEMA, state, inputs);
  },

  async create(inputs, ctx): Promise<CreateResult> {
    const objectId = objectIdIn(inputs.applicationId, "applications");
    if (!objectId) throw applyError(ctx, TF_TYPE, `Parsing application_id ${JSON.stringify(inputs.applicationId)}`);
    const uri = String(inputs.identifierUri);
    const id = identifierUriId(objectId, uri);
    // The URIs are one property of the application: GET them, append, PATCH them all back.
    const existing = await identifierUrisOf(ctx, objectId, `retrieving /applications/${objectId}`);
    if (existing.includes(uri)) {
      // metadata.ResourceRequiresImport → tf.ImportAsExistsError.
      throw applyError(
        ctx,
        TF_TYPE,
        `A resource with the ID "${id}" already exists - to be managed via Terraform this resource needs to be imported into the State. ` +
          `Please see the resource documentation for "${TF_TYPE}" for more information.`,
        `import it (pulumi import ${TYPE} <name> ${id}), or remove the URI from the application first.`,
      );
    }
    await graphStep(ctx, TF_TYPE, `creating ${id}`, () =>
      ctx.graph.api(`/applications/${objectId}`).patch({ identifierUris: [...existing, uri] }),
    );
    // The typed-resource wrapper reads after Create.
    const state = await read(ctx, id);
    if (!state) throw applyError(ctx, TF_TYPE, `${id} was not found right after it was created`);
    return { id, state };
  },

  read(id, _state, ctx) {
    return read(ctx, id);
  },

  update() {
    // Every argument is ForceNew: the provider has no Update, the engine replaces instead.
    return Promise.reject(new Error(`${TYPE} has no update: every input forces replacement`));
  },

  async delete(id, state, ctx) {
    const { objectId } = parseId(ctx, id);
    const uri = String(state.identifierUri);
    const existing = await identifierUrisOf(ctx, objectId, `retrieving /applications/${objectId}`);
    if (!existing.includes(uri)) throw applyError(ctx, TF_TYPE, `deleting ${id}: could not identify existing identifier URI`);
    await graphStep(ctx, TF_TYPE, `deleting ${id}`, () =>
      ctx.graph.api(`/applications/${objectId}`).patch({ identifierUris: existing.filter((existingUri) => existingUri !== uri) }),
    );
  },
};
