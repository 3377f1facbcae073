/**
 * `npm run new-customer -- --stack NAME --tenant-id GUID --deployment enterprise|cloud
 * --service-user USER [options]`: write a new customer's Pulumi.<stack>.yaml that the program's own
 * settings rules accept (stackConfig.ts), with its domain checked in the customer's tenant when a
 * credential is at hand (domainCheck.ts), atomically and never over an existing file unless told
 * (stackFile.ts). Missing values are asked for on a terminal only (prompts.ts). Exit 0 written,
 * 2 bad usage or invalid settings, 1 the check could not be made.
 *
 * This file parses and prints; the settings rules, js-yaml and the Graph client load inside `run`.
 */
import fs from "node:fs";
import path from "node:path";
import { UsageError } from "../../contract/errors";
import { CLOUD_HOSTS, GRAPH_URL, GRAPH_URL_ENV } from "../../contract/entraEndpoints";
import { AZURE_CLOUDS, isOneOf } from "../../contract/kinds";
import { defineCommand, numberOption, runWhenMain, type CliIo, type OptionSpecs, type ParsedOptions } from "../shared/cli";
import { PROJECT_ROOT } from "../shared/projectRoot";
import { redact } from "../shared/redact";
import { completeRequired, type RequiredValue } from "./prompts";

export const INVOCATION = "npm run new-customer --";

const HELP = `Usage: ${INVOCATION} --stack NAME --tenant-id GUID --deployment enterprise|cloud
         --service-user USER [options]

Writes Pulumi.<NAME>.yaml for a new customer stack, after checking every value with the program's
own settings rules (the ones \`pulumi up\` runs): every problem is printed and nothing is written.
On a terminal, a missing required value is asked for; without one (pipelines), every missing flag
is named and the command ends with exit 2.

Required:
  --stack NAME                 the Pulumi stack: letters, digits, - _ . (at most 100)
  --tenant-id GUID             the customer's Entra tenant (Entra ID → Overview → Tenant ID)
  --deployment KIND            enterprise (CMiC on premises) or cloud (CMiC Cloud)
  --service-user USER          the CMiC service user, exactly as CMiC spells it (not needed with
                               --claim-source registration)

Settings (left out: the default Pulumi.yaml declares):
  --cmic-tenant T              CMiC Cloud tenant (cloud, unless USER is the email-format username)
  --verified-domain D          domain of the Application ID URI (default: the tenant's initial
                               *.onmicrosoft.com domain)
  --claim-source SOURCE        token (default) or registration (CMiC after Patch 22)
  --credential KIND            secret (default), certificate or both
  --certificate-file PEM       the connector's public certificate (certificate or both); a file
                               holding a private key is refused
  --display-name X             the Entra application's display name
  --owner OBJECTID             an owner's object id (repeatable)
  --secret-lifetime-days N     1-730 (default 180)
  --handover-days N            days the previous secret keeps working (default 30)
  --access-token-version 1|2   the tokens the app issues (default 2; 1 keeps CMiC's v1 values)
  --connector-profile P        arcoro (default), informatica-cai or generic: the handoff's form
  --azure-cloud C              public (default), usgovernment or china; a sovereign cloud also
                               writes azuread:environment, and the domain check reads its Graph
  --optional-claim NAME        an access-token optional claim: ipaddr, email or upn (repeatable)

File:
  --cwd DIR                    the Pulumi project directory (default: this project's root)
  --force                      replace an existing Pulumi.<NAME>.yaml

Domain check (GET /domains in the customer's tenant, Domain.Read.All):
  (default)                    checked when AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are set, or
                               $CMIC_CREDENTIALS_FILE lists the tenant; signed in to --tenant-id
                               (AZURE_AUTHORITY_HOST for another host)
  --check-domains              check it whatever the environment (else DefaultAzureCredential:
                               workload identity, managed identity, az login); failing is exit 1
  --no-domain-check            do not check it
  --graph-url URL              Graph origin (default $${GRAPH_URL_ENV}, else the cloud's Graph:
                               ${GRAPH_URL} for public)

Progress goes to stderr; the file written and the next commands (pulumi stack init NAME,
pulumi up --stack NAME) to stdout. Nothing secret is written: the certificate is public.

Exit status: 0 written; 2 bad usage, invalid settings, an unverified domain or an existing file
without --force; 1 the domain could not be checked (Graph unreachable, no consent in the tenant).
`;

