/**
 * What CMiC needs of an app registration, checked on ANY registration (the troubleshooting phase of
 * the manual guide, done by a tool). The same requirements the drift audit holds a stack to
 * (scripts/drift/audit/), stated against CMiC rather than against a stack's outputs: token version,
 * acceptMappedClaims, the identifier URI and the audience Entra accepts mapped claims for, the
 * service principal, the claim and its value, the policies assigned, the portal's claim
 * configuration, the credentials and their expiry. Pure: the same registration and clock give the
 * same findings.
 *
 * Sources: AADSTS50146 / 501461 and the audience rule (../shared/notes/entra-facts.md, second
 * review; emulator/oidc/mappedClaims.ts cites Entra's message); v1/v2 issuer and keys (CMiC's "How
 * to Get Issuer and jwks_uri", contract/entraEndpoints.ts); one claims-mapping policy per service
 * principal (https://learn.microsoft.com/en-us/graph/api/serviceprincipal-post-claimsmappingpolicies);
 * the policy supersedes the portal's claims (claims-customization-powershell).
 */
import { issuerUrlFor, jwksUriFor } from "../../contract/entraEndpoints";
import { identifierUriHost, isOnVerifiedDomain } from "../drift/audit/identifierUriRules";
import { stringField, isRecord } from "../drift/audit/graphValues";
import { configuredClaim, readClaimValue, type ConfiguredClaim } from "./inference";
import { isUnreadable, type Registration, type RegistrationCredential } from "./registration";

export type AuditSeverity = "error" | "warning" | "info";

export interface AuditFinding {
  /** Stable, safe to match on (`audit.app.tokenVersion`). */
  id: string;
  /** `error`: CMiC calls fail (or will); `warning`: works now but breaks on a likely change; `info`: worth knowing. */
  severity: AuditSeverity;
  /** What the finding is about: `application <clientId>`, `service principal <id>`, `client secret <keyId>`. */
  subject: string;
  /** The cause, in a sentence. */
  message: string;
  fix: string;
}

export interface AuditInput {
  registration: Registration;
  tenantId: string;
  claimName: string;
  now: Date;
  expiryDays: number;
}

const DAY_MS = 86_400_000;

function label(credential: RegistrationCredential): string {
  return `${credential.kind === "secret" ? "client secret" : "certificate"} ${credential.keyId}${credential.displayName ? ` ("${credential.displayName}")` : ""}`;
}

function day(iso: string): string {
  return iso.replace(/\.\d+Z$/, "Z");
}

/** The token version the app issues: `requestedAccessTokenVersion` 2, else v1 (null and 1 alike). */
export function issuedTokenVersion(app: Record<string, unknown>): 1 | 2 {
  const api = isRecord(app.api) ? app.api : {};
  return api.requestedAccessTokenVersion === 2 ? 2 : 1;
}

