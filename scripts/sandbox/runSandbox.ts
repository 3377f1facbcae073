/**
 * The whole flow offline: start the Entra emulator, run the real Pulumi program as `pulumi up` does
 * (refresh, then the steps the engine model decides, applied through Microsoft Graph), let the
 * post-deploy check request and validate a token, and hand back the outputs for the handoff sheet.
 *
 * Without a state directory every run is a first `pulumi up` in a throwaway tenant. With one
 * (`--state DIR`) the tenant, the clock and the stack's state live on in DIR: each run is the next
 * `pulumi up` of the same stack, at the instant `--at` names.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { ClientCredentialSecret } from "../shared/credentials";
import { AZURE_CLOUDS, CONFIG_NAMESPACE, isOneOf } from "../../contract/kinds";
import { CmicError, UsageError } from "../../contract/errors";
import type { StackOutputs } from "../../contract/stackOutputs";
import { startEmulator, type Emulator } from "../../emulator";
import { renderChecklist, type CheckResult, type VerifyReport } from "../verify/report";
import { runInstant, worldClock, type WorldClock } from "../world/clock";
import { openWorld, tenantOf } from "../world/session";
import type { WorldData } from "../world/worldDir";
import { UNVERIFIED_DOMAIN, type BreakName } from "./breaks";
import { deployerGraph, updateStack, type EmulatorTenantAccess, type StackUpdate } from "./deployStack";
import type { RefreshChange, Step } from "./engine/plan";
import type { StackState } from "./engine/state";
import { checkJustDeployed } from "./postDeployCheck";
import { proveCmicChain } from "./cmicChain";

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
  /** Use this emulator instead of starting (and closing) one (throwaway worlds only). */
  emulator?: Emulator;
  /** Keep the world (tenant, clock, stack state) in this directory. */
  stateDir?: string;
  /** `--at`: an ISO instant or +Nd/+Nh after the world's previous run. */
  at?: string;
  /** `pulumi up --replace URN`: replace these resources whatever their diff (`npm run rotate`). */
  replace?: readonly string[];
  /** Step and progress lines for the user. */
  log(line: string): void;
  onStep?(step: Step): void;
  onRefresh?(change: RefreshChange): void;
  /** The update is done (or failed): its steps and what refresh found, before any token check of the sandbox's own. */
  onUpdate?(steps: readonly Step[], refreshed: readonly RefreshChange[]): void;
}

interface SandboxRun {
  stack: string;
  /** The world's clock at the start of the run. */
  at: Date;
  steps: Step[];
  refreshed: RefreshChange[];
  /** Who checked the token: the post-deploy check (the Command ran in this update) or the sandbox. */
  checkedBy: "post-deploy check" | "sandbox" | null;
}

export type SandboxResult =
  | (SandboxRun & {
      ok: true;
      outputs: StackOutputs;
      checklist: string;
      report: VerifyReport | null;
      created: number;
      /** The local CMiC's answer, registered from the handoff values (cmicChain.ts). */
      cmic: CheckResult;
    })
  | (SandboxRun & { ok: false; error: Error; report: VerifyReport | null; outputs: StackOutputs | null; cmic?: CheckResult });

/** The emulated tenant has verified the stack's domain, as the customer's tenant must have. */
function verifiedDomainOf(options: SandboxOptions): string | undefined {
  return options.breakName === "domain" ? undefined : options.config[`${CONFIG_NAMESPACE}:verifiedDomain`] || undefined;
}

/** `--break domain` moves the stack to a domain the tenant has not verified. */
function effectiveConfig(options: SandboxOptions): Record<string, string> {
  return options.breakName === "domain" ? { ...options.config, [`${CONFIG_NAMESPACE}:verifiedDomain`]: UNVERIFIED_DOMAIN } : options.config;
}

