/**
 * Reading an untrusted JSON value field by field: every failure names the field's path and what was
 * expected there ({@link EmulatorSnapshotError}).
 */
import { EmulatorSnapshotError, type JsonValue } from "./format";

/**
 * Short strings of ids, dates and names only: an Entra-shaped secret always has a `~` (`abc8Q~…`), so
 * a secret put in the wrong field is described, never shown.
 */
const SHOWN_STRING = /^[A-Za-z0-9.:@/+_-]{1,64}$/;

/** A secret-free description of what was found: its type, and the text of plain short strings. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return SHOWN_STRING.test(value) ? `"${value}"` : `a string of ${value.length} characters`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

/** An object literal or JSON.parse result, from any realm (a vm context's Object.prototype is another object). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

export class SnapshotField {
  constructor(
    private readonly value: unknown,
    /** Where the value is: `""` for the snapshot itself, else `tenants[0].domains[1].name`. */
    readonly path: string,
  ) {}

  fail(expected: string): never {
    throw new EmulatorSnapshotError(this.path, expected, describe(this.value));
  }

  /** Whether the field is missing from its object (a field a newer format added). */
  isAbsent(): boolean {
    return this.value === undefined;
  }

  /** Whether the value is exactly this one (`null`, a format string). */
  is(expected: string | null): boolean {
    return this.value === expected;
  }

  /** An object holding exactly these fields (an unknown one is a typo or a newer format); `expected` names the alternatives. */
  object(fields: readonly string[], expected = "an object"): void {
    const value = this.value;
    if (typeof value !== "object" || value === null || Array.isArray(value)) this.fail(expected);
    for (const name of Object.keys(value)) {
      if (!fields.includes(name)) {
        throw new EmulatorSnapshotError(this.child(name).path, `absent (fields here: ${fields.join(", ")})`, "");
      }
    }
  }

  /** The field `name` of this object; call {@link object} first to check the shape. */
  get(name: string): SnapshotField {
    const record = this.value as Record<string, unknown>;
    return this.child(name, Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined);
  }

  private child(name: string, value?: unknown): SnapshotField {
    return new SnapshotField(value, this.path === "" ? name : `${this.path}.${name}`);
  }

  items(): SnapshotField[] {
    if (!Array.isArray(this.value)) this.fail("an array");
    return this.value.map((item: unknown, index) => new SnapshotField(item, `${this.path}[${index}]`));
  }

  string(): string {
    if (typeof this.value !== "string") this.fail("a string");
    return this.value;
  }

  nonEmptyString(): string {
    if (typeof this.value !== "string" || this.value === "") this.fail("a non-empty string");
    return this.value;
  }

  nullableString(): string | null {
    if (this.value === null) return null;
    if (typeof this.value !== "string") this.fail("a string or null");
    return this.value;
  }

  boolean(): boolean {
    if (typeof this.value !== "boolean") this.fail("true or false");
    return this.value;
  }

  /** Epoch milliseconds. */
  instant(): number {
    if (typeof this.value !== "number" || !Number.isFinite(this.value)) this.fail("a time in epoch milliseconds (a finite number)");
    return this.value;
  }

  /** A date-time string `Date.parse` reads (ISO 8601 / RFC 3339). */
  dateTime(): string {
    if (typeof this.value !== "string" || Number.isNaN(Date.parse(this.value))) this.fail("an ISO 8601 date-time string");
    return this.value;
  }

  /** A lower-case GUID, as the store keeps object ids, app ids and tenant ids. */
  guid(): string {
    if (typeof this.value !== "string" || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(this.value)) {
      this.fail("a lower-case GUID");
    }
    return this.value;
  }

  /** Base64 bytes (standard alphabet, padded); `length`, when given, is the exact byte count. */
  base64(what: string, length?: number): Buffer {
    const text = this.value;
    const expected = length === undefined ? `base64 (${what})` : `base64 of ${length} bytes (${what})`;
    if (typeof text !== "string" || text === "" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) this.fail(expected);
    const bytes = Buffer.from(text, "base64");
    if (length !== undefined && bytes.length !== length) this.fail(expected);
    return bytes;
  }

  strings(): string[] {
    return this.items().map((item) => item.string());
  }

  /** A JSON object, copied (the snapshot's caller keeps its own). */
  jsonObject(): { [name: string]: JsonValue } {
    const copy = this.json();
    if (typeof copy !== "object" || copy === null || Array.isArray(copy)) this.fail("an object");
    return copy;
  }

  /** A JSON value (no undefined, function, NaN or Infinity anywhere inside), copied. */
  json(): JsonValue {
    const value = this.value;
    if (value === null || typeof value === "string" || typeof value === "boolean") return value;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) this.fail("a JSON value (a finite number)");
      return value;
    }
    if (Array.isArray(value)) return this.items().map((item) => item.json());
    if (isPlainObject(value)) {
      // fromEntries defines own properties, so a `__proto__` key stays a key.
      return Object.fromEntries(Object.keys(value).map((name) => [name, this.get(name).json()]));
    }
    return this.fail("a JSON value (a plain object, an array, a string, a finite number, a boolean or null)");
  }
}
