/**
 * The stack outputs: the one contract between `pulumi up` and every tool that reads a deployed
 * stack (verify, handoff, drift, sandbox). The component produces exactly this shape; the tools
 * read it back with {@link parseStackOutputs}, so a renamed output breaks loudly in one place.
 */

import { CmicError, EXIT_FAILED } from "./errors";
import {
  AZURE_CLOUDS,
  CLAIM_SOURCES,
  CONNECTOR_PROFILES,
  CREDENTIAL_KINDS,
  DEFAULT_AZURE_CLOUD,
  DEFAULT_CLAIM_NAME,
  DEFAULT_CONNECTOR_PROFILE,
  DEPLOYMENTS,
  type AccessTokenVersion,
  type AzureCloud,
  type ClaimSource,
  type ConnectorProfile,
  type CredentialKind,
  type Deployment,
} from "./kinds";

export type { AccessTokenVersion, AzureCloud, ClaimSource, ConnectorProfile, CredentialKind, Deployment };

/** The fields of CMiC's API Security → Application Registration form. */
export interface CmicRegistrationValues {
  /** Friendly name for the registration (the Entra app's display name). */
  description: string;
  /** Issuer URL: `https://login.microsoftonline.com/<tenant>/v2.0` (v2, public cloud). */
  issuerUrl: string;
  /** Application ID: the Entra application (client) id. */
  applicationId: string;
  /** Keyset ID: the JWKS URI CMiC fetches signing keys from. */
  keysetUri: string;
  /** CMiC service user. With `claimSource=registration` (after Patch 22) it must be entered here. */
  serviceUser: string | null;
}

/** What the connector (e.g. Arcoro's Integration module) is configured with. */
export interface ConnectorValues {
  tokenUrl: string;
  clientId: string;
  /** Present only when a client secret exists and secrets were revealed to the reader. */
  clientSecret: string | null;
  scope: string;
  certificateThumbprint: string | null;
}

export interface StackOutputs {
  tenantId: string;
  clientId: string;
  applicationObjectId: string;
  servicePrincipalObjectId: string;
  identifierUri: string;
  issuerUrl: string;
  jwksUri: string;
  tokenUrl: string;
  scope: string;
  /** The constant value of the `cmicuser` claim, or null when the claim is not put in the token. */
  cmicUserClaim: string | null;
  /** Name of the claim (CMiC's `cmic.oauth2.user.claim.name`), `cmicuser` unless changed. */
  claimName: string;
  /** The client secret; null when there is none or when it was read without `--show-secrets`. */
  clientSecret: string | null;
  /** SHA-1 thumbprint (uppercase hex) of the certificate credential, if any. */
  certificateThumbprint: string | null;
  cmicRegistration: CmicRegistrationValues;
  connector: ConnectorValues;
  deployment: Deployment;
  claimSource: ClaimSource;
  credential: CredentialKind;
  /** Id of the claims-mapping policy the stack assigns; null with `claimSource=registration`. */
  claimsMappingPolicyId: string | null;
  /** keyIds of every credential the stack created (passwords and certificates). */
  credentialKeyIds: string[];
  /** When the client secret was created (RFC 3339); starts the propagation window. */
  secretCreatedAt: string | null;
  secretExpiresAt: string | null;
  /** keyId of the current client secret (the one `clientSecret` holds); null without a secret. */
  secretKeyId: string | null;
  /** The rotation date: the first `pulumi up` after it issues the next secret (docs/rotation-design.md). */
  secretRotatesAt: string | null;
  /** The handover window the current secret was issued with, in days. */
  secretHandoverDays: number | null;
  /**
   * By when the connector must use the current secret: its issue plus the handover window. The
   * secret it replaced, if any, keeps working at least until then (its exact end date is in
   * Entra; `npm run handoff` reads it).
   */
  connectorSwitchBy: string | null;
  certificateExpiresAt: string | null;
  /** The access-token version the app issues (the setting); CMiC's registration holds its issuer and keys. */
  accessTokenVersion: AccessTokenVersion;
  /** The connector the handoff sheet's connector section is written for (the setting). */
  connectorProfile: ConnectorProfile;
  /** The tenant's Entra cloud: the hosts of issuerUrl, jwksUri and tokenUrl, and where Graph is read. */
  azureCloud: AzureCloud;
  /** The access-token optional claims the app asks for (the setting): `ipaddr`, `email`, `upn`. */
  optionalClaims: string[];
}

/** `pulumi stack output --json` prints this in place of a secret unless `--show-secrets` is given. */
export const REDACTED_SECRET = "[secret]";

