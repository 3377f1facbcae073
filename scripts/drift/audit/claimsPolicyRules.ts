/** Rules about the claims-mapping policy: assigned as the stack says, alone, and emitting the stack's claim. */
import type { DriftCheck } from "../report";
import { isRecord, stringField } from "./graphValues";
import { GraphCheck } from "./graphCheck";
import type { AuditSubject } from "./subject";

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

/**
 * graph.policy.assignment: the stack's policy is assigned (graph.policy.missing) and no other one is
 * (graph.policy.unexpected). Judged only when the service principal could be read.
 */
export function policyAssignmentRule(subject: AuditSubject): DriftCheck {
  const { outputs, commands, expectedPolicyId, assignedPolicies } = subject;
  const check = new GraphCheck(subject.stack, "graph.policy.assignment", "claims-mapping policy assignment", subject.labels.sp);
  if (!subject.sp) return check.result;
  if (!assignedPolicies) {
    check.couldNotRead(subject.answers.policies, "the service principal's claims-mapping policies", "Policy.Read.All");
    return check.result;
  }
  const ids = assignedPolicies.map((p) => stringField(p.id) ?? "?");
  if (expectedPolicyId && !ids.includes(expectedPolicyId)) {
    check.find("drift", {
      id: "graph.policy.missing",
      property: "claimsMappingPolicies",
      expected: expectedPolicyId,
      actual: JSON.stringify(ids),
      message:
        'the stack\'s claims-mapping policy is no longer assigned: tokens carry no `cmicuser` and CMiC answers "Missing required claim"',
      fix: `run \`${commands.up}\` to assign it again`,
    });
  }
  for (const policy of assignedPolicies) {
    const id = stringField(policy.id) ?? "?";
    if (id === expectedPolicyId) continue;
    check.find("drift", {
      id: "graph.policy.unexpected",
      property: "claimsMappingPolicies",
      expected: expectedPolicyId ?? "none (claimSource=registration)",
      actual: `${id}${stringField(policy.displayName) ? ` (${stringField(policy.displayName)})` : ""}`,
      message: expectedPolicyId
        ? "a claims-mapping policy the stack did not create is assigned: Entra refuses tokens when more than one applies, or emits its claims instead"
        : "a claims-mapping policy is assigned although this stack lets CMiC take the user from its registration",
      fix:
        `remove the assignment: \`az rest --method DELETE --url "https://graph.microsoft.com/v1.0/servicePrincipals/${outputs.servicePrincipalObjectId}/claimsMappingPolicies/${id}/$ref"\`` +
        (expectedPolicyId ? `, then run \`${commands.up}\`` : ""),
    });
  }
  return check.result;
}

/** graph.policy.claim: the stack's own policy, when assigned, still emits the stack's claim value. */
export function policyClaimRule(subject: AuditSubject): DriftCheck | null {
  const { outputs, expectedPolicyId } = subject;
  if (!subject.sp || !subject.assignedPolicies || !expectedPolicyId || outputs.cmicUserClaim === null) return null;
  const ours = subject.assignedPolicies.find((p) => p.id === expectedPolicyId);
  if (!ours) return null;
  const check = new GraphCheck(
    subject.stack,
    "graph.policy.claim",
    `claims-mapping policy emits the ${outputs.claimName} value`,
    `claims-mapping policy ${expectedPolicyId}`,
  );
  const { claims, parsed } = constantClaims(ours.definition);
  const wanted = claims.some((c) => c.claimType === outputs.claimName && c.value === outputs.cmicUserClaim);
  if (!wanted) {
    check.find("drift", {
      property: "definition",
      expected: `${outputs.claimName} = ${outputs.cmicUserClaim}`,
      actual: parsed
        ? claims.map((c) => `${c.claimType} = ${c.value}`).join(", ") || "no constant claim"
        : "a definition that is not valid policy JSON",
      message: `the policy definition no longer emits the stack's \`${outputs.claimName}\` value: CMiC would map tokens to another (or no) service user`,
      fix: `run \`${subject.commands.up}\` to restore the definition (it was edited outside Pulumi, e.g. with Microsoft Graph PowerShell)`,
    });
  }
  return check.result;
}
