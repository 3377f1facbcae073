/**
 * CmicEntraIntegration: everything an Azure admin does by hand in the Entra portal for a CMiC
 * client-credentials integration, as one Pulumi component.
 *
 * Children (logical names derive from the component name and are public API: renaming one replaces
 * the resource in Entra):
 *   <name>-app                  azuread.Application (single tenant, v2 tokens, mapped claims accepted)
 *   <name>-identifier-uri       azuread.ApplicationIdentifierUri (api://<client-id>.<verified domain>)
 *   <name>-sp                   azuread.ServicePrincipal
 *   <name>-secret-rotation      time.Rotating (the stable anchor of the secret's end date)
 *   <name>-secret               azuread.ApplicationPassword           (credential secret | both)
 *   <name>-certificate          azuread.ApplicationCertificate        (credential certificate | both)
 *   <name>-claims-policy        azuread.ClaimsMappingPolicy           (claimSource token)
 *   <name>-claims-policy-assignment                                    (claimSource token)
 *   <name>-token-check          command.local.Command: the post-deploy token check (postDeployCheck)
 *
 * The class only wires: each group of children is made by a builder in its own module that returns
 * a plain record of what it created (tenant.ts, application.ts, credentials.ts with
 * secretCredential.ts and certificateCredential.ts, claimsPolicy.ts, tokenCheck.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { createApplication, type ApplicationResources } from "./application";
import { createClaimsPolicy, type ClaimsPolicyResources } from "./claimsPolicy";
import { createCredentials, type CredentialResources } from "./credentials";
import { handoffValues, type HandoffValues } from "./registrationValues";
import { isValidatedSettings, validateIntegrationSettings, type IntegrationSettings, type ValidatedSettings } from "./settings";
import { resolveTenant } from "./tenant";
import { createTokenCheck } from "./tokenCheck";
import type { CmicRegistrationValues, ConnectorValues, StackOutputs } from "../contract/stackOutputs";
import { COMPONENT_TYPE } from "../contract/kinds";

export { COMPONENT_TYPE };

/**
 * The component's arguments are the stack settings; see {@link IntegrationSettings} for each field.
 * Settings from `settingsFromConfig` or `validateIntegrationSettings` ({@link ValidatedSettings}) are
 * taken as they are; any other value is validated by the constructor.
 */
export type CmicEntraIntegrationArgs = IntegrationSettings | ValidatedSettings;

/**
 * Validated exactly once per run. index.ts's settings were validated by settingsFromConfig with the
 * run's one clock, and only this process's settings module can have made them (see settings.ts):
 * validating again would only read the clock a second time. Anything else — another program's
 * typed settings, or an object that merely looks validated — is validated here, before any child
 * is declared: the component never trusts its input. Throws SettingsError listing every problem.
 */
function settingsOf(args: CmicEntraIntegrationArgs): ValidatedSettings {
  if (isValidatedSettings(args)) return args;
  return validateIntegrationSettings(args, { stack: pulumi.getStack(), now: new Date() });
}

export class CmicEntraIntegration extends pulumi.ComponentResource {
  readonly tenantId: pulumi.Output<string>;
  readonly clientId: pulumi.Output<string>;
  readonly applicationObjectId: pulumi.Output<string>;
  readonly servicePrincipalObjectId: pulumi.Output<string>;
  readonly identifierUri: pulumi.Output<string>;
  readonly issuerUrl: pulumi.Output<string>;
  readonly jwksUri: pulumi.Output<string>;
  readonly tokenUrl: pulumi.Output<string>;
  readonly scope: pulumi.Output<string>;
  /** Constant `cmicuser` value; null when CMiC takes the user from its registration. */
  readonly cmicUserClaim: string | null;
  /** The client secret, a Pulumi secret; null without a secret credential. */
  readonly clientSecret: pulumi.Output<string> | null;
  readonly certificateThumbprint: string | null;
  readonly claimsMappingPolicyId: pulumi.Output<string> | null;
  readonly credentialKeyIds: pulumi.Output<string[]>;
  readonly secretCreatedAt: pulumi.Output<string> | null;
  readonly secretExpiresAt: pulumi.Output<string> | null;
  readonly secretKeyId: pulumi.Output<string> | null;
  readonly secretRotatesAt: pulumi.Output<string> | null;
  readonly secretHandoverDays: pulumi.Output<number> | null;
  readonly connectorSwitchBy: pulumi.Output<string> | null;
  readonly certificateExpiresAt: string | null;
  /** Fields of CMiC's API Security application registration. */
  readonly cmicRegistration: pulumi.Output<CmicRegistrationValues>;
  /** Connector settings; `clientSecret` inside stays a Pulumi secret. */
  readonly connector: { [K in keyof ConnectorValues]: pulumi.Output<ConnectorValues[K]> };
  readonly settings: ValidatedSettings;

