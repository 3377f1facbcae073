/**
 * The fleet's summary: one result per stack, printed as a table, as JSON or as JUnit XML, and the
 * one exit code of the run. The codes are drift's (scripts/drift/report.ts), so a pipeline treats
 * both alike: 0 every stack as expected, 3 changes pending (a preview that would change something),
 * 1 a stack failed or could not be run (this wins over 3: a failed stack never reads as success).
 */
import { escapeXml } from "../drift/report";
import { EXIT_CLEAN, EXIT_COULD_NOT_CHECK, EXIT_DRIFT } from "../drift/report";

export const FLEET_OPERATIONS = ["preview", "up", "verify", "rotate"] as const;
export type FleetOperation = (typeof FLEET_OPERATIONS)[number];

/** `ok`: done as asked. `changes`: a preview found changes to apply. `failed`: it failed, timed out or could not start. */
export type FleetStatus = "ok" | "changes" | "failed";

export interface FleetStackResult {
  stack: string;
  status: FleetStatus;
  /** One line: what happened (`create 9`, `every check CMiC makes passed`, the error). */
  summary: string;
  /** What to do about a failure or pending changes. */
  fix?: string;
  /** Longer detail of a failure (the CLI's last lines, the failed checks), secrets removed. */
  detail?: string;
  elapsedMs: number;
}

export function fleetExitCode(results: readonly FleetStackResult[]): number {
  if (results.some((result) => result.status === "failed")) return EXIT_COULD_NOT_CHECK;
  if (results.some((result) => result.status === "changes")) return EXIT_DRIFT;
  return EXIT_CLEAN;
}

const STATUS_LABEL: Record<FleetStatus, string> = { ok: "ok", changes: "CHANGES", failed: "FAILED" };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function counts(results: readonly FleetStackResult[]): Record<FleetStatus, number> {
  const tally: Record<FleetStatus, number> = { ok: 0, changes: 0, failed: 0 };
  for (const result of results) tally[result.status] += 1;
  return tally;
}

/** One line per stack (its fix under a failure), then the totals and the exit code. */
export function formatFleetTable(operation: FleetOperation, results: readonly FleetStackResult[]): string {
  const width = Math.min(40, Math.max(5, ...results.map((result) => result.stack.length)));
  const lines = [`${"STACK".padEnd(width)}  STATUS   TIME     RESULT`];
  for (const result of results) {
    lines.push(
      `${result.stack.padEnd(width)}  ${STATUS_LABEL[result.status].padEnd(7)}  ${seconds(result.elapsedMs).padEnd(7)}  ${result.summary}`,
    );
    if (result.fix && result.status !== "ok") lines.push(`${" ".repeat(width)}  fix: ${result.fix}`);
  }
  const tally = counts(results);
  lines.push(
    "",
    `fleet ${operation}: ${results.length} stack(s): ${tally.ok} ok, ${tally.changes} with changes, ${tally.failed} failed → exit ${fleetExitCode(results)}`,
  );
  return `${lines.join("\n")}\n`;
}

export interface FleetReportJson {
  operation: FleetOperation;
  ok: boolean;
  exitCode: number;
  generatedAt: string;
  stacks: FleetStackResult[];
}

export function toFleetJson(operation: FleetOperation, results: readonly FleetStackResult[], now: Date): FleetReportJson {
  const exitCode = fleetExitCode(results);
  return { operation, ok: exitCode === EXIT_CLEAN, exitCode, generatedAt: now.toISOString(), stacks: [...results] };
}

/** One testsuite per run, one testcase per stack: a failure is an `<error>`, pending changes a `<failure>`. */
export function toFleetJUnit(operation: FleetOperation, results: readonly FleetStackResult[], now: Date): string {
  const tally = counts(results);
  const timestamp = now.toISOString().replace(/\.\d{3}Z$/, "");
  const cases = results.map((result) => {
    const open = `    <testcase classname="${escapeXml(`fleet.${operation}`)}" name="${escapeXml(result.stack)}" time="${(result.elapsedMs / 1000).toFixed(3)}">`;
    if (result.status === "ok") return `${open}\n      <system-out>${escapeXml(result.summary)}</system-out>\n    </testcase>`;
    const body = escapeXml([result.summary, result.detail, result.fix ? `fix: ${result.fix}` : undefined].filter(Boolean).join("\n"));
    const element = result.status === "failed" ? "error" : "failure";
    const type = result.status === "failed" ? "failed" : "changes";
    return `${open}\n      <${element} message="${escapeXml(result.summary)}" type="${type}">${body}</${element}>\n    </testcase>`;
  });
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="cmic-entra-oauth fleet ${operation}" tests="${results.length}" failures="${tally.changes}" errors="${tally.failed}">\n` +
    `  <testsuite name="${escapeXml(`fleet ${operation}`)}" tests="${results.length}" failures="${tally.changes}" errors="${tally.failed}" skipped="0" timestamp="${timestamp}">\n` +
    `${cases.join("\n")}${cases.length > 0 ? "\n" : ""}  </testsuite>\n</testsuites>\n`
  );
}
