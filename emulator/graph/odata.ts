/**
 * The slice of OData query syntax the project's clients send: `$filter` with `eq` comparisons
 * joined by `and` (plus `collection/any(x:x eq 'v')`), `$select` and `$top`.
 *
 * String literals follow OData's rule (https://learn.microsoft.com/en-us/graph/query-parameters#escaping-single-quotes):
 * a single quote inside a literal is written twice (`'O''Brien'`). A lone quote ends the literal, so
 * `displayName eq 'O'Brien app'` is a syntax error, which Graph answers with 400 `BadRequest`
 * "Invalid filter clause" (as reported in microsoftgraph/msgraph-sdk-dotnet-core#351 for a name with
 * an apostrophe, and msgraph-sdk-dotnet#1049 for an unterminated literal). terraform-provider-azuread
 * v3.8.0 builds its preventDuplicateNames filter without escaping (applications.go
 * applicationFindByName), so this is the answer a display name with an apostrophe gets.
 */
import { graphError, type HttpError } from "../errors";

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

/** Graph's answer to a `$filter` it cannot parse: no position, no hint, exactly this text. */
const invalidFilterClause = (): HttpError => graphError(400, "BadRequest", "Invalid filter clause");

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

/** Index just past the string literal that opens at `start`; throws Graph's syntax error for a malformed one. */
function endOfLiteral(filter: string, start: number): number {
  let index = start + 1;
  for (;;) {
    if (index >= filter.length) throw invalidFilterClause(); // unterminated literal
    if (filter[index] === "'") {
      if (filter[index + 1] === "'") {
        index += 2; // `''`: an escaped quote inside the literal
        continue;
      }
      break;
    }
    index += 1;
  }
  const after = filter[index + 1];
  // A literal is followed by whitespace, a closing parenthesis or the end: `'O'Brien'` closes at the
  // second quote and leaves `Brien'` dangling.
  if (after !== undefined && !/[\s)]/.test(after)) throw invalidFilterClause();
  return index + 1;
}

/** The `and`-joined clauses of a filter; `and` inside a string literal (`'Tom and Jerry'`) is text. */
function splitClauses(filter: string): string[] {
  const clauses: string[] = [];
  let current = "";
  let index = 0;
  while (index < filter.length) {
    if (filter[index] === "'") {
      const end = endOfLiteral(filter, index);
      current += filter.slice(index, end);
      index = end;
      continue;
    }
    const and = /^\s+and\s+/i.exec(filter.slice(index));
    if (and) {
      clauses.push(current);
      current = "";
      index += and[0].length;
      continue;
    }
    current += filter[index];
    index += 1;
  }
  clauses.push(current);
  return clauses;
}

/** A predicate for a `$filter` expression (undefined → everything matches). */
export function parseFilter(filter: string | null): Predicate {
  if (filter === null || filter.trim() === "") return () => true;
  const clauses = splitClauses(filter.trim()).map((clause) => parseClause(clause.trim().replace(/^\((.*)\)$/, "$1")));
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
