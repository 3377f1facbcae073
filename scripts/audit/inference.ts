/**
 * What a registration says about the CMiC integration it serves: where its `cmicuser` claim comes
 * from and what it holds, and the CMiC deployment that value implies. Pure; shared by the audit's
 * rules and by adoption (which turns it into stack settings).
 *
 * CMiC's own documentation ("OAuth - Client Credential Flow with CMiC", contract/cmicUser.ts):
 * Enterprise takes the plain username; Cloud `tenant||username` (two pipes) or the email-format
 * username. The Arcoro setup guide (../shared/reference/000_78a7e1c56f2dc7af.txt, step 2.5) shows
 * `tenant|username` with ONE pipe: CMiC's text wins, and a single pipe is a finding.
 */
import { constantClaims } from "../drift/audit/claimsPolicyRules";
import { CLOUD_SEPARATOR, isEmailUsername, type Deployment } from "../../contract/cmicUser";
import { stringField } from "../drift/audit/graphValues";
import { isUnreadable, type Registration } from "./registration";

export interface ConfiguredClaim {
  /** A claims-mapping policy assigned to the service principal, or the portal's Attributes & Claims. */
  source: "policy" | "portal";
  value: string;
  /** The policy's object id (source `policy`). */
  policyId?: string;
}

/**
 * The claim the app's tokens carry: a claims-mapping policy supersedes the portal's configuration
 * (https://learn.microsoft.com/en-us/entra/identity-platform/claims-customization-powershell), so
 * the policy's value wins when both exist. Null when neither emits `claimName` with a fixed value.
 */
export function configuredClaim(registration: Registration, claimName: string): ConfiguredClaim | null {
  const wanted = claimName.toLowerCase();
  if (!isUnreadable(registration.policies)) {
    for (const policy of registration.policies) {
      const claim = constantClaims(policy.definition).claims.find((c) => c.claimType.toLowerCase() === wanted);
      if (claim) return { source: "policy", value: claim.value, policyId: stringField(policy.id) };
    }
  }
  const portal = registration.portalClaims;
  if (portal && !isUnreadable(portal)) {
    const claim = portal.find((c) => c.name.toLowerCase() === wanted && c.value !== null);
    if (claim?.value) return { source: "portal", value: claim.value };
  }
  return null;
}

export interface ClaimReading {
  deployment: Deployment | null;
  serviceUser: string;
  cmicTenant?: string;
  /** What is wrong with the value as CMiC reads it; null when CMiC reads it as intended. */
  problem: { id: string; message: string; corrected: string } | null;
}

/**
 * The deployment and user a claim value names. `deployment` is null when the value alone cannot
 * tell (an email-format username is valid for Enterprise and Cloud alike).
 */
export function readClaimValue(value: string): ClaimReading {
  const trimmed = value.trim();
  if (trimmed !== value || /^["'].*["']$/.test(trimmed)) {
    const corrected = trimmed.replace(/^["']|["']$/g, "");
    return {
      ...readClaimValue(corrected),
      problem: {
        id: "audit.claim.quoted",
        message: `the value ${JSON.stringify(value)} has quotes or spaces around it, which CMiC compares as part of the username`,
        corrected,
      },
    };
  }
  if (value.includes(CLOUD_SEPARATOR)) {
    const [cmicTenant, ...rest] = value.split(CLOUD_SEPARATOR);
    return { deployment: "cloud", cmicTenant, serviceUser: rest.join(CLOUD_SEPARATOR), problem: null };
  }
  if (value.includes("|")) {
    const at = value.indexOf("|");
    const cmicTenant = value.slice(0, at).trim();
    const serviceUser = value.slice(at + 1).trim();
    const corrected = `${cmicTenant}${CLOUD_SEPARATOR}${serviceUser}`;
    return {
      deployment: "cloud",
      cmicTenant,
      serviceUser,
      problem: {
        id: "audit.claim.singlePipe",
        message: `the value '${value}' separates the CMiC Cloud tenant from the user with ONE pipe (the setup guide's example); CMiC reads 'tenant||username' with two, so it finds no such user`,
        corrected,
      },
    };
  }
  return { deployment: isEmailUsername(value) ? null : "enterprise", serviceUser: value, problem: null };
}
