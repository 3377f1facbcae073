/**
 * The post-deploy token check as the Command resource runs it under `pulumi up`: either its real
 * command line (a shell in the project directory with the resource's environment, as
 * @pulumi/command's local.Command does), or the same verify code in-process (faster, and it gives
 * tests the structured report). Either way from the resource's own inputs.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { AUTHORITY_HOST_ENV, CHECK_AT_ENV, PROPAGATION_WINDOW_ENV, readPostDeployCheckEnv } from "../../contract/postDeployCheck";
import { parseStackOutputs, type StackOutputs } from "../../contract/stackOutputs";
import type { ClientCredentialSecret } from "../shared/credentials";
import { PROJECT_ROOT } from "../shared/projectRoot";
import { renderChecklist, type VerifyReport } from "../verify/report";
import { runVerification, verifyInputFromOutputs, type VerifyHooks } from "../verify/runner";
import { ResourceApplyError } from "./provider/errors";

export interface PostDeployCheckTarget {
  /** Origin the check reaches Entra at (the emulator). */
  authorityHost: string;
  /** How long the check keeps retrying propagation errors. */
  propagationWindowMs: number;
  /** The run's clock (the world's, under `--at`). */
  now(): Date;
  /** `command` runs the real command line; `in-process` (default) the same verify code here. */
  mode?: "in-process" | "command";
  hooks?: VerifyHooks;
  /** Receives the checklist (also when the check fails) and, in-process, its report. */
  onCheck?(checklist: string, report: VerifyReport | null): void;
}

/**
 * What `npm run verify -- --just-deployed` does against the emulator: request a token with the given
 * credential (default: the secret in the outputs) and check it, the propagation window starting now.
 */
export function checkJustDeployed(
  outputs: StackOutputs,
  credential: ClientCredentialSecret | null | undefined,
  target: Pick<PostDeployCheckTarget, "authorityHost" | "propagationWindowMs" | "hooks" | "now">,
): Promise<VerifyReport> {
  // The world's clock runs at the real pace from its own start: offset, not frozen.
  const offsetMs = target.now().getTime() - Date.now();
  return runVerification(
    verifyInputFromOutputs(outputs, {
      credential: credential ?? undefined,
      authorityHost: target.authorityHost,
      propagationWindowMs: target.propagationWindowMs,
      propagationWindowStart: target.now(),
    }),
    { ...target.hooks, now: () => Date.now() + offsetMs },
  );
}

/** Run the check a Command resource declares; rejects with the checklist when CMiC would reject the token. */
export async function runPostDeployCheck(
  target: PostDeployCheckTarget,
  resourceName: string,
  commandLine: string,
  environment: Record<string, string>,
): Promise<{ stdout: string; stderr: string }> {
  const { ok, checklist, report } =
    target.mode === "command" ? await runCommandLine(target, commandLine, environment) : await runInProcess(target, environment);
  target.onCheck?.(checklist, report);
  if (!ok)
    throw new ResourceApplyError(resourceName, `the post-deploy token check failed: CMiC would reject this app's tokens.\n${checklist}`);
  return { stdout: checklist, stderr: "" };
}

async function runInProcess(
  target: PostDeployCheckTarget,
  environment: Record<string, string>,
): Promise<{ ok: boolean; checklist: string; report: VerifyReport }> {
  const handedOver = readPostDeployCheckEnv(environment);
  const outputs = parseStackOutputs(JSON.parse(handedOver.stackOutputsJson ?? "null"));
  let credential: ClientCredentialSecret | null = null;
  if (handedOver.clientSecret) credential = { kind: "secret", clientSecret: handedOver.clientSecret };
  else if (handedOver.certificateFile)
    credential = { kind: "certificate", certificatePem: readFileSync(handedOver.certificateFile, "utf8") };
  const report = await checkJustDeployed(outputs, credential, target);
  return { ok: report.ok, checklist: renderChecklist(report), report };
}

/** The command line like @pulumi/command runs it: a shell in the project directory, its environment added. */
function runCommandLine(
  target: PostDeployCheckTarget,
  commandLine: string,
  environment: Record<string, string>,
): Promise<{ ok: boolean; checklist: string; report: null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(commandLine, {
      shell: true,
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        ...environment,
        [AUTHORITY_HOST_ENV]: target.authorityHost,
        [PROPAGATION_WINDOW_ENV]: String(target.propagationWindowMs / 1000),
        [CHECK_AT_ENV]: target.now().toISOString(),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let pending = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    // verify's progress lines go to stderr: pass them on as they come.
    child.stderr.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") target.hooks?.onProgress?.(line);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (pending.trim() !== "") target.hooks?.onProgress?.(pending);
      resolve({ ok: code === 0, checklist: stdout.trimEnd(), report: null });
    });
  });
}
