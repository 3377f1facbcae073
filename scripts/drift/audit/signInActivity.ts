/**
 * Graph's credential sign-in activity, as drift reads it: which of the app's credentials signed in
 * last and when. It answers the question end dates cannot: does the connector still use the
 * previous secret, or has it switched?
 *
 * The report (`GET /beta/reports/appCredentialSignInActivities?$filter=appId eq '…'`,
 * https://learn.microsoft.com/en-us/graph/api/reportroot-list-appcredentialsigninactivities?view=graph-rest-beta)
 * is a beta API outside the v1.0 `$batch`, needs AuditLog.Read.All, and is offered only to tenants
 * with Microsoft Entra ID P1 or P2: others get 403 `Authentication_RequestFromNonPremiumTenantOrB2CTenant`
 * (https://github.com/MicrosoftDocs/azure-docs/pull/77948). Drift therefore treats it as an extra:
 * without it, it judges by end dates and says so; it never makes a stack "could not check".
 *
 * Pure: this module reads an answer; graphAudit.ts sends the request.
 */
import { isRecord, stringField } from "./graphValues";

/** What the report says about one credential: epoch ms, null when the report has none. */
export interface CredentialSignIns {
  keyId: string;
  /** The last attempt with this credential, successful or not (`lastSignInDateTime`). */
  lastAttemptAt: number | null;
  /** The last successful sign-in (`lastSuccessfulSignInDateTime`). */
  lastSuccessAt: number | null;
}

export type SignInActivity =
  /** Read: credentials absent from the map never signed in (the report lists activity only). */
  | { state: "read"; byKeyId: Map<string, CredentialSignIns> }
  /** The tenant does not offer the report (no Entra ID P1/P2 licence). */
  | { state: "not-offered"; detail: string }
  /** Drift's identity may not read it (no AuditLog.Read.All). */
  | { state: "not-permitted"; detail: string }
  /** Any other failure (network, timeout, an answer of another shape). */
  | { state: "failed"; detail: string };

/** The licence error's code (Graph's own spelling). */
export const NON_PREMIUM_TENANT_CODE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant";

/** The report's path under Graph's beta version; `appId` is the client id. */
export function signInActivityPath(appId: string): string {
  return `/reports/appCredentialSignInActivities?$filter=${encodeURIComponent(`appId eq '${appId.replace(/'/g, "''")}'`)}`;
}

function instant(value: unknown): number | null {
  const text = stringField(value);
  if (text === undefined) return null;
  const parsed = Date.parse(text);
  return Number.isFinite(parsed) ? parsed : null;
}

/** The report's 200 answer as activity by lower-cased key id; null when it is not a Graph collection. */
export function readSignInActivity(body: unknown): SignInActivity | null {
  if (!isRecord(body) || !Array.isArray(body.value)) return null;
  const byKeyId = new Map<string, CredentialSignIns>();
  for (const item of body.value.filter(isRecord)) {
    const keyId = stringField(item.keyId)?.toLowerCase();
    if (keyId === undefined) continue;
    const activity = isRecord(item.signInActivity) ? item.signInActivity : {};
    const entry: CredentialSignIns = {
      keyId,
      lastAttemptAt: instant(activity.lastSignInDateTime),
      lastSuccessAt: instant(activity.lastSuccessfulSignInDateTime),
    };
    // One credential may be listed once per resource it signed in to: keep the latest of each.
    const known = byKeyId.get(keyId);
    byKeyId.set(
      keyId,
      known
        ? {
            keyId,
            lastAttemptAt: latest(known.lastAttemptAt, entry.lastAttemptAt),
            lastSuccessAt: latest(known.lastSuccessAt, entry.lastSuccessAt),
          }
        : entry,
    );
  }
  return { state: "read", byKeyId };
}

function latest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

/** A failed answer (status and Graph's error code) as the state it means. */
export function signInActivityFailure(status: number | undefined, code: string | undefined, detail: string): SignInActivity {
  if (status === 403 && code === NON_PREMIUM_TENANT_CODE) return { state: "not-offered", detail };
  if (status === 401 || status === 403) return { state: "not-permitted", detail };
  return { state: "failed", detail };
}

/** Why the report could not be used, and what to do, as one sentence for a note. */
export function activityUnavailableNote(activity: Exclude<SignInActivity, { state: "read" }>): string {
  switch (activity.state) {
    case "not-offered":
      return (
        "Graph's credential sign-in activity is not offered in this tenant (it needs Microsoft Entra ID P1 or P2), " +
        "so which secret the connector uses is judged by end dates only"
      );
    case "not-permitted":
      return (
        `drift's identity may not read Graph's credential sign-in activity (${activity.detail}); ` +
        "grant it AuditLog.Read.All (admin consent) to see which secret the connector really uses; until then it is judged by end dates"
      );
    case "failed":
      return `Graph's credential sign-in activity could not be read (${activity.detail}); which secret the connector uses is judged by end dates this time`;
  }
}
