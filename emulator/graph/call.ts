/**
 * What a Graph route handler is given (the caller, the request, the matched path parameters) and
 * what every handler shares: JSON bodies, OData response envelopes and Graph's routing errors.
 */
import type { EmulatorContext } from "../context";
import { graphError, type HttpError } from "../errors";
import { json, type EmulatorRequest, type EmulatorResponse } from "../http";
import type { DirectoryStore, Tenant } from "../store";
import { isObject } from "./objects";
import { parseFilter, parseSelect, parseTop, project } from "./odata";

/** Who is calling, from the bearer token: its `tid` selects the tenant, as in Graph. */
export interface Caller {
  tenant: Tenant;
  appId: string;
  /** The Graph application permissions of the caller's token (`roles`). */
  roles: readonly string[];
}

/** One inner request of a `$batch`, for the request log. */
export interface BatchedRequestRecord {
  method: string;
  path: string;
  status: number;
}

/** `applications/{id}` or `applications(appId='…')`: the key of the entity a path addresses. */
export interface EntityKey {
  id?: string;
  appId?: string;
}

export interface RouteParams {
  /** What the route's `{key}` matched; both forms lower-cased. */
  key?: EntityKey;
  /** What the route's `/{name}` placeholders matched, by name, as sent (decoded). */
  segments: Readonly<Record<string, string>>;
}

/** What lasts for one authenticated Graph request, `$batch` included. */
export interface GraphSession {
  context: EmulatorContext;
  caller: Caller;
  /** Told about every request a `$batch` carries, for the request log. */
  onBatched?: (record: BatchedRequestRecord) => void;
  /** Told after each request (a `$batch`'s inner ones included) that wrote to the directory. */
  onDirectoryChanged?: () => void;
}

export interface GraphCall extends GraphSession {
  store: DirectoryStore;
  /** The caller's tenant: every object a handler reads or writes belongs to it. */
  tenant: Tenant;
  request: EmulatorRequest;
  params: RouteParams;
  /** Route a request carried inside a `$batch`: same caller, no nested `$batch`. */
  routeBatched(request: EmulatorRequest): Promise<EmulatorResponse>;
}

export type GraphHandler = (call: GraphCall) => EmulatorResponse | Promise<EmulatorResponse>;

/** The `{key}` of the matched route; the route table only sends keyed paths to handlers that read it. */
export function entityKey(call: GraphCall): EntityKey {
  if (!call.params.key) throw new Error(`route for ${call.request.path} has no {key}`);
  return call.params.key;
}

/** The `/{name}` placeholder of the matched route. */
export function segment(call: GraphCall, name: string): string {
  const value = call.params.segments[name];
  if (value === undefined) throw new Error(`route for ${call.request.path} has no {${name}}`);
  return value;
}

export function parseJsonBody(request: EmulatorRequest): Record<string, unknown> {
  if (request.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.body.toString("utf8"));
  } catch {
    throw graphError(
      400,
      "BadRequest",
      "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
  }
  if (!isObject(parsed)) throw graphError(400, "BadRequest", "The request body must be a JSON object.");
  return parsed;
}

export function contextUrl(call: GraphCall, fragment: string): string {
  return `${call.context.origin}/v1.0/$metadata#${fragment}`;
}

/** A collection with `$filter`, `$top` and `$select` applied, in Graph's envelope. */
export function listResponse(call: GraphCall, fragment: string, items: Record<string, unknown>[]): EmulatorResponse {
  const { query } = call.request;
  const select = parseSelect(query.get("$select"));
  const top = parseTop(query.get("$top"));
  const filtered = items.filter(parseFilter(query.get("$filter")));
  const value = (top ? filtered.slice(0, top) : filtered).map((item) => project(item, select));
  const suffix = select ? `(${select.join(",")})` : "";
  return json(200, { "@odata.context": contextUrl(call, `${fragment}${suffix}`), value });
}

/** One entity with `$select` applied, in Graph's envelope. */
export function entityResponse(call: GraphCall, fragment: string, item: Record<string, unknown>, status = 200): EmulatorResponse {
  const select = parseSelect(call.request.query.get("$select"));
  return json(status, { "@odata.context": contextUrl(call, `${fragment}/$entity`), ...project(item, select) });
}

export function unsupportedMethod(request: EmulatorRequest): HttpError {
  return graphError(405, "Request_BadRequest", `The emulator does not implement ${request.method} ${request.path}.`);
}

export function unknownSegment(name: string): HttpError {
  return graphError(400, "BadRequest", `Resource not found for the segment '${name}'.`);
}

/**
 * For the catch-all routes under an entity: the addressed object is looked up first, so a missing
 * one answers 404 before any method (405) or segment (400) error.
 */
export function rejectMethodOn(find: (call: GraphCall) => unknown): GraphHandler {
  return (call) => {
    find(call);
    throw unsupportedMethod(call.request);
  };
}

export function rejectUnknownSegmentOn(find: (call: GraphCall) => unknown): GraphHandler {
  return (call) => {
    find(call);
    throw unknownSegment(segment(call, "segment"));
  };
}

/** The catch-all for anything outside the route table's resources. */
export const rejectUnknownSegment: GraphHandler = (call) => {
  throw unknownSegment(segment(call, "segment"));
};

export const rejectMethod: GraphHandler = (call) => {
  throw unsupportedMethod(call.request);
};