  constructor(name: string, args: CmicEntraIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPE, name, {}, opts);
    const settings = settingsOf(args);
    this.settings = settings;
    const parent = { parent: this };

    // Pulumi orders the operations by their inputs; the builders only decide what exists.
    const tenant = resolveTenant(settings, parent);
    const application = createApplication(name, settings, tenant.domain, parent);
    const credentials = createCredentials(name, settings, application.app.id, parent);
    const claims = createClaimsPolicy(name, settings, application.servicePrincipal, parent);
    const secret = credentials.secret;

    this.tenantId = tenant.tenantId;
    this.identifierUri = application.identifierUri;
    this.clientId = application.app.clientId;
    this.applicationObjectId = application.app.objectId;
    this.servicePrincipalObjectId = application.servicePrincipal.objectId;
    this.cmicUserClaim = claims?.claimValue ?? null;
    this.claimsMappingPolicyId = claims?.policyObjectId ?? null;
    // Pulumi marks `value` secret through additionalSecretOutputs; wrapping again keeps it secret
    // wherever it travels (and under mocks, which do not simulate additionalSecretOutputs).
    this.clientSecret = secret ? pulumi.secret(secret.password.value) : null;
    this.certificateThumbprint = settings.certificate?.thumbprintSha1 ?? null;
    this.certificateExpiresAt = settings.certificate?.notAfter.toISOString() ?? null;
    this.secretCreatedAt = secret ? secret.password.startDate : null;
    this.secretExpiresAt = secret ? secret.password.endDate : null;
    this.secretKeyId = secret ? secret.password.keyId : null;
    this.secretRotatesAt = secret ? secret.rotation.rotationRfc3339 : null;
    this.secretHandoverDays = secret ? secret.handoverDays : null;
    this.connectorSwitchBy = secret ? secret.connectorSwitchBy : null;
    this.credentialKeyIds = pulumi.all(credentials.keyIds);

    const handoff = publicHandoff(this.tenantId, this.clientId, this.identifierUri, settings, this.certificateThumbprint);
    this.issuerUrl = handoff.issuerUrl;
    this.jwksUri = handoff.jwksUri;
    this.tokenUrl = handoff.tokenUrl;
    this.scope = handoff.scope;
    this.cmicRegistration = handoff.cmicRegistration;
    this.connector = {
      tokenUrl: handoff.connector.tokenUrl,
      clientId: handoff.connector.clientId,
      clientSecret: this.clientSecret ?? pulumi.output(null),
      scope: handoff.connector.scope,
      certificateThumbprint: pulumi.output(this.certificateThumbprint),
    };

    if (settings.postDeployCheck) this.addTokenCheck(name, application, credentials, claims);

