/**
 * What the fleet does to ONE stack, through Pulumi's Automation API (@pulumi/pulumi 3.270.0,
 * `automation/{localWorkspace,stack,cmd}.js`, which drives the same CLI a user runs):
 *   preview   stack.preview()          → `pulumi preview … --stack S`: "changes" when a step would change something
 *   up        stack.up()               → `pulumi up --yes --skip-preview … --stack S`, then `stack output` (the outputs)
 *   verify    stack.outputs()          → `pulumi stack output --json [--show-secrets] --stack S`, then this
 *                                        project's verify (a token from Entra, checked as CMiC checks it)
 *   rotate    stack.exportStack() + stack.up({ replace: [anchor URN] }), then rotate's own proof and
 *             report (scripts/rotate/rotation.ts): a new secret, the previous one still valid
 * Each returns one result; none throws for a failure of the stack (the runner catches the rest).
 */
import type { Stack, UpdateSummary } from "@pulumi/pulumi/automation";
import { CmicError } from "../../contract/errors";
import { readPostDeployCheckEnv } from "../../contract/postDeployCheck";
import { parseStackOutputs, type StackOutputs } from "../../contract/stackOutputs";
import { changeText as summaryText, secretOutputValues } from "../shared/automationOutputs";
import { firstLine, lastLines, stripAnsi } from "../shared/text";
import type { FleetOperation, FleetStackResult, FleetStatus } from "./report";

/** Ops that change nothing (`refresh`: read back; `read`: a data source). */
const UNCHANGED_OPS = new Set(["same", "refresh", "read"]);

export interface StackWork {
  stack: Stack;
  signal: AbortSignal;
  /** Everything the CLI prints for this stack (kept for a failure's detail). */
  onOutput(chunk: string): void;
  env: NodeJS.ProcessEnv;
  /** Hide a value learned while running (the stack's secret outputs) from everything printed. */
  addSecret(secret: string | null | undefined): void;
  /** `--refresh`: read every resource back from Entra first (preview, up). */
  refresh: boolean;
  /** rotate: also remove the previous secrets once the current one is proven (`--retire-previous`). */
  retirePrevious: boolean;
  /** verify and rotate: how long propagation errors of a young secret are retried. */
  propagationWindowMs: number;
  progress(line: string): void;
}

export type StackOutcome = Pick<FleetStackResult, "status" | "summary" | "fix" | "detail">;

/** `create 9, same 1` from a change summary. */
function changeText(changes: Record<string, number | undefined> | undefined, none = "no changes"): string {
  return summaryText(changes, none);
}

function changesPending(changes: Record<string, number | undefined> | undefined): boolean {
  return Object.entries(changes ?? {}).some(([op, count]) => !UNCHANGED_OPS.has(op) && typeof count === "number" && count > 0);
}

/** The stack outputs as this project's contract, secrets included (the Automation API shows them). */
export async function stackOutputs(work: Pick<StackWork, "stack" | "addSecret">): Promise<StackOutputs> {
  const map = await work.stack.outputs();
  for (const secret of secretOutputValues(map)) work.addSecret(secret);
  return parseStackOutputs(Object.fromEntries(Object.entries(map).map(([key, output]) => [key, output.value as unknown])));
}

const OPERATION_OPTIONS = { color: "never", suppressOutputs: true } as const;

async function preview(work: StackWork): Promise<StackOutcome> {
  const name = work.stack.name;
  const result = await work.stack.preview({
    ...OPERATION_OPTIONS,
    signal: work.signal,
    onOutput: work.onOutput,
    onError: work.onOutput,
    refresh: work.refresh,
  });
  const changes = result.changeSummary as Record<string, number | undefined>;
  if (!changesPending(changes)) return { status: "ok", summary: changeText(changes) };
  return {
    status: "changes",
    summary: `would change: ${changeText(changes)}`,
    fix: `review them (\`pulumi preview --diff --stack ${name}\`), then apply with \`npm run fleet -- up --stack ${name} --yes\`, or change the code or config back.`,
  };
}

async function up(work: StackWork): Promise<StackOutcome> {
  const result = await work.stack.up({
    ...OPERATION_OPTIONS,
    signal: work.signal,
    onOutput: work.onOutput,
    onError: work.onOutput,
    refresh: work.refresh,
  });
  for (const secret of secretOutputValues(result.outputs)) work.addSecret(secret);
  const summary: UpdateSummary = result.summary;
  const clientId: unknown = result.outputs.clientId?.value;
  return {
    status: "ok",
    summary: `${changeText(summary.resourceChanges as Record<string, number | undefined>)}${typeof clientId === "string" ? `; app ${clientId}` : ""}`,
  };
}