/** Every finding, most serious first within each group, groups in the order CMiC meets them. */
export function auditRegistration(input: AuditInput): AuditFinding[] {
  const { registration, tenantId } = input;
  const findings: AuditFinding[] = [];
  const app = registration.app;
  const target =
    "clientId" in registration.target ? `client id ${registration.target.clientId}` : `object id ${registration.target.appObjectId}`;
  if (!app) {
    findings.push({
      id: "audit.app.notFound",
      severity: "error",
      subject: `application ${target}`,
      message: `tenant ${tenantId} has no app registration with ${target}: it was deleted, or it lives in another tenant (every token request then fails with AADSTS700016)`,
      fix: "check the Directory (tenant) ID and the Application (client) ID on the app's Overview page, and run the audit with those",
    });
    return findings;
  }
  const clientId = stringField(app.appId) ?? "?";
  const subject = `application ${clientId}`;
  const api = isRecord(app.api) ? app.api : {};
  const version = issuedTokenVersion(app);
  const claim = configuredClaim(registration, input.claimName);

  // The audience.
  const audience = stringField(app.signInAudience) ?? "AzureADMyOrg";
  if (audience !== "AzureADMyOrg") {
    findings.push({
      id: "audit.app.multiTenant",
      severity: api.acceptMappedClaims === true ? "error" : "warning",
      subject,
      message:
        `the app is multi-tenant (signInAudience ${audience})` +
        (api.acceptMappedClaims === true
          ? ": with acceptMappedClaims, any tenant that consents to it can have Entra put its own claims in tokens for it, including cmicuser"
          : ": CMiC's integration needs only this tenant"),
      fix: "Entra admin center → App registrations → the app → Authentication → Supported account types: Accounts in this organizational directory only",
    });
  }

  // Token version: what CMiC's registration must hold.
  const v1 = { issuer: issuerUrlFor(1, tenantId), keys: jwksUriFor(1, tenantId) };
  const v2 = { issuer: issuerUrlFor(2, tenantId), keys: jwksUriFor(2, tenantId) };
  if (version === 1) {
    findings.push({
      id: "audit.app.tokenVersion",
      severity: "warning",
      subject,
      message:
        `the app issues v1 access tokens (requestedAccessTokenVersion ${JSON.stringify(api.requestedAccessTokenVersion ?? null)}): iss is ${v1.issuer} and aud the Application ID URI, ` +
        `so CMiC's registration must hold Issuer URL ${v1.issuer} and Keyset URI ${v1.keys} (CMiC's own guide); a registration made from the Arcoro guide's v2 values answers "Application not registered"`,
      fix:
        `set requestedAccessTokenVersion to 2 (App registrations → the app → Manifest), then change CMiC's registration (API Security → Application Registration) to Issuer URL ${v2.issuer} and Keyset URI ${v2.keys}; ` +
        "or keep v1 and keep CMiC's v1 values",
    });
  }

  // Mapped claims need acceptance, then an audience Entra trusts with them.
  if (claim && api.acceptMappedClaims !== true) {
    findings.push({
      id: "audit.app.acceptMappedClaims",
      severity: "error",
      subject,
      message: `the app has a ${input.claimName} claim configured (${claim.source === "policy" ? "a claims-mapping policy" : "the portal's Attributes & Claims"}) but does not accept mapped claims (acceptMappedClaims ${JSON.stringify(api.acceptMappedClaims ?? null)}): every token request fails with AADSTS50146`,
      fix: "set acceptMappedClaims to true (App registrations → the app → Manifest → api.acceptMappedClaims)",
    });
  }
  const identifierUris = Array.isArray(app.identifierUris) ? app.identifierUris.filter((u): u is string => typeof u === "string") : [];
  const domains = registration.verifiedDomains;
  if (identifierUris.length === 0) {
    findings.push({
      id: "audit.app.identifierUri",
      severity: version === 1 ? "error" : "warning",
      subject,
      message:
        "the app has no Application ID URI (Expose an API): " +
        (version === 1
          ? "a v1 client cannot name it as the resource, and the connector's scope `api://…/.default` does not resolve (AADSTS500011)"
          : `only the scope ${clientId}/.default names it`),
      fix: "add one on a verified domain of the tenant (Expose an API → Application ID URI → api://<client id>.<your domain>)",
    });
  } else if (isUnreadable(domains)) {
    findings.push({
      id: "audit.unreadable",
      severity: "error",
      subject: `tenant ${tenantId}`,
      message: `could not read the tenant's domains, so the identifier URIs could not be judged: ${domains.unreadable}`,
      fix: "grant the audit's identity Domain.Read.All (admin consent)",
    });
  } else {
    for (const uri of identifierUris) {
      const host = identifierUriHost(uri) ?? "";
      const onDomain = isOnVerifiedDomain(uri, domains, "");
      if (onDomain) continue;
      const isGuidHost = host === clientId.toLowerCase();
      // In v2 tokens aud is the client id, which Entra accepts with mapped claims; in v1 it is this URI.
      const refused = claim !== null && version === 1;
      findings.push({
        id: "audit.app.identifierUriOffDomain",
        severity: refused ? "error" : claim !== null ? "warning" : "info",
        subject,
        message:
          `the Application ID URI ${uri} is not on a verified domain of the tenant (${domains.join(", ") || "none verified"})` +
          (refused
            ? `: with v1 tokens its value is the token's audience, and Entra refuses mapped claims for it (AADSTS501461)`
            : claim !== null
              ? `: it works while tokens are v2 (their audience is the client id), and fails with AADSTS501461 if they become v1`
              : "") +
          (isGuidHost ? " (the portal's default api://<client id>, as the setup guide accepts it)" : ""),
        fix: `add an Application ID URI on a verified domain (api://${clientId}.${domains[0] ?? "<verified domain>"}), give the connector the scope <that URI>/.default, then remove ${uri}`,
      });
    }
  }

  // The service principal, its policies and the claim.
  const sp = registration.sp;
  if (sp === null) {
    findings.push({
      id: "audit.sp.missing",
      severity: "error",
      subject,
      message:
        "the app has no service principal (Enterprise application) in the tenant: no token can be issued to it or for it (AADSTS7000229), and no claim can be assigned",
      fix: `create it: \`az ad sp create --id ${clientId}\``,
    });
  } else if (isUnreadable(sp)) {
    findings.push({
      id: "audit.unreadable",
      severity: "error",
      subject,
      message: `could not read the service principal: ${sp.unreadable}`,
      fix: "grant the audit's identity Application.Read.All (admin consent)",
    });
  }
  const spSubject = sp && !isUnreadable(sp) ? `service principal ${stringField(sp.id) ?? "?"}` : subject;
  if (isUnreadable(registration.policies)) {
    findings.push({
      id: "audit.unreadable",
      severity: "error",
      subject: spSubject,
      message: `could not read the claims-mapping policies: ${registration.policies.unreadable}`,
      fix: "grant the audit's identity Policy.Read.All (admin consent)",
    });
  } else if (registration.policies.length > 1) {
    findings.push({
      id: "audit.policy.multiple",
      severity: "error",
      subject: spSubject,
      message: `${registration.policies.length} claims-mapping policies are assigned (${registration.policies.map((p) => stringField(p.id)).join(", ")}): Entra refuses token requests for a resource with more than one`,
      fix: "keep one: remove the others' assignments (`az rest --method DELETE --url https://graph.microsoft.com/v1.0/servicePrincipals/<sp id>/claimsMappingPolicies/<policy id>/$ref`)",
    });
  }
  if (isUnreadable(registration.portalClaims)) {
    findings.push({
      id: "audit.unreadable",
      severity: "warning",
      subject: spSubject,
      message: `could not read the portal's claim configuration (Attributes & Claims): ${registration.portalClaims.unreadable}`,
      fix: "grant the audit's identity Policy.Read.ApplicationConfiguration to see it",
    });
  }
  findings.push(...claimFindings(input, claim, spSubject));
  findings.push(...credentialFindings(input, subject));
  return findings;
}

