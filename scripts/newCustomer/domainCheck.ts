/**
 * The new stack's domain, checked in THE CUSTOMER'S tenant before the file is written: Entra puts
 * the Application ID URI on `verifiedDomain` (or the tenant's initial *.onmicrosoft.com domain), and
 * a domain that is not verified there fails the first `pulumi up` (HostNameNotOnVerifiedDomain) or
 * the connector's first token (AADSTS501461) — far from the typo that caused it.
 *
 * One Graph read: `GET /domains` (https://learn.microsoft.com/en-us/graph/api/domain-list, least
 * privileged application permission Domain.Read.All), whose entries carry `id` (the domain name),
 * `isVerified` and `isInitial`. Signed in with the deployer's credential for the customer's tenant
 * (a multi-tenant operator app must be consented there), never the home tenant's answers.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { CmicError, EXIT_USAGE } from "../../contract/errors";
import type { AzureCloud } from "../../contract/kinds";
import { deployerClientId } from "../shared/credentials";
import { DeadlineError, withDeadline } from "../shared/deadline";
import { tenantGraphClient } from "../shared/graphClient";
import { NETWORK_FAILURE } from "../shared/networkFailure";
import { adminConsentUrl } from "../drift/graphAudit";

/** The Graph application permission `GET /domains` needs (domain-list, "Permissions"). */
export const DOMAIN_PERMISSION = "Domain.Read.All";
/** Sign-in and every page of `/domains` together; a tenant that answers slower than this is reported, not waited for. */
export const DOMAIN_CHECK_TIMEOUT_MS = 60_000;
/** Tenants have few domains (Entra allows 5,000); a nextLink chain longer than this is not followed forever. */
const MAX_PAGES = 20;

export interface TenantDomain {
  name: string;
  isVerified: boolean;
  isInitial: boolean;
}

export interface DomainCheckOptions {
  tenantId: string;
  /** The --verified-domain to check, or null: the initial domain will be used. */
  verifiedDomain: string | null;
  env: NodeJS.ProcessEnv;
  graphUrl: string;
  /** The tenant's cloud: its login host and Graph resource (default public). */
  cloud?: AzureCloud;
  timeoutMs?: number;
}

export interface DomainCheckResult {
  /** The domain the Application ID URI will be on. */
  domain: string;
  /** True when it is the tenant's initial *.onmicrosoft.com domain (no --verified-domain). */
  initial: boolean;
  verifiedDomains: string[];
}

/** The --verified-domain is not a verified domain of the tenant: a settings problem (exit 2), nothing written. */
export class DomainNotVerifiedError extends CmicError {
  constructor(
    readonly domain: string,
    readonly tenantId: string,
    readonly verifiedDomains: readonly string[],
    listedUnverified: boolean,
  ) {
    const list = verifiedDomains.length > 0 ? verifiedDomains.join(", ") : "(none)";
    super(
      "ERR_DOMAIN_NOT_VERIFIED",
      `--verified-domain ${domain} ${listedUnverified ? "is added to" : "is not a domain of"} tenant ${tenantId}${listedUnverified ? " but not verified" : ""}, ` +
        `so Entra would refuse an Application ID URI on it; nothing was written. The tenant's verified domains: ${list}.`,
      {
        fix:
          `verify ${domain} in the Entra admin center (Entra ID → Domain names / Custom domain names: add the DNS record it shows, then Verify), ` +
          `or pass one of the verified domains above as --verified-domain, or leave --verified-domain out to use the initial *.onmicrosoft.com domain.`,
        exitCode: EXIT_USAGE,
      },
    );
  }
}

/** Read the tenant's domains and judge the stack's domain; throws CmicError naming the cause and the fix. */
export async function checkDomains(options: DomainCheckOptions): Promise<DomainCheckResult> {
  const { tenantId, env } = options;
  const client = tenantGraphClient(env, tenantId, options.cloud ?? "public", options.graphUrl);
  const timeoutMs = options.timeoutMs ?? DOMAIN_CHECK_TIMEOUT_MS;
  let domains: TenantDomain[];
  try {
    domains = await withDeadline(listDomains(client), timeoutMs, `reading the domains of tenant ${tenantId}`);
  } catch (error) {
    throw domainReadFailure(error, tenantId, deployerClientId(env, tenantId), options.graphUrl, options.cloud);
  }
  return judgeDomain(domains, tenantId, options.verifiedDomain);
}

/** The stack's domain against the tenant's list: the named one must be there and verified; without one, the initial domain. */
export function judgeDomain(domains: readonly TenantDomain[], tenantId: string, verifiedDomain: string | null): DomainCheckResult {
  const verifiedDomains = domains.filter((d) => d.isVerified).map((d) => d.name);
  if (verifiedDomain === null) {
    const initial = domains.find((d) => d.isInitial);
    if (!initial) {
      throw new CmicError("ERR_DOMAIN_CHECK", `Graph listed no initial (*.onmicrosoft.com) domain for tenant ${tenantId}.`, {
        fix: "pass one of the tenant's verified domains as --verified-domain, or --no-domain-check to write the file unchecked.",
      });
    }
    return { domain: initial.name, initial: true, verifiedDomains };
  }
  // Domain names are case-insensitive (the program lowercases verifiedDomain too).
  const listed = domains.find((d) => d.name.toLowerCase() === verifiedDomain.toLowerCase());
  if (!listed?.isVerified) throw new DomainNotVerifiedError(verifiedDomain, tenantId, verifiedDomains, listed !== undefined);
  return { domain: listed.name, initial: false, verifiedDomains };
}

