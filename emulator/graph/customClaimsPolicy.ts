/**
 * `/beta/servicePrincipals/{id}/claimsPolicy`: the service principal's customClaimsPolicy, what the
 * portal's Enterprise applications → Single sign-on → Attributes & Claims writes
 * (https://learn.microsoft.com/en-us/graph/api/resources/customclaimspolicy?view=graph-rest-beta).
 * GET reads it; PUT creates or replaces it (201 when created, 200 when replaced); PATCH updates the
 * fields it is sent (201, as Microsoft's example of "Update customClaimsPolicy" answers:
 * https://learn.microsoft.com/en-us/graph/api/customclaimspolicy-update?view=graph-rest-beta).
 *
 * A claim is `customClaim` with `configurations[].attribute` a `valueBasedAttribute` (a fixed value,
 * https://learn.microsoft.com/en-us/graph/api/resources/valuebasedattribute?view=graph-rest-beta) or
 * a `sourcedAttribute` (a user attribute, which app-only tokens never have): the token endpoint emits
 * only the fixed values (oidc/replication.ts `portalClaims`).
 *
 * Unverified: what GET answers for a service principal the portal never configured; modelled as 404
 * Request_ResourceNotFound.
 */
import crypto from "node:crypto";
import { badRequest, notFound } from "../errors";
import { json, type EmulatorResponse } from "../http";
import type { CustomClaim, CustomClaimsPolicy } from "../store";
import { parseJsonBody, type GraphCall } from "./call";
import { isObject } from "./objects";
import { findServicePrincipal } from "./servicePrincipals";

function readClaims(value: unknown): CustomClaim[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw badRequest("Property 'claims' must be a collection of customClaim.");
  return value.map((claim, index) => {
    if (!isObject(claim) || typeof claim.name !== "string" || claim.name === "") {
      throw badRequest(`claims[${index}]: a customClaim needs a 'name'.`);
    }
    const configurations = Array.isArray(claim.configurations) ? claim.configurations.filter(isObject) : [];
    const attribute = configurations.map((c) => c.attribute).find(isObject);
    const type = attribute && typeof attribute["@odata.type"] === "string" ? attribute["@odata.type"].toLowerCase() : "";
    const value = type === "#microsoft.graph.valuebasedattribute" && typeof attribute?.value === "string" ? attribute.value : null;
    const tokenFormat = Array.isArray(claim.tokenFormat) ? claim.tokenFormat.filter((f): f is string => typeof f === "string") : [];
    return { name: claim.name, value, tokenFormat, raw: { ...claim } };
  });
}

function view(policy: CustomClaimsPolicy): Record<string, unknown> {
  return {
    "@odata.type": "#microsoft.graph.customClaimsPolicy",
    id: policy.id,
    includeBasicClaimSet: policy.includeBasicClaimSet,
    includeApplicationIdInIssuer: null,
    audienceOverride: null,
    claims: policy.claims.map((claim) => claim.raw),
  };
}

export function getCustomClaimsPolicy(call: GraphCall): EmulatorResponse {
  const sp = findServicePrincipal(call);
  if (!sp.customClaimsPolicy) throw notFound(`The service principal ${sp.id} has no claimsPolicy.`);
  return json(200, view(sp.customClaimsPolicy));
}

export function putCustomClaimsPolicy(call: GraphCall): EmulatorResponse {
  const sp = findServicePrincipal(call);
  const body = parseJsonBody(call.request);
  const created = !sp.customClaimsPolicy;
  sp.customClaimsPolicy = {
    id: sp.customClaimsPolicy?.id ?? crypto.randomUUID(),
    includeBasicClaimSet: body.includeBasicClaimSet === true,
    claims: readClaims(body.claims),
  };
  return json(created ? 201 : 200, view(sp.customClaimsPolicy));
}

export function patchCustomClaimsPolicy(call: GraphCall): EmulatorResponse {
  const sp = findServicePrincipal(call);
  const body = parseJsonBody(call.request);
  const current = sp.customClaimsPolicy ?? { id: crypto.randomUUID(), includeBasicClaimSet: false, claims: [] };
  sp.customClaimsPolicy = {
    id: current.id,
    includeBasicClaimSet: typeof body.includeBasicClaimSet === "boolean" ? body.includeBasicClaimSet : current.includeBasicClaimSet,
    claims: body.claims === undefined ? current.claims : readClaims(body.claims),
  };
  return json(201, view(sp.customClaimsPolicy));
}
