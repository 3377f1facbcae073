/**
 * Layer 2 of drift: a live audit through Microsoft Graph, independent of Pulumi's state. It starts
 * from the stack outputs (what the stack says it deployed) and asks Entra what is there now with
 * four GETs in a `$batch`: three of the app's own and the tenant's `/domains`. Alone, an app costs
 * one round trip; in a fleet run the engine packs several stacks of one tenant into each batch and
 * reads `/domains` once per tenant (./tenantBatches.ts). The audit still works when the Pulumi
 * state or program is broken. A second request, Graph's credential sign-in activity, is made only
 * while a previous secret still works (fetchAudit).
 *
 * `$batch` answers 200 even when inner requests fail, so every inner status is read on its own:
 * 404 is a finding ("deleted"), 429 is retried after its Retry-After, anything else is "could not
 * check" for the checks that needed that response.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { StackOutputs } from "../../contract/stackOutputs";
import { isRecord, type BatchResponse } from "./audit/graphValues";
import { runAuditRules } from "./audit/rules";
import { readAuditSubject, type AuditContext } from "./audit/subject";
import { previousSecretsInPlay } from "./audit/credentialRules";
import { readSignInActivity, signInActivityFailure, signInActivityPath, type SignInActivity } from "./audit/signInActivity";
import type { DriftCheck, DriftFinding } from "./report";
import { DeadlineError, withDeadline } from "../shared/deadline";
import { DEFAULT_REQUEST_TIMEOUT_MS } from "./defaults";
import { CmicError } from "../../contract/errors";
import { CLOUD_HOSTS } from "../../contract/entraEndpoints";
import type { AzureCloud } from "../../contract/kinds";
import { describeFetchFailure, NETWORK_FAILURE } from "../shared/networkFailure";
import type { Limiter } from "../shared/limiter";

export type { AuditContext, BatchResponse };
export { constantClaims, type ConstantClaim } from "./audit/claimsPolicyRules";
export { identifierUriHost, isOnVerifiedDomain } from "./audit/identifierUriRules";

// ---------------------------------------------------------------------------------------------
// The batch

export type AuditRequestId = "app" | "sp" | "policies" | "domains";

export interface BatchRequest {
  /** Unique within the batch; the drift audit's are {@link AuditRequestId}s. */
  id: string;
  method: "GET";
  url: string;
}

/** One app's own reads; ids are opaque object ids from the stack outputs. */
export function ownAuditRequests(outputs: StackOutputs): BatchRequest[] {
  const app = encodeURIComponent(outputs.applicationObjectId);
  const sp = encodeURIComponent(outputs.servicePrincipalObjectId);
  return [
    { id: "app", method: "GET", url: `/applications/${app}` },
    { id: "sp", method: "GET", url: `/servicePrincipals/${sp}` },
    { id: "policies", method: "GET", url: `/servicePrincipals/${sp}/claimsMappingPolicies` },
  ];
}

/** The reads every app of a tenant shares: the same answer for each, so a fleet reads them once per tenant. */
export const TENANT_AUDIT_REQUESTS: readonly BatchRequest[] = [{ id: "domains", method: "GET", url: "/domains" }];

export interface BatchOptions {
  /** How often a throttled (429) inner request is retried; default 3. */
  maxThrottleRetries?: number;
  /** Upper bound on one Retry-After wait, so a bad header cannot stall a fleet run; default 30 s. */
  maxRetryAfterSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Each `$batch` POST must answer within this long, retries inside the Graph client included; default 60 s. */
  requestTimeoutMs?: number;
  /** How often a `$batch` that failed without an HTTP answer (reset socket, DNS, refused) is sent again; default 3. */
  maxNetworkRetries?: number;
}

/** First wait before resending after a network failure; doubles each time. */
const NETWORK_BACKOFF_MS = 250;

/**
 * The cause of a request that got no HTTP answer (a reset socket, a refused connection, DNS),
 * as the Graph client factory keeps it (`fetch failed (UND_ERR_SOCKET: other side closed)`);
 * null when the request had an HTTP answer, which resending would not change.
 */
function networkFailureCause(error: unknown): string | null {
  if (isRecord(error) && typeof error.statusCode === "number" && error.statusCode > 0) return null;
  const text = describeFetchFailure(error);
  return NETWORK_FAILURE.test(text) ? text : null;
}

