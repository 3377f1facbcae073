/**
 * What the token endpoint remembers of a credential's use, for Graph's appCredentialSignInActivities
 * report (graph/reports.ts): the last attempt with a credential (successful or not) and the last
 * success, as `signInActivity.lastSignInDateTime` and `lastSuccessfulSignInDateTime` report them
 * (https://learn.microsoft.com/en-us/graph/api/resources/signinactivity: "the last time a client
 * attempted (either successfully or unsuccessfully) to sign in"; the report's resource:
 * https://learn.microsoft.com/en-us/graph/api/resources/appcredentialsigninactivity?view=graph-rest-beta).
 *
 * An attempt is a request whose credential was recognised: a wrong secret names no credential, so
 * it is nobody's attempt; an expired one, or a valid one whose request then fails (an unknown scope),
 * is. Simplification: Entra lists a credential once per resource it signed in to; this keeps one
 * entry per credential, for the last resource it got a token for.
 */
import type { CredentialSignIns, KeyCredential, PasswordCredential } from "../store";

export type SignInOutcome = { succeeded: true; resourceAppId: string } | { succeeded: false };

export function recordSignIn(credential: PasswordCredential | KeyCredential, at: number, outcome: SignInOutcome): void {
  const known: CredentialSignIns = credential.signIns ?? { lastAttemptAt: null, lastSuccessAt: null, lastResourceAppId: null };
  credential.signIns = outcome.succeeded
    ? { lastAttemptAt: at, lastSuccessAt: at, lastResourceAppId: outcome.resourceAppId }
    : { ...known, lastAttemptAt: at };
}