/** Every page of `GET /domains`, as name + flags. */
async function listDomains(client: Client): Promise<TenantDomain[]> {
  const domains: TenantDomain[] = [];
  let next: string | undefined = "/domains";
  for (let page = 0; next !== undefined && page < MAX_PAGES; page += 1) {
    const body: unknown = await client.api(next).get();
    if (!isRecord(body) || !Array.isArray(body.value))
      throw new CmicError("ERR_DOMAIN_CHECK", "Graph's /domains answer is not a collection.");
    for (const entry of body.value) {
      if (isRecord(entry) && typeof entry.id === "string") {
        domains.push({ name: entry.id, isVerified: entry.isVerified === true, isInitial: entry.isInitial === true });
      }
    }
    next = typeof body["@odata.nextLink"] === "string" ? body["@odata.nextLink"] : undefined;
  }
  return domains;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Why the domains could not be read, as the cause and the fix (exit 1: the file is not written
 * unchecked when a check was wanted). The cases follow drift's (scripts/drift/graphAudit.ts): the
 * app not in the tenant (AADSTS700016), no such tenant (AADSTS90002), no permission (401/403),
 * no answer at all.
 */
export function domainReadFailure(
  error: unknown,
  tenantId: string,
  clientId: string | null,
  graphUrl: string,
  cloud: AzureCloud = "public",
): CmicError {
  const status = isRecord(error) && typeof error.statusCode === "number" && error.statusCode > 0 ? error.statusCode : undefined;
  const text = error instanceof Error ? error.message : String(error);
  const firstLine = text
    .split(/\r?\n/)[0]
    .replace(/\s*- Timestamp:.*$/, "")
    .trim();
  const signIn = /AADSTS\d+(: [^.\n]*\.)?/.exec(text)?.[0] ?? null;
  const app = clientId ? `the deployer's app (client id ${clientId})` : "the deployer's identity";
  const consent = clientId
    ? `an admin of tenant ${tenantId} opens ${adminConsentUrl(tenantId, clientId, cloud)} and grants the Graph application permission ${DOMAIN_PERMISSION}`
    : `an admin of tenant ${tenantId} grants the deployer's identity the Graph application permission ${DOMAIN_PERMISSION} (admin consent)`;
  const skip = "or run with --no-domain-check to write the file without checking";
  const failure = (message: string, fix: string) => new CmicError("ERR_DOMAIN_CHECK", message, { fix, cause: error });
  if (signIn?.startsWith("AADSTS700016")) {
    return failure(
      `${app} is not registered or consented in the customer's tenant ${tenantId} (${signIn}), so its domains could not be read.`,
      `${consent} (a multi-tenant app), or give this command a credential of that tenant (AZURE_CLIENT_ID / AZURE_CLIENT_SECRET); ${skip}.`,
    );
  }
  if (signIn?.startsWith("AADSTS90002") || (signIn === null && text.includes("endpoints_resolution_error"))) {
    return failure(
      `the sign-in endpoints of tenant ${tenantId} could not be read${signIn ? ` (${signIn})` : " (MSAL endpoints_resolution_error)"}: the tenant does not exist, or the sign-in host is unreachable.`,
      "check --tenant-id (Entra ID → Overview → Tenant ID) and that this machine reaches login.microsoftonline.com (or AZURE_AUTHORITY_HOST).",
    );
  }
  if (signIn === null && (status === 401 || status === 403)) {
    return failure(
      `${app} signed in to tenant ${tenantId} but may not read its domains (HTTP ${status}): it lacks ${DOMAIN_PERMISSION} there.`,
      `${consent}; consent given minutes ago can take a while to apply; ${skip}.`,
    );
  }
  if (signIn !== null) {
    return failure(
      `the deployer could not sign in to tenant ${tenantId}: ${signIn}`,
      `check AZURE_CLIENT_ID / AZURE_CLIENT_SECRET (or az login) for that tenant; ${skip}.`,
    );
  }
  if (error instanceof DeadlineError || NETWORK_FAILURE.test(text)) {
    return failure(
      `Microsoft Graph (${graphUrl}) could not be reached to read the domains of tenant ${tenantId}: ${firstLine}.`,
      `check the network path and proxy to Graph (--graph-url / CMIC_GRAPH_URL) and the sign-in host; ${skip}.`,
    );
  }
  return failure(
    `reading the domains of tenant ${tenantId} failed${status !== undefined ? ` (HTTP ${status})` : ""}: ${firstLine}`,
    `check the deployer's credential and --graph-url / CMIC_GRAPH_URL; ${skip}.`,
  );
}
