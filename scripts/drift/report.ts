/**
 * Drift results and how they are shown: the shared vocabulary (finding, check, per-stack result,
 * exit codes) and three renderings of it: a table for people, JSON for machines, JUnit XML for CI
 * test tabs. Pure: nothing here does I/O.
 */

export type DriftLayer = "pulumi" | "graph";

/**
 * `drift`: the live configuration differs from what the stack deployed.
 * `expiry`: a credential expires (or has expired) within the warning window.
 * `error`: the check itself could not be made; the stack can then not be called clean.
 */
export type FindingSeverity = "drift" | "expiry" | "error";

export interface DriftFinding {
  stack: string;
  layer: DriftLayer;
  /** Stable identifier of the kind of finding, e.g. `graph.app.tokenVersion`; safe to match on. */
  id: string;
  severity: FindingSeverity;
  /** What the finding is about: a Pulumi resource (`name (Type)`) or a Graph object. */
  resource: string;
  property?: string;
  expected?: string;
  actual?: string;
  /** What is wrong, in a sentence. */
  message: string;
  /** What an admin does about it. */
  fix: string;
}

/** One check that was made; it passed when it has no findings. One JUnit testcase each. */
export interface DriftCheck {
  layer: DriftLayer;
  /** Stable identifier of the check, e.g. `graph.app.tokenVersion` or `pulumi.resource`. */
  id: string;
  /** Human name, unique within the stack (the JUnit testcase name). */
  name: string;
  resource: string;
  findings: DriftFinding[];
  /**
   * What the check noticed that is no finding: it never changes the status or the exit code (e.g.
   * "the connector has switched to the current secret", "sign-in activity is not offered here").
   */
  notes?: string[];
}

export type StackStatus = "clean" | "drift" | "error";

export interface StackDriftResult {
  stack: string;
  status: StackStatus;
  checks: DriftCheck[];
  /** Why the stack could not be (fully) checked, when status is `error`. */
  error?: string;
}

/** `npm run drift`'s exit codes. */
export const EXIT_CLEAN = 0;
export const EXIT_COULD_NOT_CHECK = 1;
export const EXIT_USAGE = 2;
export const EXIT_DRIFT = 3;

export function findingsOf(result: StackDriftResult): DriftFinding[] {
  return result.checks.flatMap((check) => check.findings);
}

/** A stack with any error (or a stack-level error message) is `error`; never `clean`. */
export function stackStatus(checks: DriftCheck[], error?: string): StackStatus {
  const findings = checks.flatMap((check) => check.findings);
  if (error !== undefined || findings.some((f) => f.severity === "error")) return "error";
  return findings.length > 0 ? "drift" : "clean";
}

/**
 * One exit code for a fleet. Any stack that could not be checked makes it 1: the run then cannot
 * say the fleet is clean *or* give the full list of drift, and "could not check" (expired pipeline
 * credential, lost permission, broken program) silently hides every future drift until fixed, so it
 * must not be read as "just drift". Otherwise 3 when any stack drifted or has an expiring
 * credential, else 0. Findings of every stack are reported either way.
 */
export function fleetExitCode(results: StackDriftResult[]): number {
  if (results.length === 0) return EXIT_COULD_NOT_CHECK;
  if (results.some((r) => r.status === "error")) return EXIT_COULD_NOT_CHECK;
  if (results.some((r) => r.status === "drift")) return EXIT_DRIFT;
  return EXIT_CLEAN;
}

/** The human word for a status, used by the table and the progress lines. */
export function statusLabel(status: StackStatus): string {
  return status === "clean" ? "clean" : status === "drift" ? "DRIFT" : "COULD NOT CHECK";
}

// ---------------------------------------------------------------------------------------------
// JSON

/** A check as `--json` prints it: findings are listed once, under the stack. */
export interface DriftCheckJson {
  layer: DriftLayer;
  id: string;
  name: string;
  resource: string;
  status: "pass" | "fail" | "error";
  /** Present when the check has notes (they never change `status`). */
  notes?: string[];
}

export interface StackDriftJson {
  stack: string;
  status: StackStatus;
  error?: string;
  findings: DriftFinding[];
  checks: DriftCheckJson[];
}

/**
 * What `npm run drift -- --json` prints (the documented, stable shape). Fields are only ever added.
 * `ok` is true exactly when `exitCode` is 0.
 */
export interface DriftReportJson {
  ok: boolean;
  exitCode: number;
  expiryDays: number;
  generatedAt: string;
  stacks: StackDriftJson[];
}

export function checkStatus(check: DriftCheck): DriftCheckJson["status"] {
  if (check.findings.some((f) => f.severity === "error")) return "error";
  return check.findings.length > 0 ? "fail" : "pass";
}

