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
 */
import * as pulumi from "@pulumi/pulumi";
import * as azuread from "@pulumi/azuread";
import * as command from "@pulumi/command";
import * as time from "@pulumiverse/time";
import { claimsMappingDefinition } from "./claimsMapping";
import { cmicUserClaimValue } from "../contract/cmicUser";
import {
  CLIENT_CERTIFICATE_FILE_ENV,
  CLIENT_SECRET_ENV,
  POST_DEPLOY_CHECK_COMMAND,
  STACK_OUTPUTS_ENV,
} from "../contract/postDeployCheck";
import { handoffValues, identifierUriFor, type HandoffValues } from "./registrationValues";
import type { CmicRegistrationValues, ConnectorValues, StackOutputs } from "../contract/stackOutputs";
import { validateIntegrationSettings, type IntegrationSettings, type ValidatedSettings } from "./settings";

export const COMPONENT_TYPE = "cmic-entra-oauth:index:CmicEntraIntegration";

/** The component's arguments are the stack settings; see {@link IntegrationSettings} for each field. */
export type CmicEntraIntegrationArgs = IntegrationSettings;

/** The last segment of an azuread resource id such as `/policies/claimsMappingPolicies/<guid>`. */
function objectIdOf(resourceId: string): string {
  return resourceId.split("/").filter((part) => part !== "").pop() ?? resourceId;
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
  readonly certificateExpiresAt: string | null;
  /** Fields of CMiC's API Security application registration. */
  readonly cmicRegistration: pulumi.Output<CmicRegistrationValues>;
  /** Connector settings; `clientSecret` inside stays a Pulumi secret. */
  readonly connector: { [K in keyof ConnectorValues]: pulumi.Output<ConnectorValues[K]> };
  readonly settings: ValidatedSettings;

  constructor(name: string, args: CmicEntraIntegrationArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPE, name, {}, opts);
    // Validation throws SettingsError listing every problem before any child is declared.
    const settings = validateIntegrationSettings(args, { stack: pulumi.getStack(), now: new Date() });
    this.settings = settings;
    const parent = { parent: this };

    this.tenantId = settings.tenantId
      ? pulumi.output(settings.tenantId)
      : azuread.getClientConfigOutput(parent).tenantId;
    const domain = settings.verifiedDomain
      ? pulumi.output(settings.verifiedDomain)
      : azuread.getDomainsOutput({ onlyInitial: true }, parent).apply((result) => {
          const initial = result.domains.find((d) => d.initial) ?? result.domains[0];
          if (!initial) {
            throw new Error(
              "The tenant returned no initial domain to build the Application ID URI on. " +
                "Fix: pulumi config set cmic-entra-oauth:verifiedDomain <a verified domain of the tenant>.",
            );
          }
          return initial.domainName;
        });

    const usesClaimsPolicy = settings.claimSource === "token";
    const app = new azuread.Application(
      `${name}-app`,
      {
        displayName: settings.displayName,
        signInAudience: "AzureADMyOrg",
        preventDuplicateNames: true,
        owners: settings.owners,
        api: {
          requestedAccessTokenVersion: 2,
          // Entra refuses to apply a claims-mapping policy to tokens of an app that does not accept
          // mapped claims (AADSTS50146). Without a policy there is nothing to accept.
          mappedClaimsEnabled: usesClaimsPolicy,
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

    this.identifierUri = pulumi
      .all([app.clientId, domain])
      .apply(([clientId, domainName]) => identifierUriFor(settings.identifierUriFormat, clientId, domainName));
    const identifierUri = new azuread.ApplicationIdentifierUri(
      `${name}-identifier-uri`,
      { applicationId: app.id, identifierUri: this.identifierUri },
      parent,
    );

    const servicePrincipal = new azuread.ServicePrincipal(
      `${name}-sp`,
      { clientId: app.clientId, owners: settings.owners, appRoleAssignmentRequired: false },
      { ...parent, protect: settings.protect },
    );

    const credentials: pulumi.Resource[] = [];
    const keyIds: pulumi.Output<string>[] = [];
    let password: azuread.ApplicationPassword | null = null;
    if (settings.credential !== "certificate") {
      // A rotation anchor instead of "now + lifetime": an end date computed from the clock would
      // change on every run and, since every ApplicationPassword input forces replacement, mint a
      // new secret on every `pulumi up`.
      const rotation = new time.Rotating(`${name}-secret-rotation`, { rotationDays: settings.secretLifetimeDays }, parent);
      password = new azuread.ApplicationPassword(
        `${name}-secret`,
        {
          applicationId: app.id,
          displayName: "CMiC connector (managed by Pulumi)",
          endDate: rotation.rotationRfc3339,
          rotateWhenChanged: { rotation: rotation.id },
        },
        parent,
      );
      credentials.push(password);
      keyIds.push(password.keyId);
    }
    let certificate: azuread.ApplicationCertificate | null = null;
    if (settings.certificate) {
      certificate = new azuread.ApplicationCertificate(
        `${name}-certificate`,
        {
          applicationId: app.id,
          type: "AsymmetricX509Cert",
          encoding: "pem",
          value: settings.certificate.pem,
          startDate: settings.certificate.notBefore.toISOString(),
          endDate: settings.certificate.notAfter.toISOString(),
        },
        parent,
      );
      credentials.push(certificate);
      keyIds.push(certificate.keyId);
    }

    this.cmicUserClaim = null;
    this.claimsMappingPolicyId = null;
    const claimResources: pulumi.Resource[] = [];
    if (usesClaimsPolicy && settings.serviceUser !== null) {
      this.cmicUserClaim = cmicUserClaimValue({
        deployment: settings.deployment,
        serviceUser: settings.serviceUser,
        cmicTenant: settings.cmicTenant ?? undefined,
      });
      const policy = new azuread.ClaimsMappingPolicy(
        `${name}-claims-policy`,
        {
          displayName: `${settings.displayName} ${settings.claimName}`,
          definitions: [claimsMappingDefinition(this.cmicUserClaim, settings.claimName)],
        },
        parent,
      );
      const assignment = new azuread.ServicePrincipalClaimsMappingPolicyAssignment(
        `${name}-claims-policy-assignment`,
        { servicePrincipalId: servicePrincipal.id, claimsMappingPolicyId: policy.id },
        parent,
      );
      this.claimsMappingPolicyId = policy.id.apply(objectIdOf);
      claimResources.push(policy, assignment);
    }

    this.clientId = app.clientId;
    this.applicationObjectId = app.objectId;
    this.servicePrincipalObjectId = servicePrincipal.objectId;
    // Pulumi marks `value` secret through additionalSecretOutputs; wrapping again keeps it secret
    // wherever it travels (and under mocks, which do not simulate additionalSecretOutputs).
    this.clientSecret = password ? pulumi.secret(password.value) : null;
    this.certificateThumbprint = settings.certificate?.thumbprintSha1 ?? null;
    this.certificateExpiresAt = settings.certificate?.notAfter.toISOString() ?? null;
    this.secretCreatedAt = password ? password.startDate : null;
    this.secretExpiresAt = password ? password.endDate : null;
    this.credentialKeyIds = pulumi.all(keyIds);

    const publicHandoff: pulumi.Output<HandoffValues> = pulumi
      .all([this.tenantId, app.clientId, this.identifierUri])
      .apply(([tenantId, clientId, uri]) =>
        handoffValues({
          tenantId,
          clientId,
          identifierUri: uri,
          displayName: settings.displayName,
          serviceUser: settings.serviceUser,
          clientSecret: null,
          certificateThumbprint: this.certificateThumbprint,
        }),
      );
    this.issuerUrl = publicHandoff.issuerUrl;
    this.jwksUri = publicHandoff.jwksUri;
    this.tokenUrl = publicHandoff.tokenUrl;
    this.scope = publicHandoff.scope;
    this.cmicRegistration = publicHandoff.cmicRegistration;
    this.connector = {
      tokenUrl: publicHandoff.connector.tokenUrl,
      clientId: publicHandoff.connector.clientId,
      clientSecret: this.clientSecret ?? pulumi.output(null),
      scope: publicHandoff.connector.scope,
      certificateThumbprint: pulumi.output(this.certificateThumbprint),
    };

    if (settings.postDeployCheck) {
      this.addPostDeployCheck(name, settings, {
        dependsOn: [app, identifierUri, servicePrincipal, ...credentials, ...claimResources],
        triggers: [app.clientId, identifierUri.id, ...keyIds, ...claimResources.map((r) => (r as pulumi.CustomResource).id)],
      });
    }

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
      certificateExpiresAt: this.certificateExpiresAt,
    };
  }

  /**
   * Runs `npm run verify` once the resources exist, and again whenever the app, a credential or the
   * policy changes (triggers). A failing check fails `pulumi up` with verify's diagnosis. The check
   * gets the would-be stack outputs (no secret) and the secret through its environment, which Pulumi
   * keeps secret in state; verify never prints either.
   */
  private addPostDeployCheck(
    name: string,
    settings: ValidatedSettings,
    wiring: { dependsOn: pulumi.Resource[]; triggers: pulumi.Input<string>[] },
  ): void {
    const environment: Record<string, pulumi.Input<string>> = {
      [STACK_OUTPUTS_ENV]: pulumi.jsonStringify(pulumi.output(this.stackOutputs(false))),
    };
    if (this.clientSecret) {
      environment[CLIENT_SECRET_ENV] = this.clientSecret;
    } else if (settings.postDeployCertificateFile) {
      environment[CLIENT_CERTIFICATE_FILE_ENV] = settings.postDeployCertificateFile;
    } else {
      pulumi.log.warn(
        "The post-deploy token check is skipped: with credential=certificate it needs the connector's private key. " +
          "Fix: pulumi config set cmic-entra-oauth:postDeployCertificateFile <PEM with certificate and key>, " +
          "or run `npm run verify -- --stack <stack> --certificate <file>` yourself.",
        this,
      );
      return;
    }
    new command.local.Command(
      `${name}-token-check`,
      {
        create: POST_DEPLOY_CHECK_COMMAND,
        update: POST_DEPLOY_CHECK_COMMAND,
        environment,
        triggers: wiring.triggers,
      },
      { parent: this, dependsOn: wiring.dependsOn },
    );
  }
}
