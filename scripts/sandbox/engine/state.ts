/**
 * A stack's state as the sandbox's engine keeps it: what `pulumi stack export --show-secrets` holds
 * for each resource, reduced to what the engine's rules read. Modelled on Pulumi's checkpoint
 * (pulumi/pulumi sdk/go/common/apitype/core.go `ResourceV3`: urn, custom, id, type, inputs,
 * outputs, parent, protect, retainOnDelete, dependencies, delete — "pending deletion").
 */
import type { Properties } from "../provider/types";

export interface ResourceRecord {
  urn: string;
  type: string;
  name: string;
  /** False for component resources: they have no provider and no id. */
  custom: boolean;
  parent: string | null;
  id: string;
  /** The program's inputs the last operation applied (secrets unwrapped). */
  inputs: Properties;
  /** The provider's view (Pulumi's `outputs`): what refresh reads back and diffs compare against. */
  state: Properties;
  protect: boolean;
  retainOnDelete: boolean;
  /** URNs this resource depends on (inputs and dependsOn): deletes run in reverse of this order. */
  dependencies: string[];
  /**
   * Top-level properties Pulumi keeps secret: those whose input was a secret, and the provider's
   * additional secret outputs. Anything that shows a resource's values (drift's preview digest)
   * prints them as `[secret]`, as `pulumi preview --json` does.
   */
  secretProperties?: string[];
  /**
   * Replaced by a newer instance (create-before-delete) and not deleted yet: Pulumi deletes it at
   * the end of the update, or at the next update when this one failed first (`delete: true`).
   */
  pendingDelete?: boolean;
}

export interface StackState {
  resources: ResourceRecord[];
  /** The stack outputs of the last successful update (plain values, secrets included). */
  outputs: Record<string, unknown>;
}

export function emptyStackState(): StackState {
  return { resources: [], outputs: {} };
}

/** A problem with a stored stack state: which field, and what was expected. */
export class StackStateFormatError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Check a stack state read back from disk (a world directory) before the engine trusts it. */
export function parseStackState(value: unknown, where: string): StackState {
  if (!isRecord(value)) throw new StackStateFormatError(`${where} must be an object with resources and outputs.`);
  const { resources, outputs } = value;
  if (!Array.isArray(resources)) throw new StackStateFormatError(`${where}.resources must be a list.`);
  if (!isRecord(outputs)) throw new StackStateFormatError(`${where}.outputs must be an object.`);
  const parsed = resources.map((resource: unknown, index): ResourceRecord => {
    const at = `${where}.resources[${index}]`;
    if (!isRecord(resource)) throw new StackStateFormatError(`${at} must be an object.`);
    for (const key of ["urn", "type", "name", "id"] as const) {
      if (typeof resource[key] !== "string") throw new StackStateFormatError(`${at}.${key} must be a string.`);
    }
    for (const key of ["custom", "protect", "retainOnDelete"] as const) {
      if (typeof resource[key] !== "boolean") throw new StackStateFormatError(`${at}.${key} must be true or false.`);
    }
    if (!isRecord(resource.inputs) || !isRecord(resource.state))
      throw new StackStateFormatError(`${at}.inputs and .state must be objects.`);
    if (!Array.isArray(resource.dependencies) || !resource.dependencies.every((urn) => typeof urn === "string")) {
      throw new StackStateFormatError(`${at}.dependencies must be a list of URNs.`);
    }
    if (resource.parent !== null && typeof resource.parent !== "string")
      throw new StackStateFormatError(`${at}.parent must be a URN or null.`);
    return {
      urn: resource.urn as string,
      type: resource.type as string,
      name: resource.name as string,
      custom: resource.custom as boolean,
      parent: resource.parent as string | null,
      id: resource.id as string,
      inputs: resource.inputs,
      state: resource.state,
      protect: resource.protect as boolean,
      retainOnDelete: resource.retainOnDelete as boolean,
      dependencies: resource.dependencies as string[],
      ...(Array.isArray(resource.secretProperties)
        ? { secretProperties: resource.secretProperties.filter((name): name is string => typeof name === "string") }
        : {}),
      ...(resource.pendingDelete === true ? { pendingDelete: true } : {}),
    };
  });
  return { resources: parsed, outputs };
}
