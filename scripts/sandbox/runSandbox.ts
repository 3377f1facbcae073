/**
 * The whole flow offline: start the Entra emulator, run the real Pulumi program with its resources
 * applied to the emulator through Microsoft Graph, let the post-deploy check request and validate a
 * token exactly as under `pulumi up`, and hand back the outputs for the handoff sheet.
 */
import { CONFIG_NAMESPACE } from "../../contract/kinds";
import { CmicError } from "../../contract/errors";
import { randomUUID } from "node:crypto";
import type { StackOutputs } from "../../contract/stackOutputs";
import { startEmulator, type Emulator } from "../../emulator";
import { renderChecklist, type VerifyReport } from "../verify/report";
import { checkJustDeployed, UNVERIFIED_DOMAIN, type BreakName } from "./graphMocks";
import { DeployError, deployStack } from "./deployStack";

export interface SandboxOptions {
  stack: string;
  /** Stack config as `pulumi config` holds it (see readStackConfig). */
  config: Record<string, string>;
  breakName?: BreakName;
  /** Simulated Entra propagation delay for new credentials, service principals and policy assignments. */
  propagationDelayMs: number;
  /** How long the post-deploy check keeps retrying propagation errors. */
  propagationWindowMs: number;
  /** Loads index.ts (tests isolate it per run). */
  loadProgram: () => Record<string, unknown>;
  /** Run the post-deploy check's real command line (the CLI) or in-process (default, gives `report`). */
  postDeployCheck?: "in-process" | "command";
  /** Use this emulator instead of starting (and closing) one. */
  emulator?: Emulator;
  /** Step and progress lines for the user. */
  log(line: string): void;
}

export type SandboxResult =
  | { ok: true; outputs: StackOutputs; checklist: string; report: VerifyReport | null; created: number }
  | { ok: false; error: Error; report: VerifyReport | null };

export async function runSandbox(options: SandboxOptions): Promise<SandboxResult> {
  const tenantId = options.config["azuread:tenantId"] || randomUUID();
  // The emulated tenant has verified the stack's domain, as the customer's tenant must have;
  // `--break domain` moves the stack to a domain it has not verified instead.
  const config =
    options.breakName === "domain" ? { ...options.config, [`${CONFIG_NAMESPACE}:verifiedDomain`]: UNVERIFIED_DOMAIN } : options.config;
  const verifiedDomain = options.breakName === "domain" ? undefined : options.config[`${CONFIG_NAMESPACE}:verifiedDomain`];
  const emulator = options.emulator ?? (await startEmulator({ propagationDelayMs: options.propagationDelayMs }));
  try {
    options.emulator?.setPropagationDelay(options.propagationDelayMs);
    const tenant = emulator.addTenant({
      tenantId,
      initialDomain: `sandbox${tenantId.slice(0, 8)}.onmicrosoft.com`,
      verifiedDomains: verifiedDomain ? [verifiedDomain] : [],
      displayName: `Sandbox tenant for stack ${options.stack}`,
    });
    options.log(
      `Entra emulator at ${emulator.url}: tenant ${tenant.tenantId}, verified domains ${tenant.verifiedDomains.join(", ")} (not ${UNVERIFIED_DOMAIN}).`,
    );
    options.log(
      `Deploying stack '${options.stack}': the Pulumi program (index.ts) applies its resources through Microsoft Graph` +
        (options.breakName ? `, broken on purpose: ${options.breakName}` : "") +
        ". The post-deploy token check waits for the simulated propagation" +
        ` (${(options.propagationDelayMs / 1000).toFixed(0)} s).`,
    );
    const deployed = await deployStack({
      emulatorUrl: emulator.url,
      tenant,
      settings: config,
      stack: options.stack,
      breakName: options.breakName,
      propagationWindowMs: options.propagationWindowMs,
      postDeployCheck: options.postDeployCheck,
      onProgress: (line) => options.log(`  … ${line}`),
      loadProgram: options.loadProgram,
    });
    for (const created of deployed.created) options.log(`  + ${created.type.split(":").pop()} ${created.name}`);

    if (deployed.checklist !== null) {
      return {
        ok: true,
        outputs: deployed.outputs,
        checklist: deployed.checklist,
        report: deployed.checkReport,
        created: deployed.created.length,
      };
    }
    // The stack turns the post-deploy check off, or cannot run it (certificate without its key): the
    // sandbox still proves a token before it says "green", or says why it cannot.
    if (!deployed.outputs.clientSecret) {
      return {
        ok: false,
        error: new CmicError(
          "ERR_NO_TOKEN_CHECK",
          "No token was checked: the stack has only a certificate credential and no private key for the check.",
          { fix: "set cmic-entra-oauth:postDeployCertificateFile to a PEM with the connector's certificate and private key." },
        ),
        report: null,
      };
    }
    options.log("Checking a token as CMiC will (the stack turns the post-deploy check off)…");
    const report = await checkJustDeployed(deployed.outputs, null, {
      authorityHost: emulator.url,
      propagationWindowMs: options.propagationWindowMs,
      hooks: { onProgress: (line) => options.log(`  … ${line}`) },
    });
    if (!report.ok)
      return {
        ok: false,
        error: new Error(`The token check failed: CMiC would reject this app's tokens.\n${renderChecklist(report)}`),
        report,
      };
    return { ok: true, outputs: deployed.outputs, checklist: renderChecklist(report), report, created: deployed.created.length };
  } catch (error) {
    // A failed deployment carries the post-deploy check's report, when there was one.
    const report = error instanceof DeployError ? error.report : null;
    return { ok: false, error: error instanceof Error ? error : new Error(String(error)), report };
  } finally {
    if (!options.emulator) await emulator.close();
  }
}
