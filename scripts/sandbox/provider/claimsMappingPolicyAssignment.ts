/**
 * azuread.ServicePrincipalClaimsMappingPolicyAssignment (terraform-provider-azuread v3.8.0
 * `azuread_service_principal_claims_mapping_policy_assignment`): a `$ref` from a service principal to
 * a claims-mapping policy. Both inputs force replacement; there is no Update.
 */
import { GRAPH_URL } from "../../../contract/entraEndpoints";
import { diffSdkV2, inputProperties, type Schema } from "./schema";
import { SOURCES } from "./sources";
import { applyError, describeGraphFailure, graphStep, isNotFound, objectIdIn, rejectUnmodelled } from "./support";
import type { CreateResult, Properties, ProviderContext, ResourceModel } from "./types";

const TF_TYPE = "azuread_service_principal_claims_mapping_policy_assignment";
const TYPE = "azuread:index/servicePrincipalClaimsMappingPolicyAssignment:ServicePrincipalClaimsMappingPolicyAssignment";
const S = SOURCES.assignment;

export const ASSIGNMENT_SCHEMA: Schema = {
  claimsMappingPolicyId: {
    kind: "string",
    mode: "required",
    forceNew: true,
    source: `${S} schema claims_mapping_policy_id (ForceNew, ValidatePolicyClaimsMappingPolicyID)`,
  },
  servicePrincipalId: {
    kind: "string",
    mode: "required",
    forceNew: true,
    source: `${S} schema service_principal_id (ForceNew, ValidateServicePrincipalID)`,
  },
};

/** stable.ServicePrincipalIdClaimsMappingPolicyId: `/servicePrincipals/{sp}/claimsMappingPolicies/{policy}` (plural). */
function parseId(ctx: ProviderContext, id: string): { servicePrincipalId: string; policyId: string } {
  const match = /^\/servicePrincipals\/([^/]+)\/claimsMappingPolicies\/([^/]+)$/.exec(id);
  if (!match) {
    throw applyError(
      ctx,
      TF_TYPE,
      `id: Parsing Claims Mapping Policy Assignment ID ${JSON.stringify(id)}: expected /servicePrincipals/{servicePrincipalId}/claimsMappingPolicies/{claimsMappingPolicyId}`,
    );
  }
  return { servicePrincipalId: match[1], policyId: match[2] };
}

async function read(ctx: ProviderContext, id: string): Promise<Properties | null> {
  const { servicePrincipalId, policyId } = parseId(ctx, id);
  let listed: { value: { id?: string }[] };
  try {
    listed = (await ctx.graph.api(`/servicePrincipals/${servicePrincipalId}/claimsMappingPolicies`).get()) as { value: { id?: string }[] };
  } catch (error) {
    if (isNotFound(error)) return null; // the service principal is gone
    throw applyError(
      ctx,
      TF_TYPE,
      `listing Claims Mapping Policy Assignments for /servicePrincipals/${servicePrincipalId}: ${describeGraphFailure(error)}`,
    );
  }
  // An exact comparison of ids (pointer.From(p.Id) == id.ClaimsMappingPolicyId): not on the list → gone.
  if (!listed.value.some((policy) => policy.id === policyId)) return null;
  return {
    claimsMappingPolicyId: `/policies/claimsMappingPolicies/${policyId}`,
    servicePrincipalId: `/servicePrincipals/${servicePrincipalId}`,
  };
}

export const claimsMappingPolicyAssignmentModel: ResourceModel & { readonly schema: Schema } = {
  type: TYPE,
  schema: ASSIGNMENT_SCHEMA,
  sources: [S, SOURCES.graphIds, SOURCES.graphBaseUri, SOURCES.assignmentRequests, SOURCES.bridgeDiff, SOURCES.bridgeNames],

  async check(inputs, ctx) {
    rejectUnmodelled(ctx, TF_TYPE, TYPE, inputs, inputProperties(ASSIGNMENT_SCHEMA));
    // Both inputs are resource ids, not bare GUIDs: pass sp.id and policy.id.
    if (!objectIdIn(inputs.servicePrincipalId, "servicePrincipals")) {
      throw applyError(
        ctx,
        TF_TYPE,
        `service_principal_id: ${JSON.stringify(inputs.servicePrincipalId)} is not a service principal ID (/servicePrincipals/{servicePrincipalId})`,
      );
    }
    if (!objectIdIn(inputs.claimsMappingPolicyId, "policies/claimsMappingPolicies")) {
      throw applyError(
        ctx,
        TF_TYPE,
        `claims_mapping_policy_id: ${JSON.stringify(inputs.claimsMappingPolicyId)} is not a claims mapping policy ID (/policies/claimsMappingPolicies/{claimsMappingPolicyId})`,
      );
    }
  },

  diff(state, inputs) {
    return diffSdkV2(ASSIGNMENT_SCHEMA, state, inputs);
  },

  async create(inputs, ctx): Promise<CreateResult> {
    const servicePrincipalId = objectIdIn(inputs.servicePrincipalId, "servicePrincipals");
    if (!servicePrincipalId) throw applyError(ctx, TF_TYPE, "service_principal_id: Parsing `service_principal_id`");
    const policyId = objectIdIn(inputs.claimsMappingPolicyId, "policies/claimsMappingPolicies");
    if (!policyId) throw applyError(ctx, TF_TYPE, "claims_mapping_policy_id: Parsing `claims_mapping_policy_id`");
    const id = `/servicePrincipals/${servicePrincipalId}/claimsMappingPolicies/${policyId}`;
    const state = {
      claimsMappingPolicyId: `/policies/claimsMappingPolicies/${policyId}`,
      servicePrincipalId: `/servicePrincipals/${servicePrincipalId}`,
    };
    // `--break claim`: the policy is never assigned. The state is what a successful create would hold,
    // so the stack looks deployed while the token carries no claim.
    if (ctx.breakName === "claim") return { id, state };
    // The reference is the policy as a directory object, under Graph's real base URI (BaseUri + /directoryObjects/{id}).
    await graphStep(ctx, TF_TYPE, `Creating ClaimsMappingPolicyAssignment for /servicePrincipals/${servicePrincipalId}`, () =>
      ctx.graph
        .api(`/servicePrincipals/${servicePrincipalId}/claimsMappingPolicies/$ref`)
        .post({ "@odata.id": `${GRAPH_URL}/v1.0/directoryObjects/${policyId}` }),
    );
    const created = await read(ctx, id);
    if (!created) throw applyError(ctx, TF_TYPE, `${id} was not found right after it was created`);
    return { id, state: created };
  },

  read(id, _state, ctx) {
    return read(ctx, id);
  },

  update() {
    return Promise.reject(new Error(`${TYPE} has no update: every input forces replacement`));
  },

  async delete(id, _state, ctx) {
    const { servicePrincipalId, policyId } = parseId(ctx, id);
    await graphStep(ctx, TF_TYPE, `removing ${id}`, () =>
      ctx.graph.api(`/servicePrincipals/${servicePrincipalId}/claimsMappingPolicies/${policyId}/$ref`).delete(),
    );
    // The provider's Delete ends with a Read (which finds nothing and clears the id).
    await read(ctx, id);
  },
};
