/**
 * The values the two admins are handed, computed from what Entra assigned. Pure: the component runs
 * it inside `apply`, tests call it directly.
 */
import { defaultScope, issuerUrlFor, jwksUriFor, tokenUrl } from "../contract/entraEndpoints";
import type { AccessTokenVersion, AzureCloud } from "../contract/kinds";
import type { CmicRegistrationValues, ConnectorValues } from "../contract/stackOutputs";

export interface HandoffInput {
  tenantId: string;
  clientId: string;
  identifierUri: string;
  displayName: string;
  /** Entered in CMiC's registration; with claimSource=registration it is the only place CMiC learns it. */
  serviceUser: string | null;
  clientSecret: string | null;
  certificateThumbprint: string | null;
  /** The version of the tokens the app issues: CMiC must hold that version's issuer and keys. */
  accessTokenVersion: AccessTokenVersion;
  /** The tenant's cloud: every host below is that cloud's. */
  azureCloud: AzureCloud;
}

export interface HandoffValues {
  issuerUrl: string;
  jwksUri: string;
  tokenUrl: string;
  scope: string;
  cmicRegistration: CmicRegistrationValues;
  connector: ConnectorValues;
}

export function handoffValues(input: HandoffInput): HandoffValues {
  const issuer = issuerUrlFor(input.accessTokenVersion, input.tenantId, input.azureCloud);
  const keys = jwksUriFor(input.accessTokenVersion, input.tenantId, input.azureCloud);
  const token = tokenUrl(input.tenantId, input.azureCloud);
  const scope = defaultScope(input.identifierUri);
  return {
    issuerUrl: issuer,
    jwksUri: keys,
    tokenUrl: token,
    scope,
    cmicRegistration: {
      description: input.displayName,
      issuerUrl: issuer,
      applicationId: input.clientId,
      keysetUri: keys,
      serviceUser: input.serviceUser,
    },
    connector: {
      tokenUrl: token,
      clientId: input.clientId,
      clientSecret: input.clientSecret,
      scope,
      certificateThumbprint: input.certificateThumbprint,
    },
  };
}

/** Fill the Application ID URI form (`{clientId}`, `{domain}`). */
export function identifierUriFor(format: string, clientId: string, domain: string): string {
  return format.replace(/\{clientId\}/g, clientId).replace(/\{domain\}/g, domain.toLowerCase());
}
