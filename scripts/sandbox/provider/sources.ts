/**
 * Where the models' rules come from: the upstream sources at the versions this project pins
 * (package.json: @pulumi/azuread 6.9.1 = terraform-provider-azuread v3.8.0, @pulumiverse/time 0.1.1 =
 * terraform-provider-time v0.12.1, @pulumi/command 1.2.1 = pulumi-command v1.2.1). Each model lists
 * the ones it follows in `sources`, and docs/provider-model.md tabulates them per property.
 */
const AZUREAD = "hashicorp/terraform-provider-azuread@v3.8.0";
const TIME = "hashicorp/terraform-provider-time@v0.12.1";
const COMMAND = "pulumi/pulumi-command@v1.2.1";

export const SOURCES = {
  application: `${AZUREAD} internal/services/applications/application_resource.go`,
  applicationHelpers: `${AZUREAD} internal/services/applications/applications.go`,
  applicationSchema: `${AZUREAD} internal/services/applications/schema.go`,
  identifierUri: `${AZUREAD} internal/services/applications/application_identifier_uri_resource.go`,
  identifierUriId: `${AZUREAD} internal/services/applications/parse/identifier_uri.go`,
  password: `${AZUREAD} internal/services/applications/application_password_resource.go`,
  certificate: `${AZUREAD} internal/services/applications/application_certificate_resource.go`,
  credentialIds: `${AZUREAD} internal/services/applications/parse/credentials.go, parse/object.go`,
  credentials: `${AZUREAD} internal/helpers/credentials/credentials.go`,
  importErrors: `${AZUREAD} internal/helpers/tf/errors.go`,
  typedResourceRead: `${AZUREAD} internal/sdk/wrapper_resource.go (Create is followed by Read), internal/sdk/resource.go (MarkAsGone, ResourceRequiresImport)`,
  servicePrincipal: `${AZUREAD} internal/services/serviceprincipals/service_principal_resource.go`,
  claimsMappingPolicy: `${AZUREAD} internal/services/policies/claims_mapping_policy_resource.go`,
  assignment: `${AZUREAD} internal/services/serviceprincipals/service_principal_claims_mapping_policy_assignment_resource.go`,
  graphIds: `${AZUREAD} vendor/github.com/hashicorp/go-azure-sdk/microsoft-graph/common-types/stable/id_*.go (ID() formats)`,
  graphBaseUri: `${AZUREAD} vendor/github.com/hashicorp/go-azure-sdk/sdk/client/msgraph/client.go (BaseUri = <endpoint>/v1.0)`,
  assignmentRequests: `${AZUREAD} vendor/github.com/hashicorp/go-azure-sdk/microsoft-graph/serviceprincipals/stable/claimsmappingpolicy/method_{add,remove}claimsmappingpolicyref.go`,
  sdkv2Diff: `${AZUREAD} vendor/github.com/hashicorp/terraform-plugin-sdk/v2/helper/schema/schema.go (schemaMap.diffString: an absent Optional value is the type's zero; removed && Computed → no diff)`,
  rotating: `${TIME} internal/provider/resource_time_rotating.go`,
  rotatingOutdated: `${TIME} internal/modifiers/timemodifier/replace_if_outdated.go`,
  frameworkPlan:
    "hashicorp/terraform-plugin-framework@v1.11.0 (terraform-provider-time v0.12.1's go.mod) internal/fwserver/server_planresourcechange.go " +
    "(MarkComputedNilsAsUnknown on any change), resource/schema/stringplanmodifier/requires_replace_if.go (skipped when plan = state)",
  command: `${COMMAND} provider/pkg/provider/local/commandController.go (Create, Update, Delete)`,
  commandInputs: `${COMMAND} provider/pkg/provider/common/inputs.go (Triggers: provider:"replaceOnChanges"), provider/pkg/provider/local/base.go`,
  commandRun: `${COMMAND} provider/pkg/provider/local/commandOutputs.go (run: environment, PULUMI_COMMAND_STDOUT/STDERR, trailing newline trimmed)`,
  commandDiff:
    "pulumi/pulumi-go-provider@v1.3.0 (pulumi-command v1.2.1's go.mod) infer/resource.go (derivedResourceController.Diff: old inputs vs new inputs, " +
    "a change is an update; replaceOnChanges keys replace)",
  commandSdk: "@pulumi/command 1.2.1 local/command.js (the SDK adds the resource option replaceOnChanges: ['triggers[*]'])",
  bridgeDiff:
    "pulumi/pulumi-terraform-bridge@v3.96.0…v3.136.0 pkg/tfbridge/provider.go (Provider.Diff: a detailed-diff key is trimmed to its top-level " +
    "property; RequiresNew → replaces)",
  bridgeNames:
    "pulumi/pulumi-terraform-bridge@v3.136.0 pkg/tfbridge/internal/naming/naming.go (snake_case → camelCase; lists and sets without MaxItems 1 " +
    "are pluralised: definition → definitions; MaxItems 1 blocks become objects: api)",
} as const;
