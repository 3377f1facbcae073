/**
 * `npm run sandbox -- --state DIR --portal CHANGE`: a change made by hand in the Entra portal, applied
 * to the world through Microsoft Graph as the portal makes it, so that drift and the next
 * `pulumi up` can be tried on it. Each change is one an admin really makes (and a reason a CMiC
 * integration stops working). The requests are those the portal's blades send (Graph v1.0
 * application / servicePrincipal resources, learn.microsoft.com/graph/api/…).
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { CmicError, EXIT_FAILED } from "../../contract/errors";
import type { StackOutputs } from "../../contract/stackOutputs";

export const PORTAL_CHANGES = {
  "add-secret": "Certificates & secrets → New client secret (a secret the stack does not know)",
  "token-version-1": "Manifest → requestedAccessTokenVersion: 1 (tokens switch to the v1 issuer)",
  "mapped-claims-off": "Manifest → acceptMappedClaims: false (AADSTS50146 with the claims policy)",
  "unassign-policy": "the claims-mapping policy removed from the service principal (no cmicuser claim)",
  "delete-identifier-uri": "Expose an API → Application ID URI removed (the scope no longer resolves)",
  "delete-app": "App registrations → Delete (the client id CMiC knows is gone)",
  "premium-license": "Billing → Licenses: Microsoft Entra ID P1 for the tenant (Graph's sign-in reports, read by drift, appear)",
  "no-premium-license": "the tenant's Entra ID P1/P2 licence lapses (the sign-in reports answer 403)",
} as const;
export type PortalChange = keyof typeof PORTAL_CHANGES;

export function isPortalChange(value: string): value is PortalChange {
  return Object.prototype.hasOwnProperty.call(PORTAL_CHANGES, value);
}

/** The change cannot be made on this stack (e.g. no policy to unassign with claimSource registration). */
export class PortalChangeError extends CmicError {
  constructor(message: string, fix: string) {
    super("ERR_PORTAL_CHANGE", message, { fix, exitCode: EXIT_FAILED });
  }
}

/** What is changed in the tenant outside Graph: its licences (the Microsoft 365 admin center's, not Entra's). */
export interface TenantLicensing {
  setPremiumLicense(premium: boolean): void;
}

/** Apply the change; returns what was done, in a line. Never returns a secret. */
export async function applyPortalChange(
  change: PortalChange,
  graph: Client,
  outputs: StackOutputs,
  licensing: TenantLicensing,
): Promise<string> {
  const application = `/applications/${outputs.applicationObjectId}`;
  switch (change) {
    case "add-secret": {
      const added = (await graph
        .api(`${application}/addPassword`)
        .post({ passwordCredential: { displayName: "added in the portal" } })) as { keyId: string; endDateTime: string };
      return `added a client secret by hand (key id ${added.keyId}, expires ${added.endDateTime}); its value is not kept.`;
    }
    case "token-version-1":
      await graph.api(application).patch({ api: { requestedAccessTokenVersion: 1 } });
      return "set requestedAccessTokenVersion to 1.";
    case "mapped-claims-off":
      await graph.api(application).patch({ api: { acceptMappedClaims: false } });
      return "set acceptMappedClaims to false.";
    case "unassign-policy": {
      if (!outputs.claimsMappingPolicyId) {
        throw new PortalChangeError(
          "This stack has no claims-mapping policy to unassign (claimSource registration).",
          "pick another change, or a stack with claimSource token.",
        );
      }
      await graph
        .api(`/servicePrincipals/${outputs.servicePrincipalObjectId}/claimsMappingPolicies/${outputs.claimsMappingPolicyId}/$ref`)
        .delete();
      return `removed the claims-mapping policy ${outputs.claimsMappingPolicyId} from the service principal.`;
    }
    case "delete-identifier-uri": {
      const app = (await graph.api(application).select("identifierUris").get()) as { identifierUris?: string[] };
      const remaining = (app.identifierUris ?? []).filter((uri) => uri !== outputs.identifierUri);
      await graph.api(application).patch({ identifierUris: remaining });
      return `removed the Application ID URI ${outputs.identifierUri}.`;
    }
    case "delete-app":
      await graph.api(application).delete();
      return `deleted the application ${outputs.clientId}.`;
    case "premium-license":
      licensing.setPremiumLicense(true);
      return "gave the tenant Microsoft Entra ID P1: drift now reads which secret the connector signs in with.";
    case "no-premium-license":
      licensing.setPremiumLicense(false);
      return "took the tenant's Entra ID P1/P2 licence away: drift judges the previous secret by end dates.";
  }
}
