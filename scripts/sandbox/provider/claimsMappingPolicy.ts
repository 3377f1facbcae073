/**
 * azuread.ClaimsMappingPolicy (terraform-provider-azuread v3.8.0 `azuread_claims_mapping_policy`):
 * both inputs update in place (no ForceNew); the definition strings are stored verbatim.
 */
import { diffSdkV2, inputProperties, type Schema } from "./schema";
import { SOURCES } from "./sources";
import { applyError, describeGraphFailure, graphStep, isNotFound, objectIdIn, rejectUnmodelled, stringList, stringOr } from "./support";
import type { CreateResult, Properties, ProviderContext, ResourceModel } from "./types";

const TF_TYPE = "azuread_claims_mapping_policy";
const TYPE = "azuread:index/claimsMappingPolicy:ClaimsMappingPolicy";
const S = SOURCES.claimsMappingPolicy;

export const CLAIMS_MAPPING_POLICY_SCHEMA: Schema = {
  definitions: {
    kind: "list",
    mode: "required",
    source: `${S} schema definition (TypeList, Required, no ForceNew); Pulumi pluralises it to definitions`,
    note: "Compared string by string, in order: Read stores Graph's strings as they are.",
  },
  displayName: { kind: "string", mode: "required", source: `${S} schema display_name (Required, no ForceNew)` },
};

function policyObjectId(ctx: ProviderContext, id: string): string {
  const objectId = objectIdIn(id, "policies/claimsMappingPolicies");
  if (!objectId)
    throw applyError(
      ctx,
      TF_TYPE,
      `id: Parsing ID ${JSON.stringify(id)}: expected /policies/claimsMappingPolicies/{claimsMappingPolicyId}`,
    );
  return objectId;
}

async function read(ctx: ProviderContext, objectId: string): Promise<Properties | null> {
  let policy: { definition?: unknown; displayName?: unknown };
  try {
    policy = (await ctx.graph.api(`/policies/claimsMappingPolicies/${objectId}`).get()) as { definition?: unknown; displayName?: unknown };
  } catch (error) {
    if (isNotFound(error)) return null; // "removing from state!"
    throw applyError(ctx, TF_TYPE, `retrieving /policies/claimsMappingPolicies/${objectId}: ${describeGraphFailure(error)}`);
  }
  return { definitions: stringList(policy.definition), displayName: stringOr(policy.displayName) };
}

/** Create and Update send the same two properties (isOrganizationDefault is left to Graph's default). */
const body = (inputs: Properties): Properties => ({ definition: stringList(inputs.definitions), displayName: inputs.displayName });

export const claimsMappingPolicyModel: ResourceModel & { readonly schema: Schema } = {
  type: TYPE,
  schema: CLAIMS_MAPPING_POLICY_SCHEMA,
  sources: [S, SOURCES.graphIds, SOURCES.sdkv2Diff, SOURCES.bridgeDiff, SOURCES.bridgeNames],

  async check(inputs, ctx) {
    rejectUnmodelled(ctx, TF_TYPE, TYPE, inputs, inputProperties(CLAIMS_MAPPING_POLICY_SCHEMA));
    if (typeof inputs.displayName !== "string" || inputs.displayName === "") {
      throw applyError(ctx, TF_TYPE, `expected "display_name" to not be an empty string`);
    }
    if (
      !Array.isArray(inputs.definitions) ||
      inputs.definitions.some((definition) => typeof definition !== "string" || definition === "")
    ) {
      throw applyError(ctx, TF_TYPE, `expected every "definition" to be a non-empty string`);
    }
  },

  diff(state, inputs) {
    return diffSdkV2(CLAIMS_MAPPING_POLICY_SCHEMA, state, inputs);
  },

  async create(inputs, ctx): Promise<CreateResult> {
    const created = (await graphStep(ctx, TF_TYPE, "Could not create Claims Mapping Policy", () =>
      ctx.graph.api("/policies/claimsMappingPolicies").post(body(inputs)),
    )) as { id?: string };
    if (!created.id) throw applyError(ctx, TF_TYPE, "Could not create Claims Mapping Policy: model return with nil ID");
    const state = await read(ctx, created.id);
    if (!state) throw applyError(ctx, TF_TYPE, `/policies/claimsMappingPolicies/${created.id} was not found right after it was created`);
    return { id: `/policies/claimsMappingPolicies/${created.id}`, state };
  },

  read(id, _state, ctx) {
    return read(ctx, policyObjectId(ctx, id));
  },

  async update(id, _state, inputs, ctx) {
    const objectId = policyObjectId(ctx, id);
    await graphStep(ctx, TF_TYPE, `Could not update ${id}`, () =>
      ctx.graph.api(`/policies/claimsMappingPolicies/${objectId}`).patch(body(inputs)),
    );
    const state = await read(ctx, objectId);
    if (!state) throw applyError(ctx, TF_TYPE, `retrieving ${id}: it no longer exists`);
    return state;
  },

  async delete(id, _state, ctx) {
    const objectId = policyObjectId(ctx, id);
    await graphStep(ctx, TF_TYPE, `Deleting ${id}`, () => ctx.graph.api(`/policies/claimsMappingPolicies/${objectId}`).delete());
  },
};
