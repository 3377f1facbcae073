/**
 * Stack settings: their schema, and validation that runs once per run. Pure: no Pulumi, no network.
 *
 * Two entry points share one set of rules (settingsRules.ts):
 *  - {@link settingsFromConfig} reads the raw strings of `pulumi config` (what index.ts has), and
 *  - {@link validateIntegrationSettings} checks typed settings (what another program passes the component).
 * Both return {@link ValidatedSettings}. Every problem names the setting, what is wrong, and the
 * command that fixes it; all problems are reported at once, before any resource is touched.
 *
 * Validated once: a ValidatedSettings value can only come from this module. Its type carries a
 * brand no object literal has, and at run time this module remembers (in a WeakSet) every object
 * it validated and froze. The component validates whatever else it is given, so index.ts's
 * settings are validated once, with the one clock the run took, while settings from another
 * program — or an object that merely looks validated — are still checked before any child exists.
 */
import type { CertificateInfo } from "./certificate";
import {
  CONFIG_NAMESPACE,
  type AccessTokenVersion,
  type AzureCloud,
  type ClaimSource,
  type ConnectorProfile,
  type CredentialKind,
  type Deployment,
  type OptionalClaim,
} from "../contract/kinds";
import { readConfigSettings, type ConfigReader } from "./configSettings";
import { checkConfigKeys } from "./configKeys";
import { checkSettingFields } from "./settingsRules";
import { ProblemList, SettingsError } from "./settingsProblems";

export { CONFIG_NAMESPACE, type ClaimSource, type CredentialKind, type ConfigReader };
export {
  DEFAULT_IDENTIFIER_URI_FORMAT,
  DEFAULT_HANDOVER_DAYS,
  DEFAULT_SECRET_LIFETIME_DAYS,
  MAX_SECRET_LIFETIME_DAYS,
  isGuid,
} from "./settingsRules";
export { SettingsError, renderSettingsProblem, type SettingsProblem } from "./settingsProblems";

/** Settings of one CMiC integration, as the component takes them. */
export interface IntegrationSettings {
  /** `enterprise` (CMiC on premises) or `cloud` (CMiC Cloud); decides the `cmicuser` format. */
  deployment: Deployment;
  /** The CMiC service username (required unless `claimSource` is `registration`). */
  serviceUser?: string;
  /** CMiC Cloud tenant; required on Cloud unless `serviceUser` is an email-format username. */
  cmicTenant?: string;
  /** Domain of the Application ID URI; default: the tenant's initial `*.onmicrosoft.com` domain. */
  verifiedDomain?: string;
  /** Form of the Application ID URI; `{clientId}` and `{domain}` are filled in. Default `api://{clientId}.{domain}`. */
  identifierUriFormat?: string;
  /** `token` (default): a claims-mapping policy puts the claim in the token. `registration`: CMiC after Patch 22 takes the user from its registration. */
  claimSource?: ClaimSource;
  /** Name of the claim CMiC reads (`cmic.oauth2.user.claim.name`); default `cmicuser`. */
  claimName?: string;
  /** `secret` (default), `certificate` or `both`. */
  credential?: CredentialKind;
  /** PEM public certificate of the connector (required with `certificate` or `both`). */
  certificate?: string;
  /** Client secret lifetime in days: 1 to 730, default 180. The secret is replaced on the first `pulumi up` after it. */
  secretLifetimeDays?: number;
  /**
   * Days the secret the connector holds keeps working after its successor is issued: 0 to
   * secretLifetimeDays - 1, default 30 (capped below the lifetime). Takes effect at the next rotation.
   */
  handoverDays?: number;
  /** Display name of the Entra application; default names the stack. */
  displayName?: string;
  /** Object ids of the application's and service principal's owners. */
  owners?: string[];
  /** Protect the application from `pulumi destroy` and replacement (default true). */
  protect?: boolean;
  /** Request a token and validate it as CMiC will at the end of `pulumi up` (default true). */
  postDeployCheck?: boolean;
  /** PEM file with certificate and private key for the post-deploy check when `credential` is `certificate`. */
  postDeployCertificateFile?: string;
  /** Entra tenant id; default: the tenant the azuread provider signs in to. */
  tenantId?: string;
  /**
   * Access tokens the app issues: 2 (default) or 1. CMiC's registration gets that version's
   * Issuer URL and Keyset URI; verify and drift expect it.
   */
  accessTokenVersion?: number;
  /**
   * The connector that requests tokens: `arcoro` (default), `informatica-cai` or `generic`. It
   * decides only what the handoff sheet tells the connector admin; nothing in Entra changes.
   */
  connectorProfile?: ConnectorProfile;
  /**
   * The Entra cloud of the tenant: `public` (default), `usgovernment` or `china`. Every login and
   * Graph host of the outputs follows it; it must be the cloud the azuread provider signs in to.
   */
  azureCloud?: AzureCloud;
  /**
   * The azuread provider's `environment` (`azuread:environment`, else `ARM_ENVIRONMENT`), checked
   * against `azureCloud`: handoff values of one cloud for an app in another would all be refused.
   */
  providerEnvironment?: string;
  /**
   * Optional claims of the app's access tokens, from `ipaddr`, `email`, `upn` (CMiC's Entra guide).
   * `ipaddr` lets CMiC's IP check pass, when the connector requests the token from the very address
   * it then calls CMiC from. Default none.
   */
  optionalClaims?: readonly string[];
}

