/** Graph's bearer check: the token must be one this emulator issued for Graph, in an existing tenant. */
import { decodeJwt, errors as joseErrors, jwtVerify } from "jose";
import type { EmulatorContext } from "../context";
import { graphError, HttpError } from "../errors";
import { header, type EmulatorRequest } from "../http";
import { graphResource } from "../clouds";
import { GRAPH_APP_ID, type Tenant } from "../store";
import { issuerV1 } from "../tokens";
import type { Caller } from "./call";

function unauthorized(message: string): HttpError {
  return graphError(401, "InvalidAuthenticationToken", message, {
    headers: {
      "www-authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
    },
  });
}

/** The tenant the token's `tid` names: Graph serves the caller's own tenant only. */
function tokenTenant(context: EmulatorContext, token: string): Tenant {
  let tenantId: unknown;
  try {
    tenantId = decodeJwt(token).tid;
  } catch {
    throw unauthorized("IDX14100: JWT is not well formed.");
  }
  const tenant = typeof tenantId === "string" ? context.store.tenants.get(tenantId) : undefined;
  if (!tenant) throw unauthorized("Access token validation failure. Invalid tenant.");
  return tenant;
}

/** The bearer token must be one this emulator issued for Graph, in an existing tenant. */
export async function authenticate(context: EmulatorContext, request: EmulatorRequest): Promise<Caller> {
  const authorization = header(request, "authorization");
  if (!authorization || !/^bearer\s+/i.test(authorization)) throw unauthorized("Access token is empty.");
  const token = authorization.replace(/^bearer\s+/i, "").trim();
  const tenant = tokenTenant(context, token);
  try {
    const { payload } = await jwtVerify(token, context.signingKey.publicKey, {
      algorithms: ["RS256"],
      // The tenant's own cloud: a China tenant's Graph token carries sts.chinacloudapi.cn (clouds.ts).
      issuer: issuerV1(tenant),
      // Graph of the tenant's cloud: graph.microsoft.us for Azure Government (clouds.ts).
      audience: [graphResource(tenant.cloud), `${graphResource(tenant.cloud)}/`, GRAPH_APP_ID],
      currentDate: new Date(context.store.now()),
    });
    const appId = typeof payload.appid === "string" ? payload.appid : String(payload.azp ?? "");
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((role): role is string => typeof role === "string") : [];
    if (roles.length === 0) {
      throw graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    }
    return { tenant, appId, roles };
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw unauthorized("Lifetime validation failed, the token is expired.");
    if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "aud") {
      throw unauthorized("Access token validation failure. Invalid audience.");
    }
    throw unauthorized("Access token validation failure.");
  }
}
