/**
 * What `npm run test:tenant` prints: one progress line per step on stderr (as each step ends, with
 * its time), and the summary table on stdout at the end. Pure formatting; redaction is applied by
 * the CLI kernel to everything printed.
 */
import { isFailure, type StepReport, type StepStatus, type TenantTestReport } from "./steps";

import { lastLines, stripAnsi } from "../shared/text";

export { lastLines, stripAnsi };

const MARKS: Record<StepStatus, string> = {
  passed: "✔",
  failed: "✘",
  "timed out": "✘",
  interrupted: "✘",
  skipped: "–",
};

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** `✔ 3/9 up (84.2 s): create 10` — the line printed when a step ends. */
export function progressLine(step: StepReport, total: number): string {
  const time = step.elapsedMs === null ? "" : ` (${seconds(step.elapsedMs)})`;
  const status = step.status === "passed" || step.status === "skipped" ? "" : ` ${step.status.toUpperCase()}`;
  return `${MARKS[step.status]} ${step.number}/${total} ${step.title}${status}${time}: ${step.detail}\n`;
}

/** Text indented under a progress line, ANSI colours removed, blank lines at either end dropped. */
export function indentBlock(text: string, prefix = "    │ "): string {
  const lines = stripAnsi(text).replace(/\r/g, "").split("\n");
  while (lines.length > 0 && lines[0].trim() === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  return lines.length === 0 ? "" : `${lines.map((line) => `${prefix}${line}`.trimEnd()).join("\n")}\n`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

function cleanupText(report: TenantTestReport): string {
  const stack = report.stack;
  const byHand = `pulumi destroy --yes --stack ${stack} && pulumi stack rm --yes ${stack}`;
  const app = `the app registration is '${report.app.displayName}'${report.app.clientId ? ` (client id ${report.app.clientId})` : ""}`;
  switch (report.cleanup) {
    case "removed":
      return `Cleanup: the test app was destroyed and stack ${stack} removed.`;
    case "kept":
      return (
        `Cleanup: --keep, so stack ${stack} and its resources were kept (also Pulumi.${stack}.yaml in the project directory). ` +
        `Remove them from this directory, with the same PULUMI_BACKEND_URL and passphrase: ${byHand}`
      );
    case "left":
      return (
        `Cleanup FAILED: stack ${stack} was not fully destroyed and removed (see the step above). ` +
        `From this directory, with the same PULUMI_BACKEND_URL and passphrase: ${byHand}. ` +
        `As a last resort delete it in the Entra admin center: ${app}.`
      );
    case "none":
      return "Cleanup: nothing to clean up (no stack was created).";
  }
}

/** The summary printed on stdout at the end. */
export function formatSummary(report: TenantTestReport): string {
  const failed = report.steps.filter((step) => isFailure(step.status));
  const verdict =
    failed.length === 0
      ? "PASSED"
      : `FAILED at ${failed.map((step) => `step ${step.number} (${step.title}${step.status === "failed" ? "" : `, ${step.status}`})`).join(", ")}`;
  const lines = [`Tenant test of stack ${report.stack}: ${verdict}`, ""];
  const widths = { number: 3, title: Math.max(4, ...report.steps.map((s) => s.title.length)), status: 11, time: 9 };
  lines.push(
    `  ${pad("#", widths.number)}${pad("STEP", widths.title + 2)}${pad("RESULT", widths.status + 2)}${pad("TIME", widths.time)}DETAIL`,
  );
  for (const step of report.steps) {
    const time = step.elapsedMs === null ? "—" : seconds(step.elapsedMs);
    lines.push(
      `  ${pad(String(step.number), widths.number)}${pad(step.title, widths.title + 2)}${pad(step.status, widths.status + 2)}${pad(time, widths.time)}${step.detail}`,
    );
  }
  lines.push("");
  for (const step of failed) {
    lines.push(`Step ${step.number} (${step.title}) ran: ${step.command}`);
    if (step.fix) lines.push(`Fix: ${step.fix}`);
  }
  lines.push(cleanupText(report));
  lines.push(`Exit status ${report.exitCode}.`);
  return `${lines.join("\n")}\n`;
}
