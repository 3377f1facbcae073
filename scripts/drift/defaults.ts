/**
 * Drift's defaults, in a module that loads nothing: the CLI prints them in `--help` without loading
 * the engine, and the engine applies them. One definition for both.
 */

/** Previews run the Pulumi program and a provider per stack: CPU-bound, so few at once. */
export const DEFAULT_CONCURRENCY = 4;
/** Graph audits are one small `$batch` each: latency-bound, so many at once (well under Graph's throttling limits). */
export const DEFAULT_AUDIT_CONCURRENCY = 16;
export const DEFAULT_EXPIRY_DAYS = 30;
/** Each Graph request and each `pulumi stack output`, retries inside the Graph client included. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** One layer of one stack: a preview with refresh reads every resource back, which takes minutes at worst. */
export const DEFAULT_STACK_TIMEOUT_MS = 15 * 60_000;
/** How often a line says which stacks are still being checked. */
export const HEARTBEAT_INTERVAL_MS = 30_000;
