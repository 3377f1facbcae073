/**
 * Rules about credentials: the stack's own still exist, none was added by hand (on the app or the
 * service principal), none the stack created is about to expire, a previous secret past its
 * handover window is about to stop, and the scheduled runs still rotate the secret.
 */
import { MANAGED_SECRET_DISPLAY_NAME, RUN_ALLOWANCE_DAYS } from "../../../contract/appCredentials";
import type { DriftCheck } from "../report";
import { GraphCheck } from "./graphCheck";
import type { AuditSubject, GraphCredential } from "./subject";

const DAY_MS = 24 * 60 * 60 * 1000;

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

/**
 * graph.credentials.previous: the secret the connector held before the current one keeps working
 * until its end date. Within the handover window (before `connectorSwitchBy`) that is the scheme
 * working; past it and within the expiry window, a connector that never switched is about to stop,
 * which only its admin can know: reported, with how to hand over and how to retire. Expired
 * previous secrets are harmless (Entra refuses them) and not reported.
 */
export function credentialsPreviousRule(subject: AuditSubject): DriftCheck | null {
  if (!subject.app || subject.outputs.secretKeyId === null) return null;
  const check = new GraphCheck(subject.stack, "graph.credentials.previous", "the previous secret's handover window", subject.labels.app);
  const now = subject.now.getTime();
  const switchBy = subject.outputs.connectorSwitchBy ? Date.parse(subject.outputs.connectorSwitchBy) : now;
  for (const credential of subject.appCredentials.filter((candidate) => isPreviousSecret(subject, candidate))) {
    const end = credential.endDateTime === null ? Number.POSITIVE_INFINITY : Date.parse(credential.endDateTime);
    if (end <= now || now < switchBy || end > now + subject.expiryDays * DAY_MS) continue;
    const days = Math.max(0, Math.ceil((end - now) / DAY_MS));
    check.find("expiry", {
      id: "graph.credentials.previous-ending",
      property: "passwordCredentials",
      actual: `${credentialLabel(credential)} ends ${formatDate(credential.endDateTime ?? "")}`,
      message:
        `the previous client secret ${credential.keyId} stops working in ${days} day(s); the connector had to switch to the current one (${subject.outputs.secretKeyId}) ` +
        `by ${formatDate(subject.outputs.connectorSwitchBy ?? "")}. A connector still using the previous one stops then (judged by end dates: drift cannot see which secret the connector uses)`,
      fix:
        `make sure the connector uses the current secret (\`${subject.commands.handoff} --reveal\` for its admin), ` +
        `then retire the previous one: \`${subject.commands.rotate} --retire-previous\``,
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
