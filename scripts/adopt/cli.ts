/**
 * `npm run adopt -- --tenant T --client-id C --stack NAME`: bring a hand-made app registration under
 * this project without changing its client id, so CMiC's registration and the connector keep it.
 * Reads the registration (scripts/audit/registration.ts), decides the settings and the import
 * (plan.ts), writes `Pulumi.NAME.yaml` and `adopt/NAME.import.json`, and prints the plan of the first
 * `pulumi up` and the commands to run. It changes nothing in Entra and never deletes a secret.
 */
import fs from "node:fs";
import path from "node:path";
import type { Client } from "@microsoft/microsoft-graph-client";
import { CmicError, EXIT_OK, UsageError } from "../../contract/errors";
import { GRAPH_URL, GRAPH_URL_ENV } from "../../contract/entraEndpoints";
import { DEPLOYMENTS, type Deployment } from "../../contract/kinds";
import { defineCommand, runWhenMain, type OptionSpecs } from "../shared/cli";
import type { AdoptionDecision } from "./plan";

const HELP = `Usage: npm run adopt -- --tenant TENANT_ID (--client-id ID | --app-object-id ID) --stack NAME [options]

Brings an app registration made by hand under a stack of this project. The client id never
changes, so CMiC's registration and the connector keep working with it. adopt reads the app, its
service principal, identifier URIs, claims-mapping policy or portal claim and credentials; infers
the settings (deployment and CMiC tenant from the claim value, verified domain from the URI,
display name); writes Pulumi.NAME.yaml and adopt/NAME.import.json; and prints what the first
\`pulumi up\` will adopt as it is, change (and what that means for CMiC), and create. It changes
nothing in Entra. Existing secrets are never deleted: they are listed, and retired only on request
once the connector uses the new managed secret.

Which app:
  --tenant ID            the Directory (tenant) ID the app lives in
  --client-id ID         its Application (client) ID
  --app-object-id ID     or its Object ID
  --stack NAME           the stack to create (Pulumi.NAME.yaml must not exist yet)
  --state DIR            adopt into the local world of \`npm run sandbox -- --state DIR\`

What adopt cannot infer (asked only when needed):
  --deployment enterprise|cloud   when the claim value does not tell (an email-format username)
  --service-user NAME    when the app has no cmicuser claim
  --cmic-tenant NAME     CMiC Cloud tenant, when the claim does not hold it
  --verified-domain D    the domain of the new Application ID URI (default: the current URI's)
  --owner OBJECT_ID      an owner of the app and service principal (repeat); the first \`pulumi up\`
                         sets exactly these, so list every current owner (default: the app's
                         owners as Graph lists them)
  --claim-name NAME      the claim CMiC reads (default cmicuser)
  --keep-v1              the app issues v1 tokens and CMiC holds the v1 Issuer URL and Keyset ID:
                         keep them (accessTokenVersion 1) instead of moving the app to v2

Output:
  --dir DIR              where to write the files (default: the current directory, the Pulumi project)
  --graph-url URL        Graph origin (default $${GRAPH_URL_ENV} or ${GRAPH_URL})
  --json                 { ok, stack, clientId, files, importCommand, plan, keptCredentials }

Graph credential: as \`npm run audit\` (read-only: Application.Read.All, Policy.Read.All, Domain.Read.All).

Exit status: 0 written; 1 adoption refused or Graph unreadable (the message says why); 2 bad usage.
`;

const OPTIONS = {
  tenant: { type: "string" },
  "client-id": { type: "string" },
  "app-object-id": { type: "string" },
  stack: { type: "string" },
  state: { type: "string" },
  deployment: { type: "string" },
  "service-user": { type: "string" },
  "cmic-tenant": { type: "string" },
  "verified-domain": { type: "string" },
  owner: { type: "string", multiple: true },
  "claim-name": { type: "string" },
  "keep-v1": { type: "boolean" },
  dir: { type: "string" },
  "graph-url": { type: "string" },
  json: { type: "boolean" },
} as const satisfies OptionSpecs;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** Every `Pulumi.*.yaml` in the project that already adopts this client id, by file name. */
function stacksAdopting(dir: string, clientId: string, adoptedClientId: (text: string) => string | null): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => /^Pulumi\..+\.ya?ml$/.test(name))
    .filter((name) => adoptedClientId(fs.readFileSync(path.join(dir, name), "utf8")) === clientId.toLowerCase());
}

