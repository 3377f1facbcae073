/**
 * The Entra ID side: OpenID discovery documents, JWKS and the client-credentials token endpoint,
 * under the same paths as login.microsoftonline.com.
 */
import crypto from "node:crypto";
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { parseClaimsMappingDefinition } from "./claimsMapping";
import type { EmulatorContext } from "./context";
import { aadstsError, HttpError } from "./errors";
import { header, json, type EmulatorRequest, type EmulatorResponse } from "./http";
import { publishedJwk, type SigningKey } from "./signingKeys";
import {
  GRAPH_APP_ID,
  hashSecret,
  sameIdentifier,
  type Application,
  type KeyCredential,
  type ServicePrincipal,
  type Tenant,
} from "./store";
import { accessTokenClaims, issuerV1, issuerV2, signAccessToken, type ClientAuthMethod, type TokenVersion } from "./tokens";

const REAL_AUTHORITY = "https://login.microsoftonline.com";
const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Entra tolerates about five minutes of clock skew on client assertions. */
const ASSERTION_CLOCK_TOLERANCE_SECONDS = 300;
/** OIDC scopes some clients add to every request; they do not name a resource. */
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

type Correlation = { correlationId?: string };

function correlationOf(request: EmulatorRequest): Correlation {
  return { correlationId: request.query.get("client-request-id") ?? header(request, "client-request-id") };
}

/** The tenant named by a path segment (GUID or domain), or AADSTS90002 as Entra answers. */
export function resolveTenant(context: EmulatorContext, segment: string, correlation: Correlation): Tenant {
  const tenant = context.store.findTenant(segment);
  if (tenant) return tenant;
  throw aadstsError({
    status: 400,
    error: "invalid_tenant",
    code: 90002,
    message:
      `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. ` +
      "Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.",
    ...correlation,
  });
}

export function discoveryV2(context: EmulatorContext, tenant: Tenant): Record<string, unknown> {
  const base = `${context.origin}/${tenant.id}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: issuerV2(tenant.id),
    request_uri_parameter_supported: false,
    userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: "NA",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  };
}

export function discoveryV1(context: EmulatorContext, tenant: Tenant): Record<string, unknown> {
  const base = `${context.origin}/${tenant.id}`;
  return {
    token_endpoint: `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${context.origin}/common/discovery/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "token id_token", "token"],
    scopes_supported: ["openid"],
    issuer: issuerV1(tenant.id),
    microsoft_multi_refresh_token: true,
    authorization_endpoint: `${base}/oauth2/authorize`,
    device_authorization_endpoint: `${base}/oauth2/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/logout`,
    claims_supported: ["sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce", "email", "given_name", "family_name", "nickname"],
    check_session_iframe: `${base}/oauth2/checksession`,
    userinfo_endpoint: `${base}/openid/userinfo`,
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: "NA",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  };
}

/** App-specific signing keys of a resource app, valid now (Entra publishes them only with ?appid=). */
function appSigningKeys(context: EmulatorContext, tenant: Tenant | undefined, appId: string): SigningKey[] {
  const now = context.store.now();
  const sps = [...context.store.servicePrincipals.values()].filter(
    (sp) => sp.appId === appId.toLowerCase() && (!tenant || sp.tenantId === tenant.id),
  );
  return sps.flatMap((sp) => sp.tokenSigningKeys.filter((key) => key.notBefore.getTime() <= now && key.notAfter.getTime() > now));
}

export function jwks(context: EmulatorContext, tenant: Tenant | undefined, v2: boolean, appId: string | null): Record<string, unknown> {
  const issuer = v2 ? issuerV2(tenant ? tenant.id : "{tenantid}") : undefined;
  const keys = [context.signingKey, ...(appId ? appSigningKeys(context, tenant, appId) : [])];
  return { keys: keys.map((key) => publishedJwk(key, issuer)) };
}

// ---- token endpoint ----

interface ClientAuthentication {
  clientId: string | undefined;
  secret?: string;
  assertion?: string;
}

