/**
 * Layer 2 of drift: a live audit through Microsoft Graph, independent of Pulumi's state. It starts
 * from the stack outputs (what the stack says it deployed) and asks Entra what is there now, in ONE
 * round trip per app: a `$batch` of four GETs. A fleet of apps therefore costs one request each,
 * and the audit still works when the Pulumi state or program is broken.
 *
 * `$batch` answers 200 even when inner requests fail, so every inner status is read on its own:
 * 404 is a finding ("deleted"), 429 is retried after its Retry-After, anything else is "could not
 * check" for the checks that needed that response.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { defaultScope } from "../../contract/entraEndpoints";
import type { StackOutputs } from "../../contract/stackOutputs";
import type { DriftCheck, DriftFinding, FindingSeverity } from "./report";

// ---------------------------------------------------------------------------------------------
// The batch

export type AuditRequestId = "app" | "sp" | "policies" | "domains";

export interface BatchRequest {
  id: AuditRequestId;
  method: "GET";
  url: string;
}

export interface BatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The four reads one app's audit needs; ids are opaque object ids from the stack outputs. */
export function auditRequests(outputs: StackOutputs): BatchRequest[] {
  const app = encodeURIComponent(outputs.applicationObjectId);
  const sp = encodeURIComponent(outputs.servicePrincipalObjectId);
  return [
    { id: "app", method: "GET", url: `/applications/${app}` },
    { id: "sp", method: "GET", url: `/servicePrincipals/${sp}` },
    { id: "policies", method: "GET", url: `/servicePrincipals/${sp}/claimsMappingPolicies` },
    { id: "domains", method: "GET", url: "/domains" },
  ];
}

