/**
 * The handoff sheet's rotation section: what the connector admin must do about secrets and
 * certificates now, under rotation without outage (docs/rotation-design.md). Pure: it renders the
 * stack outputs and, when they could be read, the app's credentials as Entra lists them.
 */
import type { AppCredential, AppCredentialRoles } from "../../contract/appCredentials";
import { thumbprintOf } from "../../contract/appCredentials";
import type { StackOutputs } from "../../contract/stackOutputs";

/** The app's credentials as Entra lists them, or why they could not be read. */
export type AppCredentialView = { roles: AppCredentialRoles } | { unreadable: string };

export interface RotationSectionInput {
  outputs: StackOutputs;
  credentials: AppCredentialView | null;
  now: Date;
  /** `npm run rotate -- …` with the stack's arguments, for the retire command. */
  rotateCommand: string;
}

function date(iso: string | null): string {
  return iso ? iso.replace(/\.\d+Z$/, "Z") : "(no end date)";
}

function secretLines(input: RotationSectionInput): string[] {
  const { outputs, credentials, now, rotateCommand } = input;
  if (!outputs.secretKeyId || !outputs.connectorSwitchBy || !outputs.secretCreatedAt) {
    // A stack deployed before rotation without outage: its outputs do not say when to switch.
    return outputs.secretExpiresAt
      ? [
          `The client secret expires ${date(outputs.secretExpiresAt)}. Run \`pulumi up\` with this project's current version: ` +
            "later secrets then rotate without outage, and this sheet says when to hand each one over.",
        ]
      : [];
  }
  const roles = credentials && "roles" in credentials ? credentials.roles : null;
  const previous: AppCredential[] = roles?.previous ?? [];
  const lastEnd = previous.length > 0 ? date(previous[previous.length - 1].endDateTime) : null;
  const lines: string[] = [];
  const retire = `\`${rotateCommand} --retire-previous\``;
  if (now.getTime() < Date.parse(outputs.connectorSwitchBy)) {
    if (previous.length > 0) {
      lines.push(
        `**Hand this secret over now.** It was issued ${date(outputs.secretCreatedAt)} (ID \`${outputs.secretKeyId}\`); ` +
          `the connector must use it by **${date(outputs.connectorSwitchBy)}**. ` +
          `The secret it replaced (ID ${previous.map((credential) => `\`${credential.keyId}\``).join(", ")}) keeps working until ${lastEnd}; ` +
          `after that a connector still on it gets AADSTS7000222 (secret expired). Once the connector uses the new one, you may retire the old at once: ${retire}.`,
      );
    } else if (roles) {
      lines.push(
        `**Hand this secret over**: issued ${date(outputs.secretCreatedAt)} (ID \`${outputs.secretKeyId}\`), it is the only valid secret of this stack, ` +
          "so the connector has no working secret until it has this one (a first deployment, or the previous one was retired).",
      );
    } else {
      lines.push(
        `The current secret was issued ${date(outputs.secretCreatedAt)} (ID \`${outputs.secretKeyId}\`). If it replaced another, that one works at least until ` +
          `**${date(outputs.connectorSwitchBy)}**: hand this one over by then. ` +
          `(Its exact end date is in Entra, which could not be read: ${credentials && "unreadable" in credentials ? credentials.unreadable : "no Graph access for these outputs"}.)`,
      );
    }
  } else {
    lines.push(
      `**Nothing to hand over.** The current secret was issued ${date(outputs.secretCreatedAt)} (ID \`${outputs.secretKeyId}\`) and its handover window ended ` +
        `${date(outputs.connectorSwitchBy)}: the connector should already use it.` +
        (previous.length > 0
          ? ` The previous secret still works until ${lastEnd}; a connector that has not switched stops then. Retire it early once you are sure: ${retire}.`
          : ""),
    );
  }
  if (outputs.secretRotatesAt) {
    lines.push(
      `Next rotation: the first \`pulumi up\` after ${date(outputs.secretRotatesAt)} issues a new secret, and the connector then has at least ` +
        `${outputs.secretHandoverDays ?? 0} days (its \`handoverDays\` when issued) to switch, while this one keeps working.`,
    );
  }
  if (roles && roles.expired.length > 0) {
    lines.push(
      `${roles.expired.length} expired secret(s) of this stack are still listed on the app (harmless; Entra keeps them): ${retire} removes them.`,
    );
  }
  return lines;
}

function certificateLines(input: RotationSectionInput): string[] {
  const { outputs, credentials, rotateCommand } = input;
  if (!outputs.certificateThumbprint) return [];
  const lines = [`The connector must sign with the certificate whose SHA-1 thumbprint is \`${outputs.certificateThumbprint}\`.`];
  const others = credentials && "roles" in credentials ? credentials.roles.otherCertificates : [];
  for (const other of others) {
    lines.push(
      `Also registered on the app: certificate \`${thumbprintOf(other) ?? "(thumbprint unknown)"}\` (ID \`${other.keyId}\`), valid until ${date(other.endDateTime)} — ` +
        "a previous certificate kept while the connector switches (this stack retains a replaced one), or one added by hand. " +
        `Once the connector signs with \`${outputs.certificateThumbprint}\`: \`${rotateCommand} --retire-previous --key-id ${other.keyId}\`.`,
    );
  }
  return lines;
}

/** The section's lines, or none when the stack has nothing to rotate. */
export function renderRotationSection(input: RotationSectionInput): string[] {
  const lines = [...secretLines(input), ...certificateLines(input)];
  return lines.length > 0 ? ["### Secrets and certificates: what to hand over, and when", "", ...lines.flatMap((line) => [line, ""])] : [];
}
