/** What a login-endpoint handler is given, and the tenant lookup every endpoint shares. */
import type { EmulatorContext } from "../context";
import { aadstsError } from "../errors";
import { header, type EmulatorRequest, type EmulatorResponse } from "../http";
import type { Tenant } from "../store";

/** The caller's `client-request-id`, echoed in AADSTS bodies as Entra's correlation id. */
export type Correlation = { correlationId?: string };

export function correlationOf(request: EmulatorRequest): Correlation {
  return { correlationId: request.query.get("client-request-id") ?? header(request, "client-request-id") };
}

export interface LoginCall {
  context: EmulatorContext;
  request: EmulatorRequest;
  /** The first path segment: a tenant id, a domain, or one of the multi-tenant names. */
  tenantSegment: string;
  /** `common`, `organizations` or `consumers`: no tenant is named. */
  isCommonTenant: boolean;
  /** The path after the tenant segment, e.g. `oauth2/v2.0/token`. */
  endpoint: string;
  correlation: Correlation;
}

export type LoginHandler = (call: LoginCall) => EmulatorResponse | Promise<EmulatorResponse>;

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
