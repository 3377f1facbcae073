/** Rules about the app registration itself: it exists, keeps its client id, asks for the stack's token version and accepts mapped claims. */
import { issuerUrlFor, jwksUriFor } from "../../../contract/entraEndpoints";
import type { DriftCheck } from "../report";
import { isRecord } from "./graphValues";
import { GraphCheck } from "./graphCheck";
import type { AuditSubject } from "./subject";

/** graph.app.exists: deleted (404), unreadable, or now carrying another client id. */
export function applicationExistsRule(subject: AuditSubject): DriftCheck {
  const { app, outputs, commands } = subject;
  const check = new GraphCheck(subject.stack, "graph.app.exists", "application exists", subject.labels.app);
  if (subject.answers.app?.status === 404) {
    check.find("drift", {
      id: "graph.app.deleted",
      message: "the application was deleted: every token request of the connector fails (AADSTS700016)",
      fix:
        "restore it within 30 days in the Entra admin center → App registrations → Deleted applications (this keeps the client id, " +
        `so CMiC and the connector need no change), then run \`${commands.up}\`; otherwise \`${commands.up}\` creates a new app and you hand its values over with \`${commands.handoff}\``,
    });
  } else if (!app) {
    check.couldNotRead(subject.answers.app, "the application", "Application.Read.All");
  } else if (typeof app.appId === "string" && app.appId.toLowerCase() !== outputs.clientId.toLowerCase()) {
    check.find("drift", {
      id: "graph.app.clientId",
      property: "appId",
      expected: outputs.clientId,
      actual: app.appId,
      message: "the application object now has another client id: the stack outputs point at a different app",
      fix: `run \`${commands.up}\`, then hand the values over again with \`${commands.handoff}\``,
    });
  }
  return check.result;
}

function apiOf(app: Record<string, unknown>): Record<string, unknown> {
  return isRecord(app.api) ? app.api : {};
}

/**
 * graph.app.tokenVersion: CMiC registered the issuer and keys of the stack's token version
 * (`accessTokenVersion`, in the outputs), so the app must keep asking for that version. Entra reads
 * null as v1 (https://learn.microsoft.com/en-us/entra/identity-platform/reference-microsoft-graph-app-manifest#api-attribute).
 */
export function tokenVersionRule(subject: AuditSubject): DriftCheck | null {
  if (!subject.app) return null;
  const api = apiOf(subject.app);
  const wanted = subject.outputs.accessTokenVersion;
  const issued = api.requestedAccessTokenVersion === 2 ? 2 : 1;
  const check = new GraphCheck(subject.stack, "graph.app.tokenVersion", `access tokens are v${wanted}`, subject.labels.app);
  if (issued !== wanted) {
    const registered = subject.outputs.cmicRegistration;
    check.find("drift", {
      property: "api.requestedAccessTokenVersion",
      expected: String(wanted),
      actual: JSON.stringify(api.requestedAccessTokenVersion ?? null),
      message:
        `the app now gets v${issued} tokens (issuer ${issuerUrlFor(issued, subject.outputs.tenantId, subject.outputs.azureCloud)}), which CMiC rejects: ` +
        `its registration holds the v${wanted} Issuer URL ${registered.issuerUrl} and Keyset URI ${registered.keysetUri}`,
      fix:
        `run \`${subject.commands.up}\` to set requestedAccessTokenVersion back to ${wanted} (Manifest → "requestedAccessTokenVersion" in the portal was changed); ` +
        `to keep v${issued} tokens instead, set cmic-entra-oauth:accessTokenVersion to ${issued}, run \`${subject.commands.up}\`, and change CMiC's registration to ` +
        `Issuer URL ${issuerUrlFor(issued, subject.outputs.tenantId, subject.outputs.azureCloud)} and Keyset URI ${jwksUriFor(issued, subject.outputs.tenantId, subject.outputs.azureCloud)}`,
    });
  }
  return check.result;
}

/** graph.app.acceptMappedClaims: only when the claim is in the token (claimSource token). */
export function acceptMappedClaimsRule(subject: AuditSubject): DriftCheck | null {
  if (!subject.app || subject.outputs.claimSource !== "token") return null;
  const api = apiOf(subject.app);
  const check = new GraphCheck(subject.stack, "graph.app.acceptMappedClaims", "mapped claims are accepted", subject.labels.app);
  if (api.acceptMappedClaims !== true) {
    check.find("drift", {
      property: "api.acceptMappedClaims",
      expected: "true",
      actual: JSON.stringify(api.acceptMappedClaims ?? null),
      message: "the app no longer accepts mapped claims: token requests fail with AADSTS50146 and CMiC gets no `cmicuser`",
      fix: `run \`${subject.commands.up}\` to turn acceptMappedClaims back on`,
    });
  }
  return check.result;
}

/**
 * graph.app.optionalClaims: the access-token optional claims the stack asks for (`optionalClaims`)
 * are still on the app (Graph's optionalClaims.accessToken, https://learn.microsoft.com/graph/api/resources/optionalclaims).
 * Only for stacks that ask for some; a claim someone added is no finding (the Pulumi layer shows it).
 */
export function optionalClaimsRule(subject: AuditSubject): DriftCheck | null {
  const wanted = subject.outputs.optionalClaims;
  if (!subject.app || wanted.length === 0) return null;
  const optional = isRecord(subject.app.optionalClaims) ? subject.app.optionalClaims : {};
  const listed = (Array.isArray(optional.accessToken) ? optional.accessToken : [])
    .filter(isRecord)
    .map((claim) => claim.name)
    .filter((name): name is string => typeof name === "string");
  const missing = wanted.filter((name) => !listed.includes(name));
  const check = new GraphCheck(subject.stack, "graph.app.optionalClaims", `access tokens ask for ${wanted.join(", ")}`, subject.labels.app);
  if (missing.length > 0) {
    check.find("drift", {
      property: "optionalClaims.accessToken",
      expected: wanted.join(", "),
      actual: listed.length > 0 ? listed.join(", ") : "(none)",
      message:
        `the app no longer asks for ${missing.join(", ")} in its access tokens (Token configuration in the portal was changed)` +
        (missing.includes("ipaddr")
          ? `: tokens carry no ipaddr, so CMiC's IP check (cmic.oauth2.ipcheck.enabled) refuses them with "Client validation failed (ip check)"`
          : ""),
      fix: `run \`${subject.commands.up}\` to put ${missing.join(", ")} back`,
    });
  }
  return check.result;
}
