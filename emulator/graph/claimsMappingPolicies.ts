/** `/policies/claimsMappingPolicies`: list, create, read, update and delete claims-mapping policies. */
import crypto from "node:crypto";
import { notFound } from "../errors";
import type { EmulatorResponse } from "../http";
import type { ClaimsMappingPolicy } from "../store";
import { entityResponse, listResponse, parseJsonBody, segment, type GraphCall } from "./call";
import { parseClaimsMappingPolicyBody, policyView } from "./objects";

const FRAGMENT = "policies/claimsMappingPolicies";

/** A policy of the caller's tenant by id, or 404. */
export function findPolicy(call: GraphCall, id: string): ClaimsMappingPolicy {
  const policy = call.store.policies.get(id.toLowerCase());
  if (!policy || policy.tenantId !== call.tenant.id) throw notFound(id);
  return policy;
}

/** The policy the path's `{policyId}` addresses. */
export function findAddressedPolicy(call: GraphCall): ClaimsMappingPolicy {
  return findPolicy(call, segment(call, "policyId"));
}

export function listPolicies(call: GraphCall): EmulatorResponse {
  return listResponse(call, FRAGMENT, call.store.policiesOf(call.tenant.id).map(policyView));
}

export function createPolicy(call: GraphCall): EmulatorResponse {
  const parsed = parseClaimsMappingPolicyBody(parseJsonBody(call.request), false);
  const policy: ClaimsMappingPolicy = {
    tenantId: call.tenant.id,
    id: crypto.randomUUID(),
    displayName: parsed.displayName ?? "",
    definition: parsed.definition ?? [],
    isOrganizationDefault: parsed.isOrganizationDefault ?? false,
  };
  call.store.policies.set(policy.id, policy);
  return entityResponse(call, FRAGMENT, policyView(policy), 201);
}

export function getPolicy(call: GraphCall): EmulatorResponse {
  return entityResponse(call, FRAGMENT, policyView(findAddressedPolicy(call)));
}

export function updatePolicy(call: GraphCall): EmulatorResponse {
  const policy = findAddressedPolicy(call);
  Object.assign(policy, parseClaimsMappingPolicyBody(parseJsonBody(call.request), true));
  return { status: 204 };
}

export function deletePolicy(call: GraphCall): EmulatorResponse {
  call.store.deletePolicy(findAddressedPolicy(call));
  return { status: 204 };
}