async function openTenant(emulator: Emulator, world: WorldData | null, options: SandboxOptions): Promise<EmulatorTenantAccess> {
  const verifiedDomain = verifiedDomainOf(options);
  if (world) {
    const tenant = tenantOf(world);
    const named = options.config["azuread:tenantId"];
    if (named && named.toLowerCase() !== world.tenantId.toLowerCase()) {
      options.log(`The stack file names tenant ${named}; a world has one tenant, so the stack runs in the world's, ${world.tenantId}.`);
    }
    // A setting that moves the stack to a domain the world has not verified yet: the admin verifies it first.
    if (verifiedDomain) {
      const domains = (await deployerGraph(emulator.url, tenant).api("/domains").get()) as { value: { id: string }[] };
      if (!domains.value.some((domain) => domain.id.toLowerCase() === verifiedDomain.toLowerCase())) {
        emulator.addDomain(world.tenantId, verifiedDomain, { verified: true });
      }
    }
    return tenant;
  }
  const tenantId = options.config["azuread:tenantId"] || randomUUID();
  const cloud = options.config[`${CONFIG_NAMESPACE}:azureCloud`];
  return emulator.addTenant({
    tenantId,
    // The stack's cloud, so that its tokens carry the issuers its outputs name (an unknown value
    // is the program's to refuse, with the fix, before anything is created).
    ...(isOneOf(AZURE_CLOUDS, cloud) ? { cloud } : {}),
    initialDomain: `sandbox${tenantId.slice(0, 8)}.onmicrosoft.com`,
    verifiedDomains: verifiedDomain ? [verifiedDomain] : [],
    displayName: `Sandbox tenant for stack ${options.stack}`,
  });
}

export async function runSandbox(options: SandboxOptions): Promise<SandboxResult> {
  if (options.breakName === "cmic-single-pipe" && options.config[`${CONFIG_NAMESPACE}:deployment`] !== "cloud") {
    throw new UsageError(
      "--break cmic-single-pipe is a CMiC Cloud mistake (tenant|username): the stack's deployment is not cloud.",
      "use it with a stack whose deployment is cloud (with cmicTenant), or choose another break.",
    );
  }
  if (options.stateDir) {
    const session = await openWorld(options.stateDir, { at: options.at, write: true, propagationDelayMs: options.propagationDelayMs });
    try {
      const tenant = await openTenant(session.emulator, session.world, options);
      return await deployAndCheck(options, session.emulator, tenant, session.world?.stacks[options.stack]?.state, session.clock, (update) =>
        // Saved after a failed update too: the state keeps every completed step.
        session.save(tenant, {
          ...(session.world?.stacks ?? {}),
          [options.stack]: { config: options.config, lastRunAt: session.clock.at.toISOString(), state: update.state },
        }),
      );
    } finally {
      await session.close();
    }
  }
  const clock = worldClock(runInstant(options.at, null, new Date()));
  const emulator =
    options.emulator ?? (await startEmulator({ propagationDelayMs: options.propagationDelayMs, clock: () => clock.now().getTime() }));
  try {
    if (options.emulator) {
      options.emulator.setPropagationDelay(options.propagationDelayMs);
      options.emulator.setClock(() => clock.now().getTime());
    }
    const tenant = await openTenant(emulator, null, options);
    return await deployAndCheck(options, emulator, tenant, undefined, clock, () => undefined);
  } finally {
    if (!options.emulator) await emulator.close();
  }
}

