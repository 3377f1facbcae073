/**
 * The config a new customer stack gets, and its validation by the program's own rules: the values
 * are laid out as Pulumi.<stack>.yaml holds them, flattened the way `pulumi config` hands them to
 * the program (components/stack.ts), and run through `settingsFromConfig` with the stack name and
 * a clock, so a file this tool writes is one `pulumi up` accepts. No rule is repeated here; the
 * only checks of its own are the stack name (a Pulumi rule, not a setting) and the settings→flag
 * mapping that tells the user which flag to change.
 */
import { CmicError, EXIT_USAGE, UsageError } from "../../contract/errors";
import { AZURE_CLOUDS, CONFIG_NAMESPACE, isOneOf, type ClaimSource, type CredentialKind, type Deployment } from "../../contract/kinds";
import { CLOUD_HOSTS } from "../../contract/entraEndpoints";
import { renderSettingsProblem, SettingsError, settingsFromConfig, type ValidatedSettings } from "../../components/settings";

/** What the user asked for: flags (and prompt answers), before any rule has judged them. */
export interface NewCustomerInput {
  stack: string;
  tenantId: string;
  deployment: Deployment | string;
  serviceUser?: string;
  cmicTenant?: string;
  verifiedDomain?: string;
  claimSource?: ClaimSource | string;
  credential?: CredentialKind | string;
  /** The PEM text of --certificate-file (public certificate only; the rules refuse a private key). */
  certificate?: string;
  displayName?: string;
  owners?: readonly string[];
  secretLifetimeDays?: number;
  handoverDays?: number;
  accessTokenVersion?: number;
  connectorProfile?: string;
  /** The tenant's cloud; a sovereign one also sets the azuread provider's environment. */
  azureCloud?: string;
  optionalClaims?: readonly string[];
}

/** A value of the stack file's `config:` map: strings (numbers quoted, as Pulumi.dev.yaml has them), owners a list. */
export type StackConfigValue = string | readonly string[];
export type StackConfig = Readonly<Record<string, StackConfigValue>>;

/** Each setting and the flag that sets it, in the order Pulumi.dev.yaml lists them (the file is written in this order). */
export const SETTING_FLAGS = [
  ["tenantId", "--tenant-id"],
  ["deployment", "--deployment"],
  ["serviceUser", "--service-user"],
  ["cmicTenant", "--cmic-tenant"],
  ["verifiedDomain", "--verified-domain"],
  ["claimSource", "--claim-source"],
  ["credential", "--credential"],
  ["certificate", "--certificate-file"],
  ["secretLifetimeDays", "--secret-lifetime-days"],
  ["handoverDays", "--handover-days"],
  ["displayName", "--display-name"],
  ["owners", "--owner"],
  ["accessTokenVersion", "--access-token-version"],
  ["connectorProfile", "--connector-profile"],
  ["azureCloud", "--azure-cloud"],
  ["optionalClaims", "--optional-claim"],
] as const;

type SettingName = (typeof SETTING_FLAGS)[number][0];

/** `azuread:tenantId` for the tenant (the provider's own key, which the program reads too), `cmic-entra-oauth:<name>` for the rest. */
export function configKey(setting: SettingName): string {
  return setting === "tenantId" ? "azuread:tenantId" : `${CONFIG_NAMESPACE}:${setting}`;
}

/**
 * Pulumi's rule for a stack name: letters, digits, `-`, `_`, `.`, at most 100 characters
 * (https://www.pulumi.com/docs/iac/concepts/stacks/: "Stack names may only contain alphanumeric
 * characters, hyphens, underscores, or periods"; the 100-character limit is the CLI's own message,
 * "stack names are limited to 100 characters and may only contain alphanumeric, hyphens,
 * underscores, or periods"). The name also ends up in a file name, Pulumi.<stack>.yaml, so only
 * the plain name is taken, not `org/stack`.
 */
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function checkStackName(stack: string): void {
  if (STACK_NAME.test(stack)) return;
  const qualified = stack.includes("/");
  throw new UsageError(
    `--stack '${stack}' is not a Pulumi stack name: stack names are at most 100 characters of letters, digits, '-', '_' and '.'` +
      (qualified ? " (give the stack's own name, not org/stack: the file is Pulumi.<stack>.yaml either way)." : "."),
    "pick a name such as acme-prod (https://www.pulumi.com/docs/iac/concepts/stacks/).",
  );
}

