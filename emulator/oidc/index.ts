/**
 * The Entra ID side: OpenID discovery documents, JWKS and the client-credentials token endpoint,
 * under the same paths as login.microsoftonline.com. Handlers throw their AADSTS errors; the server
 * turns them into responses.
 */
import type { EmulatorContext } from "../context";
import type { EmulatorRequest, EmulatorResponse } from "../http";
import { correlationOf } from "./call";
import { LOGIN_ROUTES } from "./routes";

const COMMON_TENANTS = ["common", "organizations", "consumers"];

/** Routes for everything outside `/v1.0`: `/{tenant}/…` as on login.microsoftonline.com; undefined when none matches. */
export async function handleLogin(context: EmulatorContext, request: EmulatorRequest): Promise<EmulatorResponse | undefined> {
  const segments = request.path.split("/").filter((s) => s !== "");
  if (segments.length < 2) return undefined;
  const [tenantSegment, ...rest] = segments;
  const endpoint = rest.join("/");
  const isCommonTenant = COMMON_TENANTS.includes(tenantSegment.toLowerCase());
  const route = LOGIN_ROUTES.find(
    (candidate) =>
      candidate.method === request.method && candidate.endpoint === endpoint && (!isCommonTenant || candidate.commonTenant === "handled"),
  );
  if (!route) return undefined;
  return route.handler({ context, request, tenantSegment, isCommonTenant, endpoint, correlation: correlationOf(request) });
}
