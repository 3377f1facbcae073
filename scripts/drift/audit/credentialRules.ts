/**
 * Rules about credentials: the stack's own still exist, none was added by hand (on the app or the
 * service principal), none the stack created is about to expire, a previous secret past its
 * handover window is about to stop, and the scheduled runs still rotate the secret.
 */
import { MANAGED_SECRET_DISPLAY_NAME, RUN_ALLOWANCE_DAYS } from "../../../contract/appCredentials";
import type { DriftCheck } from "../report";
import { GraphCheck } from "./graphCheck";
import { activityUnavailableNote } from "./signInActivity";
import type { AuditSubject, GraphCredential } from "./subject";

const DAY_MS = 24 * 60 * 60 * 1000;
/**
 * How long after the current secret is issued its sign-ins may be the deployment's own: `pulumi up`
 * ends by requesting a token with it (the cmic-token-check, retrying for at most its propagation
 * window, 5 minutes by default), and that is not the connector switching. An hour covers a slow
 * run; a connector that switches within it is seen at its next sign-in.
 */
const OWN_CHECK_MARGIN_MS = 60 * 60 * 1000;

function formatDate(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

function credentialLabel(credential: GraphCredential): string {
  return `${credential.kind === "secret" ? "client secret" : "certificate"} ${credential.keyId}${credential.displayName ? ` ("${credential.displayName}")` : ""}`;
}

/** Every credential Graph showed: the application's, then the service principal's. */
function allCredentials(subject: AuditSubject): GraphCredential[] {
  return [...subject.appCredentials, ...subject.spCredentials];
}

/** graph.credentials.present: every credential the stack created is still on the application. */
export function credentialsPresentRule(subject: AuditSubject): DriftCheck | null {
  const { commands } = subject;
  if (!subject.app) return null;
  const check = new GraphCheck(subject.stack, "graph.credentials.present", "the stack's credentials exist", subject.labels.app);
  // The stack creates credentials on the application only, so only the application's count here.
  const present = new Set(subject.appCredentials.map((c) => c.keyId.toLowerCase()));
  for (const keyId of subject.outputs.credentialKeyIds) {
    if (present.has(keyId.toLowerCase())) continue;
    check.find("drift", {
      id: "graph.credentials.missing",
      property: "passwordCredentials/keyCredentials",
      expected: keyId,
      message: `the credential ${keyId} the stack created was deleted: the connector can no longer sign in with it (AADSTS7000215 / AADSTS700027)`,
      fix: `run \`${commands.up}\` to create it again, then give the connector the new credential (\`${commands.handoff}\`)`,
    });
  }
  return check.result;
}

/** Where to delete a credential added by hand: the portal for the app's, the CLI for the service principal's. */
function removalHint(subject: AuditSubject, credential: GraphCredential): string {
  const certFlag = credential.kind === "certificate" ? " --cert" : "";
  return credential.owner === "application"
    ? `Entra admin center → App registrations → the app → Certificates & secrets → ${credential.kind === "secret" ? "Client secrets" : "Certificates"} → delete the one with ID ${credential.keyId}` +
        ` (or \`az ad app credential delete --id ${subject.outputs.clientId} --key-id ${credential.keyId}${certFlag}\`)`
    : `\`az ad sp credential delete --id ${subject.outputs.servicePrincipalObjectId} --key-id ${credential.keyId}${certFlag}\` (service principal credentials are not shown in the portal)`;
}

/**
 * A secret the stack issued before its current one: on the application, with the managed display
 * name, and not the current `secretKeyId`. Rotation without outage retains it (retainOnDelete) until
 * its end date (docs/rotation-design.md). The display name is the only marker Graph keeps; a secret
 * someone added by hand under the same name cannot be told apart, and is judged the same way: by
 * its end date. Stacks deployed before the scheme (no `secretKeyId` output) have no previous secrets.
 */
function isPreviousSecret(subject: AuditSubject, credential: GraphCredential): boolean {
  return (
    subject.outputs.secretKeyId !== null &&
    credential.kind === "secret" &&
    credential.owner === "application" &&
    credential.displayName === MANAGED_SECRET_DISPLAY_NAME &&
    !subject.stackKeyIds.has(credential.keyId.toLowerCase())
  );
}

/** graph.credentials.unknown: a credential the stack did not create lets whoever holds it sign in as the connector. */
export function credentialsUnknownRule(subject: AuditSubject): DriftCheck | null {
  if (!subject.app && !subject.sp) return null;
  const check = new GraphCheck(subject.stack, "graph.credentials.unknown", "no credentials added outside the stack", subject.labels.app);
  for (const credential of allCredentials(subject)) {
    if (subject.stackKeyIds.has(credential.keyId.toLowerCase()) || isPreviousSecret(subject, credential)) continue;
    const label = credentialLabel(credential);
    // The stack retains a replaced certificate for the connector's handover: the one credential
    // drift cannot tell from a certificate added by hand (Graph keeps no marker on key credentials
    // the provider writes).
    const previousCertificate =
      credential.kind === "certificate" && credential.owner === "application" && subject.outputs.certificateThumbprint !== null;
    check.find("drift", {
      id: "graph.credentials.unknown",
      property: credential.kind === "secret" ? "passwordCredentials" : "keyCredentials",
      actual: label,
      message: previousCertificate
        ? `the application has a ${label} that is not the stack's certificate: a previous certificate kept while the connector switches (the stack retains a replaced one), or one added by hand; whoever holds its key can get tokens as the connector`
        : `the ${credential.owner} has a ${label} the stack did not create: someone who holds it can get tokens as the connector`,
      fix: previousCertificate
        ? `once the connector signs with the certificate ${subject.outputs.certificateThumbprint}, remove it: \`${subject.commands.rotate} --retire-previous --key-id ${credential.keyId}\` (or ${removalHint(subject, credential)})`
        : `if nobody needs it, remove the credential added by hand: ${removalHint(subject, credential)}`,
    });
  }
  return check.result;
}

/** The previous secrets that still work at the subject's clock: the ones a connector may still be using. */
export function previousSecretsInPlay(subject: AuditSubject): GraphCredential[] {
  const now = subject.now.getTime();
  return subject.appCredentials.filter(
    (credential) => isPreviousSecret(subject, credential) && (credential.endDateTime === null || Date.parse(credential.endDateTime) > now),
  );
}

function formatInstant(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d+Z$/, "Z");
}

