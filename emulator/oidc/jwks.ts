/** The JWKS endpoints (`discovery/keys`, `discovery/v2.0/keys`): the keys that verify issued tokens. */
import type { EmulatorContext } from "../context";
import { json, type EmulatorResponse } from "../http";
import { publishedJwk, type SigningKey } from "../signingKeys";
import type { Tenant } from "../store";
import { DEFAULT_CLOUD } from "../clouds";
import { issuerV2 } from "../tokens";
import { resolveTenant, type LoginCall, type LoginHandler } from "./call";

/** App-specific signing keys of a resource app, valid now (Entra publishes them only with ?appid=). */
function appSigningKeys(context: EmulatorContext, tenant: Tenant | undefined, appId: string): SigningKey[] {
  const now = context.store.now();
  const sps = [...context.store.servicePrincipals.values()].filter(
    (sp) => sp.appId === appId.toLowerCase() && (!tenant || sp.tenantId === tenant.id),
  );
  return sps.flatMap((sp) => sp.tokenSigningKeys.filter((key) => key.notBefore.getTime() <= now && key.notAfter.getTime() > now));
}

/**
 * A tenant's keys name its v2 issuer in its cloud. Under `/common` no tenant (so no cloud) is known:
 * the global cloud's template `https://login.microsoftonline.com/{tenantid}/v2.0`, as Entra's global
 * `/common/discovery/v2.0/keys` publishes it.
 */
export function jwks(context: EmulatorContext, tenant: Tenant | undefined, v2: boolean, appId: string | null): Record<string, unknown> {
  const issuer = v2 ? issuerV2(tenant ?? { id: "{tenantid}", cloud: DEFAULT_CLOUD }) : undefined;
  const keys = [context.signingKey, ...(appId ? appSigningKeys(context, tenant, appId) : [])];
  return { keys: keys.map((key) => publishedJwk(key, issuer)) };
}

/** Under `/common` (and the other multi-tenant names) no tenant narrows the `?appid=` keys. */
function keysResponse(call: LoginCall, v2: boolean): EmulatorResponse {
  const { context, tenantSegment, isCommonTenant, correlation, request } = call;
  const tenant = isCommonTenant ? undefined : resolveTenant(context, tenantSegment, correlation);
  return json(200, jwks(context, tenant, v2, request.query.get("appid")));
}

/** `GET /{tenant}/discovery/v2.0/keys`: each key names its v2 issuer. */
export const jwksV2: LoginHandler = (call) => keysResponse(call, true);

/** `GET /{tenant}/discovery/keys`. */
export const jwksV1: LoginHandler = (call) => keysResponse(call, false);
