/**
 * Rules about credentials: the stack's own still exist, none was added by hand (on the app or the
 * service principal), and none the stack created is about to expire.
 */
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

/** graph.credentials.unknown: a credential the stack did not create lets whoever holds it sign in as the connector. */
export function credentialsUnknownRule(subject: AuditSubject): DriftCheck | null {
  if (!subject.app && !subject.sp) return null;
  const check = new GraphCheck(subject.stack, "graph.credentials.unknown", "no credentials added outside the stack", subject.labels.app);
  for (const credential of allCredentials(subject)) {
    if (subject.stackKeyIds.has(credential.keyId.toLowerCase())) continue;
    const label = credentialLabel(credential);
    check.find("drift", {
      id: "graph.credentials.unknown",
      property: credential.kind === "secret" ? "passwordCredentials" : "keyCredentials",
      actual: label,
      message: `the ${credential.owner} has a ${label} the stack did not create: someone who holds it can get tokens as the connector`,
      fix: `if nobody needs it, remove the credential added by hand: ${removalHint(subject, credential)}`,
    });
  }
  return check.result;
}

/** How to renew a credential of the stack before it runs out. */
function renewalHint(subject: AuditSubject, credential: GraphCredential): string {
  const { stack, commands } = subject;
  return credential.kind === "secret"
    ? `rotate the secret: \`pulumi up --stack ${stack} --replace '${subject.rotationUrn ?? "<urn of the time:Rotating resource ending in -secret-rotation; `pulumi stack --stack " + stack + " --show-urns` lists it>"}'\`, then give the connector the new secret (\`${commands.handoff} --reveal\`)`
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
