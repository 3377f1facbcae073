/**
 * Mocks that stand in for the azuread, time and command providers in program tests: they record
 * every declared resource with its inputs and answer with the computed outputs the real providers
 * return (ids in the azuread `/applications/<id>` form, client ids, key ids, secret values).
 * Unknown resource types and invokes throw, so a new dependency cannot slip in untested.
 */
import { randomUUID } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { unwrapMockInputs } from "../../scripts/sandbox/runProgram";

export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs with Pulumi's secret envelopes removed. */
  inputs: Record<string, unknown>;
  /** Paths of inputs Pulumi marked secret (stored encrypted in state). */
  secretInputs: string[];
  id: string;
  state: Record<string, unknown>;
}

export interface RecordingMocksOptions {
  tenantId: string;
  initialDomain: string;
  /** Clock for computed timestamps. */
  now: Date;
}

export const MOCK_SECRET_VALUE = "mock~Secret.Value_0123456789abcdefghijklm";

export class RecordingMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly calls: { token: string; inputs: Record<string, unknown> }[] = [];

  constructor(private readonly options: RecordingMocksOptions) {}

  byType(type: string): RecordedResource[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  only(type: string): RecordedResource {
    const found = this.byType(type);
    if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
    return found[0];
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    this.calls.push({ token: args.token, inputs: args.inputs });
    switch (args.token) {
      case "azuread:index/getClientConfig:getClientConfig":
        return { tenantId: this.options.tenantId, clientId: randomUUID(), objectId: randomUUID() };
      case "azuread:index/getDomains:getDomains":
        return {
          domains: [
            { domainName: this.options.initialDomain, initial: true, verified: true, default: true, authenticationType: "Managed" },
          ],
        };
      default:
        throw new Error(`unexpected invoke ${args.token}`);
    }
  }

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: Record<string, unknown> } {
    const { inputs, secretPaths } = unwrapMockInputs(args.inputs as Record<string, unknown>);
    const computed = this.computedOutputs(args.type, inputs);
    const record: RecordedResource = {
      type: args.type,
      name: args.name,
      inputs,
      secretInputs: secretPaths,
      id: computed.id,
      state: { ...inputs, ...computed.state },
    };
    this.resources.push(record);
    return { id: record.id, state: record.state };
  }

  private computedOutputs(type: string, inputs: Record<string, unknown>): { id: string; state: Record<string, unknown> } {
    const now = this.options.now;
    switch (type) {
      case "azuread:index/application:Application": {
        const objectId = randomUUID();
        return { id: `/applications/${objectId}`, state: { objectId, clientId: randomUUID() } };
      }
      case "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri":
        return {
          id: `${String(inputs.applicationId)}/identifierUris/${Buffer.from(String(inputs.identifierUri)).toString("base64")}`,
          state: {},
        };
      case "azuread:index/servicePrincipal:ServicePrincipal": {
        const objectId = randomUUID();
        return { id: `/servicePrincipals/${objectId}`, state: { objectId } };
      }
      case "time:index/rotating:Rotating": {
        const rotation = new Date(now.getTime() + Number(inputs.rotationDays) * 86_400_000);
        return { id: now.toISOString(), state: { rfc3339: now.toISOString(), rotationRfc3339: rotation.toISOString() } };
      }
      case "azuread:index/applicationPassword:ApplicationPassword": {
        const keyId = randomUUID();
        return {
          id: `${String(inputs.applicationId)}/password/${keyId}`,
          state: { keyId, value: MOCK_SECRET_VALUE, startDate: now.toISOString() },
        };
      }
      case "azuread:index/applicationCertificate:ApplicationCertificate": {
        const keyId = randomUUID();
        return { id: `${String(inputs.applicationId)}/certificate/${keyId}`, state: { keyId } };
      }
      case "azuread:index/claimsMappingPolicy:ClaimsMappingPolicy":
        return { id: `/policies/claimsMappingPolicies/${randomUUID()}`, state: {} };
      case "azuread:index/servicePrincipalClaimsMappingPolicyAssignment:ServicePrincipalClaimsMappingPolicyAssignment":
        return {
          id: `${String(inputs.servicePrincipalId)}/claimsMappingPolicy/${String(inputs.claimsMappingPolicyId).split("/").pop()}`,
          state: {},
        };
      case "command:local:Command":
        return { id: randomUUID(), state: { stdout: "", stderr: "" } };
      case "cmic-entra-oauth:index:CmicEntraIntegration":
        return { id: "", state: {} };
      default:
        throw new Error(`unexpected resource type ${type}`);
    }
  }
}