/** POST one `$batch`: bounded by the request timeout, resent after network failures (a batch of GETs is idempotent). */
async function postBatch(
  client: Client,
  requests: BatchRequest[],
  options: BatchOptions,
  sleep: (ms: number) => Promise<void>,
): Promise<unknown> {
  const timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const maxRetries = options.maxNetworkRetries ?? 3;
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await withDeadline(client.api("/$batch").post({ requests }), timeoutMs, "the Graph $batch request");
    } catch (error) {
      if (error instanceof DeadlineError || attempt >= maxRetries || networkFailureCause(error) === null) throw error;
      await sleep(NETWORK_BACKOFF_MS * 2 ** attempt);
    }
  }
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : headers[key];
}

/** Seconds to wait before retrying a throttled inner request (Retry-After, else 1 s). */
export function retryAfterSeconds(response: BatchResponse): number {
  const raw = headerValue(response.headers, "Retry-After");
  const seconds = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : 1;
}

/**
 * Send the batch; throttled inner requests are sent again (only they) after the longest
 * Retry-After among them. Throws when the batch itself fails (network, auth, outer 4xx/5xx after the
 * Graph client's own retries).
 */
export async function sendAuditBatch(
  client: Client,
  requests: BatchRequest[],
  options: BatchOptions = {},
): Promise<Map<string, BatchResponse>> {
  const maxRetries = options.maxThrottleRetries ?? 3;
  const maxWait = options.maxRetryAfterSeconds ?? 30;
  const sleep = options.sleep ?? defaultSleep;
  const results = new Map<string, BatchResponse>();
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt += 1) {
    const reply: unknown = await postBatch(client, pending, options, sleep);
    if (!isRecord(reply) || !Array.isArray(reply.responses)) {
      // The Graph client hands back the body as text when it is not JSON: a proxy's page, say.
      const shape =
        typeof reply === "string"
          ? `text starting ${JSON.stringify(reply.slice(0, 40))}`
          : `${Array.isArray(reply) ? "an array" : `a ${typeof reply}`} (${String(JSON.stringify(reply) ?? "").slice(0, 40) || "empty"})`;
      throw new CmicError("ERR_GRAPH_NOT_BATCH", `the answer to the $batch request is not a Graph batch response but ${shape}`, {
        fix: "check --graph-url / CMIC_GRAPH_URL and that a proxy lets Microsoft Graph's answers through unchanged",
      });
    }
    const responses = reply.responses;
    const throttled: BatchResponse[] = [];
    for (const raw of responses) {
      if (!isRecord(raw) || typeof raw.id !== "string" || typeof raw.status !== "number") continue;
      const response: BatchResponse = {
        id: raw.id,
        status: raw.status,
        headers: isRecord(raw.headers)
          ? (Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k, String(v)])) as Record<string, string>)
          : undefined,
        body: raw.body,
      };
      results.set(response.id, response);
      if (response.status === 429) throttled.push(response);
    }
    if (throttled.length === 0 || attempt >= maxRetries) break;
    const wait = Math.min(maxWait, Math.max(...throttled.map(retryAfterSeconds)));
    await sleep(wait * 1000);
    const retryIds = new Set(throttled.map((r) => r.id));
    pending = requests.filter((r) => retryIds.has(r.id));
  }
  return results;
}

export interface AuditReader {
  /**
   * Answers to one stack's own reads and to the tenant's `shared` reads (the same for every stack,
   * made once), keyed by the ids the requests carry. Throws when the batch that carried the
   * stack's own reads failed as a whole, as {@link sendAuditBatch} does.
   */
  read(own: readonly BatchRequest[], shared: readonly BatchRequest[]): Promise<Map<string, BatchResponse>>;
}

/** One batch per stack, sending its own and shared reads together: a stack audited on its own. */
export function soloReader(client: Client, options: BatchOptions = {}): AuditReader {
  return { read: (own, shared) => sendAuditBatch(client, [...own, ...shared], options) };
}

// ---------------------------------------------------------------------------------------------
// Evaluation (pure): the rules live in ./audit/, one module per group, run in the order of their table.

/**
 * Judge one app from its batch responses. Pure: the same responses and clock give the same checks.
 * Checks whose input could not be read carry an `error` finding, so the stack never reads as clean.
 */
export function evaluateAudit(context: AuditContext, responses: Map<string, BatchResponse>): DriftCheck[] {
  return runAuditRules(readAuditSubject(context, responses));
}

// ---------------------------------------------------------------------------------------------
// I/O

/**
 * The batch's answers (and the sign-in activity, when a previous secret made it worth a request),
 * or the errored check that says why there are none.
 */
export type AuditFetch =
  { ok: true; responses: Map<string, BatchResponse>; signInActivity?: SignInActivity } | { ok: false; checks: DriftCheck[] };

