/**
 * Microsoft Graph v1.0, the part the project uses: organization, domains, applications, service
 * principals, claims-mapping policies and their assignment, and JSON `$batch`.
 *
 * The caller's tenant comes from its bearer token (`tid`), as in Graph. Reads are immediately
 * consistent; only the token endpoint models replication lag.
 */
import crypto from "node:crypto";
import { decodeJwt, errors as joseErrors, jwtVerify } from "jose";
import type { EmulatorContext } from "./context";
import { badRequest, graphError, HttpError, isPendingGraphError, notFound, odataErrorBody } from "./errors";
import {
  applicationView,
  applyApplicationBody,
  domainView,
  generateSecretText,
  isObject,
  newApplication,
  organizationView,
  parseClaimsMappingPolicyBody,
  policyView,
  servicePrincipalView,
} from "./graphObjects";
import { header, json, type EmulatorRequest, type EmulatorResponse } from "./http";
import { parseFilter, parseSelect, parseTop, project } from "./odata";
import { createSigningKey } from "./signingKeys";
import {
  GRAPH_APP_ID,
  GRAPH_RESOURCE,
  hashSecret,
  type Application,
  type ClaimsMappingPolicy,
  type ServicePrincipal,
  type Tenant,
} from "./store";
import { issuerV1 } from "./tokens";

export const BATCH_LIMIT = 20;
const YEAR_MS = 365 * 24 * 60 * 60 * 1000;

interface Caller {
  tenant: Tenant;
  appId: string;
}

/** One inner request of a `$batch`, for the request log. */
export interface BatchedRequestRecord {
  method: string;
  path: string;
  status: number;
}

function unauthorized(message: string): HttpError {
  return graphError(401, "InvalidAuthenticationToken", message, {
    headers: {
      "www-authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
    },
  });
}

/** The bearer token must be one this emulator issued for Graph, in an existing tenant. */
async function authenticate(context: EmulatorContext, request: EmulatorRequest): Promise<Caller> {
  const authorization = header(request, "authorization");
  if (!authorization || !/^bearer\s+/i.test(authorization)) throw unauthorized("Access token is empty.");
  const token = authorization.replace(/^bearer\s+/i, "").trim();
  let tenantId: unknown;
  try {
    tenantId = decodeJwt(token).tid;
  } catch {
    throw unauthorized("IDX14100: JWT is not well formed.");
  }
  const tenant = typeof tenantId === "string" ? context.store.tenants.get(tenantId) : undefined;
  if (!tenant) throw unauthorized("Access token validation failure. Invalid tenant.");
  try {
    const { payload } = await jwtVerify(token, context.signingKey.publicKey, {
      algorithms: ["RS256"],
      issuer: issuerV1(tenant.id),
      audience: [GRAPH_RESOURCE, `${GRAPH_RESOURCE}/`, GRAPH_APP_ID],
      currentDate: new Date(context.store.now()),
    });
    const appId = typeof payload.appid === "string" ? payload.appid : String(payload.azp ?? "");
    const roles = Array.isArray(payload.roles) ? payload.roles : [];
    if (roles.length === 0) {
      throw graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    }
    return { tenant, appId };
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw unauthorized("Lifetime validation failed, the token is expired.");
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "aud") {
      throw unauthorized("Access token validation failure. Invalid audience.");
    }
    throw unauthorized("Access token validation failure.");
  }
}

function parseJsonBody(request: EmulatorRequest): Record<string, unknown> {
  if (request.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body.toString("utf8"));
  } catch {
    throw graphError(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.");
  }
  if (!isObject(parsed)) throw graphError(400, "BadRequest", "The request body must be a JSON object.");
  return parsed;
}

/** `applications/{id}` or `applications(appId='…')`: the entity segment split into its key. */
function entityKey(segments: string[], collection: string): { key?: { id?: string; appId?: string }; rest: string[] } | undefined {
  const [first, ...rest] = segments;
  if (first === collection) {
    if (rest.length === 0) return { rest };
    return { key: { id: rest[0].toLowerCase() }, rest: rest.slice(1) };
  }
  const alternate = new RegExp(`^${collection}\\(appId='([^']+)'\\)$`).exec(first);
  if (alternate) return { key: { appId: alternate[1].toLowerCase() }, rest };
  return undefined;
}