/** The stack file's config, only what was given: anything left out takes the default Pulumi.yaml declares. */
export function stackConfigFrom(input: NewCustomerInput): StackConfig {
  const values: Record<SettingName, StackConfigValue | undefined> = {
    tenantId: input.tenantId,
    deployment: input.deployment,
    serviceUser: input.serviceUser,
    cmicTenant: input.cmicTenant,
    verifiedDomain: input.verifiedDomain,
    claimSource: input.claimSource,
    credential: input.credential,
    certificate: input.certificate,
    // Quoted strings, as `pulumi config set` stores numbers and Pulumi.dev.yaml shows them.
    secretLifetimeDays: input.secretLifetimeDays === undefined ? undefined : String(input.secretLifetimeDays),
    handoverDays: input.handoverDays === undefined ? undefined : String(input.handoverDays),
    displayName: input.displayName,
    owners: input.owners !== undefined && input.owners.length > 0 ? [...input.owners] : undefined,
    accessTokenVersion: input.accessTokenVersion === undefined ? undefined : String(input.accessTokenVersion),
    connectorProfile: input.connectorProfile,
    azureCloud: input.azureCloud,
    optionalClaims: input.optionalClaims !== undefined && input.optionalClaims.length > 0 ? [...input.optionalClaims] : undefined,
  };
  const config: Record<string, StackConfigValue> = {};
  for (const [setting] of SETTING_FLAGS) {
    const value = values[setting];
    if (value !== undefined) config[configKey(setting)] = value;
  }
  // The provider must sign in to the same cloud (settingsRules.ts checkAzureCloud): the stack file says so.
  if (isOneOf(AZURE_CLOUDS, input.azureCloud) && input.azureCloud !== "public") {
    config["azuread:environment"] = CLOUD_HOSTS[input.azureCloud].providerEnvironments[0];
  }
  return config;
}

/** A config value as `pulumi config` hands it to the program: lists (structured config) as JSON text. */
function flatten(value: StackConfigValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Invalid settings: every problem, each with the flag that changes it; exit 2, nothing written. */
export class NewCustomerSettingsError extends CmicError {
  constructor(
    stack: string,
    readonly problems: SettingsError["problems"],
  ) {
    super(
      "ERR_SETTINGS",
      `the settings for stack ${stack} are invalid, so nothing was written:\n` +
        problems.map((problem) => `  - ${renderSettingsProblem(problem)}${flagHint(problem.key)}`).join("\n"),
      {
        // Each problem's fix is the program's own (a `pulumi config set` command); here the flag is the lever.
        fix: "run again with the flags named above corrected (each problem's `pulumi config set` is what the same change would be in the stack file).",
        exitCode: EXIT_USAGE,
      },
    );
  }
}

function flagHint(key: string): string {
  const flag = SETTING_FLAGS.find(([setting]) => setting === key)?.[1];
  return flag ? ` [flag: ${flag}]` : "";
}

/**
 * Validate the config exactly as `pulumi up` will (components/stack.ts): the same readers, the key
 * check, the stack name for the default display name, and the clock for the certificate's dates.
 */
export function validateStackConfig(stack: string, config: StackConfig, now: Date): ValidatedSettings {
  const flat = new Map(Object.entries(config).map(([key, value]) => [key, flatten(value)]));
  try {
    return settingsFromConfig(
      (key) => flat.get(`${CONFIG_NAMESPACE}:${key}`),
      (key) => flat.get(`azuread:${key}`),
      { stack, now },
      // Every key is one stackConfigFrom names, so a look-alike-namespace warning would be this tool's bug.
      {
        all: [...flat.keys()],
        warn: (warning) => {
          throw new Error(`new-customer wrote a key the program does not read: ${warning}`);
        },
      },
    );
  } catch (error) {
    if (error instanceof SettingsError) throw new NewCustomerSettingsError(stack, error.problems);
    throw error;
  }
}
