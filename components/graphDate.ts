/** Dates handed to the azuread provider. */

/**
 * A date as Graph returns it for a key credential: RFC 3339 without fractional seconds
 * (`2026-01-01T00:00:00Z`). terraform-provider-azuread v3.8.0 (@pulumi/azuread 6.9.1) overwrites
 * `start_date` and `end_date` with Graph's values on every Read, and both force replacement: an
 * input written by `toISOString()` (`….000Z`) differs from state after every refresh, and the
 * certificate would be replaced on every `pulumi up`. The same holds for every date the program
 * hands the provider (the client secret's end date).
 */
export function graphDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
