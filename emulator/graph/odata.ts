/**
 * The slice of OData query syntax the project's clients send: `$filter` with `eq` comparisons
 * joined by `and` (plus `collection/any(x:x eq 'v')`), `$select` and `$top`.
 */
import { graphError } from "../errors";

type Predicate = (entity: Record<string, unknown>) => boolean;

const unquote = (literal: string) => literal.slice(1, -1).replace(/''/g, "'");

function compareEq(value: unknown, literal: string): boolean {
  if (literal.startsWith("'")) return typeof value === "string" && value.toLowerCase() === unquote(literal).toLowerCase();
  if (literal === "true" || literal === "false") return value === (literal === "true");
  if (literal === "null") return value === null || value === undefined;
  return String(value) === literal;
}

const CLAUSE_EQ = /^([A-Za-z0-9_/]+)\s+eq\s+('(?:[^']|'')*'|true|false|null|-?\d+)$/;
const CLAUSE_ANY = /^([A-Za-z0-9_]+)\/any\((\w+):\s*\2\s+eq\s+('(?:[^']|'')*')\)$/;

function readPath(entity: Record<string, unknown>, path: string): unknown {
  return path
    .split("/")
    .reduce<unknown>((value, part) => (value && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined), entity);
}

function parseClause(clause: string): Predicate {
  const eq = CLAUSE_EQ.exec(clause);
  if (eq) {
    const [, path, literal] = eq;
    return (entity) => compareEq(readPath(entity, path), literal);
  }
  const any = CLAUSE_ANY.exec(clause);
  if (any) {
    const [, collection, , literal] = any;
    return (entity) => {
      const values = entity[collection];
      return Array.isArray(values) && values.some((value) => compareEq(value, literal));
    };
  }
  throw graphError(
    400,
    "BadRequest",
    `Invalid filter clause: the emulator supports "property eq 'value'" joined by "and", and "collection/any(x:x eq 'value')"; got: ${clause}`,
  );
}

/** A predicate for a `$filter` expression (undefined → everything matches). */
export function parseFilter(filter: string | null): Predicate {
  if (filter === null || filter.trim() === "") return () => true;
  const clauses = filter
    .trim()
    .split(/\s+and\s+/i)
    .map((clause) => parseClause(clause.trim().replace(/^\((.*)\)$/, "$1")));
  return (entity) => clauses.every((predicate) => predicate(entity));
}

export function parseSelect(select: string | null): string[] | undefined {
  if (select === null || select.trim() === "") return undefined;
  return select
    .split(",")
    .map((field) => field.trim())
    .filter((field) => field !== "");
}

/** Keep only selected properties; `id` stays, as Graph returns it. */
export function project(entity: Record<string, unknown>, select: string[] | undefined): Record<string, unknown> {
  if (!select) return entity;
  const projected: Record<string, unknown> = {};
  for (const key of ["id", ...select]) if (key in entity) projected[key] = entity[key];
  return projected;
}

export function parseTop(top: string | null): number | undefined {
  if (top === null) return undefined;
  const n = Number(top);
  if (!Number.isInteger(n) || n < 1 || n > 999)
    throw graphError(400, "BadRequest", `Invalid $top value '${top}': use an integer from 1 to 999.`);
  return n;
}