function claimFindings(input: AuditInput, claim: ConfiguredClaim | null, subject: string): AuditFinding[] {
  const findings: AuditFinding[] = [];
  const portal = input.registration.portalClaims;
  const portalValue =
    portal && !isUnreadable(portal) ? portal.find((c) => c.name.toLowerCase() === input.claimName.toLowerCase()) : undefined;
  if (!claim) {
    findings.push({
      id: "audit.claim.missing",
      severity: "error",
      subject,
      message: `tokens carry no ${input.claimName} claim: CMiC cannot tell which service user the connector is ("Missing required claim"), unless CMiC (Patch 22 or later) takes the user from its registration`,
      fix: `emit it with a claims-mapping policy (what this project does: npm run adopt), or set the service user in CMiC's registration`,
    });
    return findings;
  }
  if (claim.source === "policy" && portalValue) {
    findings.push({
      id: "audit.claim.portalOverridden",
      severity: "warning",
      subject,
      message: `the portal's Attributes & Claims also sets ${input.claimName} (${JSON.stringify(portalValue.value)}), but the claims-mapping policy supersedes it: tokens carry ${JSON.stringify(claim.value)}, and an admin editing the portal changes nothing`,
      fix: "delete the claim from Enterprise applications → the app → Single sign-on → Attributes & Claims, so only the policy says what the token holds",
    });
  } else if (claim.source === "portal") {
    findings.push({
      id: "audit.claim.portal",
      severity: "info",
      subject,
      message: `${input.claimName} comes from the portal's Attributes & Claims (${JSON.stringify(claim.value)}), which any admin can change without a trace in code`,
      fix: "bring it under a claims-mapping policy (npm run adopt does, and the policy then supersedes the portal's claim)",
    });
  }
  const reading = readClaimValue(claim.value);
  if (reading.problem) {
    findings.push({
      id: reading.problem.id,
      severity: "error",
      subject,
      message: `${reading.problem.message}: CMiC answers that the user does not exist`,
      fix: `make the value '${reading.problem.corrected}' (${claim.source === "policy" ? "the claims-mapping policy's definition" : "Attributes & Claims"})`,
    });
  }
  return findings;
}

