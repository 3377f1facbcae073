/** The claims-mapping policy that puts the constant `cmicuser` claim in tokens, and its assignment. */
import type * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { claimsMappingDefinition } from "./claimsMapping";
import { cmicUserClaimValue } from "../contract/cmicUser";
import type { ValidatedSettings } from "./settings";

export interface ClaimsPolicyResources {
  /** The constant value the policy emits. */
  claimValue: string;
  policy: azuread.ClaimsMappingPolicy;
  assignment: azuread.ServicePrincipalClaimsMappingPolicyAssignment;
  /** The policy's object id (the provider's id is a path ending in it). */
  policyObjectId: pulumi.Output<string>;
}

/** The last segment of an azuread resource id such as `/policies/claimsMappingPolicies/<guid>`. */
export function objectIdOf(resourceId: string): string {
  return (
    resourceId
      .split("/")
      .filter((part) => part !== "")
      .pop() ?? resourceId
  );
}

/**
 * `<name>-claims-policy` and `<name>-claims-policy-assignment` on the service principal, or null
 * when CMiC takes the user from its registration (claimSource `registration`): then no claim is emitted.
 */
export function createClaimsPolicy(
  name: string,
  settings: ValidatedSettings,
  servicePrincipal: azuread.ServicePrincipal,
  parent: { parent: pulumi.Resource },
): ClaimsPolicyResources | null {
  if (settings.claimSource !== "token" || settings.serviceUser === null) return null;
  const claimValue = cmicUserClaimValue({
    deployment: settings.deployment,
    serviceUser: settings.serviceUser,
    cmicTenant: settings.cmicTenant ?? undefined,
  });
  const policy = new azuread.ClaimsMappingPolicy(
    `${name}-claims-policy`,
    {
      displayName: `${settings.displayName} ${settings.claimName}`,
      definitions: [claimsMappingDefinition(claimValue, settings.claimName)],
    },
    parent,
  );
  const assignment = new azuread.ServicePrincipalClaimsMappingPolicyAssignment(
    `${name}-claims-policy-assignment`,
    { servicePrincipalId: servicePrincipal.id, claimsMappingPolicyId: policy.id },
    parent,
  );
  return { claimValue, policy, assignment, policyObjectId: policy.id.apply(objectIdOf) };
}
