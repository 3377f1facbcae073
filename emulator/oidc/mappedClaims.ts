/**
 * Step 5 of the token endpoint: the claims a resource's claims-mapping policy (or, without one, its
 * portal claim configuration) adds, and the key that signs its tokens (its own, when it has one,
 * else the emulator-wide key).
 */
import type { EmulatorContext } from "../context";
import { aadstsError } from "../errors";
import type { SigningKey } from "../signingKeys";
import { hostOnVerifiedDomain, sameIdentifier, type ServicePrincipal, type Tenant } from "../store";
import type { Correlation } from "./call";
import { portalClaims, replicatedPolicyClaims } from "./replication";
import type { Resource } from "./resource";

export interface TokenSigning {
  mappedClaims: Record<string, string> | undefined;
  signingKey: SigningKey;
}

function currentSigningKey(context: EmulatorContext, sp: ServicePrincipal): SigningKey | undefined {
  const now = context.store.now();
  const valid = sp.tokenSigningKeys.filter((key) => key.notBefore.getTime() <= now && key.notAfter.getTime() > now);
  return valid.find((key) => key.thumbprintHex === sp.preferredTokenSigningKeyThumbprint) ?? valid[0];
}

/** Without an app-specific key, mapped claims need acceptMappedClaims and an audience the tenant owns. */
function checkMappedClaimsAllowed(context: EmulatorContext, tenant: Tenant, resource: Resource, correlation: Correlation): void {
  if (resource.app?.api.acceptMappedClaims !== true) {
    throw aadstsError({
      status: 400,
      error: "invalid_request",
      code: 50146,
      message:
        "This application is required to be configured with an application-specific signing key. It is either not configured with one, " +
        "or the key has expired or is not yet valid. Please use Azure portal to upload a valid key and try again, or set " +
        "api.acceptMappedClaims to true on the resource application.",
      ...correlation,
    });
  }
  // The rule is about the token's audience, as Entra's message says: a v2 token's `aud` is the
  // resource's client id whatever identifier was requested, a v1 token's the identifier itself. So
  // api://<client id> passes with v2 tokens (the Arcoro guide's setup) and fails with v1 (CMiC's
  // guide's warning) (../shared/notes/entra-facts.md, second review, "501461's rule").
  const audience = resource.tokenVersion === 2 ? resource.sp.appId : resource.requested;
  const audienceIsAppId = sameIdentifier(audience, resource.sp.appId);
  if (!audienceIsAppId && !hostOnVerifiedDomain(audience, context.store.verifiedDomains(tenant))) {
    throw aadstsError({
      status: 400,
      error: "invalid_request",
      code: 501461,
      message:
        "AcceptMappedClaims is only supported for a token audience matching the application GUID or an audience within the tenant's verified domains. " +
        "Either change the resource identifier, or use an application-specific signing key to sign tokens for this application.",
      ...correlation,
    });
  }
}

export function tokenSigning(context: EmulatorContext, tenant: Tenant, resource: Resource, correlation: Correlation): TokenSigning {
  // Claims mapping: Entra only emits mapped claims to a resource that can be trusted with them. A
  // claims-mapping policy supersedes the portal's Attributes & Claims (the service principal's
  // customClaimsPolicy): https://learn.microsoft.com/en-us/entra/identity-platform/claims-customization-powershell
  const mappedClaims = replicatedPolicyClaims(context.store, resource.sp) ?? portalClaims(resource.sp);
  const appSigningKey = currentSigningKey(context, resource.sp);
  if (mappedClaims && !appSigningKey) checkMappedClaimsAllowed(context, tenant, resource, correlation);
  return { mappedClaims, signingKey: appSigningKey ?? context.signingKey };
}
