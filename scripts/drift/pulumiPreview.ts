/**
 * Layer 1 of drift: Pulumi's own view. Runs `pulumi preview --refresh --expect-no-changes --json`,
 * which reads every resource from Entra in memory and shows what `pulumi up` would change, without
 * writing state (unlike `pulumi refresh --expect-no-changes`, which saves the refreshed state first,
 * pulumi/pulumi#10967).
 *
 * The exit code alone cannot be trusted: CLIs from v3.226.1 exit 7 for "changes found", older ones
 * exit 255 for changes and for errors alike (pulumi/pulumi#5144). So the decision is taken from the
 * JSON digest (`steps[]`, `changeSummary`, `diagnostics`, shape in pulumi/pulumi
 * pkg/backend/display/json.go), and a non-zero exit without a usable digest is "could not check".
 */
import { CmicError, EXIT_FAILED } from "../../contract/errors";
import { runPulumi, type PulumiInvocation } from "../shared/pulumiCli";
import type { DriftCheck, DriftFinding } from "./report";
import { stripAnsi } from "../shared/text";

// ---------------------------------------------------------------------------------------------
// The digest, as far as drift reads it

export interface PreviewPropertyDiff {
  kind: string;
  inputDiff?: boolean;
}

export interface PreviewResourceState {
  type?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

export interface PreviewStep {
  op: string;
  urn: string;
  oldState?: PreviewResourceState;
  newState?: PreviewResourceState;
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff?: Record<string, PreviewPropertyDiff> | null;
}

export interface PreviewDiagnostic {
  urn?: string;
  message?: string;
  severity?: string;
}

export interface PreviewDigest {
  steps: PreviewStep[];
  diagnostics: PreviewDiagnostic[];
  changeSummary: Record<string, number>;
}

/** Ops that change nothing: `refresh` marks a resource read back unchanged, `read` a data source. */
const UNCHANGED_OPS = new Set(["same", "refresh", "read"]);

/** `--expect-no-changes`' own complaint; it is the drift signal, not a failure of the check. */
const EXPECT_NO_CHANGES_MESSAGE = /no changes were expected but changes (were proposed|occurred)/i;

export { stripAnsi };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : undefined;
}

function resourceState(value: unknown): PreviewResourceState | undefined {
  if (!isRecord(value)) return undefined;
  return {
    type: typeof value.type === "string" ? value.type : undefined,
    inputs: isRecord(value.inputs) ? value.inputs : undefined,
    outputs: isRecord(value.outputs) ? value.outputs : undefined,
  };
}

/**
 * Parse the digest printed by `pulumi preview --json`. Returns null when stdout holds no digest
 * (empty, `{}`, or not JSON), which is what failing CLIs print.
 */
export function parsePreviewDigest(stdout: string): PreviewDigest | null {
  const text = stdout.trim();
  if (text === "") return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(json)) return null;
  if (json.steps === undefined && json.diagnostics === undefined && json.changeSummary === undefined) return null;
  const steps: PreviewStep[] = (Array.isArray(json.steps) ? json.steps : []).filter(isRecord).flatMap((step) => {
    if (typeof step.op !== "string" || typeof step.urn !== "string") return [];
    const detailed = isRecord(step.detailedDiff)
      ? Object.fromEntries(
          Object.entries(step.detailedDiff).map(([path, diff]) => [
            path,
            {
              kind: isRecord(diff) && typeof diff.kind === "string" ? diff.kind : "update",
              inputDiff: isRecord(diff) ? diff.inputDiff === true : false,
            },
          ]),
        )
      : null;
    return [
      {
        op: step.op,
        urn: step.urn,
        oldState: resourceState(step.oldState),
        newState: resourceState(step.newState),
        diffReasons: stringArray(step.diffReasons),
        replaceReasons: stringArray(step.replaceReasons),
        detailedDiff: detailed,
      },
    ];
  });
  const diagnostics: PreviewDiagnostic[] = (Array.isArray(json.diagnostics) ? json.diagnostics : []).filter(isRecord).map((d) => ({
    urn: typeof d.urn === "string" ? d.urn : undefined,
    message: typeof d.message === "string" ? stripAnsi(d.message).trim() : undefined,
    severity: typeof d.severity === "string" ? d.severity : undefined,
  }));
  const changeSummary: Record<string, number> = {};
  if (isRecord(json.changeSummary)) {
    for (const [op, count] of Object.entries(json.changeSummary)) if (typeof count === "number") changeSummary[op] = count;
  }
  return { steps, diagnostics, changeSummary };
}

// ---------------------------------------------------------------------------------------------
// URNs and values

export interface ParsedUrn {
  /** The resource's own type token, e.g. `azuread:index/application:Application`. */
  type: string;
  name: string;
}