/**
 * What Graph's sign-in activity says about a previous secret, against the current one issued at
 * `currentIssuedAt`: still used after its successor was issued, no longer used while the current one
 * is, or nothing to tell them apart (neither signed in since).
 */
type PreviousSecretUse =
  | { kind: "still-used"; lastAttemptAt: number }
  | { kind: "switched"; currentLastSuccessAt: number; previousLastSuccessAt: number | null }
  | { kind: "unknown"; reason: string };

function previousSecretUse(subject: AuditSubject, previous: GraphCredential, currentIssuedAt: number): PreviousSecretUse {
  const activity = subject.signInActivity;
  if (activity === undefined) return { kind: "unknown", reason: "drift cannot see which secret the connector uses" };
  if (activity.state !== "read") return { kind: "unknown", reason: activityUnavailableNote(activity) };
  // Any attempt with the previous secret, failed or not, shows the connector still holds it. Success
  // is preferred for the current one, but the report's documented answers carry only
  // `lastSignInDateTime` (an attempt: reportroot-list-appcredentialsigninactivities, examples), so
  // an attempt stands in when `lastSuccessfulSignInDateTime` is absent.
  const previousUse = activity.byKeyId.get(previous.keyId.toLowerCase())?.lastAttemptAt ?? null;
  const currentSignIns = subject.outputs.secretKeyId === null ? undefined : activity.byKeyId.get(subject.outputs.secretKeyId.toLowerCase());
  const currentUse = currentSignIns?.lastSuccessAt ?? currentSignIns?.lastAttemptAt ?? null;
  if (previousUse !== null && previousUse > currentIssuedAt) return { kind: "still-used", lastAttemptAt: previousUse };
  if (currentUse !== null && currentUse > currentIssuedAt + OWN_CHECK_MARGIN_MS) {
    return { kind: "switched", currentLastSuccessAt: currentUse, previousLastSuccessAt: previousUse };
  }
  if (currentUse !== null) {
    return {
      kind: "unknown",
      reason:
        `Graph's sign-in activity shows the current secret used only right after it was issued (${formatInstant(currentUse)}), ` +
        "by the deployment's own token check, and the previous one not since then: the connector has not signed in with either",
    };
  }
  return {
    kind: "unknown",
    reason: `Graph's sign-in activity shows no sign-in with either secret since ${formatInstant(currentIssuedAt)}, when the current one was issued`,
  };
}

