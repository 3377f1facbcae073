/**
 * `npm run audit -- --tenant T --client-id C | --app-object-id O`: checks any app registration,
 * managed by this project or not, against everything CMiC needs, and prints each finding with its
 * cause and fix. The troubleshooting phase of the manual guide, done by a tool; `--json` for
 * machines. Exit 0: nothing that fails or will fail; 3: errors or warnings; 1: could not read; 2:
 * bad usage.
 *
 * This file parses options and prints; Graph and @azure/identity are loaded inside `run`.
 */
import { CmicError, EXIT_DRIFT, EXIT_OK, UsageError } from "../../contract/errors";
import { GRAPH_URL, GRAPH_URL_ENV } from "../../contract/entraEndpoints";
import { defineCommand, numberOption, runWhenMain, type OptionSpecs, type ParsedOptions } from "../shared/cli";
import type { AuditFinding } from "./rules";
import type { RegistrationTarget } from "./registration";

const DEFAULT_EXPIRY_DAYS = 30;

const HELP = `Usage: npm run audit -- --tenant TENANT_ID (--client-id ID | --app-object-id ID) [options]

Checks an app registration (made by hand, by another tool or by this project) against what CMiC
needs, and prints every finding with its cause and fix:
  token version (and the Issuer URL / Keyset URI CMiC's registration must then hold),
  acceptMappedClaims, the Application ID URI and whether Entra accepts mapped claims for it
  (AADSTS501461), a multi-tenant audience, the service principal, the cmicuser claim (from a
  claims-mapping policy or the portal's Attributes & Claims) and its value (Enterprise: the user;
  Cloud: tenant||user, two pipes), more than one policy, a portal claim a policy overrides, and the
  credentials: none valid, expired, expiring, on the service principal, several valid secrets.

Which app:
  --tenant ID            the Directory (tenant) ID the app lives in
  --client-id ID         its Application (client) ID
  --app-object-id ID     or its Object ID
  --state DIR            an app in the local world of \`npm run sandbox -- --state DIR\` (its tenant;
                         no --tenant needed)

Options:
  --claim-name NAME      the claim CMiC reads (default cmicuser)
  --expiry-days N        report credentials that end within N days (default ${DEFAULT_EXPIRY_DAYS})
  --graph-url URL        Graph origin (default $${GRAPH_URL_ENV} or ${GRAPH_URL})
  --json                 { ok, exitCode, tenantId, clientId, findings: [{ id, severity, subject, message, fix }] }

Graph credential: AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET, else DefaultAzureCredential.
It needs Application.Read.All, Policy.Read.All and Domain.Read.All (Policy.Read.ApplicationConfiguration
to see the portal's claims). It reads only.

Exit status: 0 no error or warning; 3 errors or warnings found; 1 the app could not be read; 2 bad usage.
`;

const OPTIONS = {
  tenant: { type: "string" },
  "client-id": { type: "string" },
  "app-object-id": { type: "string" },
  state: { type: "string" },
  "claim-name": { type: "string" },
  "expiry-days": { type: "string" },
  "graph-url": { type: "string" },
  json: { type: "boolean" },
} as const satisfies OptionSpecs;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AuditOptions {
  tenantId: string | null;
  target: RegistrationTarget;
  stateDir?: string;
  claimName: string;
  expiryDays: number;
  graphUrl: string;
  json: boolean;
}