    this.registerOutputs({
      clientId: this.clientId,
      identifierUri: this.identifierUri,
      scope: this.scope,
      cmicRegistration: this.cmicRegistration,
    });
  }

  /**
   * The stack outputs this component defines. With `includeSecrets` false the client secret is left
   * out (null), which is how the post-deploy check receives them.
   */
  stackOutputs(includeSecrets = true): { [K in keyof StackOutputs]: pulumi.Input<unknown> } {
    const clientSecret = includeSecrets ? this.clientSecret : null;
    return {
      tenantId: this.tenantId,
      clientId: this.clientId,
      applicationObjectId: this.applicationObjectId,
      servicePrincipalObjectId: this.servicePrincipalObjectId,
      identifierUri: this.identifierUri,
      issuerUrl: this.issuerUrl,
      jwksUri: this.jwksUri,
      tokenUrl: this.tokenUrl,
      scope: this.scope,
      cmicUserClaim: this.cmicUserClaim,
      claimName: this.settings.claimName,
      clientSecret,
      certificateThumbprint: this.certificateThumbprint,
      cmicRegistration: this.cmicRegistration,
      connector: { ...this.connector, clientSecret },
      deployment: this.settings.deployment,
      claimSource: this.settings.claimSource,
      credential: this.settings.credential,
      claimsMappingPolicyId: this.claimsMappingPolicyId,
      credentialKeyIds: this.credentialKeyIds,
      secretCreatedAt: this.secretCreatedAt,
      secretExpiresAt: this.secretExpiresAt,
      secretKeyId: this.secretKeyId,
      secretRotatesAt: this.secretRotatesAt,
      secretHandoverDays: this.secretHandoverDays,
      connectorSwitchBy: this.connectorSwitchBy,
      certificateExpiresAt: this.certificateExpiresAt,
      accessTokenVersion: this.settings.accessTokenVersion,
      connectorProfile: this.settings.connectorProfile,
      azureCloud: this.settings.azureCloud,
      optionalClaims: [...this.settings.optionalClaims],
    };
  }

  /** The post-deploy check, after every resource it checks and again whenever one of them changes. */
  private addTokenCheck(
    name: string,
    application: ApplicationResources,
    credentials: CredentialResources,
    claims: ClaimsPolicyResources | null,
  ): void {
    const { app, identifierUriResource, servicePrincipal } = application;
    const claimResources = claims ? [claims.policy, claims.assignment] : [];
    // The connector profile shapes only the handoff sheet: changing it must not run the check again.
    // The cloud is left out when public, as stacks deployed before the setting read it: their
    // check's input stays what it was, so an upgrade does not run it again.
    const { connectorProfile: _handoffOnly, azureCloud, optionalClaims, ...checked } = this.stackOutputs(false);
    const checkedOutputs = {
      ...checked,
      ...(this.settings.azureCloud !== "public" ? { azureCloud } : {}),
      ...(this.settings.optionalClaims.length > 0 ? { optionalClaims } : {}),
    };
    createTokenCheck(
      name,
      { stackOutputs: checkedOutputs, clientSecret: this.clientSecret, certificateFile: this.settings.postDeployCertificateFile },
      {
        parent: this,
        dependsOn: [app, identifierUriResource, servicePrincipal, ...credentials.resources, ...claimResources],
        // The token version changes the issuer CMiC must hold: a switch is checked again too.
        triggers: [
          app.clientId,
          identifierUriResource.id,
          ...credentials.keyIds,
          ...claimResources.map((resource) => resource.id),
          `accessTokenVersion=${this.settings.accessTokenVersion}`,
          // New claims change the token: checked again. None adds nothing (stacks from before keep their triggers).
          ...(this.settings.optionalClaims.length > 0 ? [`optionalClaims=${this.settings.optionalClaims.join(",")}`] : []),
        ],
      },
    );
  }
}

/** The handoff values without the secret (the connector's secret is added by the component, kept secret). */
function publicHandoff(
  tenantId: pulumi.Output<string>,
  clientId: pulumi.Output<string>,
  identifierUri: pulumi.Output<string>,
  settings: ValidatedSettings,
  certificateThumbprint: string | null,
): pulumi.Output<HandoffValues> {
  return pulumi.all([tenantId, clientId, identifierUri]).apply(([tenant, client, uri]) =>
    handoffValues({
      tenantId: tenant,
      clientId: client,
      identifierUri: uri,
      displayName: settings.displayName,
      serviceUser: settings.serviceUser,
      clientSecret: null,
      certificateThumbprint,
      accessTokenVersion: settings.accessTokenVersion,
      azureCloud: settings.azureCloud,
    }),
  );
}