/**
 * graph.credentials.previous: the secret the connector held before the current one keeps working
 * until its end date. Within the handover window (before `connectorSwitchBy`) that is the scheme
 * working; past it, a connector that never switched stops at the previous secret's end, which only
 * its admin could tell until now. Graph's credential sign-in activity, where the tenant offers it
 * (drift reads it only while a previous secret works), says which secret really signs in:
 * - the previous one, after the current was issued, and past `connectorSwitchBy`: a finding,
 *   whatever its end date (before then: a note, the connector still has time);
 * - only the current one: a note that the previous can be retired now, and no finding;
 * - no activity, or no report: judged by end dates as before, within the expiry window, and a note
 *   says why the report could not tell.
 * Expired previous secrets are harmless (Entra refuses them) and not reported.
 */
export function credentialsPreviousRule(subject: AuditSubject): DriftCheck | null {
  if (!subject.app || subject.outputs.secretKeyId === null) return null;
  const check = new GraphCheck(subject.stack, "graph.credentials.previous", "the previous secret's handover window", subject.labels.app);
  const now = subject.now.getTime();
  const current = subject.outputs.secretKeyId;
  const switchByText = subject.outputs.connectorSwitchBy;
  const switchBy = switchByText ? Date.parse(switchByText) : now;
  const currentIssuedAt = subject.outputs.secretCreatedAt ? Date.parse(subject.outputs.secretCreatedAt) : Number.NEGATIVE_INFINITY;
  const activity = subject.signInActivity;
  if (activity !== undefined && activity.state !== "read") check.note(activityUnavailableNote(activity));
  for (const credential of previousSecretsInPlay(subject)) {
    const end = credential.endDateTime === null ? Number.POSITIVE_INFINITY : Date.parse(credential.endDateTime);
    const days = Math.max(0, Math.ceil((end - now) / DAY_MS));
    const endText = formatDate(credential.endDateTime ?? "");
    const retire = `\`${subject.commands.rotate} --retire-previous\``;
    const use = previousSecretUse(subject, credential, currentIssuedAt);
    if (use.kind === "switched") {
      check.note(
        `the connector has switched to the current secret ${current} (last sign-in ${formatInstant(use.currentLastSuccessAt)}); ` +
          `the previous secret ${credential.keyId} has not signed in since the current one was issued` +
          `${use.previousLastSuccessAt !== null ? ` (its last sign-in: ${formatInstant(use.previousLastSuccessAt)})` : ""}: retire it now with ${retire}`,
      );
      continue;
    }
    if (use.kind === "still-used") {
      const lastUse = formatInstant(use.lastAttemptAt);
      if (now < switchBy) {
        check.note(
          `the connector still signs in with the previous secret ${credential.keyId} (last ${lastUse}); it has until ${formatDate(switchByText ?? "")} ` +
            `to switch to the current one (${current}); the previous one ends ${endText}`,
        );
        continue;
      }
      check.find("expiry", {
        id: "graph.credentials.previous-in-use",
        property: "passwordCredentials",
        actual: `${credentialLabel(credential)} last signed in ${lastUse}, ends ${endText}`,
        message:
          `the connector still signs in with the previous client secret ${credential.keyId} (last ${lastUse}, by Graph's sign-in activity), ` +
          `past ${formatDate(switchByText ?? "")}, by when it had to use the current one (${current}); it stops working in ${days} day(s), at ${endText}`,
        fix: `have the connector's admin paste in the current secret now (\`${subject.commands.handoff} --reveal\`); once drift shows the connector switched, retire the previous one: ${retire}`,
      });
      continue;
    }
    if (now < switchBy || end > now + subject.expiryDays * DAY_MS) continue;
    check.find("expiry", {
      id: "graph.credentials.previous-ending",
      property: "passwordCredentials",
      actual: `${credentialLabel(credential)} ends ${endText}`,
      message:
        `the previous client secret ${credential.keyId} stops working in ${days} day(s); the connector had to switch to the current one (${current}) ` +
        `by ${formatDate(switchByText ?? "")}. A connector still using the previous one stops then (judged by end dates: ${use.reason})`,
      fix: `make sure the connector uses the current secret (\`${subject.commands.handoff} --reveal\` for its admin), then retire the previous one: ${retire}`,
    });
  }
  return check.result;
}