export function auditOptionsFrom(values: ParsedOptions<typeof OPTIONS>, env: NodeJS.ProcessEnv): AuditOptions {
  const clientId = values["client-id"]?.trim();
  const objectId = values["app-object-id"]?.trim();
  if ((clientId === undefined) === (objectId === undefined))
    throw new UsageError("Name the app: give --client-id ID or --app-object-id ID (one of them).");
  const id = (clientId ?? objectId) as string;
  if (!GUID.test(id)) throw new UsageError(`--${clientId !== undefined ? "client-id" : "app-object-id"} must be a GUID, got '${id}'.`);
  const tenant = values.tenant?.trim();
  if (values.state === undefined && tenant === undefined)
    throw new UsageError("Give --tenant TENANT_ID (the Directory (tenant) ID), or --state DIR for a local world.");
  if (tenant !== undefined && !GUID.test(tenant)) throw new UsageError(`--tenant must be the tenant's GUID, got '${tenant}'.`);
  const graphUrl = values["graph-url"] ?? env[GRAPH_URL_ENV] ?? GRAPH_URL;
  if (!URL.canParse(graphUrl) || new URL(graphUrl).protocol !== "https:")
    throw new UsageError(`--graph-url / $${GRAPH_URL_ENV} must be an https:// origin, got '${graphUrl}'.`);
  const claimName = values["claim-name"]?.trim() || "cmicuser";
  return {
    tenantId: tenant?.toLowerCase() ?? null,
    target: clientId !== undefined ? { clientId: clientId.toLowerCase() } : { appObjectId: id.toLowerCase() },
    ...(values.state !== undefined ? { stateDir: values.state } : {}),
    claimName,
    expiryDays: numberOption("expiry-days", values["expiry-days"], { integer: true, min: 0, max: 3650 }) ?? DEFAULT_EXPIRY_DAYS,
    graphUrl,
    json: values.json === true,
  };
}

/** Errors and warnings make the exit 3; info alone does not. */
export function auditExitCode(findings: readonly AuditFinding[]): number {
  return findings.some((f) => f.severity !== "info") ? EXIT_DRIFT : EXIT_OK;
}

export function formatFindings(tenantId: string, clientId: string | null, findings: readonly AuditFinding[]): string {
  const lines = [
    `App registration ${clientId ?? "(not found)"} in tenant ${tenantId}: ${findings.length === 0 ? "nothing to report" : `${findings.length} finding(s)`}`,
  ];
  for (const f of findings) {
    lines.push(`  [${f.severity}] ${f.subject}: ${f.message}`, `      fix: ${f.fix}  (${f.id})`);
  }
  const counts = (severity: AuditFinding["severity"]) => findings.filter((f) => f.severity === severity).length;
  lines.push(`${counts("error")} error(s), ${counts("warning")} warning(s), ${counts("info")} note(s) → exit ${auditExitCode(findings)}`);
  return `${lines.join("\n")}\n`;
}

export const auditCommand = defineCommand({
  name: "audit",
  summary: "Check any app registration against what CMiC needs.",
  help: HELP,
  options: OPTIONS,
  async run(values, io) {
    const options = auditOptionsFrom(values, io.env);
    if (options.stateDir !== undefined) {
      const { rerunTrustingEmulator } = await import("../shared/emulatorTrust");
      const rerun = await rerunTrustingEmulator(io.env);
      if (rerun !== null) return rerun;
    }
    const { openTenantGraph } = await import("./tenantGraph");
    const { client, tenantId, now, close } = await openTenantGraph({ ...options, env: io.env });
    try {
      const { readRegistration } = await import("./registration");
      const { auditRegistration } = await import("./rules");
      let registration;
      try {
        registration = await readRegistration(client, options.target);
      } catch (error) {
        if (error instanceof CmicError) throw error;
        const text = error instanceof Error ? error.message.split(/\r?\n/)[0] : String(error);
        throw new CmicError("ERR_AUDIT_READ", `could not read the app registration from Graph: ${text}`, {
          fix: "check the credential the audit signs in with (AZURE_CLIENT_ID / AZURE_CLIENT_SECRET for this tenant, or az login), its permissions (Application.Read.All, Policy.Read.All, Domain.Read.All) and --graph-url",
          cause: error,
        });
      }
      const findings = auditRegistration({
        registration,
        tenantId: tenantId ?? "",
        claimName: options.claimName,
        now,
        expiryDays: options.expiryDays,
      });
      const clientId = registration.app && typeof registration.app.appId === "string" ? registration.app.appId : null;
      const exitCode = auditExitCode(findings);
      io.stdout(
        options.json
          ? `${JSON.stringify({ ok: exitCode === EXIT_OK, exitCode, tenantId, clientId, findings }, null, 2)}\n`
          : formatFindings(tenantId, clientId, findings),
      );
      return exitCode;
    } finally {
      await close();
    }
  },
});

runWhenMain(module, auditCommand);