async function deployAndCheck(
  options: SandboxOptions,
  emulator: Emulator,
  tenant: EmulatorTenantAccess,
  prior: StackState | undefined,
  clock: WorldClock,
  save: (update: StackUpdate) => void,
): Promise<SandboxResult> {
  options.log(
    `Entra emulator at ${emulator.url}: tenant ${tenant.tenantId}` +
      (options.stateDir ? `, world ${options.stateDir} at ${clock.at.toISOString()}` : ` (not ${UNVERIFIED_DOMAIN})`) +
      ".",
  );
  options.log(
    `${prior ? "Updating" : "Deploying"} stack '${options.stack}': refresh, then the Pulumi program (index.ts) applies its changes through Microsoft Graph` +
      (options.breakName ? `, broken on purpose: ${options.breakName}` : "") +
      `. A new credential or policy waits for the simulated propagation (${(options.propagationDelayMs / 1000).toFixed(0)} s).`,
  );
  const update = await updateStack({
    emulatorUrl: emulator.url,
    tenant,
    settings: effectiveConfig(options),
    stack: options.stack,
    state: prior,
    clock,
    breakName: options.breakName,
    replace: options.replace,
    propagationWindowMs: options.propagationWindowMs,
    postDeployCheck: options.postDeployCheck,
    onProgress: (line) => options.log(`  … ${line}`),
    onStep: options.onStep,
    onRefresh: options.onRefresh,
    loadProgram: options.loadProgram,
  });
  save(update);
  options.onUpdate?.(update.steps, update.refreshed);
  const checked = await checkResult(options, emulator, clock, update);
  if (!checked.ok) return checked;
  options.log("Calling a local CMiC (its OAuth filter, registered from the handoff values) with a token as the connector will…");
  const cmic = await proveCmicChain(checked.outputs, {
    emulatorUrl: emulator.url,
    config: options.config,
    breakName: options.breakName,
    credential: checkCredential(options, checked.outputs),
    now: () => clock.now(),
  });
  if (!cmic.ok) {
    const { checklist: _checklist, created: _created, ...rest } = checked;
    return {
      ...rest,
      ok: false,
      cmic,
      error: new CmicError("ERR_CMIC_REJECTED", `CMiC would reject the token: ${cmic.detail}`, { fix: cmic.fix }),
    };
  }
  return { ...checked, cmic };
}

/** The credential a token is requested with: the secret in the outputs (null), else the stack's postDeployCertificateFile. */
function checkCredential(options: SandboxOptions, outputs: StackOutputs): ClientCredentialSecret | null {
  const certificateFile = options.config[`${CONFIG_NAMESPACE}:postDeployCertificateFile`] || null;
  return outputs.clientSecret || !certificateFile ? null : { kind: "certificate", certificatePem: readFileSync(certificateFile, "utf8") };
}

async function checkResult(
  options: SandboxOptions,
  emulator: Emulator,
  clock: WorldClock,
  update: StackUpdate,
): Promise<Exclude<SandboxResult, { ok: true }> | Omit<Extract<SandboxResult, { ok: true }>, "cmic">> {
  const run = { stack: options.stack, at: clock.at, steps: update.steps, refreshed: update.refreshed };
  const created = update.steps.filter((step) => step.op === "create").length;
  if (!update.ok || !update.outputs) {
    const error = update.error ?? new Error("The update produced no outputs.");
    return {
      ...run,
      ok: false,
      error,
      report: update.checkReport,
      outputs: null,
      checkedBy: update.checklist !== null ? "post-deploy check" : null,
    };
  }
  const outputs = update.outputs;
  if (update.checklist !== null) {
    return { ...run, ok: true, outputs, checklist: update.checklist, report: update.checkReport, created, checkedBy: "post-deploy check" };
  }
  // The post-deploy check did not run in this update (nothing it checks changed, or the stack
  // turns it off): the sandbox still proves a token before it says "green", with the credential
  // the check would use (the secret, else the stack's postDeployCertificateFile).
  const credential = checkCredential(options, outputs);
  if (!outputs.clientSecret && !credential) {
    return {
      ...run,
      ok: false,
      outputs,
      checkedBy: null,
      error: new CmicError(
        "ERR_NO_TOKEN_CHECK",
        "No token was checked: the stack has only a certificate credential and no private key for the check.",
        {
          fix: "set cmic-entra-oauth:postDeployCertificateFile to a PEM with the connector's certificate and private key.",
        },
      ),
      report: null,
    };
  }
  options.log("Checking a token as CMiC will (the post-deploy check did not run in this update)…");
  const report = await checkJustDeployed(outputs, credential, {
    authorityHost: emulator.url,
    propagationWindowMs: options.propagationWindowMs,
    now: () => clock.now(),
    hooks: { onProgress: (line) => options.log(`  … ${line}`) },
  });
  if (!report.ok) {
    return {
      ...run,
      ok: false,
      outputs,
      checkedBy: "sandbox",
      error: new Error(`The token check failed: CMiC would reject this app's tokens.\n${renderChecklist(report)}`),
      report,
    };
  }
  return { ...run, ok: true, outputs, checklist: renderChecklist(report), report, created, checkedBy: "sandbox" };
}