/** `urn:pulumi:<stack>::<project>::<parent types$>type::<name>`; the name may itself contain `::`. */
export function parseUrn(urn: string): ParsedUrn {
  const parts = urn.split("::");
  if (parts.length < 4) return { type: "unknown", name: urn };
  const typeChain = parts[2];
  return { type: typeChain.split("$").pop() ?? typeChain, name: parts.slice(3).join("::") };
}

/** `name (Application)`: short enough for a table, precise enough to find in `pulumi stack --show-urns`. */
export function resourceLabel(urn: string): string {
  const { type, name } = parseUrn(urn);
  return `${name} (${type.split(":").pop() ?? type})`;
}

/** Read a detailedDiff path such as `api.requestedAccessTokenVersion` or `identifierUris[0]`. */
export function valueAtPath(source: Record<string, unknown> | undefined, path: string): unknown {
  let current: unknown = source;
  for (const segment of path.match(/[^.[\]]+/g) ?? []) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (isRecord(current)) current = current[segment];
    else return undefined;
  }
  return current;
}

const MAX_VALUE_LENGTH = 160;

/** A value for the report: JSON, clipped. Secrets are already `[secret]` in the digest. */
export function displayValue(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Interpretation (pure)

export interface PreviewRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface PreviewOutcome {
  /** One check per resource in the digest, or a single errored check when there is no digest. */
  checks: DriftCheck[];
  /** Why the preview could not be used, when it could not. */
  error?: string;
  /** URN of the secret's `time:Rotating` anchor, for the rotation fix of an expiring secret. */
  rotationUrn?: string;
}

const ROTATING_TYPE = "time:index/rotating:Rotating";
const STACK_TYPE = "pulumi:pulumi:Stack";

/**
 * `--refresh` matters: a change made in the portal is not in the state, so a plain `pulumi up`
 * compares the program with the stale state, sees nothing to do and leaves the drift in place.
 */
/** The commands a finding's fix names: a real stack's, or a local world's (`--state DIR`). */
export interface FixCommands {
  up(stack: string): string;
  handoff(stack: string): string;
  rotate(stack: string): string;
}

export const PULUMI_FIX_COMMANDS: FixCommands = {
  up: (stack) => `pulumi up --refresh --stack ${stack}`,
  handoff: (stack) => `npm run handoff -- --stack ${stack}`,
  rotate: (stack) => `npm run rotate -- --stack ${stack}`,
};

function handoffHint(stack: string, type: string, commands: FixCommands): string {
  // A new application or secret means new values for CMiC and the connector.
  return /application:Application$|applicationPassword|applicationCertificate|servicePrincipal:ServicePrincipal$/.test(type)
    ? `, then give CMiC and the connector the new values (\`${commands.handoff(stack)}\`)`
    : "";
}

/** The findings of one changed step: one per changed property where the digest names them. */
export function findingsForStep(stack: string, step: PreviewStep, commands: FixCommands = PULUMI_FIX_COMMANDS): DriftFinding[] {
  const upCommand = commands.up;
  const { type } = parseUrn(step.urn);
  const resource = resourceLabel(step.urn);
  const base = { stack, layer: "pulumi" as const, severity: "drift" as const, resource };
  switch (step.op) {
    case "create":
    case "create-replacement":
      if (type === ROTATING_TYPE) {
        // A rotation anchor drops out of the refreshed state when its date passes: nobody deleted it.
        return [
          {
            ...base,
            severity: "expiry",
            id: "pulumi.rotationDue",
            message:
              "the client secret's rotation date has passed: the next `pulumi up` issues a new secret (the current one keeps working until its end date, its handover window + 30 days past the rotation date)",
            fix: `run \`${commands.up(stack)}\` to issue the new secret, then give it to the connector admin (\`${commands.handoff(stack)} --reveal\`)`,
          },
        ];
      }
      return [
        {
          ...base,
          id: "pulumi.missing",
          message: "is in the program but no longer exists in Entra (deleted outside Pulumi); `pulumi up` would create it again",
          fix: `find out who deleted it (Entra audit log), then run \`${upCommand(stack)}\`${handoffHint(stack, type, commands)}`,
        },
      ];
    case "delete":
    case "delete-replaced":
    case "discard":
      return [
        {
          ...base,
          id: "pulumi.unmanaged",
          message: "is deployed but no longer in the program: the checked-out code is not the code that deployed this stack",
          fix: `check out the version that deployed the stack, or run \`${upCommand(stack)}\` to remove the resource on purpose`,
        },
      ];
    default:
      break;
  }

  const replacing = step.op === "replace" || step.op === "import-replacement";
  const replaceReasons = new Set(step.replaceReasons ?? []);
  const detailed = step.detailedDiff && Object.keys(step.detailedDiff).length > 0 ? step.detailedDiff : null;
  const properties = detailed
    ? Object.keys(detailed).sort()
    : [...new Set([...(step.replaceReasons ?? []), ...(step.diffReasons ?? [])])].sort();
  const rootStack = type === STACK_TYPE;
  const fix = replacing
    ? `run \`${upCommand(stack)}\` to recreate it as the program says${handoffHint(stack, type, commands)}`
    : rootStack
      ? `run \`${upCommand(stack)}\` so the stack outputs match the program`
      : `run \`${upCommand(stack)}\` to restore the value from the program (if the change was wanted, put it in the stack config or program first)`;
  const verb = replacing ? "would be replaced" : rootStack ? "outputs would change" : "was changed outside Pulumi";

  if (properties.length === 0) {
    return [{ ...base, id: replacing ? "pulumi.replace" : "pulumi.update", message: `${verb} (\`${step.op}\`)`, fix }];
  }
  return properties.map((property) => {
    const kind = detailed?.[property]?.kind;
    const forces = replaceReasons.has(property.split(/[.[]/)[0]) || (kind?.endsWith("-replace") ?? false);
    const expected =
      kind === "delete" || kind === "delete-replace" ? undefined : displayValue(valueAtPath(step.newState?.inputs, property));
    const live = valueAtPath(step.oldState?.outputs, property) ?? valueAtPath(step.oldState?.inputs, property);
    const actual = kind === "add" || kind === "add-replace" ? undefined : displayValue(live);
    return {
      ...base,
      id: replacing ? "pulumi.replace" : "pulumi.update",
      property,
      ...(expected !== undefined ? { expected } : {}),
      ...(actual !== undefined ? { actual } : {}),
      message: `${verb}${kind ? ` (${kind}${forces && !kind.endsWith("-replace") ? ", forces replacement" : ""})` : forces ? " (forces replacement)" : ""}`,
      fix,
    };
  });
}

function lastLines(text: string, count = 6): string {
  return stripAnsi(text)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !EXPECT_NO_CHANGES_MESSAGE.test(line))
    .slice(-count)
    .join(" | ");
}

function previewErrorFix(stack: string): string {
  return (
    `run \`pulumi preview --refresh --stack ${stack}\` to see the error in full; check the stack name (\`pulumi stack ls\`), ` +
    "the backend login (`pulumi login` / PULUMI_BACKEND_URL), PULUMI_CONFIG_PASSPHRASE for passphrase stacks, " +
    "the azuread provider's credentials (ARM_TENANT_ID / ARM_CLIENT_ID / ARM_USE_OIDC…) and that `npm ci` ran"
  );
}

function errorCheck(stack: string, message: string, fix: string): DriftCheck {
  const finding: DriftFinding = {
    stack,
    layer: "pulumi",
    id: "pulumi.preview",
    severity: "error",
    resource: `stack ${stack}`,
    message,
    fix,
  };
  return { layer: "pulumi", id: "pulumi.preview", name: "pulumi: preview --refresh ran", resource: `stack ${stack}`, findings: [finding] };
}

/**
 * Turn a finished `pulumi preview --refresh --expect-no-changes --json` into checks. Decides from the
 * digest, uses the exit code only to tell "the CLI failed" from "the CLI found changes".
 */
export function interpretPreview(stack: string, run: PreviewRun, commands: FixCommands = PULUMI_FIX_COMMANDS): PreviewOutcome {
  const digest = parsePreviewDigest(run.stdout);
  const stderr = lastLines(run.stderr);
  if (digest === null) {
    const why =
      run.exitCode === 0
        ? "`pulumi preview --json` exited 0 but printed no preview JSON"
        : `\`pulumi preview\` failed (exit ${run.exitCode}) without a preview: ${stderr || "no message on stderr"}`;
    return { checks: [errorCheck(stack, why, previewErrorFix(stack))], error: why };
  }

  const checks: DriftCheck[] = [];
  let changed = 0;
  for (const step of digest.steps) {
    // `--show-replacement-steps` or refresh can list one URN twice; one check per resource.
    const findings = UNCHANGED_OPS.has(step.op) ? [] : findingsForStep(stack, step, commands);
    changed += findings.length > 0 ? 1 : 0;
    const existing = checks.find((c) => c.id === "pulumi.resource" && c.resource === resourceLabel(step.urn));
    if (existing) {
      existing.findings.push(...findings);
      continue;
    }
    checks.push({
      layer: "pulumi",
      id: "pulumi.resource",
      name: `pulumi: ${resourceLabel(step.urn)}`,
      resource: resourceLabel(step.urn),
      findings,
    });
  }

  const summaryChanges = Object.entries(digest.changeSummary).filter(([op, count]) => !UNCHANGED_OPS.has(op) && count > 0);
  if (changed === 0 && (summaryChanges.length > 0 || run.exitCode === 7)) {
    // The CLI says something changes but lists no step for it (e.g. a filtered or truncated digest).
    const what = summaryChanges.length > 0 ? summaryChanges.map(([op, count]) => `${op} ${count}`).join(", ") : "exit code 7";
    checks.push({
      layer: "pulumi",
      id: "pulumi.summary",
      name: "pulumi: change summary is empty",
      resource: `stack ${stack}`,
      findings: [
        {
          stack,
          layer: "pulumi",
          id: "pulumi.summary",
          severity: "drift",
          resource: `stack ${stack}`,
          message: `the preview reports changes (${what}) without naming the resources`,
          fix: `run \`pulumi preview --refresh --diff --stack ${stack}\` to see them, then \`${commands.up(stack)}\``,
        },
      ],
    });
    changed += 1;
  }

  const errors = digest.diagnostics.filter(
    (d) => d.severity === "error" && d.message !== undefined && !EXPECT_NO_CHANGES_MESSAGE.test(d.message),
  );
  // What the program wrote to stderr (`info#err`) is usually the actual cause of an error diagnostic.
  const programOutput = digest.diagnostics
    .filter((d) => d.severity === "info#err" && d.message)
    .map((d) => d.message?.replace(/\s*\n\s*/g, " "))
    .join(" | ");
  let error: string | undefined;
  if (errors.length > 0) {
    const reported = errors.map((d) => d.message?.replace(/\s*\n\s*/g, " ")).join(" | ");
    error = `the preview reported errors: ${[reported, programOutput].filter((s) => s !== "").join(" | ")}`;
  } else if (run.exitCode !== 0 && changed === 0) {
    // Non-zero, no changes in the digest: a failure (an older CLI's 255 or a newer CLI's 1-6, 8, 9).
    error = `\`pulumi preview\` failed (exit ${run.exitCode}): ${[programOutput, stderr].filter((s) => s !== "").join(" | ") || "no message"}`;
  }
  if (error !== undefined) checks.push(errorCheck(stack, error, previewErrorFix(stack)));

  const rotation = digest.steps.find((step) => parseUrn(step.urn).type === ROTATING_TYPE);
  return { checks, ...(error !== undefined ? { error } : {}), ...(rotation ? { rotationUrn: rotation.urn } : {}) };
}

// ---------------------------------------------------------------------------------------------
// I/O

export function previewArgs(stack: string): string[] {
  return ["preview", "--refresh", "--expect-no-changes", "--json", "--non-interactive", "--stack", stack];
}

/** Run the preview for one stack and interpret it. A missing CLI becomes an errored check. */
export async function previewStack(stack: string, invocation: PulumiInvocation = {}): Promise<PreviewOutcome> {
  let run: PreviewRun;
  try {
    run = await runPulumi(previewArgs(stack), invocation);
  } catch (error) {
    // A missing CLI or a stopped (timed-out) one: both carry their own fix.
    const message = (error as Error).message;
    const fix = error instanceof CmicError && error.fix ? error.fix : "install the Pulumi CLI ≥ v3.226.1 and put it on PATH";
    return { checks: [errorCheck(stack, message, fix)], error: message };
  }
  return interpretPreview(stack, run);
}

/** `pulumi stack ls --json` failed or printed something else than a list of stacks. */
export class StackListError extends CmicError {
  constructor(message: string, fix: string) {
    super("ERR_PULUMI_STACK_LIST", message, { fix, exitCode: EXIT_FAILED });
  }
}

const STACK_LIST_FIX = "run it in the project directory (--cwd), log in to the backend (`pulumi login` or PULUMI_BACKEND_URL).";
const STACK_LIST_CLI_FIX = "use a Pulumi CLI ≥ v3.226.1 and run `pulumi stack ls --json` yourself to see what it prints.";

/** Stack names from `pulumi stack ls --json` (`[{ name, current, lastUpdate, resourceCount }]`). */
export function parseStackList(stdout: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch (error) {
    throw new StackListError(`\`pulumi stack ls --json\` printed no JSON (${(error as Error).message}).`, STACK_LIST_CLI_FIX);
  }
  if (!Array.isArray(json)) throw new StackListError("`pulumi stack ls --json` did not print a JSON array.", STACK_LIST_CLI_FIX);
  return json.flatMap((entry) => (isRecord(entry) && typeof entry.name === "string" && entry.name !== "" ? [entry.name] : []));
}

export async function listStacks(invocation: PulumiInvocation = {}): Promise<string[]> {
  const args = ["stack", "ls", "--json"];
  const { stdout, stderr, exitCode } = await runPulumi(args, invocation);
  if (exitCode !== 0) {
    throw new StackListError(
      `\`pulumi stack ls --json\` failed (exit ${exitCode}): ${lastLines(stderr) || lastLines(stdout) || "no message"}.`,
      STACK_LIST_FIX,
    );
  }
  return parseStackList(stdout);
}
