/**
 * The credentials Graph lists on the app, sorted into the roles rotation without outage gives them
 * (docs/rotation-design.md): the current secret (the stack output `secretKeyId`), previous secrets
 * (retained by `retainOnDelete` when a newer one was issued, recognised by the managed display name
 * the program gives every secret it creates), and everything else. Handoff, rotate and drift read
 * the app the same way through this one module.
 */

/**
 * Days a scheduled run may come after a secret's rotation date and still find it working: every
 * secret ends its rotation date + handoverDays + this. A run later than that leaves less than
 * handoverDays of handover (drift reports it as overdue).
 */
export const RUN_ALLOWANCE_DAYS = 30;

/** The display name the program gives every client secret it creates: the marker of a managed secret. */
export const MANAGED_SECRET_DISPLAY_NAME = "CMiC connector (managed by Pulumi)";

/** One password or key credential as Graph lists it on an application. */
export interface AppCredential {
  keyId: string;
  kind: "secret" | "certificate";
  displayName: string | null;
  endDateTime: string | null;
  /** Certificates: Graph's customKeyIdentifier, the SHA-1 thumbprint in base64; null otherwise. */
  customKeyIdentifier: string | null;
}

export interface AppCredentialRoles {
  /** The secret the stack outputs name (`secretKeyId`); null when Graph does not list it. */
  current: AppCredential | null;
  /** Managed secrets other than the current one that still work, soonest end first. */
  previous: AppCredential[];
  /** Managed secrets other than the current one past their end date: harmless, removable. */
  expired: AppCredential[];
  /** Certificates the stack declares now (in `credentialKeyIds`). */
  stackCertificates: AppCredential[];
  /** Certificates not in the stack: a replaced one kept for the connector's handover, or one added by hand. */
  otherCertificates: AppCredential[];
  /** Secrets with another display name: not created by this stack. */
  foreignSecrets: AppCredential[];
}

function text(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

/** The credentials of a Graph application object (`passwordCredentials`, `keyCredentials`). */
export function appCredentialsOf(application: Record<string, unknown>): AppCredential[] {
  const read = (list: unknown, kind: AppCredential["kind"]): AppCredential[] =>
    (Array.isArray(list) ? (list as unknown[]) : []).flatMap((item) => {
      if (typeof item !== "object" || item === null) return [];
      const record = item as Record<string, unknown>;
      const keyId = text(record.keyId);
      return keyId
        ? [
            {
              keyId,
              kind,
              displayName: text(record.displayName),
              endDateTime: text(record.endDateTime),
              customKeyIdentifier: kind === "certificate" ? text(record.customKeyIdentifier) : null,
            },
          ]
        : [];
    });
  return [...read(application.passwordCredentials, "secret"), ...read(application.keyCredentials, "certificate")];
}

function endsAfter(credential: AppCredential, now: Date): boolean {
  // Graph omits no end date on credentials the provider creates; a missing one never expires.
  return credential.endDateTime === null || Date.parse(credential.endDateTime) > now.getTime();
}

/** Sort the app's credentials by role, for a stack whose outputs name `secretKeyId` and `credentialKeyIds`. */
export function credentialRoles(
  credentials: readonly AppCredential[],
  stack: { secretKeyId: string | null; credentialKeyIds: readonly string[] },
  now: Date,
): AppCredentialRoles {
  const same = (a: string, b: string | null) => b !== null && a.toLowerCase() === b.toLowerCase();
  const stackKeyIds = stack.credentialKeyIds.map((keyId) => keyId.toLowerCase());
  const secrets = credentials.filter((credential) => credential.kind === "secret");
  const certificates = credentials.filter((credential) => credential.kind === "certificate");
  const managedOthers = secrets.filter(
    (credential) => credential.displayName === MANAGED_SECRET_DISPLAY_NAME && !same(credential.keyId, stack.secretKeyId),
  );
  const byEnd = (a: AppCredential, b: AppCredential) => Date.parse(a.endDateTime ?? "9999") - Date.parse(b.endDateTime ?? "9999");
  return {
    current: secrets.find((credential) => same(credential.keyId, stack.secretKeyId)) ?? null,
    previous: managedOthers.filter((credential) => endsAfter(credential, now)).sort(byEnd),
    expired: managedOthers.filter((credential) => !endsAfter(credential, now)).sort(byEnd),
    stackCertificates: certificates.filter((credential) => stackKeyIds.includes(credential.keyId.toLowerCase())),
    otherCertificates: certificates.filter((credential) => !stackKeyIds.includes(credential.keyId.toLowerCase())),
    foreignSecrets: secrets.filter(
      (credential) => credential.displayName !== MANAGED_SECRET_DISPLAY_NAME && !stackKeyIds.includes(credential.keyId.toLowerCase()),
    ),
  };
}

/**
 * A certificate's SHA-1 thumbprint as the portal shows it (uppercase hex), from Graph's
 * customKeyIdentifier, which "defaults to the thumbprint of the certificate" (Graph keyCredential
 * resource). Graph's examples print it as hex; an OData Binary may also arrive base64: both read.
 */
export function thumbprintOf(credential: AppCredential): string | null {
  const identifier = credential.customKeyIdentifier;
  if (!identifier) return null;
  if (/^[0-9a-f]{40}$/i.test(identifier)) return identifier.toUpperCase();
  const decoded = Buffer.from(identifier, "base64");
  return decoded.length === 20 ? decoded.toString("hex").toUpperCase() : null;
}
