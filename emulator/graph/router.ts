/**
 * Matching a Graph request against the route table: the first route whose method and path pattern
 * match handles it.
 *
 * Patterns are matched against the path after `/v1.0`, empty segments dropped (`/v1.0//applications/`
 * is `/applications`), case-sensitively:
 * - literal text: `/applications`, `/addPassword`, `/$ref`;
 * - `{key}` right after a collection name: `/{id}` or Graph's alternate key `(appId='…')`;
 * - `/{name}`: exactly one segment, given to the handler by name;
 * - `/**` at the end: any further segments, none included.
 */
import type { EmulatorRequest } from "../http";
import type { EntityKey, GraphHandler, RouteParams } from "./call";

export type RouteMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE" | "*";

/** The Graph versions this emulator serves: v1.0, and the few beta endpoints the project reads. */
export type GraphVersion = "v1.0" | "beta";

/** The version a Graph path is under (the server sends only `/v1.0…` and `/beta…` here). */
export function graphVersion(request: EmulatorRequest): GraphVersion {
  return /^\/beta(\/|$)/.test(request.path) ? "beta" : "v1.0";
}

export interface GraphRoute {
  /** `*` matches every method (the table's 405 and 400 fallbacks). */
  method: RouteMethod;
  path: string;
  handler: GraphHandler;
  /** Only for requests that arrive on their own: a `$batch` cannot carry another `$batch`. */
  topLevelOnly?: boolean;
}

export interface CompiledRoute extends GraphRoute {
  pattern: RegExp;
}

const KEY_SOURCE = String.raw`(?:/(?<id>[^/]+)|\(appId='(?<appId>[^'/]+)'\))`;
const TOKEN = /(\{key\}|\/\{\w+\}|\/\*\*$)/;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function compilePattern(path: string): RegExp {
  const source = path
    .split(TOKEN)
    .map((part) => {
      if (part === "{key}") return KEY_SOURCE;
      if (part === "/**") return "(?:/[^/]+)*";
      const placeholder = /^\/\{(\w+)\}$/.exec(part);
      if (placeholder) return `/(?<${placeholder[1]}>[^/]+)`;
      return escapeRegExp(part);
    })
    .join("");
  return new RegExp(`^${source}$`);
}

export function compileRoutes(routes: readonly GraphRoute[]): CompiledRoute[] {
  return routes.map((route) => ({ ...route, pattern: compilePattern(route.path) }));
}

/** The path the table matches: after `/v1.0` or `/beta`, with empty segments dropped ("" for `/v1.0` itself). */
export function resourcePath(request: EmulatorRequest): string {
  const segments = request.path
    .replace(/^\/(v1\.0|beta)\/?/, "")
    .split("/")
    .filter((s) => s !== "");
  return segments.map((s) => `/${s}`).join("");
}

function paramsOf(groups: Record<string, string | undefined>): RouteParams {
  const { id, appId, ...named } = groups;
  let key: EntityKey | undefined;
  if (id !== undefined) key = { id: id.toLowerCase() };
  else if (appId !== undefined) key = { appId: appId.toLowerCase() };
  const segments: Record<string, string> = {};
  for (const [name, value] of Object.entries(named)) if (value !== undefined) segments[name] = value;
  return { key, segments };
}

export function findRoute(
  routes: readonly CompiledRoute[],
  request: EmulatorRequest,
  topLevel: boolean,
): { route: CompiledRoute; params: RouteParams } | undefined {
  const path = resourcePath(request);
  for (const route of routes) {
    if (route.topLevelOnly && !topLevel) continue;
    if (route.method !== "*" && route.method !== request.method) continue;
    const match = route.pattern.exec(path);
    if (match) return { route, params: paramsOf(match.groups ?? {}) };
  }
  return undefined;
}
