/** `/applications`: list, create, read, update and delete application objects. */
import { notFound } from "../errors";
import type { EmulatorResponse } from "../http";
import type { Application } from "../store";
import { entityKey, entityResponse, listResponse, parseJsonBody, type GraphCall } from "./call";
import { parseSelect } from "./odata";
import { applicationView, applyApplicationBody, isObject, newApplication } from "./objects";

/** The application the path addresses, in the caller's tenant, or 404. */
export function findApplication(call: GraphCall): Application {
  const { store, tenant } = call;
  const key = entityKey(call);
  const app = key.id ? store.applications.get(key.id) : store.applicationsOf(tenant.id).find((candidate) => candidate.appId === key.appId);
  if (!app || app.tenantId !== tenant.id) throw notFound(key.id ?? key.appId ?? "");
  return app;
}

/** Certificate bytes (`keyCredentials[].key`) are returned only when `$select` asks for keyCredentials. */
function includeKeys(call: GraphCall): boolean {
  return parseSelect(call.request.query.get("$select"))?.includes("keyCredentials") ?? false;
}

export function listApplications(call: GraphCall): EmulatorResponse {
  const { store, tenant } = call;
  const keys = includeKeys(call);
  return listResponse(
    call,
    "applications",
    store.applicationsOf(tenant.id).map((app) => applicationView(app, tenant, keys)),
  );
}

export function createApplication(call: GraphCall): EmulatorResponse {
  const { store, tenant } = call;
  const app = newApplication(store, tenant, parseJsonBody(call.request));
  store.applications.set(app.id, app);
  return entityResponse(call, "applications", applicationView(app, call.tenant, false), 201);
}

export function getApplication(call: GraphCall): EmulatorResponse {
  const app = findApplication(call);
  return entityResponse(call, "applications", applicationView(app, call.tenant, includeKeys(call)));
}

/**
 * A PATCH of `keyCredentials` replaces the whole collection, and a GET returns every certificate with
 * `key: null` (https://learn.microsoft.com/en-us/graph/api/resources/keycredential: `key` is returned
 * only for `$select=keyCredentials` on a single object, null otherwise). A client keeps a certificate by sending it back with its `keyId` and
 * no key (microsoftgraph/microsoft-graph-docs#3579: "to retain the old one(s) you need to supply the
 * prior keyId (not null) and value (null)"), which is what terraform-provider-azuread v3.8.0 does when
 * it adds or removes one (application_certificate_resource.go Create and Delete: GET, then PATCH the
 * list read back). Such an entry stands for the stored certificate: its bytes are put back before
 * the body is validated.
 */
function keepExistingKeys(app: Application, body: Record<string, unknown>): Record<string, unknown> {
  if (!Array.isArray(body.keyCredentials)) return body;
  const keyCredentials = body.keyCredentials.map((entry: unknown) => {
    if (!isObject(entry) || (entry.key !== null && entry.key !== undefined) || typeof entry.keyId !== "string") return entry;
    const keyId = entry.keyId.toLowerCase();
    const existing = app.keyCredentials.find((credential) => credential.keyId === keyId);
    return existing ? { ...entry, key: existing.key } : entry;
  });
  return { ...body, keyCredentials };
}

export function updateApplication(call: GraphCall): EmulatorResponse {
  const app = findApplication(call);
  // Validate on a copy so a rejected PATCH changes nothing.
  const draft: Application = { ...app, api: { ...app.api }, other: { ...app.other } };
  applyApplicationBody(call.store, call.tenant, draft, keepExistingKeys(app, parseJsonBody(call.request)));
  Object.assign(app, draft);
  return { status: 204 };
}

export function deleteApplication(call: GraphCall): EmulatorResponse {
  call.store.deleteApplication(findApplication(call));
  return { status: 204 };
}
