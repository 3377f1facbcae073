/**
 * The Graph audit's rules, in the order their checks are reported (the JSON and JUnit reports and
 * the tests depend on it). Each rule is a pure function of the audit subject that returns its
 * check, or null when the check does not apply (e.g. no application to judge).
 */
import type { DriftCheck } from "../report";
import { acceptMappedClaimsRule, applicationExistsRule, optionalClaimsRule, tokenVersionRule } from "./applicationRules";
import { policyAssignmentRule, policyClaimRule } from "./claimsPolicyRules";
import {
  credentialsExpiryRule,
  credentialsPresentRule,
  credentialsPreviousRule,
  credentialsUnknownRule,
  rotationOverdueRule,
} from "./credentialRules";
import { identifierUriDomainRule, identifierUriRule, scopeRule } from "./identifierUriRules";
import { servicePrincipalExistsRule } from "./servicePrincipalRules";
import type { AuditSubject } from "./subject";

export type AuditRule = (subject: AuditSubject) => DriftCheck | null;

export const AUDIT_RULES: readonly AuditRule[] = [
  scopeRule, // graph.scope
  applicationExistsRule, // graph.app.exists (graph.app.deleted, graph.app.clientId)
  tokenVersionRule, // graph.app.tokenVersion
  acceptMappedClaimsRule, // graph.app.acceptMappedClaims
  optionalClaimsRule, // graph.app.optionalClaims (only for stacks with optionalClaims)
  identifierUriRule, // graph.app.identifierUri
  identifierUriDomainRule, // graph.app.identifierUriDomain (graph.app.identifierUriOffDomain)
  credentialsPresentRule, // graph.credentials.present (graph.credentials.missing)
  servicePrincipalExistsRule, // graph.sp.exists (graph.sp.deleted)
  policyAssignmentRule, // graph.policy.assignment (graph.policy.missing, graph.policy.unexpected)
  policyClaimRule, // graph.policy.claim
  credentialsUnknownRule, // graph.credentials.unknown
  credentialsExpiryRule, // graph.credentials.expiry (graph.credentials.expiring)
  credentialsPreviousRule, // graph.credentials.previous (graph.credentials.previous-ending)
  rotationOverdueRule, // graph.credentials.rotation (graph.credentials.rotation-overdue)
];

/** Every applicable check, in table order. */
export function runAuditRules(subject: AuditSubject, rules: readonly AuditRule[] = AUDIT_RULES): DriftCheck[] {
  return rules.flatMap((rule) => rule(subject) ?? []);
}