const OPTIONS = {
  stack: { type: "string" },
  "tenant-id": { type: "string" },
  deployment: { type: "string" },
  "service-user": { type: "string" },
  "cmic-tenant": { type: "string" },
  "verified-domain": { type: "string" },
  "claim-source": { type: "string" },
  credential: { type: "string" },
  "certificate-file": { type: "string" },
  "display-name": { type: "string" },
  owner: { type: "string", multiple: true },
  "secret-lifetime-days": { type: "string" },
  "handover-days": { type: "string" },
  "access-token-version": { type: "string" },
  "connector-profile": { type: "string" },
  "azure-cloud": { type: "string" },
  "optional-claim": { type: "string", multiple: true },
  cwd: { type: "string" },
  force: { type: "boolean" },
  "check-domains": { type: "boolean" },
  "no-domain-check": { type: "boolean" },
  "graph-url": { type: "string" },
} as const satisfies OptionSpecs;

type Values = ParsedOptions<typeof OPTIONS>;

/**
 * Whether to read the tenant's domains: asked for, or possible without asking (a service principal
 * in the environment, or the tenant listed in the credentials file CMIC_CREDENTIALS_FILE names).
 */
async function domainCheckWanted(values: Values, env: NodeJS.ProcessEnv, tenantId: string): Promise<boolean> {
  if (values["no-domain-check"] === true) return false;
  if (values["check-domains"] === true || (Boolean(env.AZURE_CLIENT_ID) && Boolean(env.AZURE_CLIENT_SECRET))) return true;
  const { credentialsFileFromEnv } = await import("../shared/credentialsFile");
  return credentialsFileFromEnv(env)?.tenants.has(tenantId.toLowerCase()) === true;
}

function graphUrlFrom(values: Values, env: NodeJS.ProcessEnv): string {
  const cloud = isOneOf(AZURE_CLOUDS, values["azure-cloud"]) ? values["azure-cloud"] : "public";
  const graphUrl = values["graph-url"] ?? (env[GRAPH_URL_ENV] || CLOUD_HOSTS[cloud].graphUrl);
  if (!URL.canParse(graphUrl) || new URL(graphUrl).protocol !== "https:") {
    throw new UsageError(`--graph-url / $${GRAPH_URL_ENV} must be an https:// origin, got '${graphUrl}'.`);
  }
  return graphUrl;
}

function projectDirectory(cwd: string | undefined): string {
  const dir = path.resolve(cwd ?? PROJECT_ROOT);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UsageError(`--cwd ${dir} is not a directory.`, "pass the Pulumi project directory (the one holding Pulumi.yaml).");
  }
  return dir;
}

