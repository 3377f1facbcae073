/**
 * `npm run rotate`: issue a new client secret now (a leaked secret, or a rotation ahead of the
 * schedule), prove it gets a token CMiC accepts, and retire the previous ones only when told
 * (`--retire-previous`, a separate step) or, for a leak, at once after the proof (`--now`).
 * Never retires anything before the secret that stays has been seen working.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { appCredentialsOf, credentialRoles, type AppCredential, type AppCredentialRoles } from "../../contract/appCredentials";
import { CLOUD_HOSTS } from "../../contract/entraEndpoints";
import type { StackOutputs } from "../../contract/stackOutputs";
import { checkJustDeployed } from "../sandbox/postDeployCheck";
import { renderChecklist } from "../verify/report";
import { RotateError, type RotationBackend, type TenantAccess } from "./backends";

export interface RotateOptions {
  /** Issue a new secret (default) — with `retire`, also retire the previous ones at once (`--now`). */
  issue: boolean;
  /** Remove previous managed secrets (and the certificates named in `certificateKeyIds`). */
  retire: boolean;
  /** `--key-id`: certificates to remove; they must not be the stack's own. */
  certificateKeyIds: readonly string[];
  propagationWindowMs: number;
  progress(line: string): void;
}

export interface RotateResult {
  /** The secret that stays (the new one after a rotation). */
  current: { keyId: string; createdAt: string | null; connectorSwitchBy: string | null };
  /** Previous secrets left in place (still valid), soonest end first. */
  kept: AppCredential[];
  /** Credentials removed by this run. */
  removed: AppCredential[];
  /** Secrets with another display name: never touched. */
  foreign: AppCredential[];
}

function rolesOf(application: Record<string, unknown>, outputs: StackOutputs, now: Date): AppCredentialRoles {
  return credentialRoles(appCredentialsOf(application), outputs, now);
}

async function readApplication(graph: Client, outputs: StackOutputs): Promise<Record<string, unknown>> {
  return (await graph.api(`/applications/${outputs.applicationObjectId}`).select("passwordCredentials,keyCredentials").get()) as Record<
    string,
    unknown
  >;
}

/** The stack's current secret gets a token CMiC accepts: the condition for removing any other. */
async function proveCurrentSecret(tenant: TenantAccess, outputs: StackOutputs, options: RotateOptions): Promise<void> {
  if (!outputs.clientSecret) {
    throw new RotateError(
      "ERR_ROTATE_NO_SECRET_VALUE",
      "The stack outputs hold no client secret value to check.",
      "run rotate where `pulumi stack output --show-secrets` works (the stack's secrets provider is available).",
    );
  }
  options.progress(`Checking that the current secret (${outputs.secretKeyId ?? "?"}) gets a token CMiC accepts…`);
  const report = await checkJustDeployed(
    outputs,
    { kind: "secret", clientSecret: outputs.clientSecret },
    {
      authorityHost: tenant.authorityHost ?? CLOUD_HOSTS[outputs.azureCloud].authorityHost,
      propagationWindowMs: options.propagationWindowMs,
      now: tenant.now,
      hooks: { onProgress: (line) => options.progress(`  … ${line}`) },
    },
  );
  if (!report.ok) {
    const checklist = renderChecklist(report);
    throw new RotateError(
      "ERR_ROTATE_CURRENT_FAILS",
      `The current secret does not get a token CMiC accepts, so nothing was removed:\n${checklist}`,
      "fix what the checklist names (`npm run verify` shows the same), then retire the previous secret.",
    );
  }
}

/** PATCH the application's keyCredentials without `remove` (Graph's removeKey needs a proof-of-possession JWT). */
async function removeCertificates(
  graph: Client,
  outputs: StackOutputs,
  application: Record<string, unknown>,
  remove: Set<string>,
): Promise<void> {
  // keyCredentials are replaced as a whole: the remaining ones are sent back with their key, as
  // the azuread provider's ApplicationCertificate delete does (terraform-provider-azuread
  // application_certificate_resource.go: GET with $select=keyCredentials, filter, PATCH).
  const current = (Array.isArray(application.keyCredentials) ? (application.keyCredentials as Record<string, unknown>[]) : []).filter(
    (credential) => !remove.has(String(credential.keyId).toLowerCase()),
  );
  await graph.api(`/applications/${outputs.applicationObjectId}`).patch({
    keyCredentials: current.map(({ keyId, type, usage, key, displayName, startDateTime, endDateTime }) => ({
      keyId,
      type,
      usage,
      key,
      displayName,
      startDateTime,
      endDateTime,
    })),
  });
}

