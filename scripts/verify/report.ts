/**
 * The verify report: its types, the checklist and JSON renderings, and the redaction every
 * printed string goes through (pure: no I/O).
 */

/** One named line of the checklist. */
export interface CheckResult {
  /** Stable id: token, signature, issuer, application-id, audience, lifetime, version, cmicuser, ip-check, cmic-endpoint. */
  id: string;
  ok: boolean;
  /** What was found (claims and public values only; never the token or a secret). */
  detail: string;
  /** On failure (or a warning): what to change, naming the setting and value. */
  fix?: string;
  /** A note that does not fail the run (ip-check). */
  warning?: boolean;
}

export interface DecodedToken {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export interface VerifyReport {
  /** Every check passed (warnings allowed). */
  ok: boolean;
  checks: CheckResult[];
  /** The decoded token (header + claims, never the compact string); null when none was obtained. */
  token: DecodedToken | null;
  /** Token requests made (0 in --token mode). */
  tokenRequests: number;
  /** Wall time of the whole run in ms. */
  elapsedMs: number;
}

/** The order checks are printed in, whatever order they were produced. */
export const CHECK_ORDER = [
  "token",
  "signature",
  "issuer",
  "application-id",
  "audience",
  "lifetime",
  "version",
  "cmicuser",
  "ip-check",
  "cmic-endpoint",
] as const;

export function sortChecks(checks: CheckResult[]): CheckResult[] {
  const rank = (id: string): number => {
    const index = (CHECK_ORDER as readonly string[]).indexOf(id);
    return index === -1 ? CHECK_ORDER.length : index;
  };
  return [...checks].sort((a, b) => rank(a.id) - rank(b.id));
}

export function reportOk(checks: CheckResult[]): boolean {
  return checks.length > 0 && checks.every((check) => check.ok);
}

export { redact, redactorFor } from "../shared/redact";

function mark(check: CheckResult): string {
  if (!check.ok) return "✘";
  return check.warning ? "!" : "✔";
}

/** The human checklist: one ✔/✘/! line per check, indented cause/fix, then a summary. */
export function renderChecklist(report: VerifyReport): string {
  const lines: string[] = [];
  const checks = sortChecks(report.checks);
  const width = Math.max(...checks.map((check) => check.id.length), 8);
  for (const check of checks) {
    lines.push(`${mark(check)} ${check.id.padEnd(width)}  ${check.detail}`);
    if (check.fix && (!check.ok || check.warning)) {
      lines.push(`  ${" ".repeat(width)}  fix: ${check.fix}`);
    }
  }
  const failed = checks.filter((check) => !check.ok);
  const warnings = checks.filter((check) => check.ok && check.warning);
  lines.push("");
  if (report.ok) {
    lines.push(
      `OK: the token passes every check CMiC makes` +
        (warnings.length ? ` (${warnings.length} note${warnings.length > 1 ? "s" : ""}: ${warnings.map((c) => c.id).join(", ")})` : "") +
        ".",
    );
  } else {
    lines.push(
      `FAILED: ${failed.length} check${failed.length === 1 ? "" : "s"} failed (${failed.map((c) => c.id).join(", ")}). Apply the fixes above and run verify again.`,
    );
  }
  return lines.join("\n");
}

/** The `--json` shape: `{ ok, checks: [{ id, ok, detail, fix?, warning? }], token: { header, claims } | null }`. */
export function renderJson(report: VerifyReport): string {
  const body = {
    ok: report.ok,
    checks: sortChecks(report.checks).map((check) => ({
      id: check.id,
      ok: check.ok,
      detail: check.detail,
      ...(check.fix !== undefined ? { fix: check.fix } : {}),
      ...(check.warning ? { warning: true } : {}),
    })),
    token: report.token ? { header: report.token.header, claims: report.token.claims } : null,
  };
  return JSON.stringify(body, null, 2);
}
