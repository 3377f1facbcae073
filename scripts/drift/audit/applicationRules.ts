/** Rules about the app registration itself: it exists, keeps its client id, asks for v2 tokens and accepts mapped claims. */
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

/** graph.app.tokenVersion: CMiC registered the v2 issuer, so the app must keep asking for v2 tokens. */
export function tokenVersionRule(subject: AuditSubject): DriftCheck | null {
  if (!subject.app) return null;
  const api = apiOf(subject.app);
  const check = new GraphCheck(subject.stack, "graph.app.tokenVersion", "access tokens are v2", subject.labels.app);
  if (api.requestedAccessTokenVersion !== 2) {
    check.find("drift", {
      property: "api.requestedAccessTokenVersion",
      expected: "2",
      actual: JSON.stringify(api.requestedAccessTokenVersion ?? null),
      message:
        "the app now gets v1 tokens (issuer https://sts.windows.net/<tenant>/), which CMiC rejects because it registered the v2 issuer",
      fix: `run \`${subject.commands.up}\` to set requestedAccessTokenVersion back to 2 (Manifest → "requestedAccessTokenVersion" in the portal was changed)`,
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