/** The outputs were read but are not this project's shape; `problems` lists each wrong output. */
export class StackOutputsError extends CmicError {
  constructor(readonly problems: string[]) {
    super("ERR_STACK_OUTPUTS", `The stack outputs are not the ones this project writes:\n  - ${problems.join("\n  - ")}`, {
      fix: "run `pulumi up` with this project's current version so the stack exports every output, or pass the missing values as flags.",
      exitCode: EXIT_FAILED,
    });
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

class Reader {
  readonly problems: string[] = [];
  constructor(
    private readonly source: Json,
    private readonly prefix = "",
  ) {}

  string(key: string): string {
    const value = this.source[key];
    if (typeof value === "string" && value.length > 0) return value;
    this.problems.push(`\`${this.prefix}${key}\` is ${value === undefined ? "missing" : "not a non-empty string"}`);
    return "";
  }

  nullableString(key: string): string | null {
    const value = this.source[key];
    if (value === undefined || value === null || value === "") return null;
    if (typeof value === "string") return value;
    this.problems.push(`\`${this.prefix}${key}\` must be a string or null`);
    return null;
  }

  /** A secret output: absent, null and the CLI's "[secret]" placeholder all read as "not available". */
  secret(key: string): string | null {
    const value = this.nullableString(key);
    return value === REDACTED_SECRET ? null : value;
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const value = this.source[key];
    if (value === undefined) return fallback;
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`\`${this.prefix}${key}\` must be one of ${allowed.join(", ")}`);
    return fallback;
  }

  nullableNumber(key: string): number | null {
    const value = this.source[key];
    if (value === undefined || value === null) return null;
    if (typeof value === "number" && Number.isFinite(value)) return value;
    this.problems.push(`\`${this.prefix}${key}\` must be a number or null`);
    return null;
  }

  stringArray(key: string): string[] {
    const value = this.source[key];
    if (value === undefined || value === null) return [];
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
    this.problems.push(`\`${this.prefix}${key}\` must be an array of strings`);
    return [];
  }

  object(key: string): Reader {
    const value = this.source[key];
    if (!isObject(value)) {
      this.problems.push(`\`${this.prefix}${key}\` is missing or not an object`);
      return new Reader({}, `${this.prefix}${key}.`);
    }
    return new Reader(value, `${this.prefix}${key}.`);
  }
}

/** Validate and type the JSON printed by `pulumi stack output --json` (or saved from it). */
export function parseStackOutputs(json: unknown): StackOutputs {
  if (!isObject(json)) throw new StackOutputsError(["the outputs are not a JSON object"]);
  const r = new Reader(json);
  const reg = r.object("cmicRegistration");
  const con = r.object("connector");
  const outputs: StackOutputs = {
    tenantId: r.string("tenantId"),
    clientId: r.string("clientId"),
    applicationObjectId: r.string("applicationObjectId"),
    servicePrincipalObjectId: r.string("servicePrincipalObjectId"),
    identifierUri: r.string("identifierUri"),
    issuerUrl: r.string("issuerUrl"),
    jwksUri: r.string("jwksUri"),
    tokenUrl: r.string("tokenUrl"),
    scope: r.string("scope"),
    cmicUserClaim: r.nullableString("cmicUserClaim"),
    claimName: r.nullableString("claimName") ?? DEFAULT_CLAIM_NAME,
    clientSecret: r.secret("clientSecret"),
    certificateThumbprint: r.nullableString("certificateThumbprint"),
    cmicRegistration: {
      description: reg.string("description"),
      issuerUrl: reg.string("issuerUrl"),
      applicationId: reg.string("applicationId"),
      keysetUri: reg.string("keysetUri"),
      serviceUser: reg.nullableString("serviceUser"),
    },
    connector: {
      tokenUrl: con.string("tokenUrl"),
      clientId: con.string("clientId"),
      clientSecret: con.secret("clientSecret"),
      scope: con.string("scope"),
      certificateThumbprint: con.nullableString("certificateThumbprint"),
    },
    deployment: r.oneOf("deployment", DEPLOYMENTS, "enterprise"),
    claimSource: r.oneOf("claimSource", CLAIM_SOURCES, "token"),
    credential: r.oneOf("credential", CREDENTIAL_KINDS, "secret"),
    // Absent from stacks deployed before the setting existed: they were handed to Arcoro's form.
    connectorProfile: r.oneOf("connectorProfile", CONNECTOR_PROFILES, DEFAULT_CONNECTOR_PROFILE),
    // Absent from stacks deployed before the setting existed (all in the public cloud), and from
    // the post-deploy check's input of a public-cloud stack.
    azureCloud: r.oneOf("azureCloud", AZURE_CLOUDS, DEFAULT_AZURE_CLOUD),
    // Absent from stacks deployed before the setting, and from a check's input without claims: none.
    optionalClaims: r.stringArray("optionalClaims"),
    claimsMappingPolicyId: r.nullableString("claimsMappingPolicyId"),
    credentialKeyIds: r.stringArray("credentialKeyIds"),
    secretCreatedAt: r.nullableString("secretCreatedAt"),
    secretExpiresAt: r.nullableString("secretExpiresAt"),
    certificateExpiresAt: r.nullableString("certificateExpiresAt"),
    // Absent from stacks deployed before rotation without outage: null, as with no secret.
    secretKeyId: r.nullableString("secretKeyId"),
    secretRotatesAt: r.nullableString("secretRotatesAt"),
    secretHandoverDays: r.nullableNumber("secretHandoverDays"),
    connectorSwitchBy: r.nullableString("connectorSwitchBy"),
    // Absent from stacks deployed before the setting existed: they all issued v2 tokens.
    accessTokenVersion: 2,
  };
  const version = r.nullableNumber("accessTokenVersion");
  if (version === 1 || version === 2) outputs.accessTokenVersion = version;
  const versionProblem = version === null || version === 1 || version === 2 ? [] : [`accessTokenVersion is ${version}, not 1 or 2`];
  const problems = [...r.problems, ...reg.problems, ...con.problems, ...versionProblem];
  if (problems.length > 0) throw new StackOutputsError(problems);
  return outputs;
}
