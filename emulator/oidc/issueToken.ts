/** Step 6 of the token endpoint: the access token's claims, its signature and the response body. */
import type { EmulatorContext } from "../context";
import { json, type EmulatorResponse } from "../http";
import { GRAPH_APP_ID, type Tenant } from "../store";
import { accessTokenClaims, signAccessToken, type ClientAuthMethod, type TokenVersion } from "../tokens";
import type { Client } from "./clientAuthentication";
import type { TokenSigning } from "./mappedClaims";
import { appOnlyOptionalClaims, type TokenCaller } from "./optionalClaims";
import type { Resource } from "./resource";

export interface TokenGrant {
  tenant: Tenant;
  client: Client;
  clientAuth: ClientAuthMethod;
  resource: Resource;
  signing: TokenSigning;
  /** The endpoint the client called: v1 answers with `expires_on`, `not_before` and `resource` too. */
  endpointVersion: TokenVersion;
  /** Where the request came from: the source of `ipaddr`. */
  caller: TokenCaller;
}

/**
 * The Graph permissions a client holds in the tenant it signs in to: its application's in its own
 * tenant, what an admin consented to in another; none when nobody consented (Graph answers 403).
 */
function graphRolesIn(tenant: Tenant, client: Client): string[] {
  if (client.sp.graphRoles !== undefined) return client.sp.graphRoles;
  return client.app.tenantId === tenant.id ? client.app.graphRoles : [];
}

export async function issueAccessToken(context: EmulatorContext, grant: TokenGrant): Promise<EmulatorResponse> {
  const { tenant, client, resource } = grant;
  const issuedAt = Math.floor(context.store.now() / 1000);
  const claims = accessTokenClaims({
    version: resource.tokenVersion,
    tenantId: tenant.id,
    cloud: tenant.cloud,
    clientAppId: client.app.appId,
    clientServicePrincipalId: client.sp.id,
    clientAuth: grant.clientAuth,
    resourceAppId: resource.sp.appId,
    requestedResource: resource.requested,
    issuedAt,
    lifetimeSeconds: context.tokenLifetimeSeconds,
    roles: resource.sp.appId === GRAPH_APP_ID ? graphRolesIn(tenant, client) : undefined,
    mappedClaims: grant.signing.mappedClaims,
    optionalClaims: appOnlyOptionalClaims(resource.app, grant.caller),
  });
  const accessToken = await signAccessToken(claims, grant.signing.signingKey);
  const expiresIn = context.tokenLifetimeSeconds;
  const body: Record<string, unknown> = {
    token_type: "Bearer",
    expires_in: expiresIn,
    ext_expires_in: expiresIn,
    ...(grant.endpointVersion === 1
      ? { expires_on: String(issuedAt + expiresIn), not_before: String(issuedAt), resource: resource.requested }
      : {}),
    access_token: accessToken,
  };
  return json(200, body, { "cache-control": "no-store, no-cache", pragma: "no-cache" });
}