async function verify(work: StackWork): Promise<StackOutcome> {
  const name = work.stack.name;
  const outputs = await stackOutputs(work);
  const { verifyInputFromOutputs, runVerification } = await import("../verify/runner");
  const authorityHost = readPostDeployCheckEnv(work.env).authorityHost ?? undefined;
  const report = await runVerification(verifyInputFromOutputs(outputs, { authorityHost, propagationWindowMs: work.propagationWindowMs }), {
    onProgress: () => undefined,
  });
  if (report.ok) return { status: "ok", summary: `every check CMiC makes passed (app ${outputs.clientId})` };
  const failed = report.checks.filter((check) => !check.ok && check.warning !== true);
  const [first] = failed;
  return {
    status: "failed",
    summary: first ? `${first.id}: ${first.detail}` : "verification failed",
    fix: first?.fix ?? `run \`npm run verify -- --stack ${name}\` for the whole checklist.`,
    detail: failed.map((check) => `${check.id}: ${check.detail}${check.fix ? `\n  fix: ${check.fix}` : ""}`).join("\n"),
  };
}

async function rotate(work: StackWork): Promise<StackOutcome> {
  const name = work.stack.name;
  const [{ pulumiBackend, ROTATION_ANCHOR_TYPE, RotateError }, { rotate: rotateSecret }] = await Promise.all([
    import("../rotate/backends"),
    import("../rotate/rotation"),
  ]);
  // Graph in the stack's own tenant, as `npm run rotate` signs in; the stack itself through the Automation API.
  const base = pulumiBackend(name, { env: work.env }, work.env);
  const backend = {
    ...base,
    outputs: () => stackOutputs(work),
    async replaceAnchor(progress: (line: string) => void): Promise<StackOutputs> {
      const exported = await work.stack.exportStack();
      const resources = ((exported.deployment as { resources?: { urn?: string; type?: string }[] } | undefined)?.resources ?? []).filter(
        (resource) => resource.type === ROTATION_ANCHOR_TYPE,
      );
      const urn = resources[0]?.urn;
      if (!urn) {
        throw new RotateError(
          "ERR_ROTATE_NO_SECRET",
          `The stack ${name} has no secret rotation anchor (${ROTATION_ANCHOR_TYPE}): it has no client secret to rotate.`,
          "rotate only stacks with credential secret or both; leave certificate stacks out of the list.",
        );
      }
      progress(`pulumi up --stack ${name} --replace ${urn}`);
      await work.stack.up({
        ...OPERATION_OPTIONS,
        signal: work.signal,
        onOutput: work.onOutput,
        onError: work.onOutput,
        replace: [urn],
        refresh: true,
      });
      return stackOutputs(work);
    },
  };
  const result = await rotateSecret(backend, {
    issue: !work.retirePrevious,
    retire: work.retirePrevious,
    certificateKeyIds: [],
    propagationWindowMs: work.propagationWindowMs,
    progress: work.progress,
  });
  if (work.retirePrevious) {
    const removed = result.removed.map((credential) => credential.keyId);
    return {
      status: "ok",
      summary: `current secret ${result.current.keyId} proven; ${removed.length === 0 ? "no previous secret to remove" : `removed ${removed.join(", ")}`}`,
    };
  }
  const kept = result.kept.map((credential) => `${credential.keyId} until ${credential.endDateTime ?? "(no end date)"}`);
  return {
    status: "ok",
    summary: `new secret ${result.current.keyId} gets a token CMiC accepts${kept.length > 0 ? `; previous ${kept.join(", ")}` : ""}`,
    fix: `hand it over (\`npm run handoff -- --stack ${name} --reveal\`), then \`npm run fleet -- rotate --retire-previous --stack ${name}\`.`,
  };
}

export const OPERATIONS: Record<FleetOperation, (work: StackWork) => Promise<StackOutcome>> = { preview, up, verify, rotate };

/** What a failed operation says, without the stack's output (which the detail keeps). */
export function failureOutcome(error: unknown, operation: FleetOperation, stack: string, output: string): StackOutcome {
  if (error instanceof CmicError) return { status: "failed", summary: error.message, fix: error.fix, detail: tail(output) };
  const message = error instanceof Error ? error.message : String(error);
  const code = /failed with exit code (\d+)/.exec(message)?.[1];
  const errorLines = [
    ...new Set(
      stripAnsi(output)
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => /^error:/i.test(line)),
    ),
  ];
  const summary = errorLines.slice(-2).join(" | ") || firstLine(message);
  return {
    status: "failed" satisfies FleetStatus,
    summary: `${summary}${code !== undefined ? ` (exit ${code})` : ""}`,
    fix: `see the output below; run \`pulumi ${operation === "verify" || operation === "rotate" ? "stack output" : operation} --stack ${stack}\` alone to look closer, then run the fleet again for this stack (--stack ${stack}).`,
    detail: tail(output),
  };
}

/** The last lines of a stack's output: where the CLI says what went wrong. */
function tail(output: string): string {
  return lastLines(output, 20);
}
