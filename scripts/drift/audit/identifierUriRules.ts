/** Rules about how the connector names the API: the scope, the Application ID URI and its domain. */
import { defaultScope } from "../../../contract/entraEndpoints";
import type { DriftCheck } from "../report";
import { GraphCheck } from "./graphCheck";
import type { AuditSubject } from "./subject";

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

/** graph.scope: the stack outputs' own consistency: the scope the connector uses must be the identifier URI's. */
export function scopeRule(subject: AuditSubject): DriftCheck {
  const { stack, outputs, commands } = subject;
  const check = new GraphCheck(stack, "graph.scope", "scope is the identifier URI + /.default", `stack ${stack} outputs`);
  const expectedScope = defaultScope(outputs.identifierUri);
  if (outputs.scope !== expectedScope) {
    check.find("drift", {
      property: "scope",
      expected: expectedScope,
      actual: outputs.scope,
      message: "the scope in the stack outputs does not belong to the identifier URI (AADSTS1002012 or a token for another API)",
      fix: `run \`${commands.up}\` with this project's current version, then give the connector the scope from \`${commands.handoff}\``,
    });
  }
  return check.result;
}

/** graph.app.identifierUri: the stack's Application ID URI is still on the app. */
export function identifierUriRule(subject: AuditSubject): DriftCheck | null {
  const { outputs, commands, identifierUris } = subject;
  if (!subject.app) return null;
  const check = new GraphCheck(subject.stack, "graph.app.identifierUri", "identifier URI is set", subject.labels.app);
  if (!identifierUris.includes(outputs.identifierUri)) {
    check.find("drift", {
      property: "identifierUris",
      expected: outputs.identifierUri,
      actual: JSON.stringify(identifierUris),
      message: "the stack's Application ID URI is gone from the app: the connector's scope no longer resolves (AADSTS500011)",
      fix: `run \`${commands.up}\` to add it back (Expose an API → Application ID URI was edited), or, if the new URI is wanted, set identifierUriFormat in the stack config, run \`${commands.up}\` and \`${commands.handoff}\``,
    });
  }
  return check.result;
}

/** graph.app.identifierUriDomain: every identifier URI of the app is on a verified domain (AADSTS501461 otherwise). */
export function identifierUriDomainRule(subject: AuditSubject): DriftCheck | null {
  const { outputs, commands, verifiedDomains } = subject;
  if (!subject.app) return null;
  const check = new GraphCheck(
    subject.stack,
    "graph.app.identifierUriDomain",
    "identifier URIs are on a verified domain",
    subject.labels.app,
  );
  if (!subject.domains) {
    check.couldNotRead(subject.answers.domains, "the tenant's domains", "Domain.Read.All");
    return check.result;
  }
  for (const uri of subject.identifierUris) {
    if (isOnVerifiedDomain(uri, verifiedDomains, outputs.clientId)) continue;
    const ours = uri === outputs.identifierUri;
    check.find("drift", {
      id: "graph.app.identifierUriOffDomain",
      property: "identifierUris",
      expected: `a host on a verified domain (${verifiedDomains.join(", ") || "none verified"})`,
      actual: uri,
      message:
        "an Application ID URI is not on a verified domain of the tenant: with mapped claims Entra refuses tokens for it (AADSTS501461)",
      fix: ours
        ? `verify the domain again (Entra admin center → Custom domain names), or set verifiedDomain / identifierUriFormat in the stack config, run \`${commands.up}\` and \`${commands.handoff}\``
        : `remove ${uri} from the app (App registrations → Expose an API → Application ID URI, or the Manifest's identifierUris)`,
    });
  }
  return check.result;
}
