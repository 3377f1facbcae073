/**
 * Reads one app registration, ANY one (made by hand, by another tool or by this project), as
 * `npm run audit` and `npm run adopt` judge it: the application, its service principal, the
 * claims-mapping policies assigned to it, the claim configured in the portal (Enterprise
 * applications → Single sign-on → Attributes & Claims, which Graph keeps as the service principal's
 * `claimsPolicy`, a beta customClaimsPolicy:
 * https://learn.microsoft.com/en-us/graph/api/resources/customclaimspolicy?view=graph-rest-beta)
 * and the tenant's domains.
 *
 * Two v1.0 `$batch`es (the service principal is found by the app's client id, which an object id
 * alone does not give) and one beta GET. Every answer is kept as Graph gave it: the rules say
 * "could not read" rather than guess.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { CmicError, EXIT_FAILED } from "../../contract/errors";
import { sendAuditBatch, type BatchOptions } from "../drift/graphAudit";
import { isRecord, stringField, type BatchResponse } from "../drift/audit/graphValues";
import { withDeadline } from "../shared/deadline";
import { describeGraphError } from "../drift/audit/graphCheck";
import { DEFAULT_REQUEST_TIMEOUT_MS } from "../drift/defaults";

/** Which registration: by client id (Application (client) ID) or by the application's object id. */
export type RegistrationTarget = { clientId: string } | { appObjectId: string };

export interface RegistrationCredential {
  keyId: string;
  kind: "secret" | "certificate";
  owner: "application" | "service principal";
  displayName: string | null;
  startDateTime: string | null;
  endDateTime: string | null;
}

/** A claim the portal's Attributes & Claims emits with a fixed value (customClaim + valueBasedAttribute). */
export interface PortalClaim {
  name: string;
  value: string | null;
  /** The token formats it applies to (`jwt`, `saml`); empty when Graph did not say. */
  tokenFormat: string[];
}

/** An answer that could not be used, as one line: HTTP status, Graph's code and message. */
export interface Unreadable {
  unreadable: string;
}

export interface Registration {
  target: RegistrationTarget;
  /** The application object; null when Graph answered 404 (none with that id in this tenant). */
  app: Record<string, unknown> | null;
  /** The service principal (Enterprise application); null when the tenant has none for the app. */
  sp: Record<string, unknown> | null | Unreadable;
  /** Claims-mapping policies assigned to the service principal (empty without one). */
  policies: Record<string, unknown>[] | Unreadable;
  /** Claims configured in the portal; null when none is configured. */
  portalClaims: PortalClaim[] | null | Unreadable;
  verifiedDomains: string[] | Unreadable;
  credentials: RegistrationCredential[];
}

export function isUnreadable(value: unknown): value is Unreadable {
  return isRecord(value) && typeof value.unreadable === "string";
}

function collection(response: BatchResponse | undefined): Record<string, unknown>[] | Unreadable {
  if (response?.status === 200 && isRecord(response.body) && Array.isArray(response.body.value))
    return response.body.value.filter(isRecord);
  return { unreadable: describeGraphError(response) };
}

function credentialsOf(object: Record<string, unknown> | null, owner: RegistrationCredential["owner"]): RegistrationCredential[] {
  if (!object) return [];
  const read = (list: unknown, kind: RegistrationCredential["kind"]): RegistrationCredential[] =>
    (Array.isArray(list) ? list : []).filter(isRecord).flatMap((c) => {
      const keyId = stringField(c.keyId);
      return keyId
        ? [
            {
              keyId,
              kind,
              owner,
              displayName: stringField(c.displayName) ?? null,
              startDateTime: stringField(c.startDateTime) ?? null,
              endDateTime: stringField(c.endDateTime) ?? null,
            },
          ]
        : [];
    });
  return [...read(object.passwordCredentials, "secret"), ...read(object.keyCredentials, "certificate")];
}

