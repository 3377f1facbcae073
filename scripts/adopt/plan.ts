/**
 * Adoption of a hand-made app registration, decided from what Graph shows (scripts/audit/): the
 * stack settings that keep what the admin made (client id, display name, claim value, domain), the
 * Pulumi import file that adopts the existing objects into the component, and the plan of the first
 * `pulumi up` after the import, with what each change means for CMiC. Pure.
 *
 * Why an import file and not the `import` resource option: with the option, `pulumi up` fails when
 * the program's inputs differ from the live object (https://www.pulumi.com/docs/iac/concepts/options/import/),
 * so an app that needs fixing could not be adopted and fixed in one run. `pulumi import --file`
 * records the objects as they are (https://www.pulumi.com/docs/iac/cli/commands/pulumi_import/;
 * `component: true` entries make the parent component, Pulumi ≥ 3.94), and the first `pulumi up`
 * then updates what differs: the diff IS the fix. Passwords cannot be imported (the providers cannot
 * read a secret back: terraform-provider-azuread #1118): the first up issues a managed secret beside
 * the existing ones, which adoption never deletes.
 */
import { issuerUrlFor, jwksUriFor } from "../../contract/entraEndpoints";
import { DEFAULT_IDENTIFIER_URI_FORMAT, INVISIBLE_CHARACTERS } from "../../components/settingsRules";
import { COMPONENT_TYPE, CONFIG_NAMESPACE } from "../../contract/kinds";
import type { Deployment } from "../../contract/cmicUser";
import { isRecord, stringField } from "../drift/audit/graphValues";
import { identifierUriHost } from "../drift/audit/identifierUriRules";
import { configuredClaim, readClaimValue } from "../audit/inference";
import { isUnreadable, type Registration, type RegistrationCredential } from "../audit/registration";
import { issuedTokenVersion } from "../audit/rules";

/** The component's name in index.ts (components/stack.ts): every resource's name starts with it. */
export const COMPONENT_NAME = "cmic";

export interface AdoptionAnswers {
  /** What the admin said on the command line; each overrides what was inferred. */
  deployment?: Deployment;
  serviceUser?: string;
  cmicTenant?: string;
  verifiedDomain?: string;
  owners?: string[];
  claimName?: string;
  /**
   * `--keep-v1`: a v1 app whose CMiC registration holds v1 values stays v1 (accessTokenVersion 1),
   * so adoption changes nothing CMiC depends on. Default: the app moves to v2.
   */
  keepV1?: boolean;
}

export interface ImportEntry {
  type: string;
  name: string;
  id?: string;
  parent?: string;
  component?: boolean;
}

export interface ImportFile {
  resources: ImportEntry[];
}

export interface PlannedChange {
  /** `adopt` (imported as it is), `update`, `create`. */
  op: "adopt" | "update" | "create";
  resource: string;
  what: string;
  /** What it means for CMiC or the connector; empty when nothing. */
  consequence: string;
}

export type AdoptionDecision =
  | { ok: false; code: string; message: string; fix: string }
  | {
      ok: true;
      clientId: string;
      /** `cmic-entra-oauth:<key>` → value, `azuread:tenantId` included. */
      config: Record<string, string | string[]>;
      importFile: ImportFile;
      plan: PlannedChange[];
      /** The secrets and certificates found: kept, to be retired only once the connector has switched. */
      keptCredentials: RegistrationCredential[];
      /** What the admin still has to say (nothing can be adopted until then). */
      missing: string[];
    };

const APPLICATION = "azuread:index/application:Application";
const SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal";
const IDENTIFIER_URI = "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri";
const POLICY = "azuread:index/claimsMappingPolicy:ClaimsMappingPolicy";
const ASSIGNMENT = "azuread:index/servicePrincipalClaimsMappingPolicyAssignment:ServicePrincipalClaimsMappingPolicyAssignment";

/**
 * The admin's display name in a form the settings accept (components/settingsRules.ts
 * checkDisplayName): an apostrophe breaks the azuread provider's duplicate-name filter and a backtick
 * the handoff sheet's Markdown, so both become ’; invisible characters and line breaks go; the name
 * is cut to the 120 characters Entra allows. Anything else is kept as the admin wrote it.
 */
