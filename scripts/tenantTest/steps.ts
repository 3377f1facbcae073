/**
 * The steps of `npm run test:tenant`, in order, and what a run reports about each. The sequence is
 * Pulumi's own ProgramTest (pulumi/pulumi `pkg/testing/integration/program.go`: stack init and
 * config, preview and update, an empty preview and update with `--expect-no-changes`, a refresh
 * with `--expect-no-changes`, validation, destroy and stack rm), driven by the Automation API, with
 * this project's verify and drift as the validation. Two differences: the empty update is left out
 * (the empty preview, with `--refresh`, asks the same without writing state) and the refresh runs
 * with `--preview-only`, since `refresh --expect-no-changes` writes the state it then rejects
 * (pulumi/pulumi#10967). And one addition, ProgramTest's `ExpectRefreshChanges`: a plain refresh
 * right after `up`, because the first read-back legitimately differs from what `up` saved — the
 * application and its service principal were read before `cmic-identifier-uri` added the URI to
 * them (the sandbox's provider models show it: test/world/lifecycle.test.ts). From then on nothing
 * may change. Light (no Pulumi import): the CLI's help lists these steps.
 */

/**
 * --step-timeout, in seconds: the default leaves room for `pulumi up` (its post-deploy check alone
 * may wait up to 6 minutes for Entra to propagate) on a slow tenant; the minimum is for tests.
 */
export const DEFAULT_STEP_TIMEOUT_S = 1_800;
export const MIN_STEP_TIMEOUT_S = 5;
export const MAX_STEP_TIMEOUT_S = 14_400;

export type StepId =
  | "create-stack"
  | "preview"
  | "up"
  | "refresh-after-up"
  | "preview-no-changes"
  | "refresh-no-changes"
  | "verify"
  | "drift"
  | "destroy"
  | "remove-stack";

export interface StepDefinition {
  id: StepId;
  title: string;
  /** The command line(s) it runs, as a user would type them (the Automation API adds --non-interactive, --exec-kind, --event-log). */
  command(stack: string): string;
  /** Cleanup steps run even after a failure, unless --keep. */
  cleanup: boolean;
}

export const STEPS: readonly StepDefinition[] = [
  {
    id: "create-stack",
    title: "create stack",
    command: (stack) => `pulumi stack init ${stack}; pulumi config set-all --stack ${stack} --plaintext …`,
    cleanup: false,
  },
  { id: "preview", title: "preview", command: (stack) => `pulumi preview --stack ${stack}`, cleanup: false },
  { id: "up", title: "up", command: (stack) => `pulumi up --yes --skip-preview --stack ${stack}`, cleanup: false },
  {
    id: "refresh-after-up",
    title: "refresh reads back what up could not",
    command: (stack) => `pulumi refresh --yes --skip-preview --stack ${stack}`,
    cleanup: false,
  },
  {
    id: "preview-no-changes",
    title: "second run changes nothing",
    command: (stack) => `pulumi preview --expect-no-changes --refresh --stack ${stack}`,
    cleanup: false,
  },
  {
    id: "refresh-no-changes",
    title: "refresh finds no drift",
    command: (stack) => `pulumi refresh --preview-only --expect-no-changes --stack ${stack}`,
    cleanup: false,
  },
  { id: "verify", title: "verify", command: (stack) => `node dist/scripts/verify/cli.js --stack ${stack}`, cleanup: false },
  {
    id: "drift",
    title: "drift",
    command: (stack) => `node dist/scripts/drift/cli.js --stack ${stack} --expiry-days 0`,
    cleanup: false,
  },
  { id: "destroy", title: "destroy", command: (stack) => `pulumi destroy --yes --skip-preview --stack ${stack}`, cleanup: true },
  { id: "remove-stack", title: "remove stack", command: (stack) => `pulumi stack rm --yes ${stack}`, cleanup: true },
];

/**
 * passed/failed; `timed out` (stopped by --step-timeout); `interrupted` (Ctrl-C / SIGTERM);
 * `skipped` (an earlier step failed, or --keep for the cleanup steps).
 */
export type StepStatus = "passed" | "failed" | "timed out" | "interrupted" | "skipped";

export interface StepReport {
  number: number;
  id: StepId;
  title: string;
  command: string;
  status: StepStatus;
  elapsedMs: number | null;
  /** One line: what the step found (passed) or why it failed or was skipped. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export interface TenantTestReport {
  stack: string;
  steps: StepReport[];
  /** destroyed and removed; kept (--keep); left behind (cleanup failed or could not start); none (no stack was created). */
  cleanup: "removed" | "kept" | "left" | "none";
  /** Non-secret facts about the deployed app, for finding it by hand when it was left behind. */
  app: { clientId: string | null; displayName: string };
  exitCode: number;
}

export function isFailure(status: StepStatus): boolean {
  return status === "failed" || status === "timed out" || status === "interrupted";
}