/** The portal's claims from a customClaimsPolicy body: customClaim entries with a fixed value. */
export function portalClaimsOf(body: unknown): PortalClaim[] | null {
  if (!isRecord(body) || !Array.isArray(body.claims)) return null;
  const claims = body.claims.filter(isRecord).flatMap((claim): PortalClaim[] => {
    const name = stringField(claim.name);
    if (!name) return [];
    const configurations = Array.isArray(claim.configurations) ? claim.configurations.filter(isRecord) : [];
    const attribute = configurations.map((c) => (isRecord(c.attribute) ? c.attribute : undefined)).find((a) => a !== undefined);
    const value =
      attribute && stringField(attribute["@odata.type"])?.toLowerCase() === "#microsoft.graph.valuebasedattribute"
        ? (stringField(attribute.value) ?? null)
        : null;
    const tokenFormat = Array.isArray(claim.tokenFormat) ? claim.tokenFormat.filter((f): f is string => typeof f === "string") : [];
    return [{ name, value, tokenFormat }];
  });
  return claims.length > 0 ? claims : null;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Read the registration; throws a CmicError when Graph cannot be asked at all (sign-in, network). */
export async function readRegistration(client: Client, target: RegistrationTarget, options: BatchOptions = {}): Promise<Registration> {
  const id = "clientId" in target ? target.clientId : target.appObjectId;
  if (!GUID.test(id)) {
    throw new CmicError("ERR_AUDIT_TARGET", `'${id}' is not a GUID`, {
      fix: "give the Application (client) ID or the Object ID from App registrations → the app → Overview",
      exitCode: 2,
    });
  }
  const appUrl = "clientId" in target ? `/applications(appId='${id}')` : `/applications/${id}`;
  const first = await sendAuditBatch(
    client,
    [
      { id: "app", method: "GET", url: appUrl },
      { id: "domains", method: "GET", url: "/domains" },
    ],
    options,
  );
  const appAnswer = first.get("app");
  if (appAnswer?.status !== 200 && appAnswer?.status !== 404) {
    throw new CmicError("ERR_AUDIT_READ", `could not read the application: ${describeGraphError(appAnswer)}`, {
      fix: "check that the identity the audit signs in with may read applications (Application.Read.All, admin consent)",
      exitCode: EXIT_FAILED,
    });
  }
  const domainsAnswer = collection(first.get("domains"));
  const verifiedDomains = isUnreadable(domainsAnswer)
    ? domainsAnswer
    : domainsAnswer.filter((d) => d.isVerified === true).flatMap((d) => (typeof d.id === "string" ? [d.id] : []));
  const app = appAnswer.status === 200 && isRecord(appAnswer.body) ? appAnswer.body : null;
  if (!app) return { target, app: null, sp: null, policies: [], portalClaims: null, verifiedDomains, credentials: [] };

  const clientId = stringField(app.appId) ?? id;
  const spKey = `/servicePrincipals(appId='${clientId}')`;
  const second = await sendAuditBatch(
    client,
    [
      { id: "sp", method: "GET", url: spKey },
      { id: "policies", method: "GET", url: `${spKey}/claimsMappingPolicies` },
    ],
    options,
  );
  const spAnswer = second.get("sp");
  const sp: Registration["sp"] =
    spAnswer?.status === 200 && isRecord(spAnswer.body)
      ? spAnswer.body
      : spAnswer?.status === 404
        ? null
        : { unreadable: describeGraphError(spAnswer) };
  const policies: Registration["policies"] = sp === null ? [] : collection(second.get("policies"));
  const portalClaims = sp === null || isUnreadable(sp) ? null : await readPortalClaims(client, String(sp.id), options.requestTimeoutMs);
  return {
    target,
    app,
    sp,
    policies,
    portalClaims,
    verifiedDomains,
    credentials: [...credentialsOf(app, "application"), ...credentialsOf(sp === null || isUnreadable(sp) ? null : sp, "service principal")],
  };
}

/** The service principal's customClaimsPolicy (beta); 404 means none is configured. */
async function readPortalClaims(
  client: Client,
  spId: string,
  timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS,
): Promise<PortalClaim[] | null | Unreadable> {
  try {
    const body: unknown = await withDeadline(
      client
        .api(`/servicePrincipals/${encodeURIComponent(spId)}/claimsPolicy`)
        .version("beta")
        .get(),
      timeoutMs,
      "the Graph claimsPolicy request",
    );
    return portalClaimsOf(body);
  } catch (error) {
    const status = isRecord(error) && typeof error.statusCode === "number" ? error.statusCode : undefined;
    if (status === 404) return null;
    const code = isRecord(error) && typeof error.code === "string" ? error.code : undefined;
    const text = error instanceof Error ? error.message.split(/\r?\n/)[0] : String(error);
    return { unreadable: `Graph answered ${status ?? "nothing"}${code ? ` ${code}` : ""}: ${text}` };
  }
}