/** The app's owners as Graph lists them, or null when Graph does not say. */
async function readOwners(client: Client, appObjectId: string): Promise<string[] | null> {
  try {
    const body = (await client.api(`/applications/${appObjectId}/owners`).select("id").get()) as { value?: { id?: unknown }[] };
    return (body.value ?? []).flatMap((owner) => (typeof owner.id === "string" ? [owner.id] : []));
  } catch {
    return null;
  }
}

export const adoptCommand = defineCommand({
  name: "adopt",
  summary: "Bring a hand-made app registration under a stack without changing its client id.",
  help: HELP,
  options: OPTIONS,
  async run(values, io) {
    const clientIdFlag = values["client-id"]?.trim();
    const objectIdFlag = values["app-object-id"]?.trim();
    if ((clientIdFlag === undefined) === (objectIdFlag === undefined))
      throw new UsageError("Name the app: give --client-id ID or --app-object-id ID (one of them).");
    const appId = (clientIdFlag ?? objectIdFlag) as string;
    if (!GUID.test(appId))
      throw new UsageError(`--${clientIdFlag !== undefined ? "client-id" : "app-object-id"} must be a GUID, got '${appId}'.`);
    const stack = values.stack?.trim();
    if (!stack) throw new UsageError("Give --stack NAME: the stack that will manage the app (Pulumi.NAME.yaml is written).");
    if (!STACK_NAME.test(stack)) throw new UsageError(`--stack '${stack}' is not a Pulumi stack name (letters, digits, '-', '_', '.').`);
    const tenantIdFlag = values.tenant?.trim().toLowerCase() ?? null;
    if (values.state === undefined && tenantIdFlag === null)
      throw new UsageError("Give --tenant TENANT_ID (the Directory (tenant) ID), or --state DIR for a local world.");
    if (tenantIdFlag !== null && !GUID.test(tenantIdFlag))
      throw new UsageError(`--tenant must be the tenant's GUID, got '${tenantIdFlag}'.`);
    const deployment = values.deployment;
    if (deployment !== undefined && !(DEPLOYMENTS as readonly string[]).includes(deployment)) {
      throw new UsageError(`--deployment must be one of ${DEPLOYMENTS.join(", ")}, got '${deployment}'.`);
    }
    for (const owner of values.owner ?? [])
      if (!GUID.test(owner)) throw new UsageError(`--owner must be an object id (GUID), got '${owner}'.`);
    const graphUrl = values["graph-url"] ?? io.env[GRAPH_URL_ENV] ?? GRAPH_URL;
    const dir = path.resolve(values.dir ?? ".");
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--dir ${dir} is not a directory.`);
    const stackFile = path.join(dir, `Pulumi.${stack}.yaml`);
    if (fs.existsSync(stackFile)) {
      throw new CmicError(
        "ERR_ADOPT_STACK_EXISTS",
        `${stackFile} exists already: stack ${stack} has settings, and adopt never overwrites them`,
        {
          fix: "choose a new --stack name, or remove that file if the stack was never deployed",
        },
      );
    }

    if (values.state !== undefined) {
      const { rerunTrustingEmulator } = await import("../shared/emulatorTrust");
      const rerun = await rerunTrustingEmulator(io.env);
      if (rerun !== null) return rerun;
    }
    const { openTenantGraph } = await import("../audit/tenantGraph");
    const { client, tenantId, worldStackClientIds, close } = await openTenantGraph({
      stateDir: values.state,
      tenantId: tenantIdFlag,
      graphUrl,
      env: io.env,
    });
    try {
      const { readRegistration } = await import("../audit/registration");
      const { decideAdoption, stackFileText, adoptedClientId } = await import("./plan");
      const registration = await readRegistration(
        client,
        clientIdFlag !== undefined ? { clientId: appId.toLowerCase() } : { appObjectId: appId.toLowerCase() },
      );
      const owners = values.owner ?? (registration.app ? await readOwners(client, String(registration.app.id)) : null);
      const decision: AdoptionDecision = decideAdoption(registration, tenantId, {
        deployment: deployment as Deployment | undefined,
        serviceUser: values["service-user"],
        cmicTenant: values["cmic-tenant"],
        verifiedDomain: values["verified-domain"],
        owners: owners ?? undefined,
        claimName: values["claim-name"],
        keepV1: values["keep-v1"] === true,
      });
      if (!decision.ok) throw new CmicError(decision.code, decision.message, { fix: decision.fix });
      const elsewhere = [
        ...stacksAdopting(dir, decision.clientId, adoptedClientId),
        ...[...worldStackClientIds].filter(([, clientId]) => clientId === decision.clientId).map(([name]) => `stack ${name} of the world`),
      ];
      if (elsewhere.length > 0) {
        throw new CmicError(
          "ERR_ADOPT_ALREADY",
          `the app ${decision.clientId} is already managed by ${elsewhere.join(", ")}: two stacks would undo each other's changes on every run`,
          {
            fix: "run that stack instead (pulumi up --stack <it>), or remove it (pulumi stack rm) before adopting the app again",
          },
        );
      }
      if (decision.missing.length > 0)
        throw new UsageError(`adopt cannot infer everything for this app: give ${decision.missing.join("; ")}.`);

      fs.writeFileSync(stackFile, stackFileText(stack, decision.clientId, decision.config), { flag: "wx" });
      const importDir = path.join(dir, "adopt");
      fs.mkdirSync(importDir, { recursive: true });
      const importFile = path.join(importDir, `${stack}.import.json`);
      fs.writeFileSync(importFile, `${JSON.stringify(decision.importFile, null, 2)}\n`);
      const importCommand =
        values.state !== undefined
          ? `npm run sandbox -- --state ${values.state} --stack ${stack} --stack-file ${stackFile} --import ${importFile} --protect=false`
          : `pulumi import --stack ${stack} --file ${path.relative(process.cwd(), importFile) || importFile} --protect=false --generate-code=false --yes`;
      const upCommand =
        values.state !== undefined ? `npm run sandbox -- --state ${values.state} --stack ${stack}` : `pulumi up --stack ${stack}`;
      if (values.json === true) {
        io.stdout(
          `${JSON.stringify(
            {
              ok: true,
              stack,
              clientId: decision.clientId,
              files: [stackFile, importFile],
              importCommand,
              upCommand,
              plan: decision.plan,
              ownersRead: owners !== null,
              keptCredentials: decision.keptCredentials,
            },
            null,
            2,
          )}\n`,
        );
        return EXIT_OK;
      }
      const lines = [
        `Adopting app registration ${decision.clientId} into stack ${stack} (the client id stays: CMiC's registration and the connector keep it).`,
        `Wrote ${stackFile} and ${importFile}.`,
        "",
        "The first `pulumi up` after the import:",
        ...decision.plan.map(
          (step) =>
            `  ${step.op === "adopt" ? "=" : step.op === "update" ? "~" : "+"} ${step.resource}: ${step.what}${step.consequence ? `\n      → ${step.consequence}` : ""}`,
        ),
        "",
        decision.keptCredentials.length === 0
          ? "The app has no credentials today."
          : `Kept as they are (adoption never deletes one). Once the connector uses the new managed secret, remove each in the portal (Certificates & secrets) or with \`az ad app credential delete --id ${decision.clientId} --key-id ID\`; drift reports them until then:`,
        ...decision.keptCredentials.map(
          (c) =>
            `  ${c.kind === "secret" ? "client secret" : "certificate"} ${c.keyId}${c.displayName ? ` ("${c.displayName}")` : ""}, ends ${c.endDateTime ?? "never"}`,
        ),
        ...(owners === null
          ? [
              "",
              "Owners: Graph did not list the app's owners; the stack sets exactly the --owner values (none given): add them to the stack file before `pulumi up`, or owners are removed.",
            ]
          : []),
        "",
        "Next:",
        `  1. ${importCommand}`,
        `  2. ${upCommand}`,
        `  3. npm run handoff -- --stack ${stack}   (the new secret and scope for the connector; CMiC's values if they changed)`,
      ];
      io.stdout(`${lines.join("\n")}\n`);
      return EXIT_OK;
    } finally {
      await close();
    }
  },
});

runWhenMain(module, adoptCommand);
