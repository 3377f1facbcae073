/**
 * Reads the raw strings of `pulumi config` into typed settings. Only types are judged here (a
 * lifetime that is not a number, a boolean that is not true/false, owners that are not a list); the
 * rules of each setting are settingsRules.ts's job, so both entry points share one set of rules.
 */
import type { AzureCloud, ClaimSource, ConnectorProfile, CredentialKind, Deployment } from "../contract/kinds";
import { setCommand, type ProblemList } from "./settingsProblems";
import { DEFAULT_HANDOVER_DAYS, DEFAULT_SECRET_LIFETIME_DAYS } from "./settingsRules";
import type { IntegrationSettings } from "./settings";

/** Reads one raw config value; `undefined` when unset. index.ts passes `new pulumi.Config(ns).get`. */
export type ConfigReader = (key: string) => string | undefined;

/** Typed settings from config strings; a value of the wrong type is left unset and recorded in `problems`. */
export function readConfigSettings(read: ConfigReader, readTenantId: ConfigReader, problems: ProblemList): IntegrationSettings {
  const values = new ConfigValues(read, problems);
  return {
    deployment: values.text("deployment") as Deployment,
    // Pulumi.yaml declares optional settings with an empty default: empty means "not set", while
    // whitespace-only is kept so that validation can name it.
    serviceUser: values.text("serviceUser"),
    cmicTenant: values.text("cmicTenant"),
    verifiedDomain: values.text("verifiedDomain"),
    identifierUriFormat: values.text("identifierUriFormat"),
    claimSource: values.text("claimSource") as ClaimSource | undefined,
    claimName: values.text("claimName"),
    credential: values.text("credential") as CredentialKind | undefined,
    certificate: values.text("certificate"),
    secretLifetimeDays: values.integer("secretLifetimeDays"),
    handoverDays: values.integer("handoverDays"),
    displayName: values.text("displayName"),
    owners: values.list("owners"),
    protect: values.boolean("protect"),
    postDeployCheck: values.boolean("postDeployCheck"),
    postDeployCertificateFile: values.text("postDeployCertificateFile"),
    accessTokenVersion: values.integer("accessTokenVersion"),
    connectorProfile: values.text("connectorProfile") as ConnectorProfile | undefined,
    azureCloud: values.text("azureCloud") as AzureCloud | undefined,
    optionalClaims: values.list("optionalClaims"),
    tenantId: readTenantId("tenantId") || undefined,
    providerEnvironment: readTenantId("environment") || undefined,
  };
}

/** One typed reader per config type; each records a value it cannot read as that type. */
class ConfigValues {
  constructor(
    private readonly read: ConfigReader,
    private readonly problems: ProblemList,
  ) {}

  text(key: string): string | undefined {
    const value = this.read(key);
    return value === undefined || value === "" ? undefined : value;
  }

  integer(key: string): number | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    if (!/^-?\d+$/.test(value.trim())) {
      // The fix names the key's own default (each integer setting has one).
      const example = key === "handoverDays" ? DEFAULT_HANDOVER_DAYS : key === "accessTokenVersion" ? 2 : DEFAULT_SECRET_LIFETIME_DAYS;
      this.problems.add(key, `is '${value}', which is not a whole number`, setCommand(key, String(example)));
      return undefined;
    }
    return Number(value);
  }

  boolean(key: string): boolean | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    if (value === "true" || value === "false") return value === "true";
    this.problems.add(key, `is '${value}', which is not true or false`, setCommand(key, "true"));
    return undefined;
  }

  /** A JSON list of strings, or a comma-separated list. */
  list(key: string): string[] | undefined {
    const value = this.text(key);
    if (value === undefined) return undefined;
    if (!value.trim().startsWith("["))
      return value
        .split(",")
        .map((item) => item.trim())
        .filter((item) => item !== "");
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === "string")) return parsed as string[];
    } catch {
      // reported below
    }
    this.problems.add(key, `is '${value}', which is not a list of strings`, setCommand(key, `'["<guid>"]'`));
    return undefined;
  }
}