function readCertificateFile(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    // A PEM from Windows has CRLF line ends; a YAML block string cannot hold a CR (js-yaml would
    // fall back to one long quoted line), and PEM readers take either, so the file gets LF.
    return fs.readFileSync(file, "utf8").replace(/\r\n/g, "\n");
  } catch (error) {
    throw new UsageError(
      `--certificate-file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      "pass the connector's PEM public certificate (-----BEGIN CERTIFICATE-----).",
    );
  }
}

/** The flags and answers that name the values the file must have, asked for on a terminal. */
async function requiredValues(values: Values, io: CliIo): Promise<Map<string, string>> {
  const required: RequiredValue[] = [
    { flag: "--stack", question: "Pulumi stack name for the customer (e.g. acme-prod)", value: values.stack },
    { flag: "--tenant-id", question: "Customer's Entra tenant id (GUID)", value: values["tenant-id"] },
    { flag: "--deployment", question: "CMiC deployment (enterprise or cloud)", value: values.deployment },
  ];
  // The rules need a service user only when the token carries it (settingsRules.ts, checkServiceUser).
  if (values["claim-source"] !== "registration") {
    required.push({ flag: "--service-user", question: "CMiC service user, exactly as CMiC spells it", value: values["service-user"] });
  }
  return completeRequired(required, io);
}

/** The command line that writes the same file: the header records it, so the file says where it came from. */
function equivalentCommand(
  answers: Map<string, string>,
  values: Values,
  numbers: { lifetime?: number; handover?: number; version?: number },
): string {
  const words: string[] = [INVOCATION];
  const add = (flag: string, value: string | undefined) => {
    if (value !== undefined) words.push(flag, value);
  };
  for (const [flag, value] of answers) add(flag, value);
  add("--cmic-tenant", values["cmic-tenant"]);
  add("--verified-domain", values["verified-domain"]);
  add("--claim-source", values["claim-source"]);
  add("--credential", values.credential);
  add("--certificate-file", values["certificate-file"]);
  add("--display-name", values["display-name"]);
  for (const owner of values.owner ?? []) add("--owner", owner);
  add("--secret-lifetime-days", numbers.lifetime?.toString());
  add("--handover-days", numbers.handover?.toString());
  add("--access-token-version", numbers.version?.toString());
  add("--connector-profile", values["connector-profile"]);
  add("--azure-cloud", values["azure-cloud"]);
  for (const claim of values["optional-claim"] ?? []) add("--optional-claim", claim);
  return words.map((word, index) => (index === 0 ? word : shellWord(word))).join(" ");
}

/** Bare when safe, else single-quoted (the header's command line is meant to be pasted into a shell). */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:@=,+%-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export const newCustomerCommand = defineCommand({
  name: "new-customer",
  summary: "Write a validated Pulumi.<stack>.yaml for a new customer stack.",
  help: HELP,
  invocation: INVOCATION,
  options: OPTIONS,
  redaction: {
    // The deployer's secret signs in to Graph; an upstream error echoing it must not print it.
    knownSecrets: (_argv, env) => [env.AZURE_CLIENT_SECRET],
    redact: (text, secrets) => redact(text, secrets),
  },
  async run(values, io) {
    if (values["check-domains"] === true && values["no-domain-check"] === true) {
      throw new UsageError("--check-domains and --no-domain-check contradict each other; give one of them.");
    }
    const lifetime = numberOption("secret-lifetime-days", values["secret-lifetime-days"], { integer: true, unit: "days" });
    const handover = numberOption("handover-days", values["handover-days"], { integer: true, unit: "days" });
    const version = numberOption("access-token-version", values["access-token-version"], { integer: true });
    const dir = projectDirectory(values.cwd);
    const certificate = readCertificateFile(values["certificate-file"]);
    const answers = await requiredValues(values, io);
    const stack = answers.get("--stack") ?? "";
    const tenantId = answers.get("--tenant-id") ?? "";
    const graphUrl = (await domainCheckWanted(values, io.env, tenantId)) ? graphUrlFrom(values, io.env) : null;

    const { checkStackName, stackConfigFrom, validateStackConfig } = await import("./stackConfig");
    checkStackName(stack);
    const config = stackConfigFrom({
      stack,
      tenantId,
      deployment: answers.get("--deployment") ?? "",
      serviceUser: answers.get("--service-user") ?? values["service-user"],
      cmicTenant: values["cmic-tenant"],
      verifiedDomain: values["verified-domain"],
      claimSource: values["claim-source"],
      credential: values.credential,
      certificate,
      displayName: values["display-name"],
      owners: values.owner,
      secretLifetimeDays: lifetime,
      handoverDays: handover,
      accessTokenVersion: version,
      connectorProfile: values["connector-profile"],
      azureCloud: values["azure-cloud"],
      optionalClaims: values["optional-claim"],
    });
    const now = new Date();
    const settings = validateStackConfig(stack, config, now);
    io.stderr(`new-customer: the settings of stack ${stack} pass the program's settings rules.\n`);

    const { StackFileExistsError, renderStackFile, writeStackFileAtomically } = await import("./stackFile");
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    // Before any network wait: a refusal should not cost a sign-in.
    if (values.force !== true && fs.existsSync(file)) throw new StackFileExistsError(file);

    let domainNote: string;
    if (graphUrl !== null) {
      io.stderr(`new-customer: reading the domains of tenant ${tenantId} through Microsoft Graph (${graphUrl})…\n`);
      const { checkDomains } = await import("./domainCheck");
      const result = await checkDomains({
        tenantId,
        verifiedDomain: settings.verifiedDomain,
        env: io.env,
        graphUrl,
        cloud: settings.azureCloud,
      });
      domainNote = result.initial
        ? `Domain: no --verified-domain, so the Application ID URI will be on the tenant's initial domain ${result.domain} (checked in Graph).`
        : `Domain: ${result.domain} is a verified domain of tenant ${tenantId} (checked in Graph).`;
    } else {
      domainNote =
        `Domain: not checked in the tenant (${values["no-domain-check"] === true ? "--no-domain-check" : "no AZURE_CLIENT_ID / AZURE_CLIENT_SECRET, and no credentials file entry"}); ` +
        `check it with --check-domains (signs in to tenant ${tenantId}; needs Domain.Read.All there).`;
    }

    const text = renderStackFile(config, {
      stack,
      command: equivalentCommand(answers, values, { lifetime, handover, version }),
      notes: [domainNote],
      generatedAt: now,
    });
    writeStackFileAtomically(file, text, { force: values.force === true });
    const pulumiCwd = path.resolve(process.cwd()) === dir ? "" : ` --cwd ${shellWord(dir)}`;
    io.stdout(`Wrote ${file}\n${domainNote}\nNext:\n  pulumi stack init ${stack}${pulumiCwd}\n  pulumi up --stack ${stack}${pulumiCwd}\n`);
    return 0;
  },
});

runWhenMain(module, newCustomerCommand);