function readClientAuthentication(request: EmulatorRequest, form: URLSearchParams, correlation: Correlation): ClientAuthentication {
  const authorization = header(request, "authorization");
  let basic: { id: string; secret: string } | undefined;
  if (authorization?.toLowerCase().startsWith("basic ")) {
    const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon > 0) {
      basic = { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
    }
  }
  const assertionType = form.get("client_assertion_type");
  const assertion = form.get("client_assertion") ?? undefined;
  if (assertion !== undefined && assertionType !== CLIENT_ASSERTION_TYPE) {
    throw aadstsError({
      status: 400,
      error: "invalid_request",
      code: 700025,
      message: `Client assertion type '${assertionType ?? ""}' is not supported; use '${CLIENT_ASSERTION_TYPE}'.`,
      ...correlation,
    });
  }
  return {
    clientId: (form.get("client_id") ?? basic?.id)?.toLowerCase(),
    secret: form.get("client_secret") ?? basic?.secret,
    assertion,
  };
}

function missingParameter(name: string, correlation: Correlation): HttpError {
  return aadstsError({
    status: 400,
    error: "invalid_request",
    code: 900144,
    message: `The request body must contain the following parameter: '${name}'.`,
    ...correlation,
  });
}

function invalidClientSecret(appId: string, correlation: Correlation): HttpError {
  return aadstsError({
    status: 401,
    error: "invalid_client",
    code: 7000215,
    message:
      "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, " +
      `not the client secret ID, for a secret added to app '${appId}'.`,
    ...correlation,
  });
}

function checkSecret(context: EmulatorContext, app: Application, secret: string, correlation: Correlation): void {
  const hash = hashSecret(secret);
  const match = app.passwordCredentials.find((credential) => crypto.timingSafeEqual(credential.secretHash, hash));
  const now = context.store.now();
  // A secret that has not replicated yet is indistinguishable from a wrong one, as in Entra.
  if (!match || !context.store.isReady(match.readyAt) || Date.parse(match.startDateTime) > now) {
    throw invalidClientSecret(app.appId, correlation);
  }
  if (Date.parse(match.endDateTime) <= now) {
    throw aadstsError({
      status: 401,
      error: "invalid_client",
      code: 7000222,
      message:
        `The provided client secret keys for app '${app.appId}' are expired. Visit the Azure portal to create new keys for your app: ` +
        "https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.",
      ...correlation,
    });
  }
}

function assertionFailure(reason: string, correlation: Correlation): HttpError {
  return aadstsError({ status: 401, error: "invalid_client", code: 700027, message: reason, ...correlation });
}

/** Every token URL a client may put in its assertion's `aud` for this tenant. */
function acceptedAssertionAudiences(context: EmulatorContext, tenant: Tenant): string[] {
  const names = [tenant.id, ...tenant.domains.map((domain) => domain.name)];
  const origins = [context.origin, REAL_AUTHORITY];
  return origins.flatMap((origin) =>
    names.flatMap((name) => [`${origin}/${name}/oauth2/v2.0/token`, `${origin}/${name}/oauth2/token`]),
  );
}

function findKeyCredential(app: Application, protectedHeader: Record<string, unknown>): { key?: KeyCredential; thumbprint: string } {
  const x5t = protectedHeader.x5t;
  const x5tS256 = protectedHeader["x5t#S256"];
  if (typeof x5tS256 === "string") {
    const wanted = Buffer.from(x5tS256, "base64url");
    return { key: app.keyCredentials.find((k) => k.thumbprintSha256.equals(wanted)), thumbprint: wanted.toString("hex").toUpperCase() };
  }
  if (typeof x5t === "string") {
    const wanted = Buffer.from(x5t, "base64url");
    return { key: app.keyCredentials.find((k) => k.thumbprintSha1.equals(wanted)), thumbprint: wanted.toString("hex").toUpperCase() };
  }
  return { thumbprint: "" };
}