class GraphRouter {
  constructor(
    private readonly context: EmulatorContext,
    private readonly caller: Caller,
  ) {}

  private get store() {
    return this.context.store;
  }

  private contextUrl(fragment: string): string {
    return `${this.context.origin}/v1.0/$metadata#${fragment}`;
  }

  private list(fragment: string, items: Record<string, unknown>[], request: EmulatorRequest): EmulatorResponse {
    const select = parseSelect(request.query.get("$select"));
    const top = parseTop(request.query.get("$top"));
    const filtered = items.filter(parseFilter(request.query.get("$filter")));
    const value = (top ? filtered.slice(0, top) : filtered).map((item) => project(item, select));
    const suffix = select ? `(${select.join(",")})` : "";
    return json(200, { "@odata.context": this.contextUrl(`${fragment}${suffix}`), value });
  }

  private entity(fragment: string, item: Record<string, unknown>, request: EmulatorRequest, status = 200): EmulatorResponse {
    const select = parseSelect(request.query.get("$select"));
    return json(status, { "@odata.context": this.contextUrl(`${fragment}/$entity`), ...project(item, select) });
  }

  private get tenant(): Tenant {
    return this.caller.tenant;
  }

  private findApplication(key: { id?: string; appId?: string }): Application {
    const app = key.id
      ? this.store.applications.get(key.id)
      : this.store.applicationsOf(this.tenant.id).find((candidate) => candidate.appId === key.appId);
    if (!app || app.tenantId !== this.tenant.id) throw notFound(key.id ?? key.appId ?? "");
    return app;
  }

  private findServicePrincipal(key: { id?: string; appId?: string }): ServicePrincipal {
    const sp = key.id ? this.store.servicePrincipals.get(key.id) : this.store.findServicePrincipal(this.tenant.id, key.appId ?? "");
    if (!sp || sp.tenantId !== this.tenant.id) throw notFound(key.id ?? key.appId ?? "");
    return sp;
  }

  private findPolicy(id: string): ClaimsMappingPolicy {
    const policy = this.store.policies.get(id.toLowerCase());
    if (!policy || policy.tenantId !== this.tenant.id) throw notFound(id);
    return policy;
  }

  private includeKeys(request: EmulatorRequest): boolean {
    return parseSelect(request.query.get("$select"))?.includes("keyCredentials") ?? false;
  }

  async route(request: EmulatorRequest): Promise<EmulatorResponse> {
    const segments = request.path.replace(/^\/v1\.0\/?/, "").split("/").filter((s) => s !== "");
    const method = request.method;
    if (segments.length === 0) throw graphError(400, "BadRequest", "Invalid request: no resource segment after /v1.0.");

    if (segments[0] === "organization" && method === "GET" && segments.length === 1) {
      return this.list("organization", [organizationView(this.tenant)], request);
    }
    if (segments[0] === "domains" && method === "GET") {
      if (segments.length === 1) {
        const views = this.tenant.domains.map((d) => domainView(this.tenant, d.name)).filter(isObject);
        return this.list("domains", views, request);
      }
      const view = domainView(this.tenant, segments[1]);
      if (!view || segments.length > 2) throw notFound(segments[1]);
      return this.entity("domains", view, request);
    }

    const apps = entityKey(segments, "applications");
    if (apps) return this.applications(request, apps.key, apps.rest);
    const sps = entityKey(segments, "servicePrincipals");
    if (sps) return this.servicePrincipals(request, sps.key, sps.rest);
    if (segments[0] === "policies" && segments[1] === "claimsMappingPolicies") {
      return this.policies(request, segments[2], segments.slice(3));
    }
    throw graphError(400, "BadRequest", `Resource not found for the segment '${segments[0]}'.`);
  }