export function toJsonReport(results: StackDriftResult[], options: { expiryDays: number; now?: Date }): DriftReportJson {
  const exitCode = fleetExitCode(results);
  return {
    ok: exitCode === EXIT_CLEAN,
    exitCode,
    expiryDays: options.expiryDays,
    generatedAt: (options.now ?? new Date()).toISOString(),
    stacks: results.map((result) => ({
      stack: result.stack,
      status: result.status,
      ...(result.error !== undefined ? { error: result.error } : {}),
      findings: findingsOf(result),
      checks: result.checks.map((check) => ({
        layer: check.layer,
        id: check.id,
        name: check.name,
        resource: check.resource,
        status: checkStatus(check),
        ...(check.notes && check.notes.length > 0 ? { notes: [...check.notes] } : {}),
      })),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Table

const COLUMN_LIMITS = { layer: 6, resource: 44, property: 32 } as const;

function clip(text: string, width: number): string {
  return text.length <= width ? text.padEnd(width) : `${text.slice(0, width - 1)}…`;
}

/** One line per finding, with its fix under it; clean stacks get one line. */
export function formatTable(results: StackDriftResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    const findings = findingsOf(result);
    lines.push(`Stack ${result.stack}: ${statusLabel(result.status)} (${result.checks.length} checks, ${findings.length} findings)`);
    // Errors tied to a check are listed with the findings; only a stack-level one needs its own line.
    if (result.error !== undefined && !findings.some((f) => f.severity === "error")) lines.push(`  could not check: ${result.error}`);
    for (const note of result.checks.flatMap((check) => check.notes ?? [])) lines.push(`  note: ${note}`);
    if (findings.length === 0) {
      lines.push("");
      continue;
    }
    lines.push(
      `  ${clip("LAYER", COLUMN_LIMITS.layer)}  ${clip("RESOURCE", COLUMN_LIMITS.resource)}  ${clip("PROPERTY", COLUMN_LIMITS.property)}  FINDING`,
    );
    for (const f of findings) {
      const tag = f.severity === "drift" ? "" : `[${f.severity}] `;
      const values = f.expected !== undefined || f.actual !== undefined ? ` (expected ${f.expected ?? "—"}, found ${f.actual ?? "—"})` : "";
      lines.push(
        `  ${clip(f.layer, COLUMN_LIMITS.layer)}  ${clip(f.resource, COLUMN_LIMITS.resource)}  ${clip(f.property ?? "", COLUMN_LIMITS.property)}  ${tag}${f.message}${values}`,
      );
      lines.push(`  ${" ".repeat(COLUMN_LIMITS.layer)}  fix: ${f.fix}`);
    }
    lines.push("");
  }
  const exitCode = fleetExitCode(results);
  const counts = (status: StackStatus) => results.filter((r) => r.status === status).length;
  lines.push(
    `${results.length} stack(s): ${counts("clean")} clean, ${counts("drift")} with drift, ${counts("error")} could not be checked → exit ${exitCode}`,
  );
  return `${lines.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// JUnit XML

/** Characters XML 1.0 cannot carry at all (most C0 controls): dropped rather than producing invalid XML. */
// eslint-disable-next-line no-control-regex
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(text: string): string {
  return text
    .replace(INVALID_XML_CHARS, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function describeFinding(f: DriftFinding): string {
  const parts = [`[${f.severity}] ${f.resource}${f.property ? ` · ${f.property}` : ""}: ${f.message}`];
  if (f.expected !== undefined) parts.push(`  expected: ${f.expected}`);
  if (f.actual !== undefined) parts.push(`  actual:   ${f.actual}`);
  parts.push(`  fix: ${f.fix}`);
  return parts.join("\n");
}

/**
 * One `<testsuite>` per stack, one `<testcase>` per check. A check with drift or expiry findings has a
 * `<failure>`; one that could not be made has an `<error>`; a stack that could not be checked at all
 * gets an extra errored testcase so it never shows as an empty, green suite.
 */
export function toJUnitXml(results: StackDriftResult[], options: { now?: Date } = {}): string {
  const timestamp = (options.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "");
  const suites: string[] = [];
  let totalTests = 0;
  let totalFailures = 0;
  let totalErrors = 0;
  for (const result of results) {
    const cases: string[] = [];
    let failures = 0;
    let errors = 0;
    for (const check of result.checks) {
      const status = checkStatus(check);
      const open = `    <testcase classname="${escapeXml(`drift.${result.stack}.${check.layer}`)}" name="${escapeXml(check.name)}">`;
      // Notes are the testcase's output: CI test tabs show them without failing anything.
      const notes = check.notes && check.notes.length > 0 ? `\n      <system-out>${escapeXml(check.notes.join("\n"))}</system-out>` : "";
      if (status === "pass") {
        cases.push(notes === "" ? `${open}</testcase>` : `${open}${notes}\n    </testcase>`);
        continue;
      }
      const body = escapeXml(check.findings.map(describeFinding).join("\n\n"));
      const first = check.findings.find((f) => (status === "error" ? f.severity === "error" : true)) ?? check.findings[0];
      const message = escapeXml(`${first.message}${check.findings.length > 1 ? ` (+${check.findings.length - 1} more)` : ""}`);
      if (status === "error") {
        errors += 1;
        cases.push(`${open}\n      <error message="${message}" type="could-not-check">${body}</error>${notes}\n    </testcase>`);
      } else {
        failures += 1;
        const type = check.findings.every((f) => f.severity === "expiry") ? "expiry" : "drift";
        cases.push(`${open}\n      <failure message="${message}" type="${type}">${body}</failure>${notes}\n    </testcase>`);
      }
    }
    if (result.error !== undefined && !result.checks.some((check) => checkStatus(check) === "error")) {
      errors += 1;
      cases.push(
        `    <testcase classname="${escapeXml(`drift.${result.stack}`)}" name="${escapeXml(`${result.stack}: stack can be checked`)}">\n` +
          `      <error message="${escapeXml(result.error)}" type="could-not-check">${escapeXml(result.error)}</error>\n    </testcase>`,
      );
    }
    totalTests += cases.length;
    totalFailures += failures;
    totalErrors += errors;
    suites.push(
      `  <testsuite name="${escapeXml(`drift: ${result.stack}`)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" timestamp="${timestamp}">\n` +
        `${cases.join("\n")}${cases.length > 0 ? "\n" : ""}  </testsuite>`,
    );
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="cmic-entra-oauth drift" tests="${totalTests}" failures="${totalFailures}" errors="${totalErrors}">\n` +
    `${suites.join("\n")}${suites.length > 0 ? "\n" : ""}</testsuites>\n`
  );
}
