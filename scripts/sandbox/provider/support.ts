/**
 * What every model shares: Graph failures turned into the provider's errors, the optional context
 * the engine may add, the ids the real providers give, and Go's RFC 3339 formatting.
 */
import { ResourceApplyError } from "./errors";
import type { Properties, ProviderContext } from "./types";

/**
 * The optional parts of the context: the logical name of the resource being worked on (the engine
 * passes it; errors and command.local.Command's id use it), and the deployer's object id, which the
 * azuread provider adds as an initial owner (not passed yet: the emulator has no owners routes, so
 * no owner request is sent). Read defensively so that a caller passing neither still works.
 */
export interface ContextExtras {
  resourceName?: string;
  callerObjectId?: string;
}

export function contextExtras(ctx: ProviderContext): ContextExtras {
  const extra = ctx as ProviderContext & { resourceName?: unknown; callerObjectId?: unknown };
  return {
    resourceName: typeof extra.resourceName === "string" && extra.resourceName !== "" ? extra.resourceName : undefined,
    callerObjectId: typeof extra.callerObjectId === "string" && extra.callerObjectId !== "" ? extra.callerObjectId : undefined,
  };
}

/**
 * A model's failure: a ResourceApplyError named after the resource when the engine said which one,
 * else after the Terraform resource type (how the provider's own diagnostics read). The engine can
 * rename it with {@link renameResourceError}.
 */
export function applyError(ctx: ProviderContext | null, tfType: string, message: string, fix?: string): ResourceApplyError {
  const name = (ctx && contextExtras(ctx).resourceName) ?? tfType;
  return new ResourceApplyError(name, message, fix);
}

/** The same error under the resource's logical name (for an engine that wraps what a model throws). */
export function renameResourceError(error: ResourceApplyError, resourceName: string): ResourceApplyError {
  if (error.resource === resourceName) return error;
  const prefix = `${error.resource}: `;
  const message = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  return new ResourceApplyError(resourceName, message, error.fix);
}

export interface GraphFailure {
  statusCode?: number;
  code?: string;
  message: string;
}

/** The status, code and message of a failed Graph call (a GraphError from @microsoft/microsoft-graph-client, or anything else). */
export function graphFailure(error: unknown): GraphFailure {
  if (error instanceof ResourceApplyError) return { message: error.message };
  const failure = error as { statusCode?: unknown; code?: unknown; message?: unknown };
  return {
    statusCode: typeof failure.statusCode === "number" && failure.statusCode > 0 ? failure.statusCode : undefined,
    code: typeof failure.code === "string" ? failure.code : undefined,
    message: typeof failure.message === "string" ? failure.message : String(error),
  };
}

export function isNotFound(error: unknown): boolean {
  return graphFailure(error).statusCode === 404;
}

/** `Graph answered 400 Request_BadRequest: …`, the detail of a provider diagnostic. */
export function describeGraphFailure(error: unknown): string {
  const failure = graphFailure(error);
  if (failure.statusCode === undefined) return failure.message;
  return `Graph answered ${failure.statusCode}${failure.code ? ` ${failure.code}` : ""}: ${failure.message}`;
}

/**
 * Run a Graph call; a failure becomes the provider's diagnostic `<summary>: <Graph's answer>`
 * (tf.ErrorDiagF(err, summary) prints the summary with the error as its detail).
 */
export async function graphStep<T>(
  ctx: ProviderContext,
  tfType: string,
  summary: string,
  call: () => Promise<T>,
  fix?: string,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ResourceApplyError) throw error;
    throw applyError(ctx, tfType, `${summary}: ${describeGraphFailure(error)}`, fix);
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isGuid(value: unknown): value is string {
  return typeof value === "string" && GUID.test(value);
}

/**
 * The object id in a resource id of the form `/<collection>/<id>` (go-azure-sdk's stable.Parse…ID:
 * exactly those two segments). Null when the id has another shape.
 */
export function objectIdIn(
  resourceId: unknown,
  collection: "applications" | "servicePrincipals" | "policies/claimsMappingPolicies",
): string | null {
  if (typeof resourceId !== "string") return null;
  const prefix = `/${collection}/`;
  if (!resourceId.startsWith(prefix)) return null;
  const id = resourceId.slice(prefix.length);
  return id !== "" && !id.includes("/") ? id : null;
}

/**
 * An RFC 3339 date as Go's `time.Parse(time.RFC3339, s)` followed by `Format(time.RFC3339)` gives it:
 * fractional seconds dropped, the offset kept. terraform-provider-azuread v3.8.0 sends credential
 * dates this way (internal/helpers/credentials/credentials.go). Null when Go would not parse it.
 */
export function goRfc3339(value: string): string | null {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(value);
  if (!match || Number.isNaN(Date.parse(value))) return null;
  return `${match[1]}${match[2]}`;
}

/** A time as Go's `t.UTC().Format(time.RFC3339)` prints it: whole seconds, `Z`. */
export function formatGoRfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A string property, or "" (what Go's GetOrZero gives for a null). */
export function stringOr(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

export function isRecord(value: unknown): value is Properties {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Properties a model does not model: the sandbox refuses them rather than ignoring them silently. */
export function rejectUnmodelled(
  ctx: ProviderContext,
  tfType: string,
  pulumiType: string,
  inputs: Properties,
  known: readonly string[],
): void {
  const unknown = Object.keys(inputs).filter((key) => !known.includes(key) && inputs[key] !== undefined && inputs[key] !== null);
  if (unknown.length > 0) {
    throw applyError(
      ctx,
      tfType,
      `the sandbox's model of ${pulumiType} does not model ${unknown.join(", ")}`,
      "extend scripts/sandbox/provider/ with the provider's behaviour for these properties, from its source.",
    );
  }
}
