/** The shape of Graph's answers as the audit reads them: one inner `$batch` response, and safe field access. */

/** One inner response of a `$batch` (its own status; the batch itself is 200). */
export interface BatchResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value when it is a string (Graph fields are untyped JSON). */
export function stringField(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
