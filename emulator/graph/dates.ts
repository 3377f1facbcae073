/**
 * Dates as Microsoft Graph writes them on directory objects and credentials: RFC 3339 at whole
 * seconds, without a fraction (`2026-01-01T00:00:00Z`). The azuread provider reads these back into
 * state (its Read overwrites the credential dates), so a client that writes `….123Z` sees a
 * difference on the next refresh; the emulator answers like Graph so that difference shows here too.
 */
export function graphDateTime(value: Date | number | string): string {
  const milliseconds = new Date(value).getTime();
  return new Date(Math.floor(milliseconds / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