function credentialFindings(input: AuditInput, subject: string): AuditFinding[] {
  const findings: AuditFinding[] = [];
  const now = input.now.getTime();
  const credentials = input.registration.credentials;
  const valid = credentials.filter((c) => c.endDateTime === null || Date.parse(c.endDateTime) > now);
  if (valid.length === 0) {
    findings.push({
      id: "audit.credentials.none",
      severity: "error",
      subject,
      message:
        credentials.length === 0
          ? "the app has no client secret or certificate: the connector cannot sign in"
          : "every client secret and certificate of the app has expired: the connector cannot sign in (AADSTS7000222)",
      fix: "add a client secret (Certificates & secrets → New client secret) or let npm run adopt issue a managed one, and give it to the connector",
    });
  }
  for (const credential of credentials) {
    const end = credential.endDateTime === null ? Number.POSITIVE_INFINITY : Date.parse(credential.endDateTime);
    if (end <= now) {
      findings.push({
        id: "audit.credentials.expired",
        severity: "info",
        subject: label(credential),
        message: `the ${label(credential)} ended ${day(credential.endDateTime ?? "")}; Entra refuses it`,
        fix: `remove it once nobody expects it to work: \`az ad app credential delete --id <client id> --key-id ${credential.keyId}${credential.kind === "certificate" ? " --cert" : ""}\``,
      });
    } else if (end <= now + input.expiryDays * DAY_MS) {
      findings.push({
        id: "audit.credentials.expiring",
        severity: "warning",
        subject: label(credential),
        message: `the ${label(credential)} ends ${day(credential.endDateTime ?? "")}, in ${Math.ceil((end - now) / DAY_MS)} day(s): a connector using it stops then`,
        fix: "issue its successor before then and hand it to the connector (npm run adopt brings the app under rotation without outage)",
      });
    }
    if (credential.owner === "service principal") {
      findings.push({
        id: "audit.credentials.onServicePrincipal",
        severity: "warning",
        subject: label(credential),
        message: `the ${label(credential)} is on the service principal, where the portal does not show it: whoever holds it can get tokens as the connector`,
        fix: `if nobody needs it, remove it: \`az ad sp credential delete --id <service principal id> --key-id ${credential.keyId}\``,
      });
    }
  }
  const validSecrets = valid.filter((c) => c.kind === "secret");
  if (validSecrets.length > 1) {
    findings.push({
      id: "audit.credentials.several",
      severity: "info",
      subject,
      message: `${validSecrets.length} client secrets are valid (${validSecrets.map((c) => c.keyId).join(", ")}): each lets whoever holds it sign in as the connector`,
      fix: "find the one the connector uses (Entra sign-in logs → Service principal sign-ins, or Graph's credential sign-in activity), and remove the others once it has switched",
    });
  }
  return findings;
}