async function checkAssertion(
  context: EmulatorContext,
  tenant: Tenant,
  app: Application,
  assertion: string,
  correlation: Correlation,
): Promise<void> {
  let protectedHeader: Record<string, unknown>;
  try {
    protectedHeader = decodeProtectedHeader(assertion) as Record<string, unknown>;
  } catch {
    throw assertionFailure("Client assertion failed signature validation. The client assertion is not a well-formed JWT.", correlation);
  }
  const { key, thumbprint } = findKeyCredential(app, protectedHeader);
  const notFoundReason =
    `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', ` +
    `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.appId}'.]`;
  // A key that has not replicated yet is "not found", as in Entra.
  if (!key || !context.store.isReady(key.readyAt)) throw assertionFailure(notFoundReason, correlation);
  const now = context.store.now();
  if (Date.parse(key.endDateTime) <= now || Date.parse(key.startDateTime) > now) {
    throw assertionFailure(
      `Client assertion contains an invalid signature. [Reason - The key used is expired or not yet valid., Thumbprint of key used by client: '${thumbprint}']`,
      correlation,
    );
  }
  try {
    await jwtVerify(assertion, key.publicKey, {
      algorithms: ["RS256", "PS256"],
      issuer: app.appId,
      subject: app.appId,
      audience: acceptedAssertionAudiences(context, tenant),
      clockTolerance: ASSERTION_CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now),
      requiredClaims: ["exp", "aud", "iss", "sub"],
    });
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      throw assertionFailure("Client assertion failed signature validation. [Reason - The client assertion is expired (exp is in the past).]", correlation);
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      throw assertionFailure(
        `Client assertion failed signature validation. [Reason - claim '${error.claim}' is invalid: ${error.reason}; ` +
          `aud must be the token endpoint (${REAL_AUTHORITY}/${tenant.id}/oauth2/v2.0/token), iss and sub the client id.]`,
        correlation,
      );
    }
    throw assertionFailure("Client assertion failed signature validation.", correlation);
  }
}

