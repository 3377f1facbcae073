/**
 * Step 4 of the token endpoint: which resource the token is for (v2 names it in `scope`, v1 in
 * `resource`), its replicated service principal, and the token version that resource asks for.
 */
import type { EmulatorContext } from "../context";
import { aadstsError } from "../errors";
import type { Application, ServicePrincipal, Tenant } from "../store";
import type { TokenVersion } from "../tokens";
import type { Correlation } from "./call";
import { replicatedResource } from "./replication";
import { missingParameter } from "./tokenForm";

/** OIDC scopes some clients add to every request; they do not name a resource. */
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

export interface Resource {
  /** The identifier exactly as requested (the scope without `/.default`). */
  requested: string;
  sp: ServicePrincipal;
  /** Undefined for first-party resources such as Graph. */
  app: Application | undefined;
  /** The resource's `requestedAccessTokenVersion` picks the token's shape, not the endpoint. */
  tokenVersion: TokenVersion;
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

/** The resource: v2 names it in `scope`, v1 in `resource`. */
function requestedResource(fields: URLSearchParams, endpointVersion: TokenVersion, correlation: Correlation): string {
  if (endpointVersion === 2) return resourceFromScope(fields.get("scope"), correlation);
  const resourceParam = fields.get("resource");
  if (!resourceParam) throw missingParameter("resource", correlation);
  return resourceParam;
}

export function resolveResource(
  context: EmulatorContext,
  tenant: Tenant,
  fields: URLSearchParams,
  endpointVersion: TokenVersion,
  correlation: Correlation,
): Resource {
  const requested = requestedResource(fields, endpointVersion, correlation);
  const sp = replicatedResource(context.store, tenant, requested);
  if (!sp) {
    throw aadstsError({
      status: 400,
      error: "invalid_resource",
      code: 500011,
      message:
        `The resource principal named ${requested} was not found in the tenant named ${tenant.displayName}. ` +
        "This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. " +
        "You might have sent your authentication request to the wrong tenant.",
      ...correlation,
    });
  }
  const app = context.store.findApplicationByAppId(sp.appId);
  return { requested, sp, app, tokenVersion: app?.api.requestedAccessTokenVersion === 2 ? 2 : 1 };
}
