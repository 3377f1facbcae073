/**
 * Test support for local worlds: a fresh world directory, a `pulumi up` in it through the real
 * program (isolated per run in Jest's module registry), and drift over it.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runDrift, type DriftOptions } from "../../scripts/drift/engine";
import { runSandbox, type SandboxResult } from "../../scripts/sandbox/runSandbox";

export type Settings = Record<string, string>;
export type GreenRun = Extract<SandboxResult, { ok: true }>;

/** index.ts, loaded afresh (Pulumi's runtime state is per load). */
export function loadIndex(): Record<string, unknown> {
  let program: Record<string, unknown> = {};
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require("../..");
  });
  return program;
}

/** A directory for a new world (the world itself is created by the first run). */
export function newWorldDir(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), "cmic-world-")), "world");
}

/** `npm run sandbox -- --state DIR --stack acme [--at WHEN]` with these settings; throws when it fails. */
export async function upInWorld(dir: string, settings: Settings, at: string | undefined, propagationDelayMs = 0): Promise<GreenRun> {
  const result = await runSandbox({
    stack: "acme",
    config: Object.fromEntries(
      Object.entries(settings).map(([key, value]) => [key.includes(":") ? key : `cmic-entra-oauth:${key}`, value]),
    ),
    propagationDelayMs,
    propagationWindowMs: 6_000,
    loadProgram: loadIndex,
    stateDir: dir,
    at,
    log: () => undefined,
  });
  if (!result.ok) throw result.error;
  return result;
}

/** Drift over the world's stack `acme`, both layers, at the world's clock (or `at`). */
export function worldDriftOptions(dir: string, at?: string): DriftOptions {
  return {
    stacks: ["acme"],
    all: false,
    concurrency: 1,
    auditConcurrency: 1,
    expiryDays: 30,
    skipPreview: false,
    skipAudit: false,
    graphUrl: "https://graph.microsoft.com",
    json: true,
    world: { dir, at, loadProgram: loadIndex },
  };
}

export { runDrift };