/** The scope of a v2 request reduced to one resource identifier, or AADSTS1002012. */
export function resourceFromScope(scope: string | null, correlation: Correlation): string {
  if (scope === null || scope.trim() === "") throw missingParameter("scope", correlation);
  const scopes = scope.split(/\s+/).filter((s) => s !== "" && !OIDC_SCOPES.has(s.toLowerCase()));
  const invalid = () =>
    aadstsError({
      status: 400,
      error: "invalid_scope",
      code: 1002012,
      message:
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default ` +
        "suffixed to the resource identifier (application ID URI).",
      ...correlation,
    });
  if (scopes.length !== 1 || !scopes[0].endsWith("/.default")) throw invalid();
  const resource = scopes[0].slice(0, -"/.default".length);
  if (resource === "") throw invalid();
  return resource;
}

function findResource(context: EmulatorContext, tenant: Tenant, resource: string): ServicePrincipal | undefined {
  const { store } = context;
  return store
    .servicePrincipalsOf(tenant.id)
    .find((sp) => store.isReady(sp.readyAt) && store.resourceNames(sp).some((name) => sameIdentifier(name, resource)));
}

/** True when an identifier's host is a verified domain of the tenant or a subdomain of one. */
export function hostOnVerifiedDomain(identifier: string, verifiedDomains: string[]): boolean {
  let host: string;
  try {
    host = new URL(identifier).hostname.toLowerCase();
  } catch {
    return false;
  }
  if (host === "") return false;
  return verifiedDomains.some((domain) => host === domain.toLowerCase() || host.endsWith(`.${domain.toLowerCase()}`));
}

/** The constant claims a resource's effective (assigned and replicated) policy adds, if any. */
function effectivePolicyClaims(context: EmulatorContext, resource: ServicePrincipal): Record<string, string> | undefined {
  const { store } = context;
  const assignment = resource.claimsMappingPolicies.find((a) => store.isReady(a.readyAt) && store.policies.has(a.policyId));
  if (!assignment) return undefined;
  const policy = store.policies.get(assignment.policyId);
  try {
    return parseClaimsMappingDefinition(policy?.definition[0] ?? "").constantClaims;
  } catch {
    return {};
  }
}

function currentSigningKey(context: EmulatorContext, sp: ServicePrincipal): SigningKey | undefined {
  const now = context.store.now();
  const valid = sp.tokenSigningKeys.filter((key) => key.notBefore.getTime() <= now && key.notAfter.getTime() > now);
  return valid.find((key) => key.thumbprintHex === sp.preferredTokenSigningKeyThumbprint) ?? valid[0];
}

export async function handleTokenRequest(
  context: EmulatorContext,
  request: EmulatorRequest,
  tenant: Tenant,
  endpointVersion: TokenVersion,
): Promise<EmulatorResponse> {
  const correlation = correlationOf(request);
  const { store } = context;
  const form = new URLSearchParams(request.body.toString("utf8"));

  const grantType = form.get("grant_type");
  if (!grantType) throw missingParameter("grant_type", correlation);
  if (grantType !== "client_credentials") {
    throw aadstsError({
      status: 400,
      error: "unsupported_grant_type",
      code: 70003,
      message: `The app requested an unsupported grant type '${grantType}'. The emulator implements client_credentials only.`,
      ...correlation,
    });
  }

  const auth = readClientAuthentication(request, form, correlation);
  if (!auth.clientId) throw missingParameter("client_id", correlation);

  // The client: its service principal must exist (and have replicated) in the tenant.
  const clientSp = store.findServicePrincipal(tenant.id, auth.clientId);
  const clientApp = store.findApplicationByAppId(auth.clientId);
  if (!clientSp || !clientApp || !store.isReady(clientSp.readyAt)) {
    throw aadstsError({
      status: 400,
      error: "unauthorized_client",
      code: 700016,
      message:
        `Application with identifier '${auth.clientId}' was not found in the directory '${tenant.displayName}'. ` +
        "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
        "You may have sent your authentication request to the wrong tenant.",
      ...correlation,
    });
  }

  let clientAuth: ClientAuthMethod;
  if (auth.assertion !== undefined) {
    await checkAssertion(context, tenant, clientApp, auth.assertion, correlation);
    clientAuth = "certificate";
  } else if (auth.secret !== undefined && auth.secret !== "") {
    checkSecret(context, clientApp, auth.secret, correlation);
    clientAuth = "secret";
  } else {
    throw aadstsError({
      status: 401,
      error: "invalid_client",
      code: 7000216,
      message: "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
      ...correlation,
    });
  }

  // The resource: v2 names it in `scope`, v1 in `resource`.
  let requestedResource: string;
  if (endpointVersion === 2) {
    requestedResource = resourceFromScope(form.get("scope"), correlation);
  } else {
    const resourceParam = form.get("resource");
    if (!resourceParam) throw missingParameter("resource", correlation);
    requestedResource = resourceParam;
  }
  const resourceSp = findResource(context, tenant, requestedResource);
  if (!resourceSp) {
    throw aadstsError({
      status: 400,
      error: "invalid_resource",
      code: 500011,
      message:
        `The resource principal named ${requestedResource} was not found in the tenant named ${tenant.displayName}. ` +
        "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
        "You might have sent your authentication request to the wrong tenant.",
      ...correlation,
    });
  }
  const resourceApp = store.findApplicationByAppId(resourceSp.appId);
  const version: TokenVersion = resourceApp?.api.requestedAccessTokenVersion === 2 ? 2 : 1;

  // Claims mapping: Entra only emits mapped claims to a resource that can be trusted with them.
  const mappedClaims = effectivePolicyClaims(context, resourceSp);
  const appSigningKey = currentSigningKey(context, resourceSp);
  if (mappedClaims && !appSigningKey) {
    if (resourceApp?.api.acceptMappedClaims !== true) {
      throw aadstsError({
        status: 400,
        error: "invalid_request",
        code: 50146,
        message:
          "This application is required to be configured with an application-specific signing key. It is either not configured with one, " +
          "or the key has expired or is not yet valid. Please use Azure portal to upload a valid key and try again, or set " +
          "api.acceptMappedClaims to true on the resource application.",
        ...correlation,
      });
    }
    const audienceIsAppId = sameIdentifier(requestedResource, resourceSp.appId);
    if (!audienceIsAppId && !hostOnVerifiedDomain(requestedResource, store.verifiedDomains(tenant))) {
      throw aadstsError({
        status: 400,
        error: "invalid_request",
        code: 501461,
        message:
          "AcceptMappedClaims is only supported for a token audience matching the application GUID or an audience within the tenant's verified domains. " +
          "Either change the resource identifier, or use an application-specific signing key to sign tokens for this application.",
        ...correlation,
      });
    }
  }

  const issuedAt = Math.floor(store.now() / 1000);
  const claims = accessTokenClaims({
    version,
    tenantId: tenant.id,
    clientAppId: clientApp.appId,
    clientServicePrincipalId: clientSp.id,
    clientAuth,
    resourceAppId: resourceSp.appId,
    requestedResource,
    issuedAt,
    lifetimeSeconds: context.tokenLifetimeSeconds,
    roles: resourceSp.appId === GRAPH_APP_ID ? clientApp.graphRoles : undefined,
    mappedClaims,
  });
  const accessToken = await signAccessToken(claims, appSigningKey ?? context.signingKey);
  const expiresIn = context.tokenLifetimeSeconds;
  const body: Record<string, unknown> = {
    token_type: "Bearer",
    expires_in: expiresIn,
    ext_expires_in: expiresIn,
    ...(endpointVersion === 1
      ? { expires_on: String(issuedAt + expiresIn), not_before: String(issuedAt), resource: requestedResource }
      : {}),
    access_token: accessToken,
  };
  return json(200, body, { "cache-control": "no-store, no-cache", pragma: "no-cache" });
}

/** Routes for everything outside `/v1.0`: `/{tenant}/…` as on login.microsoftonline.com. */
export async function handleLogin(context: EmulatorContext, request: EmulatorRequest): Promise<EmulatorResponse | undefined> {
  const segments = request.path.split("/").filter((s) => s !== "");
  if (segments.length < 2) return undefined;
  const [tenantSegment, ...rest] = segments;
  const route = rest.join("/");
  const correlation = correlationOf(request);
  const isCommon = ["common", "organizations", "consumers"].includes(tenantSegment.toLowerCase());

  if (request.method === "GET") {
    const appId = request.query.get("appid");
    if (route === "discovery/v2.0/keys" || route === "discovery/keys") {
      const tenant = isCommon ? undefined : resolveTenant(context, tenantSegment, correlation);
      return json(200, jwks(context, tenant, route === "discovery/v2.0/keys", appId));
    }
    if (route === "v2.0/.well-known/openid-configuration" && !isCommon) {
      return json(200, discoveryV2(context, resolveTenant(context, tenantSegment, correlation)));
    }
    if (route === ".well-known/openid-configuration" && !isCommon) {
      return json(200, discoveryV1(context, resolveTenant(context, tenantSegment, correlation)));
    }
  }
  if (request.method === "POST" && (route === "oauth2/v2.0/token" || route === "oauth2/token")) {
    if (isCommon) {
      throw aadstsError({
        status: 400,
        error: "invalid_request",
        code: 50059,
        message: `No tenant-identifying information found in either the request or implied by any provided credentials. Client credentials need a tenant: use /<tenant id>/${route}, not /${tenantSegment}/${route}.`,
        ...correlation,
      });
    }
    const tenant = resolveTenant(context, tenantSegment, correlation);
    return handleTokenRequest(context, request, tenant, route === "oauth2/token" ? 1 : 2);
  }
  return undefined;
}