/**
 * Read Graph's credential sign-in activity for one app (a beta GET, outside the v1.0 `$batch`).
 * Never throws: a tenant without the licence, an identity without AuditLog.Read.All and any other
 * failure become the state that says so, and the audit falls back to end dates.
 */
export async function fetchSignInActivity(client: Client, appId: string, requestTimeoutMs: number): Promise<SignInActivity> {
  try {
    const body: unknown = await withDeadline(
      client.api(signInActivityPath(appId)).version("beta").get(),
      requestTimeoutMs,
      "the Graph sign-in activity request",
    );
    return readSignInActivity(body) ?? { state: "failed", detail: "the answer is not a Graph collection" };
  } catch (error) {
    const status = isRecord(error) && typeof error.statusCode === "number" && error.statusCode > 0 ? error.statusCode : undefined;
    const code = isRecord(error) && typeof error.code === "string" ? error.code : undefined;
    const text = error instanceof Error ? error.message.split(/\r?\n/)[0] : String(error);
    const detail = status !== undefined ? `Graph answered ${status}${code ? ` ${code}` : ""}: ${text}` : text;
    return signInActivityFailure(status, code, detail);
  }
}

/**
 * Send one app's `$batch`, then, only while a previous secret still works (the one question end
 * dates cannot answer: has the connector switched?), its sign-in activity. A fleet with no rotation
 * in progress therefore still costs one request per app. A batch that fails as a whole becomes one
 * errored check.
 */
