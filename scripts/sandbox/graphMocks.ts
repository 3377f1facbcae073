/**
 * Pulumi mocks that *apply* the program's resources to an Entra tenant through Microsoft Graph,
 * the way the azuread provider would: the sandbox points them at the local emulator. The post-deploy
 * check (a command.local.Command under `pulumi up`) is run in-process with the same verify code and
 * the same inputs, so a bad app fails the "update" exactly as it would fail `pulumi up`.
 */
import { spawn } from "node:child_process";
import { randomUUID, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type * as pulumi from "@pulumi/pulumi";
import type { Client } from "@microsoft/microsoft-graph-client";
import { parseStackOutputs, type StackOutputs } from "../../contract/stackOutputs";
import { AUTHORITY_HOST_ENV, PROPAGATION_WINDOW_ENV, readPostDeployCheckEnv } from "../../contract/postDeployCheck";
import { PROJECT_ROOT } from "../shared/projectRoot";
import { runVerification, verifyInputFromOutputs, type VerifyHooks } from "../verify/runner";
import { renderChecklist, type VerifyReport } from "../verify/report";
import type { ClientCredentialSecret } from "../shared/credentials";
import { unwrapMockInputs } from "./runProgram";
import type { BreakName } from "./breaks";
import { ResourceApplyError } from "./provider/errors";

export { BREAKS, UNVERIFIED_DOMAIN, type BreakName } from "./breaks";
export { ResourceApplyError } from "./provider/errors";

export interface GraphMocksOptions {
  graph: Client;
  tenantId: string;
  /** Origin the post-deploy check reaches Entra at (the emulator). */
  authorityHost: string;
  /** How long the post-deploy check keeps retrying propagation errors. */
  propagationWindowMs: number;
  breakName?: BreakName;
  /**
   * How the post-deploy check (the Command resource) runs: `command` executes its command line in
   * a shell from the project directory with its environment, exactly as @pulumi/command does under
   * `pulumi up`; `in-process` calls the same verify code directly (faster, and gives the structured
   * report to tests). Default `in-process`.
   */
  postDeployCheck?: "in-process" | "command";
  hooks?: VerifyHooks;
  /** Receives the post-deploy check's checklist (also when it fails) and, in-process, its report. */
  onCheck?(checklist: string, report: VerifyReport | null): void;
}

interface GraphObject {
  id: string;
  [key: string]: unknown;
}

/** The object id at the end of an azuread resource id such as `/applications/<id>`. */
function lastSegment(resourceId: unknown): string {
  return (
    String(resourceId)
      .split("/")
      .filter((part) => part !== "")
      .pop() ?? ""
  );
}

/**
 * Copy a value into this module's JavaScript realm. Objects parsed by node's fetch belong to node's
 * own realm; under Jest (a separate vm realm) Pulumi's serializer does not recognise those arrays as
 * arrays (`instanceof Array` is false across realms) and would turn them into maps.
 */
function sameRealm<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * What `npm run verify -- --just-deployed` does against the emulator: request a token with the given
 * credential (default: the secret in the outputs) and check it, the propagation window starting now.
 */
export function checkJustDeployed(
  outputs: StackOutputs,
  credential: ClientCredentialSecret | null | undefined,
  target: { authorityHost: string; propagationWindowMs: number; hooks?: VerifyHooks },
): Promise<VerifyReport> {
  return runVerification(
    verifyInputFromOutputs(outputs, {
      credential: credential ?? undefined,
      authorityHost: target.authorityHost,
      propagationWindowMs: target.propagationWindowMs,
      propagationWindowStart: new Date(),
    }),
    target.hooks,
  );
}

export class GraphMocks implements pulumi.runtime.Mocks {
  /** Every Graph object created, to report what the sandbox made. */
  readonly created: { type: string; name: string; id: string }[] = [];

  constructor(private readonly options: GraphMocksOptions) {}

  async call(args: pulumi.runtime.MockCallArgs): Promise<Record<string, unknown>> {
    return sameRealm(await this.invoke(args));
  }

  private async invoke(args: pulumi.runtime.MockCallArgs): Promise<Record<string, unknown>> {
    switch (args.token) {
      case "azuread:index/getClientConfig:getClientConfig":
        return { tenantId: this.options.tenantId, clientId: "", objectId: "" };
      case "azuread:index/getDomains:getDomains": {
        const response = (await this.options.graph.api("/domains").get()) as {
          value: { id: string; isInitial: boolean; isVerified: boolean; isDefault: boolean }[];
        };
        const onlyInitial = args.inputs.onlyInitial === true;
        return {
          domains: response.value
            .filter((domain) => domain.isVerified && (!onlyInitial || domain.isInitial))
            .map((domain) => ({
              domainName: domain.id,
              initial: domain.isInitial,
              verified: domain.isVerified,
              default: domain.isDefault,
            })),
        };
      }
      default:
        throw new Error(`The sandbox does not emulate the invoke ${args.token}.`);
    }
  }

  async newResource(args: pulumi.runtime.MockResourceArgs): Promise<{ id: string; state: Record<string, unknown> }> {
    // Secret inputs (the certificate value, the check's environment) arrive in Pulumi's envelope.
    const { inputs } = unwrapMockInputs(args.inputs as Record<string, unknown>);
    try {
      const result = await this.apply(args.type, args.name, inputs);
      if (result.id) this.created.push({ type: args.type, name: args.name, id: result.id });
      return { id: result.id, state: sameRealm({ ...inputs, ...result.state }) };
    } catch (error) {
      if (error instanceof ResourceApplyError) throw error;
      const graphError = error as { statusCode?: number; code?: string; message?: string };
      throw new ResourceApplyError(
        args.name,
        `Graph answered ${graphError.statusCode ?? ""} ${graphError.code ?? ""}: ${graphError.message ?? String(error)}`,
      );
    }
  }

  private async apply(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
  ): Promise<{ id: string; state: Record<string, unknown> }> {
    const graph = this.options.graph;
    const broken = this.options.breakName;
    switch (type) {
      case "cmic-entra-oauth:index:CmicEntraIntegration":
        return { id: "", state: {} };

      case "azuread:index/application:Application": {
        const displayName = String(inputs.displayName);
        if (inputs.preventDuplicateNames) {
          const existing = (await graph
            .api("/applications")
            .filter(`displayName eq '${displayName.replace(/'/g, "''")}'`)
            .get()) as { value: GraphObject[] };
          if (existing.value.length > 0) {
            throw new ResourceApplyError(
              name,
              `an application named '${displayName}' already exists (preventDuplicateNames).`,
              "set cmic-entra-oauth:displayName to a unique name.",
            );
          }
        }
        const api = (inputs.api ?? {}) as { requestedAccessTokenVersion?: number; mappedClaimsEnabled?: boolean };
        const app = (await graph.api("/applications").post({
          displayName,
          signInAudience: inputs.signInAudience,
          api: {
            requestedAccessTokenVersion: broken === "token-version" ? 1 : api.requestedAccessTokenVersion,
            acceptMappedClaims: broken === "mapped-claims" ? false : api.mappedClaimsEnabled,
          },
        })) as GraphObject & { appId: string };
        return { id: `/applications/${app.id}`, state: { objectId: app.id, clientId: app.appId } };
      }

      case "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri": {
        const objectId = lastSegment(inputs.applicationId);
        const uri = String(inputs.identifierUri);
        const app = (await graph.api(`/applications/${objectId}`).get()) as { identifierUris?: string[] };
        await graph.api(`/applications/${objectId}`).patch({ identifierUris: [...(app.identifierUris ?? []), uri] });
        return { id: `/applications/${objectId}/identifierUris/${Buffer.from(uri).toString("base64")}`, state: { identifierUri: uri } };
      }

      case "azuread:index/servicePrincipal:ServicePrincipal": {
        const sp = (await graph.api("/servicePrincipals").post({ appId: inputs.clientId })) as GraphObject;
        return { id: `/servicePrincipals/${sp.id}`, state: { objectId: sp.id } };
      }

      case "time:index/rotating:Rotating": {
        const created = new Date();
        const rotation = new Date(created.getTime() + Number(inputs.rotationDays) * 86_400_000);
        return { id: created.toISOString(), state: { rfc3339: created.toISOString(), rotationRfc3339: rotation.toISOString() } };
      }

      case "azuread:index/applicationPassword:ApplicationPassword": {
        const objectId = lastSegment(inputs.applicationId);
        const password = (await graph.api(`/applications/${objectId}/addPassword`).post({
          passwordCredential: { displayName: inputs.displayName, endDateTime: inputs.endDate },
        })) as { keyId: string; secretText: string; startDateTime: string; endDateTime: string };
        // The broken variant hands out a value Entra never issued, as a mistyped secret would be.
        const value = broken === "secret" ? `${password.secretText.slice(0, -4)}XXXX` : password.secretText;
        return {
          id: `/applications/${objectId}/password/${password.keyId}`,
          state: { keyId: password.keyId, value, startDate: password.startDateTime, endDate: password.endDateTime },
        };
      }

      case "azuread:index/applicationCertificate:ApplicationCertificate": {
        const objectId = lastSegment(inputs.applicationId);
        const der = new X509Certificate(String(inputs.value)).raw.toString("base64");
        const keyId = randomUUID();
        const app = (await graph.api(`/applications/${objectId}`).get()) as { keyCredentials?: Record<string, unknown>[] };
        await graph.api(`/applications/${objectId}`).patch({
          keyCredentials: [
            ...(app.keyCredentials ?? []),
            {
              keyId,
              type: "AsymmetricX509Cert",
              usage: "Verify",
              key: der,
              displayName: "CMiC connector",
              startDateTime: inputs.startDate,
              endDateTime: inputs.endDate,
            },
          ],
        });
        return { id: `/applications/${objectId}/certificate/${keyId}`, state: { keyId } };
      }

      case "azuread:index/claimsMappingPolicy:ClaimsMappingPolicy": {
        const policy = (await graph.api("/policies/claimsMappingPolicies").post({
          definition: inputs.definitions,
          displayName: inputs.displayName,
          isOrganizationDefault: false,
        })) as GraphObject;
        return { id: `/policies/claimsMappingPolicies/${policy.id}`, state: {} };
      }

      case "azuread:index/servicePrincipalClaimsMappingPolicyAssignment:ServicePrincipalClaimsMappingPolicyAssignment": {
        const spId = lastSegment(inputs.servicePrincipalId);
        const policyId = lastSegment(inputs.claimsMappingPolicyId);
        if (broken !== "claim") {
          await graph.api(`/servicePrincipals/${spId}/claimsMappingPolicies/$ref`).post({
            "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policyId}`,
          });
        }
        return { id: `/servicePrincipals/${spId}/claimsMappingPolicy/${policyId}`, state: {} };
      }

      case "command:local:Command":
        return this.runPostDeployCheck(name, inputs);

      default:
        throw new ResourceApplyError(name, `the sandbox does not emulate resources of type ${type}`);
    }
  }

  /** The post-deploy check, as the Command resource runs it under `pulumi up`, from the same inputs. */
  private async runPostDeployCheck(name: string, inputs: Record<string, unknown>): Promise<{ id: string; state: Record<string, unknown> }> {
    const environment = (inputs.environment ?? {}) as Record<string, string>;
    const { ok, checklist, report } =
      this.options.postDeployCheck === "command"
        ? await this.runCommand(String(inputs.create), environment)
        : await this.runInProcess(environment);
    this.options.onCheck?.(checklist, report);
    if (!ok) throw new ResourceApplyError(name, `the post-deploy token check failed: CMiC would reject this app's tokens.\n${checklist}`);
    return { id: randomUUID(), state: { stdout: checklist, stderr: "" } };
  }

  private async runInProcess(environment: Record<string, string>): Promise<{ ok: boolean; checklist: string; report: VerifyReport }> {
    const handedOver = readPostDeployCheckEnv(environment);
    const outputs = parseStackOutputs(JSON.parse(handedOver.stackOutputsJson ?? "null"));
    let credential: ClientCredentialSecret | null = null;
    if (handedOver.clientSecret) credential = { kind: "secret", clientSecret: handedOver.clientSecret };
    else if (handedOver.certificateFile)
      credential = { kind: "certificate", certificatePem: readFileSync(handedOver.certificateFile, "utf8") };
    const report = await checkJustDeployed(outputs, credential, this.options);
    return { ok: report.ok, checklist: renderChecklist(report), report };
  }

  /** Run the command line like @pulumi/command: a shell in the project directory, its environment added. */
  private runCommand(commandLine: string, environment: Record<string, string>): Promise<{ ok: boolean; checklist: string; report: null }> {
    return new Promise((resolve, reject) => {
      const child = spawn(commandLine, {
        shell: true,
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          ...environment,
          [AUTHORITY_HOST_ENV]: this.options.authorityHost,
          [PROPAGATION_WINDOW_ENV]: String(this.options.propagationWindowMs / 1000),
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let pending = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
      // verify's progress lines go to stderr: pass them on as they come.
      child.stderr.on("data", (chunk: Buffer) => {
        pending += chunk.toString("utf8");
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) if (line.trim() !== "") this.options.hooks?.onProgress?.(line);
      });
      child.on("error", reject);
      child.on("close", (code) => {
        if (pending.trim() !== "") this.options.hooks?.onProgress?.(pending);
        resolve({ ok: code === 0, checklist: stdout.trimEnd(), report: null });
      });
    });
  }
}