async function retire(tenant: TenantAccess, outputs: StackOutputs, options: RotateOptions): Promise<Omit<RotateResult, "current">> {
  const application = await readApplication(tenant.graph, outputs);
  const roles = rolesOf(application, outputs, tenant.now());
  const certificates = new Set(options.certificateKeyIds.map((keyId) => keyId.toLowerCase()));
  for (const keyId of certificates) {
    if (roles.stackCertificates.some((credential) => credential.keyId.toLowerCase() === keyId)) {
      throw new RotateError(
        "ERR_ROTATE_KEY_ID",
        `--key-id ${keyId} is the stack's current certificate; the connector signs with it.`,
        "name only a previous certificate (`npm run handoff` lists them under 'Also registered').",
      );
    }
    if (!roles.otherCertificates.some((credential) => credential.keyId.toLowerCase() === keyId)) {
      throw new RotateError(
        "ERR_ROTATE_KEY_ID",
        `--key-id ${keyId} is no certificate on the application.`,
        "copy the ID from `npm run handoff`.",
      );
    }
  }
  const removed: AppCredential[] = [];
  for (const secret of [...roles.previous, ...roles.expired]) {
    options.progress(`Removing the previous secret ${secret.keyId} (ended or ending ${secret.endDateTime ?? "never"})…`);
    await tenant.graph.api(`/applications/${outputs.applicationObjectId}/removePassword`).post({ keyId: secret.keyId });
    removed.push(secret);
  }
  if (certificates.size > 0) {
    options.progress(`Removing certificate(s) ${[...certificates].join(", ")}…`);
    await removeCertificates(tenant.graph, outputs, application, certificates);
    removed.push(...roles.otherCertificates.filter((credential) => certificates.has(credential.keyId.toLowerCase())));
  }
  return { kept: [], removed, foreign: roles.foreignSecrets };
}

function requireRotationOutputs(outputs: StackOutputs, stackHint: string): string {
  if (outputs.credential === "certificate") {
    throw new RotateError(
      "ERR_ROTATE_NO_SECRET",
      "The stack has no client secret (credential=certificate).",
      `renew a certificate by setting cmic-entra-oauth:certificate to the new one and running pulumi up; retire the old one with \`${stackHint} --retire-previous --key-id ID\`.`,
    );
  }
  if (!outputs.secretKeyId) {
    throw new RotateError(
      "ERR_ROTATE_OLD_STACK",
      "The stack outputs do not name the current secret (secretKeyId): the stack was deployed before rotation without outage.",
      "run `pulumi up` once with this project's current version, then rotate.",
    );
  }
  return outputs.secretKeyId;
}

export async function rotate(backend: RotationBackend, options: RotateOptions): Promise<RotateResult> {
  let outputs = await backend.outputs();
  requireRotationOutputs(outputs, backend.commands.rotate);
  if (options.issue) {
    const before = outputs.secretKeyId;
    options.progress("Issuing a new client secret (the current one stays valid)…");
    outputs = await backend.replaceAnchor(options.progress);
    if (!outputs.secretKeyId || outputs.secretKeyId === before) {
      throw new RotateError(
        "ERR_ROTATE_NOT_ISSUED",
        "The update ran but the stack still names the same secret: no new secret was issued.",
        "check the update's output; `pulumi stack --show-urns` must list the time:Rotating resource cmic-secret-rotation.",
      );
    }
  }
  const keyId = requireRotationOutputs(outputs, backend.commands.rotate);
  const current = { keyId, createdAt: outputs.secretCreatedAt, connectorSwitchBy: outputs.connectorSwitchBy };
  return backend.withTenant(
    outputs.tenantId,
    outputs.azureCloud,
    async (tenant) => {
      await proveCurrentSecret(tenant, outputs, options);
      if (options.retire) return { current, ...(await retire(tenant, outputs, options)) };
      const roles = rolesOf(await readApplication(tenant.graph, outputs), outputs, tenant.now());
      return { current, kept: roles.previous, removed: [], foreign: roles.foreignSecrets };
    },
    options.retire,
  );
}

/** What the admin reads at the end: the handover, what still works, what to do next. */
export function renderRotateResult(
  result: RotateResult,
  options: Pick<RotateOptions, "issue" | "retire">,
  commands: RotationBackend["commands"],
): string {
  const lines: string[] = [];
  if (options.issue) {
    lines.push(
      `New client secret ${result.current.keyId} issued ${result.current.createdAt ?? ""}; it gets a token CMiC accepts.`,
      `Hand it to the connector admin over a secure channel: \`${commands.handoff} --reveal\`.`,
    );
  } else {
    lines.push(`The current secret ${result.current.keyId} gets a token CMiC accepts.`);
  }
  if (result.removed.length > 0) {
    lines.push(
      `Removed: ${result.removed.map((credential) => `${credential.kind} ${credential.keyId}`).join(", ")} — a connector still using ${result.removed.length === 1 ? "it" : "one of them"} gets AADSTS7000215 from now on.`,
    );
  } else if (options.retire) {
    lines.push("No previous secret to remove.");
  }
  for (const kept of result.kept) {
    lines.push(`The previous secret ${kept.keyId} keeps working until ${kept.endDateTime ?? "(no end date)"}.`);
  }
  if (result.kept.length > 0) {
    lines.push(
      `Once the connector uses the new secret${result.current.connectorSwitchBy ? ` (by ${result.current.connectorSwitchBy})` : ""}, retire the previous one: \`${commands.rotate} --retire-previous\`.`,
    );
  }
  for (const foreign of result.foreign) {
    lines.push(`Left alone: secret ${foreign.keyId} ("${foreign.displayName ?? ""}") was not created by this stack (drift reports it).`);
  }
  return `${lines.join("\n")}\n`;
}
