/** `/organization` and `/domains`: the caller's tenant and its domain names, read-only. */
import { notFound } from "../errors";
import type { EmulatorResponse } from "../http";
import { entityResponse, listResponse, segment, type GraphCall } from "./call";
import { domainView, isObject, organizationView } from "./objects";

export function getOrganization(call: GraphCall): EmulatorResponse {
  return listResponse(call, "organization", [organizationView(call.tenant)]);
}

export function listDomains(call: GraphCall): EmulatorResponse {
  const { tenant } = call;
  const views = tenant.domains.map((d) => domainView(tenant, d.name)).filter(isObject);
  return listResponse(call, "domains", views);
}

export function getDomain(call: GraphCall): EmulatorResponse {
  const name = segment(call, "domain");
  const view = domainView(call.tenant, name);
  if (!view) throw notFound(name);
  return entityResponse(call, "domains", view);
}

/** A domain has no sub-resources here: anything below one is the domain not found. */
export function domainSubresourceNotFound(call: GraphCall): EmulatorResponse {
  throw notFound(segment(call, "domain"));
}
