/**
 * The Pulumi program: one CMiC integration per stack.
 * Reads and validates the stack settings, creates the component (components/stack.ts), and exports
 * its outputs one by one: Pulumi turns the module's exports into stack outputs.
 */
import { defineCmicStack } from "./components/stack";

const outputs = defineCmicStack();
export const tenantId = outputs.tenantId;
export const clientId = outputs.clientId;
export const applicationObjectId = outputs.applicationObjectId;
export const servicePrincipalObjectId = outputs.servicePrincipalObjectId;
export const identifierUri = outputs.identifierUri;
export const issuerUrl = outputs.issuerUrl;
export const jwksUri = outputs.jwksUri;
export const tokenUrl = outputs.tokenUrl;
export const scope = outputs.scope;
export const cmicUserClaim = outputs.cmicUserClaim;
export const claimName = outputs.claimName;
export const clientSecret = outputs.clientSecret;
export const certificateThumbprint = outputs.certificateThumbprint;
export const cmicRegistration = outputs.cmicRegistration;
export const connector = outputs.connector;
export const deployment = outputs.deployment;
export const claimSource = outputs.claimSource;
export const credential = outputs.credential;
export const claimsMappingPolicyId = outputs.claimsMappingPolicyId;
export const credentialKeyIds = outputs.credentialKeyIds;
export const secretCreatedAt = outputs.secretCreatedAt;
export const secretExpiresAt = outputs.secretExpiresAt;
export const secretKeyId = outputs.secretKeyId;
export const secretRotatesAt = outputs.secretRotatesAt;
export const secretHandoverDays = outputs.secretHandoverDays;
export const connectorSwitchBy = outputs.connectorSwitchBy;
export const certificateExpiresAt = outputs.certificateExpiresAt;
export const accessTokenVersion = outputs.accessTokenVersion;
export const connectorProfile = outputs.connectorProfile;
export const azureCloud = outputs.azureCloud;
export const optionalClaims = outputs.optionalClaims;
