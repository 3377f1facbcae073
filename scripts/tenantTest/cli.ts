/**
 * `npm run test:tenant -- [--keep] [--step-timeout SECONDS] [--show-output]`: deploy this project
 * to a real Entra tenant as a throwaway stack and put it through Pulumi's ProgramTest life cycle
 * with the Automation API (scripts/tenantTest/runner.ts), with verify and drift as the validation;
 * the stack is destroyed and removed at the end whatever happened, unless --keep. For provider
 * teams and maintainers who have a test tenant; nothing here runs in `npm test` against a tenant.
 *
 * This file parses options, checks the environment and prints. The Automation API (gRPC, protobuf)
 * is loaded inside `run`, after the environment check, so `--help` and a missing variable are fast.
 */
import crypto from "node:crypto";
import { defineCommand, numberOption, runWhenMain, type OptionSpecs } from "../shared/cli";
import { PROJECT_ROOT } from "../shared/projectRoot";
import { redact } from "../shared/redact";
import { Interrupts } from "../shared/bounded";
import { ENVIRONMENT_SETTINGS, readTenantTestEnvironment, SECRET_VARIABLES } from "./environment";
import { formatSummary } from "./report";
import { DEFAULT_STEP_TIMEOUT_S, MAX_STEP_TIMEOUT_S, MIN_STEP_TIMEOUT_S, STEPS } from "./steps";

const OPTIONS = {
  keep: { type: "boolean" },
  "step-timeout": { type: "string" },
  "show-output": { type: "boolean" },
} as const satisfies OptionSpecs;

const STEP_LINES = STEPS.map((step, index) => `  ${index + 1} ${step.title.padEnd(28)}${step.command("<stack>")}`).join("\n");

const ENVIRONMENT_LINES = ENVIRONMENT_SETTINGS.map(
  (setting) =>
    `  ${setting.name}${setting.required === "always" ? "" : ` (${setting.required === "no" ? "optional" : `required ${setting.required}`})`}\n` +
    `      ${setting.purpose}\n      → ${setting.howToGet}`,
).join("\n");

const HELP = `Usage: npm run test:tenant -- [--keep] [--step-timeout SECONDS] [--show-output]

Deploys this project to a real Entra tenant as a throwaway stack (a unique name,
tenant-test-<time>-<random>) and runs Pulumi's ProgramTest life cycle on it through the
Automation API, from this project directory:
${STEP_LINES}
A step that fails ends the run; steps 8–9 still run, whatever failed, unless --keep.
Step 1 sets protect=false (a protected app could not be destroyed), secretLifetimeDays=1 (a
leftover secret ends within 31 days: 1 + the 30-day run allowance) and the settings from the environment below.

Options:
  --keep                 skip steps 8–9: leave the stack and the app for debugging (the summary
                         says how to remove them by hand)
  --step-timeout S       stop a step still running after S seconds (default ${DEFAULT_STEP_TIMEOUT_S}, ${MIN_STEP_TIMEOUT_S}–${MAX_STEP_TIMEOUT_S}): the
                         Pulumi CLI gets SIGINT and cancels gracefully, verify/drift get SIGTERM
  --show-output          print each step's output when it ends (default: a failed step's last lines)

Environment (checked before any pulumi command; anything missing exits 2 with where to get it):
${ENVIRONMENT_LINES}
  The drift step's Graph audit signs in as the same deployer (AZURE_TENANT_ID/AZURE_CLIENT_ID/
  AZURE_CLIENT_SECRET default to the ARM_* values when none of them is set; with OIDC it uses
  DefaultAzureCredential, e.g. an \`az login\` session).

Output: one progress line per step on stderr, as the step ends, with its time; a summary table
on stdout. Secrets (ARM_CLIENT_SECRET, the passphrase, tokens, the stack's client secret) are
never printed.

Exit status: 0 every step passed (and the stack was removed, or kept with --keep); 1 a step
failed, timed out or was interrupted, or the cleanup failed: the summary names the step;
2 bad usage, missing environment or an unusable Pulumi CLI (nothing was created).
Ctrl-C (or SIGTERM) stops the current step and still cleans up; a second one stops at once.
`;

/** `tenant-test-20260805-101112-3fa9c1`: sorts by time, never collides with another run's stack. */
export function uniqueStackName(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `tenant-test-${stamp}-${crypto.randomBytes(3).toString("hex")}`;
}

export const tenantTestCommand = defineCommand({
  name: "test:tenant",
  summary: "Deploy to a real tenant as a throwaway stack and run Pulumi's ProgramTest life cycle, verify and drift on it.",
  help: HELP,
  options: OPTIONS,
  redaction: {
    knownSecrets: (_argv, env) => SECRET_VARIABLES.map((name) => env[name]),
    redact: (text, secrets) => redact(text, secrets),
  },
  async run(values, io, context) {
    const stepTimeoutS =
      numberOption("step-timeout", values["step-timeout"], { min: MIN_STEP_TIMEOUT_S, max: MAX_STEP_TIMEOUT_S, unit: "seconds" }) ??
      DEFAULT_STEP_TIMEOUT_S;
    const environment = readTenantTestEnvironment(io.env, PROJECT_ROOT);
    const { runTenantTest } = await import("./runner");
    const interrupts = new Interrupts((text) => io.stderr(`test:tenant: ${text}`));
    const report = await runTenantTest(
      {
        environment,
        stackName: uniqueStackName(),
        keep: values.keep === true,
        stepTimeoutMs: stepTimeoutS * 1000,
        showOutput: values["show-output"] === true,
        projectRoot: PROJECT_ROOT,
      },
      {
        env: io.env,
        progress: (text) => io.stderr(text),
        addSecret: (secret) => context.addSecret(secret),
        interrupts,
      },
    );
    io.stdout(formatSummary(report));
    return report.exitCode;
  },
});

runWhenMain(module, tenantTestCommand);