/**
 * graph.credentials.rotation-overdue: the first run after the rotation date issues the next secret;
 * every secret is built to outlast that date by the handover window plus RUN_ALLOWANCE_DAYS. A stack
 * past the date by more than the allowance means the scheduled runs stopped: the next secret will
 * come with less handover than promised, and the current one ends soon after.
 */
export function rotationOverdueRule(subject: AuditSubject): DriftCheck | null {
  const rotatesAt = subject.outputs.secretRotatesAt;
  if (!subject.app || rotatesAt === null) return null;
  const check = new GraphCheck(subject.stack, "graph.credentials.rotation", "the scheduled runs rotate the secret", subject.labels.app);
  const late = subject.now.getTime() - Date.parse(rotatesAt);
  if (late > RUN_ALLOWANCE_DAYS * DAY_MS) {
    check.find("expiry", {
      id: "graph.credentials.rotation-overdue",
      property: "secretRotatesAt",
      actual: `rotation date ${formatDate(rotatesAt)}, ${Math.floor(late / DAY_MS)} day(s) ago`,
      message:
        `no \`pulumi up\` has run since the secret's rotation date ${formatDate(rotatesAt)}: the scheduled runs have stopped, ` +
        `the current secret ends ${formatDate(subject.outputs.secretExpiresAt ?? "")}, and the next one will leave the connector less than its handover window`,
      fix: `run \`${subject.commands.up}\` now (it issues the next secret), hand the new secret over (\`${subject.commands.handoff} --reveal\`), and restore the schedule`,
    });
  }
  return check.result;
}

/** How to renew a credential of the stack before it runs out. */
function renewalHint(subject: AuditSubject, credential: GraphCredential): string {
  const { stack, commands } = subject;
  return credential.kind === "secret"
    ? `rotate the secret: \`${commands.rotate}\` (or \`pulumi up --stack ${stack} --replace '${subject.rotationUrn ?? "<urn of the time:Rotating resource ending in -secret-rotation; `pulumi stack --stack " + stack + " --show-urns` lists it>"}'\`; the current secret keeps working), then give the connector the new secret (\`${commands.handoff} --reveal\`)`
    : `issue a new certificate for the connector, \`pulumi config set cmic-entra-oauth:certificate --stack ${stack} < new-cert.pem\`, run \`${commands.up}\`, then install the new certificate in the connector`;
}

/** graph.credentials.expiry: the stack's credentials ending within `expiryDays` (or already ended). */
export function credentialsExpiryRule(subject: AuditSubject): DriftCheck | null {
  if (!subject.app && !subject.sp) return null;
  const check = new GraphCheck(
    subject.stack,
    "graph.credentials.expiry",
    `no credential expires within ${subject.expiryDays} days`,
    subject.labels.app,
  );
  const now = subject.now.getTime();
  const limit = now + subject.expiryDays * DAY_MS;
  for (const credential of allCredentials(subject)) {
    // Credentials added by hand are graph.credentials.unknown's finding, whatever their date.
    if (!subject.stackKeyIds.has(credential.keyId.toLowerCase()) || credential.endDateTime === null) continue;
    const end = Date.parse(credential.endDateTime);
    if (!Number.isFinite(end) || end > limit) continue;
    const label = credentialLabel(credential);
    const days = Math.max(0, Math.ceil((end - now) / DAY_MS));
    check.find("expiry", {
      id: "graph.credentials.expiring",
      property: "endDateTime",
      actual: `${label} ends ${formatDate(credential.endDateTime)}`,
      message: end <= now ? `the ${label} has expired: the connector cannot sign in` : `the ${label} expires in ${days} day(s)`,
      fix: renewalHint(subject, credential),
    });
  }
  return check.result;
}