export function adoptableDisplayName(name: string): string {
  const cleaned = name.replace(/['`]/g, "\u2019").replace(new RegExp(INVISIBLE_CHARACTERS.source, "gu"), "").trim().slice(0, 120).trim();
  return cleaned === "" ? "CMiC integration" : cleaned;
}

/** The verified domain an identifier URI's host sits on (the longest that matches), or null. */
function domainOf(uri: string, verifiedDomains: string[]): string | null {
  const host = identifierUriHost(uri);
  if (host === null) return null;
  const matches = verifiedDomains.filter((d) => host === d.toLowerCase() || host.endsWith(`.${d.toLowerCase()}`));
  return matches.sort((a, b) => b.length - a.length)[0] ?? null;
}

export function decideAdoption(registration: Registration, tenantId: string, answers: AdoptionAnswers): AdoptionDecision {
  const app = registration.app;
  if (!app) {
    return {
      ok: false,
      code: "ERR_ADOPT_NOT_FOUND",
      message: `tenant ${tenantId} has no such app registration: it lives in another tenant, or it was deleted. Adoption works in the app's own tenant only`,
      fix: "give --tenant the Directory (tenant) ID shown on the app's Overview page",
    };
  }
  const api = isRecord(app.api) ? app.api : {};
  const clientId = stringField(app.appId) ?? "";
  const appObjectId = stringField(app.id) ?? "";
  const audience = stringField(app.signInAudience) ?? "AzureADMyOrg";
  if (audience !== "AzureADMyOrg" && api.acceptMappedClaims === true) {
    return {
      ok: false,
      code: "ERR_ADOPT_MULTI_TENANT",
      message: `the app is multi-tenant (${audience}) and accepts mapped claims: this project manages single-tenant apps, and making it single-tenant would break every other tenant that uses it`,
      fix: "register a single-tenant app for CMiC (npm run new stack, as the README shows) or make this one single-tenant in the portal first (Authentication → Supported account types), then adopt it",
    };
  }
  const sp = registration.sp;
  if (isUnreadable(sp) || isUnreadable(registration.policies) || isUnreadable(registration.verifiedDomains)) {
    const why = [sp, registration.policies, registration.verifiedDomains].filter(isUnreadable).map((u) => u.unreadable);
    return {
      ok: false,
      code: "ERR_ADOPT_UNREADABLE",
      message: `adoption needs the whole registration, and Graph did not give it: ${why.join("; ")}`,
      fix: "grant the identity adopt signs in with Application.Read.All, Policy.Read.All and Domain.Read.All (admin consent)",
    };
  }
  if (registration.policies.length > 1) {
    return {
      ok: false,
      code: "ERR_ADOPT_POLICIES",
      message: `${registration.policies.length} claims-mapping policies are assigned to the app's service principal: Entra refuses tokens then, and adoption cannot tell which one CMiC depends on`,
      fix: "remove all but the one that emits cmicuser (`npm run audit` names them), then adopt",
    };
  }
  const claimName = answers.claimName ?? "cmicuser";
  const claim = configuredClaim(registration, claimName);
  const reading = claim ? readClaimValue(claim.value) : null;
  const missing: string[] = [];
  const deployment = answers.deployment ?? reading?.deployment ?? null;
  if (deployment === null) missing.push("--deployment enterprise|cloud (the claim value does not tell which CMiC this is)");
  const serviceUser = answers.serviceUser ?? reading?.serviceUser;
  if (!serviceUser) missing.push("--service-user NAME (the app has no cmicuser claim to read it from)");
  const cmicTenant = answers.cmicTenant ?? (deployment === "cloud" ? reading?.cmicTenant : undefined);
  const verifiedDomains = registration.verifiedDomains;
  const identifierUris = Array.isArray(app.identifierUris) ? app.identifierUris.filter((u): u is string => typeof u === "string") : [];
  const onDomain = identifierUris.map((uri) => ({ uri, domain: domainOf(uri, verifiedDomains) })).find((u) => u.domain !== null);
  const verifiedDomain = answers.verifiedDomain ?? onDomain?.domain ?? undefined;
  // A URI already on the verified domain is kept as it is, in the format it has.
  const keptUri = onDomain && (answers.verifiedDomain === undefined || answers.verifiedDomain === onDomain.domain) ? onDomain.uri : null;
  const format = keptUri
    ? keptUri.replace(clientId, "{clientId}").replace(onDomain?.domain ?? "", "{domain}")
    : DEFAULT_IDENTIFIER_URI_FORMAT;
  const currentName = stringField(app.displayName) ?? "";
  const displayName = adoptableDisplayName(currentName);
  const key = (name: string) => `${CONFIG_NAMESPACE}:${name}`;
  // Keep v1 only when asked and the app really is v1 (null counts as v1 in Entra).
  const keepV1 = answers.keepV1 === true && issuedTokenVersion(app) === 1;
  const config: Record<string, string | string[]> = {
    "azuread:tenantId": tenantId,
    [key("deployment")]: deployment ?? "enterprise",
    [key("serviceUser")]: serviceUser ?? "",
    ...(cmicTenant ? { [key("cmicTenant")]: cmicTenant } : {}),
    ...(verifiedDomain ? { [key("verifiedDomain")]: verifiedDomain } : {}),
    ...(format !== DEFAULT_IDENTIFIER_URI_FORMAT ? { [key("identifierUriFormat")]: format } : {}),
    ...(claimName !== "cmicuser" ? { [key("claimName")]: claimName } : {}),
    ...(keepV1 ? { [key("accessTokenVersion")]: "1" } : {}),
    [key("credential")]: "secret",
    [key("displayName")]: displayName,
    ...(answers.owners && answers.owners.length > 0 ? { [key("owners")]: answers.owners } : {}),
  };

  const parent = COMPONENT_NAME;
  const resources: ImportEntry[] = [
    { type: COMPONENT_TYPE, name: COMPONENT_NAME, component: true },
    { type: APPLICATION, name: `${COMPONENT_NAME}-app`, id: `/applications/${appObjectId}`, parent },
  ];
  const plan: PlannedChange[] = [
    { op: "adopt", resource: `${COMPONENT_NAME}-app`, what: `the app registration ${clientId} (its client id stays)`, consequence: "" },
  ];
  const v2Issuer = issuerUrlFor(2, tenantId);
  const v2Keys = jwksUriFor(2, tenantId);
  if (keepV1 && api.requestedAccessTokenVersion !== 1) {
    plan.push({
      op: "update",
      resource: `${COMPONENT_NAME}-app`,
      what: `api.requestedAccessTokenVersion ${JSON.stringify(api.requestedAccessTokenVersion ?? null)} → 1`,
      consequence: "the same v1 tokens as now (Entra reads null as 1): CMiC's v1 registration stays as it is",
    });
  } else if (!keepV1 && issuedTokenVersion(app) !== 2) {
    plan.push({
      op: "update",
      resource: `${COMPONENT_NAME}-app`,
      what: `api.requestedAccessTokenVersion ${JSON.stringify(api.requestedAccessTokenVersion ?? null)} → 2`,
      consequence: `tokens become v2: in CMiC's registration (API Security → Application Registration) set Issuer URL ${v2Issuer} and Keyset URI ${v2Keys} when this runs; CMiC refuses v2 tokens while it holds the v1 values`,
    });
  }
  if (api.acceptMappedClaims !== true) {
    plan.push({
      op: "update",
      resource: `${COMPONENT_NAME}-app`,
      what: `api.acceptMappedClaims ${JSON.stringify(api.acceptMappedClaims ?? null)} → true`,
      consequence: "Entra issues tokens with the cmicuser claim (no more AADSTS50146)",
    });
  }
  // prevent_duplicate_names lives in the provider's state only (schema Default false, Read keeps
  // d.Get: terraform-provider-azuread applications/application_resource.go), so an import records
  // false and the program's true is an update that sends nothing to Entra.
  plan.push({
    op: "update",
    resource: `${COMPONENT_NAME}-app`,
    what: "preventDuplicateNames false → true (a provider setting, kept in the stack's state; Entra is not changed by it)",
    consequence: "",
  });
  if (displayName !== currentName) {
    plan.push({
      op: "update",
      resource: `${COMPONENT_NAME}-app`,
      what: `displayName '${currentName}' → '${displayName}'`,
      consequence:
        "only the name the portal shows: the azuread provider cannot preview an app whose name holds an apostrophe (settingsRules.ts), so it becomes ’; nothing changes for CMiC or the connector",
    });
  }
  if (audience !== "AzureADMyOrg") {
    plan.push({
      op: "update",
      resource: `${COMPONENT_NAME}-app`,
      what: `signInAudience ${audience} → AzureADMyOrg`,
      consequence: "other tenants can no longer sign in to it",
    });
  }
  if (keptUri) {
    resources.push({
      type: IDENTIFIER_URI,
      name: `${COMPONENT_NAME}-identifier-uri`,
      id: `/applications/${appObjectId}/identifierUris/${Buffer.from(keptUri, "utf8").toString("base64")}`,
      parent,
    });
    plan.push({ op: "adopt", resource: `${COMPONENT_NAME}-identifier-uri`, what: keptUri, consequence: "" });
  } else {
    plan.push({
      op: "create",
      resource: `${COMPONENT_NAME}-identifier-uri`,
      what: `an Application ID URI on ${verifiedDomain ?? "the tenant's initial domain"} (${DEFAULT_IDENTIFIER_URI_FORMAT})${identifierUris.length > 0 ? `, beside ${identifierUris.join(", ")}, which stays` : ""}`,
      consequence: "give the connector the new scope (npm run handoff); the old URI keeps working until someone removes it",
    });
  }
  if (sp) {
    resources.push({ type: SERVICE_PRINCIPAL, name: `${COMPONENT_NAME}-sp`, id: `/servicePrincipals/${String(sp.id)}`, parent });
    plan.push({ op: "adopt", resource: `${COMPONENT_NAME}-sp`, what: `the service principal ${String(sp.id)}`, consequence: "" });
  } else {
    plan.push({
      op: "create",
      resource: `${COMPONENT_NAME}-sp`,
      what: "the service principal (Enterprise application) the app never had",
      consequence: "tokens can be issued at all",
    });
  }
  const policy = registration.policies[0];
  const wanted = deployment === "cloud" && cmicTenant ? `${cmicTenant}||${serviceUser ?? ""}` : (serviceUser ?? "");
  if (policy && sp) {
    const policyId = String(policy.id);
    resources.push({ type: POLICY, name: `${COMPONENT_NAME}-claims-policy`, id: `/policies/claimsMappingPolicies/${policyId}`, parent });
    resources.push({
      type: ASSIGNMENT,
      name: `${COMPONENT_NAME}-claims-policy-assignment`,
      id: `/servicePrincipals/${String(sp.id)}/claimsMappingPolicies/${policyId}`,
      parent,
    });
    plan.push({
      op: "adopt",
      resource: `${COMPONENT_NAME}-claims-policy`,
      what: `the claims-mapping policy ${policyId} and its assignment`,
      consequence: "",
    });
    plan.push({
      op: "update",
      resource: `${COMPONENT_NAME}-claims-policy`,
      what:
        claim && claim.value !== wanted
          ? `its ${claimName} value '${claim.value}' → '${wanted}'`
          : "its display name and definition to the project's form",
      consequence: claim && claim.value !== wanted ? `CMiC then finds its service user '${wanted}'` : "tokens carry the same claim",
    });
  } else {
    plan.push({
      op: "create",
      resource: `${COMPONENT_NAME}-claims-policy`,
      what: `a claims-mapping policy emitting ${claimName} = '${wanted}', assigned to the service principal`,
      consequence:
        claim?.source === "portal"
          ? "it supersedes the portal's Attributes & Claims (same value unless corrected): the portal's claim can then be deleted"
          : "tokens carry the claim CMiC needs",
    });
  }
  plan.push({
    op: "create",
    resource: `${COMPONENT_NAME}-secret`,
    what: "a managed client secret, rotated without outage from now on",
    consequence: "hand it to the connector (npm run handoff -- --reveal); the existing secrets keep working until they end or are retired",
  });
  return { ok: true, clientId, config, importFile: { resources }, plan, keptCredentials: registration.credentials, missing };
}

/** `Pulumi.<stack>.yaml`, with a header that marks the stack as adopting this app (adopt refuses a second stack for it). */
export function stackFileText(stack: string, clientId: string, config: Record<string, string | string[]>): string {
  const lines = [
    `# Stack ${stack}: adopts the hand-made app registration ${clientId} (npm run adopt).`,
    `# adopted-client-id: ${clientId}`,
    "config:",
  ];
  for (const [name, value] of Object.entries(config)) {
    if (Array.isArray(value)) {
      lines.push(`  ${name}:`, ...value.map((item) => `    - ${JSON.stringify(item)}`));
    } else {
      lines.push(`  ${name}: ${JSON.stringify(value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** The client id a stack file says it adopts, or null. */
export function adoptedClientId(stackFile: string): string | null {
  const match = /^# adopted-client-id: ([0-9a-f-]{36})$/im.exec(stackFile);
  return match ? match[1].toLowerCase() : null;
}
