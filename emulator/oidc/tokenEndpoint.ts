/**
 * The client-credentials token endpoint (`/{tenant}/oauth2/v2.0/token` and v1 `/oauth2/token`), as
 * a sequence of steps. Their order is the order Entra's errors take precedence in: the form, the
 * client, its credential, the resource, claims mapping, then the token.
 */
import type { EmulatorContext } from "../context";
import { aadstsError } from "../errors";
import { clientIpAddress, type EmulatorRequest, type EmulatorResponse } from "../http";
import type { KeyCredential, PasswordCredential, Tenant } from "../store";
import type { TokenVersion } from "../tokens";
import { correlationOf, resolveTenant, type LoginHandler } from "./call";
import { authenticateClient, requireClient } from "./clientAuthentication";
import { issueAccessToken } from "./issueToken";
import { tokenSigning } from "./mappedClaims";
import { resolveResource } from "./resource";
import { recordSignIn } from "./signIns";
import { parseTokenForm } from "./tokenForm";

export async function handleTokenRequest(
  context: EmulatorContext,
  request: EmulatorRequest,
  tenant: Tenant,
  endpointVersion: TokenVersion,
): Promise<EmulatorResponse> {
  const correlation = correlationOf(request);
  const form = parseTokenForm(request, correlation);
  const client = requireClient(context, tenant, form.clientId, correlation);
  const at = context.store.now();
  // Each use of a recognised credential is a sign-in Graph's report shows (signIns.ts). Activity,
  // not a directory write: it is in the next snapshot, but onChange is not told (index.ts).
  const failedAttempt = (credential: PasswordCredential | KeyCredential) => recordSignIn(credential, at, { succeeded: false });
  const proof = await authenticateClient(context, tenant, client.app, form.credentials, correlation, failedAttempt);
  let response: EmulatorResponse;
  let resourceAppId: string;
  try {
    const resource = resolveResource(context, tenant, form.fields, endpointVersion, correlation);
    const signing = tokenSigning(context, tenant, resource, correlation);
    // The connection's peer, never a forwarding header (http.ts clientIpAddress).
    const caller = { ipAddress: clientIpAddress(request) };
    response = await issueAccessToken(context, { tenant, client, clientAuth: proof.method, resource, signing, endpointVersion, caller });
    resourceAppId = resource.sp.appId;
  } catch (error) {
    failedAttempt(proof.credential);
    throw error;
  }
  recordSignIn(proof.credential, at, { succeeded: true, resourceAppId });
  return response;
}

/** Client credentials need a tenant: `/common` and the like are refused, any other segment resolved. */
function tokenEndpoint(endpointVersion: TokenVersion): LoginHandler {
  return ({ context, request, tenantSegment, isCommonTenant, endpoint, correlation }) => {
    if (isCommonTenant) {
      throw aadstsError({
        status: 400,
        error: "invalid_request",
        code: 50059,
        message: `No tenant-identifying information found in either the request or implied by any provided credentials. Client credentials need a tenant: use /<tenant id>/${endpoint}, not /${tenantSegment}/${endpoint}.`,
        ...correlation,
      });
    }
    const tenant = resolveTenant(context, tenantSegment, correlation);
    return handleTokenRequest(context, request, tenant, endpointVersion);
  };
}

export const tokenEndpointV2 = tokenEndpoint(2);
export const tokenEndpointV1 = tokenEndpoint(1);
