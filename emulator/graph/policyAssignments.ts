/**
 * `/servicePrincipals/{id}/claimsMappingPolicies[/$ref | /{policyId}/$ref]`: which claims-mapping
 * policy a service principal has. A new assignment replicates like a credential (`readyAt`).
 */
import { badRequest, notFound } from "../errors";
import type { EmulatorResponse } from "../http";
import type { ClaimsMappingPolicy } from "../store";
import { listResponse, parseJsonBody, segment, type GraphCall } from "./call";
import { findPolicy } from "./claimsMappingPolicies";
import { policyView } from "./objects";
import { findServicePrincipal } from "./servicePrincipals";

export function listAssignedPolicies(call: GraphCall): EmulatorResponse {
  const { store } = call;
  const sp = findServicePrincipal(call);
  const policies = sp.claimsMappingPolicies.map((a) => store.policies.get(a.policyId)).filter((p): p is ClaimsMappingPolicy => !!p);
  return listResponse(call, "policies/claimsMappingPolicies", policies.map(policyView));
}

/**
 * The `@odata.id` of an assignment: the policy's URL under either of the two paths Graph addresses
 * it by. Microsoft's example (https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-claimsmappingpolicies)
 * uses `…/v1.0/policies/claimsMappingPolicies/{id}`; a claimsMappingPolicy is a directoryObject
 * (https://learn.microsoft.com/en-us/graph/api/resources/claimsmappingpolicy: "Inherits from stsPolicy",
 * itself a directoryObject), so `…/v1.0/directoryObjects/{id}` addresses the same object, the form
 * Graph's own reference examples use (https://learn.microsoft.com/en-us/graph/api/application-post-owners)
 * and the one terraform-provider-azuread v3.8.0 sends
 * (service_principal_claims_mapping_policy_assignment_resource.go: `client.Client.BaseUri +
 * stable.NewDirectoryObjectID(policyId).ID()`). The host is not checked: it names Graph, not this server.
 */
const POLICY_REFERENCE = /\/(?:policies\/claimsMappingPolicies|directoryObjects)\/([^/?#]+)\/?$/i;

export function assignPolicy(call: GraphCall): EmulatorResponse {
  const sp = findServicePrincipal(call);
  const reference = parseJsonBody(call.request)["@odata.id"];
  const match = typeof reference === "string" ? POLICY_REFERENCE.exec(reference) : null;
  if (!match) {
    throw badRequest(
      "Property '@odata.id' must reference a claims-mapping policy: https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/{id} " +
        "or https://graph.microsoft.com/v1.0/directoryObjects/{id}.",
    );
  }
  const policy = findPolicy(call, match[1]);
  if (sp.claimsMappingPolicies.some((a) => a.policyId === policy.id)) {
    throw badRequest("One or more added object references already exist for the following modified properties: 'policies'.");
  }
  if (sp.claimsMappingPolicies.length > 0) {
    throw badRequest(
      "Adding a new policy of type 'ClaimsMappingPolicy' to the service principal is not allowed: a service principal can have only one " +
        `claims-mapping policy and '${sp.claimsMappingPolicies[0].policyId}' is already assigned. Remove it first.`,
    );
  }
  sp.claimsMappingPolicies.push({ policyId: policy.id, readyAt: call.store.readyAtFromNow() });
  return { status: 204 };
}

export function unassignPolicy(call: GraphCall): EmulatorResponse {
  const sp = findServicePrincipal(call);
  const policyId = segment(call, "policyId");
  const before = sp.claimsMappingPolicies.length;
  sp.claimsMappingPolicies = sp.claimsMappingPolicies.filter((a) => a.policyId !== policyId.toLowerCase());
  if (sp.claimsMappingPolicies.length === before) throw notFound(policyId);
  return { status: 204 };
}
