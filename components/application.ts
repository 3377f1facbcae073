/**
 * The app registration, its Application ID URI and its service principal: what the connector
 * requests tokens for.
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import { identifierUriFor } from "./registrationValues";
import { identifierUriOnDomain } from "./settingsRules";
import type { ValidatedSettings } from "./settings";

export interface ApplicationResources {
  app: azuread.Application;
  /** The Application ID URI's value (the resource below owns it in Entra). */
  identifierUri: pulumi.Output<string>;
  identifierUriResource: azuread.ApplicationIdentifierUri;
  servicePrincipal: azuread.ServicePrincipal;
}

/** `<name>-app`, `<name>-identifier-uri` and `<name>-sp`, in that order. */
export function createApplication(
  name: string,
  settings: ValidatedSettings,
  domain: pulumi.Output<string>,
  parent: { parent: pulumi.Resource },
): ApplicationResources {
  const app = new azuread.Application(
    `${name}-app`,
    {
      displayName: settings.displayName,
      signInAudience: "AzureADMyOrg",
      preventDuplicateNames: true,
      owners: [...settings.owners],
      // CMiC's guide: ipaddr (its IP check), email, upn. Left out when none, as apps had it before.
      ...(settings.optionalClaims.length > 0
        ? { optionalClaims: { accessTokens: settings.optionalClaims.map((name) => ({ name })) } }
        : {}),
      api: {
        // CMiC registers the issuer and keys of this version (registrationValues.ts); both follow the setting.
        requestedAccessTokenVersion: settings.accessTokenVersion,
        // Entra refuses to apply a claims-mapping policy to tokens of an app that does not accept
        // mapped claims (AADSTS50146). It stays on after a switch to claimSource registration while
        // the URI is on the verified domain (where accepting them is safe, AADSTS501461): Pulumi
        // updates the app before it deletes the policy (deletes come last), so turning it off in the
        // same update would fail every token request until the policy is gone — including the
        // post-deploy check, which would then fail every later run too.
        mappedClaimsEnabled: settings.claimSource === "token" || identifierUriOnDomain(settings.identifierUriFormat),
      },
    },
    {
      ...parent,
      protect: settings.protect,
      // The identifier URI contains the client id Entra assigns, so a separate resource owns it;
      // without this, the next update of the application would delete the URI (pulumi-azuread#1036).
      ignoreChanges: ["identifierUris"],
    },
  );

  const identifierUri = pulumi
    .all([app.clientId, domain])
    .apply(([clientId, domainName]) => identifierUriFor(settings.identifierUriFormat, clientId, domainName));
  const identifierUriResource = new azuread.ApplicationIdentifierUri(
    `${name}-identifier-uri`,
    { applicationId: app.id, identifierUri },
    parent,
  );

  const servicePrincipal = new azuread.ServicePrincipal(
    `${name}-sp`,
    { clientId: app.clientId, owners: [...settings.owners], appRoleAssignmentRequired: false },
    { ...parent, protect: settings.protect },
  );
  return { app, identifierUri, identifierUriResource, servicePrincipal };
}