/** Settings with every default applied and every value checked: what the rules return. */
export interface SettingFields {
  deployment: Deployment;
  serviceUser: string | null;
  cmicTenant: string | null;
  verifiedDomain: string | null;
  identifierUriFormat: string;
  claimSource: ClaimSource;
  claimName: string;
  credential: CredentialKind;
  certificate: CertificateInfo | null;
  secretLifetimeDays: number;
  handoverDays: number;
  displayName: string;
  owners: readonly string[];
  protect: boolean;
  postDeployCheck: boolean;
  postDeployCertificateFile: string | null;
  tenantId: string | null;
  accessTokenVersion: AccessTokenVersion;
  connectorProfile: ConnectorProfile;
  azureCloud: AzureCloud;
  optionalClaims: readonly OptionalClaim[];
}

declare const validatedBrand: unique symbol;

/**
 * Settings this module validated: read-only, frozen, and branded so that the type system tells
 * them apart from {@link IntegrationSettings} and from hand-made look-alikes.
 */
export type ValidatedSettings = Readonly<SettingFields> & { readonly [validatedBrand]: true };

/** What validation depends on besides the settings: the stack (default display name) and the clock (certificate expiry). */
export interface ValidationContext {
  stack: string;
  now: Date;
}

/** Every object {@link validated} returned; a WeakSet so that nothing outside this module can add to it. */
const validatedObjects = new WeakSet<object>();

function validated(fields: SettingFields): ValidatedSettings {
  const frozen = Object.freeze({
    ...fields,
    owners: Object.freeze([...fields.owners]),
    optionalClaims: Object.freeze([...fields.optionalClaims]),
  });
  validatedObjects.add(frozen);
  return frozen as unknown as ValidatedSettings;
}

/** True only for settings this module validated in this process (a cast or a copy does not count). */
export function isValidatedSettings(settings: IntegrationSettings | ValidatedSettings): settings is ValidatedSettings {
  return validatedObjects.has(settings);
}

/** Run every rule; throw SettingsError with what `problems` already holds plus every rule's problem, or return the validated settings. */
function validateAll(input: IntegrationSettings, context: ValidationContext, problems: ProblemList): ValidatedSettings {
  const fields = checkSettingFields(input, context, problems);
  if (!problems.isEmpty || fields === null) throw new SettingsError([...problems.records]);
  return validated(fields);
}

/** Check typed settings and apply defaults. `stack` names the default display name; `now` decides certificate expiry. */
export function validateIntegrationSettings(input: IntegrationSettings, context: ValidationContext): ValidatedSettings {
  return validateAll(input, context, new ProblemList());
}

/**
 * Parse the raw strings of the stack config into typed settings and validate them, so that a bad
 * value fails the program before anything is declared. Type errors (a lifetime that is not a number,
 * a boolean that is not true/false, owners that are not a list) are reported first, together with
 * the rule violations. The result is validated: the component takes it as it is.
 */
export function settingsFromConfig(
  read: ConfigReader,
  readTenantId: ConfigReader,
  context: ValidationContext,
  keys?: ConfigKeys,
): ValidatedSettings {
  const problems = new ProblemList();
  if (keys) for (const warning of checkConfigKeys(keys.all, problems)) keys.warn(warning);
  const typed = readConfigSettings(read, readTenantId, problems);
  return validateAll(typed, context, problems);
}

/** Every key of the stack's config (`pulumi.runtime.allConfig()`), and where warnings go. */
export interface ConfigKeys {
  all: readonly string[];
  warn: (message: string) => void;
}