export interface BatchOptions {
  /** How often a throttled (429) inner request is retried; default 3. */
  maxThrottleRetries?: number;
  /** Upper bound on one Retry-After wait, so a bad header cannot stall a fleet run; default 30 s. */
  maxRetryAfterSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
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
    const reply: unknown = await client.api("/$batch").post({ requests: pending });
    const responses = isRecord(reply) && Array.isArray(reply.responses) ? reply.responses : [];
    const throttled: BatchResponse[] = [];
    for (const raw of responses) {
      if (!isRecord(raw) || typeof raw.id !== "string" || typeof raw.status !== "number") continue;
      const response: BatchResponse = {
        id: raw.id,
        status: raw.status,
        headers: isRecord(raw.headers) ? (Object.fromEntries(Object.entries(raw.headers).map(([k, v]) => [k, String(v)])) as Record<string, string>) : undefined,
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

// ---------------------------------------------------------------------------------------------
// Evaluation (pure)

export interface AuditContext {
  stack: string;
  outputs: StackOutputs;
  /** Credentials ending before now + expiryDays are reported. */
  expiryDays: number;
  now: Date;
  /** URN of the secret's `time:Rotating` resource, when the Pulumi layer found it. */
  rotationUrn?: string;
}

interface GraphCredential {
  keyId: string;
  displayName: string | null;
  endDateTime: string | null;
  kind: "secret" | "certificate";
  owner: "application" | "service principal";
}

function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function credentialsOf(object: Record<string, unknown>, owner: GraphCredential["owner"]): GraphCredential[] {
  const read = (list: unknown, kind: GraphCredential["kind"]): GraphCredential[] =>
    (Array.isArray(list) ? list : []).filter(isRecord).flatMap((c) => {
      const keyId = str(c.keyId);
      return keyId ? [{ keyId, displayName: str(c.displayName) ?? null, endDateTime: str(c.endDateTime) ?? null, kind, owner }] : [];
    });
  return [...read(object.passwordCredentials, "secret"), ...read(object.keyCredentials, "certificate")];
}

function describeError(response: BatchResponse | undefined): string {
  if (!response) return "Graph returned no answer for this request";
  const error = isRecord(response.body) && isRecord(response.body.error) ? response.body.error : undefined;
  const code = str(error?.code);
  const message = str(error?.message);
  return `Graph answered ${response.status}${code ? ` ${code}` : ""}${message ? `: ${message}` : ""}`;
}

function permissionHint(response: BatchResponse | undefined, permission: string): string {
  if (response && (response.status === 401 || response.status === 403)) {
    return `grant the pipeline's identity ${permission} (admin consent) or run drift as an identity that has it`;
  }
  return "run drift again; if it persists, check Graph's service health and the pipeline identity's permissions";
}

/** Host of an identifier URI (`api://<host>/…` or `https://<host>/…`), lowercased. */
export function identifierUriHost(uri: string): string | null {
  const match = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(uri);
  return match ? match[1].toLowerCase() : null;
}

/**
 * Entra accepts an identifier URI whose host is the app's own client id (`api://<appId>`) or a
 * verified domain of the tenant or a subdomain of one (`api://<guid>.contoso.com`).
 */
export function isOnVerifiedDomain(uri: string, verifiedDomains: string[], clientId: string): boolean {
  const host = identifierUriHost(uri);
  if (host === null) return false;
  if (host === clientId.toLowerCase()) return true;
  return verifiedDomains.some((domain) => {
    const d = domain.toLowerCase();
    return host === d || host.endsWith(`.${d}`);
  });
}

/** A constant claim a claims-mapping policy emits: `ClaimsSchema[]` entries with a `Value`. */
export interface ConstantClaim {
  claimType: string;
  value: string;
}

/** The constant claims of a policy definition (Graph: an array of one JSON string). */
export function constantClaims(definition: unknown): { claims: ConstantClaim[]; parsed: boolean } {
  const texts = Array.isArray(definition) ? definition.filter((d): d is string => typeof d === "string") : [];
  const claims: ConstantClaim[] = [];
  let parsed = texts.length > 0;
  for (const text of texts) {
    try {
      const json: unknown = JSON.parse(text);
      const policy = isRecord(json) && isRecord(json.ClaimsMappingPolicy) ? json.ClaimsMappingPolicy : undefined;
      const schema = policy && Array.isArray(policy.ClaimsSchema) ? policy.ClaimsSchema : [];
      for (const entry of schema) {
        if (isRecord(entry) && typeof entry.Value === "string") {
          claims.push({ claimType: typeof entry.JwtClaimType === "string" ? entry.JwtClaimType : "(no JwtClaimType)", value: entry.Value });
        }
      }
    } catch {
      parsed = false;
    }
  }
  return { claims, parsed };
}

function formatDate(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

/** Builds checks with consistent ids, names and finding fields. */
class CheckList {
  readonly checks: DriftCheck[] = [];
  constructor(private readonly stack: string) {}

  add(id: string, name: string, resource: string): DriftCheck {
    const check: DriftCheck = { layer: "graph", id, name: `graph: ${name}`, resource, findings: [] };
    this.checks.push(check);
    return check;
  }

  find(
    check: DriftCheck,
    severity: FindingSeverity,
    finding: { id?: string; property?: string; expected?: string; actual?: string; message: string; fix: string },
  ): void {
    const result: DriftFinding = {
      stack: this.stack,
      layer: "graph",
      id: finding.id ?? check.id,
      severity,
      resource: check.resource,
      ...(finding.property !== undefined ? { property: finding.property } : {}),
      ...(finding.expected !== undefined ? { expected: finding.expected } : {}),
      ...(finding.actual !== undefined ? { actual: finding.actual } : {}),
      message: finding.message,
      fix: finding.fix,
    };
    check.findings.push(result);
  }
}

/**
 * Judge one app from its batch responses. Pure: the same responses and clock give the same checks.
 * Checks whose input could not be read carry an `error` finding, so the stack never reads as clean.
 */
export function evaluateAudit(context: AuditContext, responses: Map<string, BatchResponse>): DriftCheck[] {
  const { stack, outputs } = context;
  const list = new CheckList(stack);
  const up = `pulumi up --refresh --stack ${stack}`;
  const handoff = `npm run handoff -- --stack ${stack}`;
  const appLabel = `application ${outputs.clientId}`;
  const spLabel = `service principal ${outputs.servicePrincipalObjectId}`;
  const couldNotRead = (check: DriftCheck, response: BatchResponse | undefined, what: string, permission: string) =>
    list.find(check, "error", {
      id: "graph.unreadable",
      message: `could not read ${what}: ${describeError(response)}`,
      fix: permissionHint(response, permission),
    });

  // The stack outputs' own consistency: the scope the connector uses must be the identifier URI's.
  const scopeCheck = list.add("graph.scope", "scope is the identifier URI + /.default", `stack ${stack} outputs`);
  const expectedScope = defaultScope(outputs.identifierUri);
  if (outputs.scope !== expectedScope) {
    list.find(scopeCheck, "drift", {
      property: "scope",
      expected: expectedScope,
      actual: outputs.scope,
      message: "the scope in the stack outputs does not belong to the identifier URI (AADSTS1002012 or a token for another API)",
      fix: `run \`${up}\` with this project's current version, then give the connector the scope from \`${handoff}\``,
    });
  }

  // Application
  const appResponse = responses.get("app");
  const appCheck = list.add("graph.app.exists", "application exists", appLabel);
  const app = appResponse?.status === 200 && isRecord(appResponse.body) ? appResponse.body : undefined;
  if (appResponse?.status === 404) {
    list.find(appCheck, "drift", {
      id: "graph.app.deleted",
      message: "the application was deleted: every token request of the connector fails (AADSTS700016)",
      fix:
        "restore it within 30 days in the Entra admin center → App registrations → Deleted applications (this keeps the client id, " +
        `so CMiC and the connector need no change), then run \`${up}\`; otherwise \`${up}\` creates a new app and you hand its values over with \`${handoff}\``,
    });
  } else if (!app) {
    couldNotRead(appCheck, appResponse, "the application", "Application.Read.All");
  }

  const domainsResponse = responses.get("domains");
  const domains =
    domainsResponse?.status === 200 && isRecord(domainsResponse.body) && Array.isArray(domainsResponse.body.value)
      ? domainsResponse.body.value.filter(isRecord)
      : undefined;
  const verifiedDomains = (domains ?? []).filter((d) => d.isVerified === true).flatMap((d) => (typeof d.id === "string" ? [d.id] : []));

  const credentialKeyIds = new Set(outputs.credentialKeyIds.map((id) => id.toLowerCase()));
  const credentials: GraphCredential[] = [];

  if (app) {
    if (typeof app.appId === "string" && app.appId.toLowerCase() !== outputs.clientId.toLowerCase()) {
      list.find(appCheck, "drift", {
        id: "graph.app.clientId",
        property: "appId",
        expected: outputs.clientId,
        actual: app.appId,
        message: "the application object now has another client id: the stack outputs point at a different app",
        fix: `run \`${up}\`, then hand the values over again with \`${handoff}\``,
      });
    }
    const api = isRecord(app.api) ? app.api : {};

    const version = list.add("graph.app.tokenVersion", "access tokens are v2", appLabel);
    if (api.requestedAccessTokenVersion !== 2) {
      list.find(version, "drift", {
        property: "api.requestedAccessTokenVersion",
        expected: "2",
        actual: JSON.stringify(api.requestedAccessTokenVersion ?? null),
        message:
          "the app now gets v1 tokens (issuer https://sts.windows.net/<tenant>/), which CMiC rejects because it registered the v2 issuer",
        fix: `run \`${up}\` to set requestedAccessTokenVersion back to 2 (Manifest → "requestedAccessTokenVersion" in the portal was changed)`,
      });
    }

    if (outputs.claimSource === "token") {
      const mapped = list.add("graph.app.acceptMappedClaims", "mapped claims are accepted", appLabel);
      if (api.acceptMappedClaims !== true) {
        list.find(mapped, "drift", {
          property: "api.acceptMappedClaims",
          expected: "true",
          actual: JSON.stringify(api.acceptMappedClaims ?? null),
          message: "the app no longer accepts mapped claims: token requests fail with AADSTS50146 and CMiC gets no `cmicuser`",
          fix: `run \`${up}\` to turn acceptMappedClaims back on`,
        });
      }
    }

    const uris = Array.isArray(app.identifierUris) ? app.identifierUris.filter((u): u is string => typeof u === "string") : [];
    const uriCheck = list.add("graph.app.identifierUri", "identifier URI is set", appLabel);
    if (!uris.includes(outputs.identifierUri)) {
      list.find(uriCheck, "drift", {
        property: "identifierUris",
        expected: outputs.identifierUri,
        actual: JSON.stringify(uris),
        message: "the stack's Application ID URI is gone from the app: the connector's scope no longer resolves (AADSTS500011)",
        fix: `run \`${up}\` to add it back (Expose an API → Application ID URI was edited), or, if the new URI is wanted, set identifierUriFormat in the stack config, run \`${up}\` and \`${handoff}\``,
      });
    }
    const domainCheck = list.add("graph.app.identifierUriDomain", "identifier URIs are on a verified domain", appLabel);
    if (!domains) {
      couldNotRead(domainCheck, domainsResponse, "the tenant's domains", "Domain.Read.All");
    } else {
      for (const uri of uris) {
        if (isOnVerifiedDomain(uri, verifiedDomains, outputs.clientId)) continue;
        const ours = uri === outputs.identifierUri;
        list.find(domainCheck, "drift", {
          id: "graph.app.identifierUriOffDomain",
          property: "identifierUris",
          expected: `a host on a verified domain (${verifiedDomains.join(", ") || "none verified"})`,
          actual: uri,
          message:
            "an Application ID URI is not on a verified domain of the tenant: with mapped claims Entra refuses tokens for it (AADSTS501461)",
          fix: ours
            ? `verify the domain again (Entra admin center → Custom domain names), or set verifiedDomain / identifierUriFormat in the stack config, run \`${up}\` and \`${handoff}\``
            : `remove ${uri} from the app (App registrations → Expose an API → Application ID URI, or the Manifest's identifierUris)`,
        });
      }
    }
    credentials.push(...credentialsOf(app, "application"));

    // Credentials the stack created must still be there.
    const missing = list.add("graph.credentials.present", "the stack's credentials exist", appLabel);
    const present = new Set(credentials.map((c) => c.keyId.toLowerCase()));
    for (const keyId of outputs.credentialKeyIds) {
      if (present.has(keyId.toLowerCase())) continue;
      list.find(missing, "drift", {
        id: "graph.credentials.missing",
        property: "passwordCredentials/keyCredentials",
        expected: keyId,
        message: `the credential ${keyId} the stack created was deleted: the connector can no longer sign in with it (AADSTS7000215 / AADSTS700027)`,
        fix: `run \`${up}\` to create it again, then give the connector the new credential (\`${handoff}\`)`,
      });
    }
  }

  // Service principal
  const spResponse = responses.get("sp");
  const spCheck = list.add("graph.sp.exists", "service principal exists", spLabel);
  const sp = spResponse?.status === 200 && isRecord(spResponse.body) ? spResponse.body : undefined;
  if (spResponse?.status === 404) {
    list.find(spCheck, "drift", {
      id: "graph.sp.deleted",
      message: "the service principal (Enterprise application) was deleted: token requests fail (AADSTS7000229 / AADSTS500011) and the claims policy assignment is gone with it",
      fix: `run \`${up}\` to create the service principal and assign the claims-mapping policy again`,
    });
  } else if (!sp) {
    couldNotRead(spCheck, spResponse, "the service principal", "Application.Read.All");
  } else {
    credentials.push(...credentialsOf(sp, "service principal"));
  }

  // Claims-mapping policy assignment
  const policiesResponse = responses.get("policies");
  const policyCheck = list.add("graph.policy.assignment", "claims-mapping policy assignment", spLabel);
  const expectedPolicy = outputs.claimSource === "token" ? outputs.claimsMappingPolicyId : null;
  if (sp) {
    const assigned =
      policiesResponse?.status === 200 && isRecord(policiesResponse.body) && Array.isArray(policiesResponse.body.value)
        ? policiesResponse.body.value.filter(isRecord)
        : undefined;
    if (!assigned) {
      couldNotRead(policyCheck, policiesResponse, "the service principal's claims-mapping policies", "Policy.Read.All");
    } else {
      const ids = assigned.map((p) => str(p.id) ?? "?");
      if (expectedPolicy && !ids.includes(expectedPolicy)) {
        list.find(policyCheck, "drift", {
          id: "graph.policy.missing",
          property: "claimsMappingPolicies",
          expected: expectedPolicy,
          actual: JSON.stringify(ids),
          message: "the stack's claims-mapping policy is no longer assigned: tokens carry no `cmicuser` and CMiC answers \"Missing required claim\"",
          fix: `run \`${up}\` to assign it again`,
        });
      }
      for (const policy of assigned) {
        const id = str(policy.id) ?? "?";
        if (id === expectedPolicy) continue;
        list.find(policyCheck, "drift", {
          id: "graph.policy.unexpected",
          property: "claimsMappingPolicies",
          expected: expectedPolicy ?? "none (claimSource=registration)",
          actual: `${id}${str(policy.displayName) ? ` (${str(policy.displayName)})` : ""}`,
          message: expectedPolicy
            ? "a claims-mapping policy the stack did not create is assigned: Entra refuses tokens when more than one applies, or emits its claims instead"
            : "a claims-mapping policy is assigned although this stack lets CMiC take the user from its registration",
          fix:
            `remove the assignment: \`az rest --method DELETE --url "https://graph.microsoft.com/v1.0/servicePrincipals/${outputs.servicePrincipalObjectId}/claimsMappingPolicies/${id}/$ref"\`` +
            (expectedPolicy ? `, then run \`${up}\`` : ""),
        });
      }
      const ours = expectedPolicy ? assigned.find((p) => p.id === expectedPolicy) : undefined;
      if (ours && outputs.cmicUserClaim !== null) {
        const claim = list.add("graph.policy.claim", `claims-mapping policy emits the ${outputs.claimName} value`, `claims-mapping policy ${expectedPolicy}`);
        const { claims, parsed } = constantClaims(ours.definition);
        const wanted = claims.some((c) => c.claimType === outputs.claimName && c.value === outputs.cmicUserClaim);
        if (!wanted) {
          list.find(claim, "drift", {
            property: "definition",
            expected: `${outputs.claimName} = ${outputs.cmicUserClaim}`,
            actual: parsed ? claims.map((c) => `${c.claimType} = ${c.value}`).join(", ") || "no constant claim" : "a definition that is not valid policy JSON",
            message: `the policy definition no longer emits the stack's \`${outputs.claimName}\` value: CMiC would map tokens to another (or no) service user`,
            fix: `run \`${up}\` to restore the definition (it was edited outside Pulumi, e.g. with Microsoft Graph PowerShell)`,
          });
        }
      }
    }
  }

  // Credentials: none added by hand, none close to expiry.
  if (app || sp) {
    const unknown = list.add("graph.credentials.unknown", "no credentials added outside the stack", appLabel);
    const expiry = list.add("graph.credentials.expiry", `no credential expires within ${context.expiryDays} days`, appLabel);
    const limit = context.now.getTime() + context.expiryDays * 24 * 60 * 60 * 1000;
    for (const credential of credentials) {
      const label = `${credential.kind === "secret" ? "client secret" : "certificate"} ${credential.keyId}${credential.displayName ? ` ("${credential.displayName}")` : ""}`;
      if (!credentialKeyIds.has(credential.keyId.toLowerCase())) {
        const where =
          credential.owner === "application"
            ? `Entra admin center → App registrations → the app → Certificates & secrets → ${credential.kind === "secret" ? "Client secrets" : "Certificates"} → delete the one with ID ${credential.keyId}` +
              ` (or \`az ad app credential delete --id ${outputs.clientId} --key-id ${credential.keyId}${credential.kind === "certificate" ? " --cert" : ""}\`)`
            : `\`az ad sp credential delete --id ${outputs.servicePrincipalObjectId} --key-id ${credential.keyId}${credential.kind === "certificate" ? " --cert" : ""}\` (service principal credentials are not shown in the portal)`;
        list.find(unknown, "drift", {
          id: "graph.credentials.unknown",
          property: credential.kind === "secret" ? "passwordCredentials" : "keyCredentials",
          actual: label,
          message: `the ${credential.owner} has a ${label} the stack did not create: someone who holds it can get tokens as the connector`,
          fix: `if nobody needs it, remove the credential added by hand: ${where}`,
        });
        continue;
      }
      if (credential.endDateTime === null) continue;
      const end = Date.parse(credential.endDateTime);
      if (!Number.isFinite(end) || end > limit) continue;
      const expired = end <= context.now.getTime();
      const days = Math.max(0, Math.ceil((end - context.now.getTime()) / (24 * 60 * 60 * 1000)));
      const rotate =
        credential.kind === "secret"
          ? `rotate the secret: \`pulumi up --stack ${stack} --replace '${context.rotationUrn ?? "<urn of the time:Rotating resource ending in -secret-rotation; `pulumi stack --stack " + stack + " --show-urns` lists it>"}'\`, then give the connector the new secret (\`${handoff} --reveal\`)`
          : `issue a new certificate for the connector, \`pulumi config set cmic-entra-oauth:certificate --stack ${stack} < new-cert.pem\`, run \`${up}\`, then install the new certificate in the connector`;
      list.find(expiry, "expiry", {
        id: "graph.credentials.expiring",
        property: "endDateTime",
        actual: `${label} ends ${formatDate(credential.endDateTime)}`,
        message: expired ? `the ${label} has expired: the connector cannot sign in` : `the ${label} expires in ${days} day(s)`,
        fix: rotate,
      });
    }
  }
  return list.checks;
}

// ---------------------------------------------------------------------------------------------
// I/O


/** The batch's answers, or the errored check that says why there are none. */
export type AuditFetch = { ok: true; responses: Map<string, BatchResponse> } | { ok: false; checks: DriftCheck[] };

/** Send one app's `$batch`. A batch that fails as a whole becomes one errored check. */
export async function fetchAudit(stack: string, outputs: StackOutputs, options: BatchOptions & { client: Client }): Promise<AuditFetch> {
  try {
    return { ok: true, responses: await sendAuditBatch(options.client, auditRequests(outputs), options) };
  } catch (error) {
    // GraphError carries statusCode -1 when no HTTP answer came back (sign-in or network failure).
    const status = isRecord(error) && typeof error.statusCode === "number" && error.statusCode > 0 ? error.statusCode : undefined;
    const text = error instanceof Error ? error.message : String(error);
    const signIn = /AADSTS\d+(: [^.\n]*\.)?/.exec(text);
    // @azure/identity's messages run over several lines of trace ids; the first line names the cause.
    const firstLine = text.split(/\r?\n/)[0].replace(/\s*- Timestamp:.*$/, "").trim();
    const message = signIn
      ? `drift's own identity could not sign in to read Graph: ${signIn[0]}`
      : `the Graph audit request failed${status !== undefined ? ` (HTTP ${status})` : ""}: ${firstLine}`;
    const finding: DriftFinding = {
      stack,
      layer: "graph",
      id: "graph.request",
      severity: "error",
      resource: "Microsoft Graph",
      message,
      fix:
        "check the credential drift runs with (AZURE_TENANT_ID / AZURE_CLIENT_ID and a secret or workload identity federation), " +
        "that it may read applications, service principals, policies and domains, and --graph-url / CMIC_GRAPH_URL",
    };
    return { ok: false, checks: [{ layer: "graph", id: "graph.request", name: "graph: audit request succeeded", resource: "Microsoft Graph", findings: [finding] }] };
  }
}

export interface AuditOptions extends BatchOptions {
  client: Client;
  expiryDays: number;
  now?: Date;
  /** URN of the secret's rotation resource, for the fix text of an expiring secret. */
  rotationUrn?: string;
}

/** Audit one stack's app: one `$batch`, then {@link evaluateAudit}. */
export async function auditStack(stack: string, outputs: StackOutputs, options: AuditOptions): Promise<DriftCheck[]> {
  const fetched = await fetchAudit(stack, outputs, options);
  if (!fetched.ok) return fetched.checks;
  return evaluateAudit(
    { stack, outputs, expiryDays: options.expiryDays, now: options.now ?? new Date(), rotationUrn: options.rotationUrn },
    fetched.responses,
  );
}