  private unsupported(request: EmulatorRequest): HttpError {
    return graphError(405, "Request_BadRequest", `The emulator does not implement ${request.method} ${request.path}.`);
  }

  private applications(request: EmulatorRequest, key: { id?: string; appId?: string } | undefined, rest: string[]): EmulatorResponse {
    const { store, tenant } = this;
    if (!key) {
      if (request.method === "GET") {
        const includeKeys = this.includeKeys(request);
        return this.list("applications", store.applicationsOf(tenant.id).map((app) => applicationView(app, tenant, includeKeys)), request);
      }
      if (request.method === "POST") {
        const app = newApplication(store, tenant, parseJsonBody(request));
        store.applications.set(app.id, app);
        return this.entity("applications", applicationView(app, tenant, false), request, 201);
      }
      throw this.unsupported(request);
    }
    const app = this.findApplication(key);
    if (rest.length === 0) {
      if (request.method === "GET") return this.entity("applications", applicationView(app, tenant, this.includeKeys(request)), request);
      if (request.method === "PATCH") {
        // Validate on a copy so a rejected PATCH changes nothing.
        const draft: Application = { ...app, api: { ...app.api }, other: { ...app.other } };
        applyApplicationBody(store, tenant, draft, parseJsonBody(request));
        Object.assign(app, draft);
        return { status: 204 };
      }
      if (request.method === "DELETE") {
        store.deleteApplication(app);
        return { status: 204 };
      }
      throw this.unsupported(request);
    }
    if (rest.length === 1 && rest[0] === "addPassword" && request.method === "POST") {
      const body = parseJsonBody(request);
      const input = body.passwordCredential === undefined ? {} : body.passwordCredential;
      if (!isObject(input)) throw badRequest("Property 'passwordCredential' must be an object.");
      const now = store.now();
      const start = input.startDateTime === undefined || input.startDateTime === null ? new Date(now) : new Date(String(input.startDateTime));
      const end = input.endDateTime === undefined || input.endDateTime === null ? new Date(start.getTime() + 2 * YEAR_MS) : new Date(String(input.endDateTime));
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) {
        throw badRequest("Invalid startDateTime or endDateTime: use ISO 8601 date-times.");
      }
      if (end.getTime() <= start.getTime()) throw badRequest("The password credential's endDateTime must be after its startDateTime.");
      const secretText = generateSecretText();
      const credential = {
        keyId: crypto.randomUUID(),
        displayName: typeof input.displayName === "string" ? input.displayName : null,
        hint: secretText.slice(0, 3),
        startDateTime: start.toISOString(),
        endDateTime: end.toISOString(),
        secretHash: hashSecret(secretText),
        readyAt: store.readyAtFromNow(),
      };
      app.passwordCredentials.push(credential);
      return json(200, {
        "@odata.context": this.contextUrl("microsoft.graph.passwordCredential"),
        customKeyIdentifier: null,
        displayName: credential.displayName,
        endDateTime: credential.endDateTime,
        hint: credential.hint,
        keyId: credential.keyId,
        secretText,
        startDateTime: credential.startDateTime,
      });
    }
    if (rest.length === 1 && rest[0] === "removePassword" && request.method === "POST") {
      const keyId = parseJsonBody(request).keyId;
      if (typeof keyId !== "string") throw badRequest("Property 'keyId' is required.");
      const before = app.passwordCredentials.length;
      app.passwordCredentials = app.passwordCredentials.filter((credential) => credential.keyId !== keyId.toLowerCase());
      if (app.passwordCredentials.length === before) throw badRequest(`No password credential with keyId '${keyId}' exists on this application.`);
      return { status: 204 };
    }
    throw graphError(400, "BadRequest", `Resource not found for the segment '${rest[0]}'.`);
  }

  private servicePrincipals(request: EmulatorRequest, key: { id?: string; appId?: string } | undefined, rest: string[]): EmulatorResponse {
    const { store, tenant } = this;
    if (!key) {
      if (request.method === "GET") {
        return this.list("servicePrincipals", store.servicePrincipalsOf(tenant.id).map((sp) => servicePrincipalView(store, sp)), request);
      }
      if (request.method === "POST") {
        const body = parseJsonBody(request);
        if (typeof body.appId !== "string") throw badRequest("Property 'appId' is required when creating a service principal.");
        const appId = body.appId.toLowerCase();
        const app = store.findApplicationByAppId(appId);
        if (!app || (app.tenantId !== tenant.id && app.signInAudience === "AzureADMyOrg")) {
          throw badRequest(`The appId '${body.appId}' of the service principal does not reference a valid application object.`, [
            { code: "NoBackingApplicationObject", message: `The appId '${body.appId}' of the service principal does not reference a valid application object.`, target: "appId" },
          ]);
        }
        if (store.findServicePrincipal(tenant.id, appId)) {
          throw graphError(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`,
          );
        }
        const sp: ServicePrincipal = {
          tenantId: tenant.id,
          id: crypto.randomUUID(),
          appId,
          displayName: app.displayName,
          createdDateTime: new Date(store.now()).toISOString(),
          readyAt: store.readyAtFromNow(),
          claimsMappingPolicies: [],
          tokenSigningKeys: [],
          preferredTokenSigningKeyThumbprint: null,
        };
        store.servicePrincipals.set(sp.id, sp);
        return this.entity("servicePrincipals", servicePrincipalView(store, sp), request, 201);
      }
      throw this.unsupported(request);
    }
    const sp = this.findServicePrincipal(key);
    if (rest.length === 0) {
      if (request.method === "GET") return this.entity("servicePrincipals", servicePrincipalView(store, sp), request);
      if (request.method === "DELETE") {
        if (sp.firstParty) throw graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
        store.servicePrincipals.delete(sp.id);
        return { status: 204 };
      }
      if (request.method === "PATCH") {
        const body = parseJsonBody(request);
        if (body.preferredTokenSigningKeyThumbprint !== undefined) {
          const thumbprint = body.preferredTokenSigningKeyThumbprint;
          if (thumbprint !== null && (typeof thumbprint !== "string" || !sp.tokenSigningKeys.some((k) => k.thumbprintHex === thumbprint.toUpperCase()))) {
            throw badRequest("preferredTokenSigningKeyThumbprint must be the thumbprint of one of the service principal's signing certificates.");
          }
          sp.preferredTokenSigningKeyThumbprint = thumbprint === null ? null : (thumbprint as string).toUpperCase();
        }
        return { status: 204 };
      }
      throw this.unsupported(request);
    }
    if (rest[0] === "claimsMappingPolicies") return this.assignments(request, sp, rest.slice(1));
    if (rest.length === 1 && rest[0] === "addTokenSigningCertificate" && request.method === "POST") {
      const body = parseJsonBody(request);
      const now = store.now();
      const end = body.endDateTime ? new Date(String(body.endDateTime)) : new Date(now + 3 * YEAR_MS);
      if (Number.isNaN(end.getTime()) || end.getTime() <= now) throw badRequest("endDateTime must be a future ISO 8601 date-time.");
      const displayName = typeof body.displayName === "string" && body.displayName !== "" ? body.displayName : `CN=${sp.displayName}`;
      const key = createSigningKey(displayName.replace(/^CN=/i, ""), new Date(now - 60_000), end);
      sp.tokenSigningKeys.push(key);
      sp.preferredTokenSigningKeyThumbprint = key.thumbprintHex;
      return json(200, {
        "@odata.context": this.contextUrl("microsoft.graph.selfSignedCertificate"),
        customKeyIdentifier: Buffer.from(key.thumbprintHex, "hex").toString("base64"),
        displayName,
        endDateTime: key.notAfter.toISOString(),
        key: key.certDer.toString("base64"),
        keyId: crypto.randomUUID(),
        startDateTime: key.notBefore.toISOString(),
        thumbprint: key.thumbprintHex,
        type: "AsymmetricX509Cert",
        usage: "Verify",
      });
    }
    throw graphError(400, "BadRequest", `Resource not found for the segment '${rest[0]}'.`);
  }

  /** `/servicePrincipals/{id}/claimsMappingPolicies[/$ref | /{policyId}/$ref]`. */
  private assignments(request: EmulatorRequest, sp: ServicePrincipal, rest: string[]): EmulatorResponse {
    const { store } = this;
    if (rest.length === 0 && request.method === "GET") {
      const policies = sp.claimsMappingPolicies.map((a) => store.policies.get(a.policyId)).filter((p): p is ClaimsMappingPolicy => !!p);
      return this.list("policies/claimsMappingPolicies", policies.map(policyView), request);
    }
    if (rest.length === 1 && rest[0] === "$ref" && request.method === "POST") {
      const reference = parseJsonBody(request)["@odata.id"];
      const match = typeof reference === "string" ? /claimsMappingPolicies\/([^/?#]+)\/?$/i.exec(reference) : null;
      if (!match) {
        throw badRequest("Property '@odata.id' must reference a claims-mapping policy: https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/{id}.");
      }
      const policy = this.findPolicy(match[1]);
      if (sp.claimsMappingPolicies.some((a) => a.policyId === policy.id)) {
        throw badRequest("One or more added object references already exist for the following modified properties: 'policies'.");
      }
      if (sp.claimsMappingPolicies.length > 0) {
        throw badRequest(
          "Adding a new policy of type 'ClaimsMappingPolicy' to the service principal is not allowed: a service principal can have only one " +
            `claims-mapping policy and '${sp.claimsMappingPolicies[0].policyId}' is already assigned. Remove it first.`,
        );
      }
      sp.claimsMappingPolicies.push({ policyId: policy.id, readyAt: store.readyAtFromNow() });
      return { status: 204 };
    }
    if (rest.length === 2 && rest[1] === "$ref" && request.method === "DELETE") {
      const before = sp.claimsMappingPolicies.length;
      sp.claimsMappingPolicies = sp.claimsMappingPolicies.filter((a) => a.policyId !== rest[0].toLowerCase());
      if (sp.claimsMappingPolicies.length === before) throw notFound(rest[0]);
      return { status: 204 };
    }
    throw this.unsupported(request);
  }

  private policies(request: EmulatorRequest, id: string | undefined, rest: string[]): EmulatorResponse {
    const { store, tenant } = this;
    if (id === undefined) {
      if (request.method === "GET") return this.list("policies/claimsMappingPolicies", store.policiesOf(tenant.id).map(policyView), request);
      if (request.method === "POST") {
        const parsed = parseClaimsMappingPolicyBody(parseJsonBody(request), false);
        const policy: ClaimsMappingPolicy = {
          tenantId: tenant.id,
          id: crypto.randomUUID(),
          displayName: parsed.displayName ?? "",
          definition: parsed.definition ?? [],
          isOrganizationDefault: parsed.isOrganizationDefault ?? false,
        };
        store.policies.set(policy.id, policy);
        return this.entity("policies/claimsMappingPolicies", policyView(policy), request, 201);
      }
      throw this.unsupported(request);
    }
    const policy = this.findPolicy(id);
    if (rest.length > 0) throw graphError(400, "BadRequest", `Resource not found for the segment '${rest[0]}'.`);
    if (request.method === "GET") return this.entity("policies/claimsMappingPolicies", policyView(policy), request);
    if (request.method === "PATCH") {
      Object.assign(policy, parseClaimsMappingPolicyBody(parseJsonBody(request), true));
      return { status: 204 };
    }
    if (request.method === "DELETE") {
      store.deletePolicy(policy);
      return { status: 204 };
    }
    throw this.unsupported(request);
  }
}

/** Render a thrown error as Graph does (OData error with request ids). */
function errorResponse(error: unknown, request: EmulatorRequest): EmulatorResponse {
  const clientRequestId = header(request, "client-request-id");
  if (error instanceof HttpError) {
    const body = isPendingGraphError(error.body)
      ? odataErrorBody({ ...error.body, clientRequestId })
      : error.body;
    return { status: error.status, body, headers: error.headers };
  }
  return {
    status: 500,
    body: odataErrorBody({ status: 500, code: "generalException", message: `Emulator bug: ${(error as Error).message}`, clientRequestId }),
  };
}

interface BatchItem {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

function parseBatch(request: EmulatorRequest): BatchItem[] {
  const body = parseJsonBody(request);
  const requests = body.requests;
  if (!Array.isArray(requests)) throw graphError(400, "BadRequest", "Invalid batch payload format: 'requests' must be an array.");
  if (requests.length > BATCH_LIMIT) {
    throw graphError(400, "BadRequest", `Invalid batch payload format: at most ${BATCH_LIMIT} requests are allowed in one $batch (got ${requests.length}).`);
  }
  const ids = new Set<string>();
  return requests.map((item, index) => {
    if (!isObject(item) || typeof item.id !== "string" || typeof item.method !== "string" || typeof item.url !== "string") {
      throw graphError(400, "BadRequest", `Invalid batch payload format: request ${index} needs string 'id', 'method' and 'url'.`);
    }
    if (ids.has(item.id)) throw graphError(400, "BadRequest", `Invalid batch payload format: duplicate request id '${item.id}'.`);
    ids.add(item.id);
    const headers: Record<string, string> = {};
    if (isObject(item.headers)) for (const [name, value] of Object.entries(item.headers)) headers[name.toLowerCase()] = String(value);
    return { id: item.id, method: item.method.toUpperCase(), url: item.url, headers, body: item.body };
  });
}

/** Graph's relative batch URL (`/applications`, `applications`, or `/v1.0/applications`) as a request. */
function innerRequest(outer: EmulatorRequest, item: BatchItem): EmulatorRequest {
  const relative = item.url.replace(/^\/?(v1\.0\/)?/, "");
  const url = new URL(`/v1.0/${relative}`, "https://graph.invalid");
  let body: Buffer = Buffer.alloc(0);
  if (item.body !== undefined) {
    // Graph requires an explicit Content-Type for any inner body.
    if (!item.headers["content-type"]) throw graphError(400, "BadRequest", `Write request id : ${item.id} does not contain Content-Type header or body.`);
    body = Buffer.from(typeof item.body === "string" ? item.body : JSON.stringify(item.body), "utf8");
  }
  return {
    method: item.method,
    path: decodeURIComponent(url.pathname),
    query: url.searchParams,
    headers: { ...item.headers, authorization: outer.headers.authorization },
    body,
  };
}

/** Handle one Graph request (already under `/v1.0`). */
export async function handleGraph(
  context: EmulatorContext,
  request: EmulatorRequest,
  onBatched?: (record: BatchedRequestRecord) => void,
): Promise<EmulatorResponse> {
  let router: GraphRouter;
  try {
    router = new GraphRouter(context, await authenticate(context, request));
  } catch (error) {
    return errorResponse(error, request);
  }
  const isBatch = /^\/v1\.0\/\$batch\/?$/.test(request.path);
  if (!isBatch) {
    try {
      return await router.route(request);
    } catch (error) {
      return errorResponse(error, request);
    }
  }
  if (request.method !== "POST") return errorResponse(graphError(405, "BadRequest", "$batch accepts POST only."), request);
  let items: BatchItem[];
  try {
    items = parseBatch(request);
  } catch (error) {
    return errorResponse(error, request);
  }
  const responses: Array<{ id: string; status: number; headers: Record<string, string>; body?: unknown }> = [];
  for (const item of items) {
    let inner: EmulatorRequest | undefined;
    let response: EmulatorResponse;
    try {
      inner = innerRequest(request, item);
      response = await router.route(inner);
    } catch (error) {
      response = errorResponse(error, inner ?? request);
    }
    onBatched?.({ method: item.method, path: inner?.path ?? item.url, status: response.status });
    responses.push({
      id: item.id,
      status: response.status,
      headers: response.body === undefined ? {} : { "Content-Type": "application/json" },
      ...(response.body === undefined ? {} : { body: response.body }),
    });
  }
  return json(200, { responses });
}