export async function fetchAudit(
  stack: string,
  outputs: StackOutputs,
  options: BatchOptions & {
    client: Client;
    now?: Date;
    signedInAs?: string | null;
    /** How the batch travels: shared with the tenant's other stacks (tenantBatchReader), or alone (default). */
    reader?: AuditReader;
    /** Bounds the sign-in activity request with the fleet's other Graph requests. */
    limit?: Limiter;
  },
): Promise<AuditFetch> {
  try {
    const reader = options.reader ?? soloReader(options.client, options);
    const responses = await reader.read(ownAuditRequests(outputs), TENANT_AUDIT_REQUESTS);
    const subject = readAuditSubject({ stack, outputs, expiryDays: 0, now: options.now ?? new Date() }, responses);
    if (previousSecretsInPlay(subject).length === 0) return { ok: true, responses };
    const read = () => fetchSignInActivity(options.client, outputs.clientId, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
    const signInActivity = await (options.limit ? options.limit(read) : read());
    return { ok: true, responses, signInActivity };
  } catch (error) {
    // GraphError carries statusCode -1 when no HTTP answer came back (sign-in or network failure).
    const status = isRecord(error) && typeof error.statusCode === "number" && error.statusCode > 0 ? error.statusCode : undefined;
    const network = networkFailureCause(error);
    const text =
      error instanceof DeadlineError
        ? error.message
        : network !== null
          ? `no HTTP answer after retries (${network})`
          : error instanceof Error
            ? error.message
            : String(error);
    const signIn = /AADSTS\d+(: [^.\n]*\.)?/.exec(text);
    // @azure/identity's messages run over several lines of trace ids; the first line names the cause.
    const firstLine = text
      .split(/\r?\n/)[0]
      .replace(/\s*- Timestamp:.*$/, "")
      .trim();
    const tenantAccess = tenantAccessFailure(
      outputs.tenantId,
      outputs.azureCloud,
      options.signedInAs ?? null,
      signIn?.[0] ?? null,
      status,
      text,
    );
    const message =
      tenantAccess?.message ??
      (signIn
        ? `drift's own identity could not sign in to read Graph in tenant ${outputs.tenantId}: ${signIn[0]}`
        : `the Graph audit request failed${status !== undefined ? ` (HTTP ${status})` : ""}: ${firstLine}`);
    const fix =
      tenantAccess?.fix ??
      (error instanceof DeadlineError || network !== null
        ? "check the network path and proxy to Microsoft Graph (--graph-url / CMIC_GRAPH_URL) and run drift again; raise --request-timeout if Graph is known to be slow"
        : error instanceof CmicError && error.fix
          ? error.fix
          : "check the credential drift runs with (AZURE_TENANT_ID / AZURE_CLIENT_ID and a secret or workload identity federation), " +
            "that it may read applications, service principals, policies and domains, and --graph-url / CMIC_GRAPH_URL");
    return { ok: false, checks: [graphRequestFailure(stack, message, fix)] };
  }
}

/** The read-only Graph application permissions the audit needs (README "Credentials and permissions"). */
export const AUDIT_GRAPH_PERMISSIONS = ["Application.Read.All", "Policy.Read.All", "Domain.Read.All"] as const;

/** Where an admin of `tenantId` consents to the app `clientId` (Entra's admin consent endpoint). */
export function adminConsentUrl(tenantId: string, clientId: string, cloud: AzureCloud = "public"): string {
  return `${CLOUD_HOSTS[cloud].authorityHost}/${encodeURIComponent(tenantId)}/adminconsent?client_id=${encodeURIComponent(clientId)}`;
}

/**
 * A stack's tenant that drift cannot read, as the cause and the fix an integrator acts on: its
 * identity is not in that tenant (AADSTS700016: the operator app was never consented there), the
 * tenant does not exist (AADSTS90002: a wrong tenantId output), or the identity lacks the read
 * permissions there (403). Null for other failures. Never a finding about the app: nothing was read.
 */
function tenantAccessFailure(
  tenantId: string,
  cloud: AzureCloud,
  clientId: string | null,
  signIn: string | null,
  status: number | undefined,
  text: string,
): { message: string; fix: string } | null {
  const app = clientId ? `drift's identity (client id ${clientId})` : "drift's identity";
  const permissions = `the Graph application permissions ${AUDIT_GRAPH_PERMISSIONS.join(", ")}`;
  const consent = clientId
    ? `an admin of that tenant opens ${adminConsentUrl(tenantId, clientId, cloud)} and grants ${permissions}`
    : `an admin of that tenant consents to drift's app with ${permissions}`;
  if (signIn?.startsWith("AADSTS700016")) {
    return {
      message: `${app} is not registered or consented in the stack's tenant ${tenantId} (${signIn}), so nothing of the stack could be read there`,
      fix: `${consent} (a multi-tenant operator app), or give drift a credential of that tenant`,
    };
  }
  // MSAL's answer when the tenant's OpenID configuration cannot be read: Entra refuses it with
  // AADSTS90002 for a tenant that does not exist (MSAL hides the code), or the host is unreachable.
  if (signIn === null && text.includes("endpoints_resolution_error")) {
    return {
      message: `drift could not read the sign-in endpoints of the stack's tenant ${tenantId} (MSAL endpoints_resolution_error): the tenant does not exist, or the sign-in host is unreachable`,
      fix: `check the stack's tenantId output (azuread:tenantId in its Pulumi.<stack>.yaml), and that this machine reaches ${new URL(CLOUD_HOSTS[cloud].authorityHost).host} (or AZURE_AUTHORITY_HOST)`,
    };
  }
  if (signIn?.startsWith("AADSTS90002")) {
    return {
      message: `the stack's tenant ${tenantId} does not exist in Entra (${signIn})`,
      fix: "check the stack's tenantId output (azuread:tenantId in its Pulumi.<stack>.yaml) and run `pulumi up` for it",
    };
  }
  if (signIn === null && (status === 401 || status === 403)) {
    return {
      message: `${app} signed in to the stack's tenant ${tenantId} but may not read its applications there (HTTP ${status})`,
      fix: `${consent}; consent given minutes ago can take a while to apply`,
    };
  }
  return null;
}

export interface AuditOptions extends BatchOptions {
  client: Client;
  expiryDays: number;
  now?: Date;
  /** URN of the secret's rotation resource, for the fix text of an expiring secret. */
  rotationUrn?: string;
}

/** `graph.request`: Graph could not be asked in the stack's tenant (sign-in, permission, network, credential). */
export function graphRequestFailure(stack: string, message: string, fix: string): DriftCheck {
  const finding: DriftFinding = {
    stack,
    layer: "graph",
    id: "graph.request",
    severity: "error",
    resource: "Microsoft Graph",
    message,
    fix,
  };
  return { layer: "graph", id: "graph.request", name: "graph: audit request succeeded", resource: "Microsoft Graph", findings: [finding] };
}

/** Audit one stack's app: one `$batch`, then {@link evaluateAudit}. */
export async function auditStack(stack: string, outputs: StackOutputs, options: AuditOptions): Promise<DriftCheck[]> {
  const now = options.now ?? new Date();
  const fetched = await fetchAudit(stack, outputs, { ...options, now });
  if (!fetched.ok) return fetched.checks;
  return evaluateAudit(
    { stack, outputs, expiryDays: options.expiryDays, now, rotationUrn: options.rotationUrn, signInActivity: fetched.signInActivity },
    fetched.responses,
  );
}
