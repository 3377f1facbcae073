/**
 * `GET /beta/reports/appCredentialSignInActivities`: the last use of each credential of the tenant's
 * apps (https://learn.microsoft.com/en-us/graph/api/reportroot-list-appcredentialsigninactivities?view=graph-rest-beta;
 * the resource: https://learn.microsoft.com/en-us/graph/api/resources/appcredentialsigninactivity?view=graph-rest-beta).
 *
 * - Application permission AuditLog.Read.All (least privileged) or Directory.Read.All (the docs'
 *   permissions table); any other token is 403 Authorization_RequestDenied.
 * - Offered to tenants with Microsoft Entra ID P1 or P2 only; others get 403
 *   `Authentication_RequestFromNonPremiumTenantOrB2CTenant` (the error Graph's reports answer a free
 *   tenant with, message included: MicrosoftDocs/azure-docs#77948). Unverified: which check Graph makes first;
 *   modelled as permission, then licence.
 * - `$filter` on the listed properties (`appId eq '…'`, `keyId eq '…'`, joined by `and`), `$top`.
 * - One entry per credential that was ever presented (oidc/signIns.ts), with the credential's dates
 *   and `signInActivity`: `lastSignInDateTime` (the last attempt, as the docs' examples answer) and
 *   `lastSuccessfulSignInDateTime` (a property of the signInActivity type since December 2023,
 *   https://learn.microsoft.com/en-us/graph/api/resources/signinactivity; unverified whether this
 *   report fills it, so drift reads either). The request ids are not kept (null). Entra lists a
 *   credential once per resource it signed in to, and its data lags the sign-ins by hours; here
 *   there is one entry, at once.
 */
import { graphError } from "../errors";
import type { EmulatorResponse } from "../http";
import type { Application, CredentialSignIns, KeyCredential, PasswordCredential } from "../store";
import { listResponse, type GraphCall } from "./call";
import { graphDateTime } from "./dates";

/** The permissions the docs accept for the report (application permissions). */
const REPORT_ROLES = ["AuditLog.Read.All", "Directory.Read.All"];
export const NON_PREMIUM_TENANT_CODE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

function instantOrNull(at: number | null): string | null {
  return at === null ? null : graphDateTime(at);
}

function activityEntry(
  call: GraphCall,
  app: Application,
  credential: PasswordCredential | KeyCredential,
  keyType: "clientSecret" | "certificate",
  signIns: CredentialSignIns,
): Record<string, unknown> {
  const sp = call.store.findServicePrincipal(app.tenantId, app.appId);
  return {
    id: `${app.appId}_${credential.keyId}`,
    appId: app.appId,
    appObjectId: app.id,
    servicePrincipalObjectId: sp?.id ?? null,
    keyId: credential.keyId,
    keyType,
    keyUsage: keyType === "certificate" ? "verify" : "sign",
    credentialOrigin: "application",
    createdDateTime: credential.startDateTime,
    expirationDateTime: credential.endDateTime,
    resourceId: signIns.lastResourceAppId,
    signInActivity: {
      lastSignInDateTime: instantOrNull(signIns.lastAttemptAt),
      lastSignInRequestId: null,
      lastSuccessfulSignInDateTime: instantOrNull(signIns.lastSuccessAt),
      lastSuccessfulSignInRequestId: null,
    },
  };
}

export function listAppCredentialSignInActivities(call: GraphCall): EmulatorResponse {
  if (!call.caller.roles.some((role) => REPORT_ROLES.includes(role))) {
    throw graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
  }
  if (!call.tenant.premiumLicense) {
    throw graphError(403, NON_PREMIUM_TENANT_CODE, "Neither tenant is B2C or tenant doesn't have premium license");
  }
  const entries: Record<string, unknown>[] = [];
  for (const app of call.store.applicationsOf(call.tenant.id)) {
    for (const secret of app.passwordCredentials) {
      if (secret.signIns) entries.push(activityEntry(call, app, secret, "clientSecret", secret.signIns));
    }
    for (const key of app.keyCredentials) {
      if (key.signIns) entries.push(activityEntry(call, app, key, "certificate", key.signIns));
    }
  }
  return listResponse(call, "reports/appCredentialSignInActivities", entries);
}
