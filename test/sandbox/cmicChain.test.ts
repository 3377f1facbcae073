/**
 * The sandbox's whole chain, connector → Entra → CMiC: after the token check, a local CMiC (the
 * stand-in) is registered from the handoff values and called with a fresh token. Green for v1 and
 * v2, Enterprise and Cloud, claim or registration user; each CMiC-side `--break` is what a CMiC admin
 * gets wrong, and the run ends with CMiC's answer and the field to correct, as verify names it.
 */
import { randomUUID } from "node:crypto";
import { CmicError, UsageError } from "../../contract/errors";
import type { BreakName } from "../../scripts/sandbox/breaks";
import { runSandbox, type SandboxResult } from "../../scripts/sandbox/runSandbox";
import { useEmulatorFixture } from "../support/emulatorFixture";
import { loadIndex } from "../support/world";

// One emulator for the file; each run adds its own tenant.
const fixture = useEmulatorFixture({ propagationDelayMs: 200 });

const ENTERPRISE = { deployment: "enterprise", serviceUser: "ARCORO_SVC" };
const CLOUD = { deployment: "cloud", serviceUser: "ARCORO_SVC", cmicTenant: "ACME" };

function sandbox(settings: Record<string, string>, breakName?: BreakName): Promise<SandboxResult> {
  const config: Record<string, string> = { "azuread:tenantId": randomUUID() };
  for (const [key, value] of Object.entries(settings)) config[`cmic-entra-oauth:${key}`] = value;
  return runSandbox({
    stack: "chain",
    config,
    breakName,
    propagationDelayMs: 200,
    propagationWindowMs: 4_000,
    loadProgram: loadIndex,
    emulator: fixture().emulator,
    log: () => undefined,
  });
}

test.each([
  ["Enterprise, v2", ENTERPRISE],
  ["Enterprise, v1", { ...ENTERPRISE, accessTokenVersion: "1" }],
  ["Cloud (tenant||username)", CLOUD],
  ["the user in CMiC's registration (claimSource registration)", { ...ENTERPRISE, claimSource: "registration" }],
  ["ipaddr in the token, CMiC's IP check on", { ...ENTERPRISE, optionalClaims: '["ipaddr"]' }],
])(
  "%s: the local CMiC, registered from the handoff values, accepts the token",
  async (_case, settings) => {
    const result = await sandbox(settings);
    if (!result.ok) throw result.error;
    expect(result.cmic).toMatchObject({ ok: true, detail: expect.stringContaining("CMiC accepted the token") });
  },
  60_000,
);

test.each<[BreakName, Record<string, string>, string, string]>([
  ["cmic-issuer", ENTERPRISE, 'CMiC answered "Application is not registered"', "Issuer URL = https://login.microsoftonline.com/"],
  [
    "cmic-issuer",
    { ...ENTERPRISE, accessTokenVersion: "1" },
    'CMiC answered "Application is not registered"',
    "Issuer URL = https://sts.windows.net/",
  ],
  ["cmic-app-id", ENTERPRISE, 'CMiC answered "Application is not registered"', "Application ID ="],
  ["cmic-keyset", ENTERPRISE, 'CMiC answered "Failed to load JSON web key set"', "Set Keyset ID to https://login.microsoftonline.com/"],
  ["cmic-user", ENTERPRISE, 'CMiC answered 401 "User not found"', 'cmicuser = "ARCORO_SVC"'],
  ["cmic-single-pipe", CLOUD, 'CMiC answered 401 "User not found"', "a single pipe is not split"],
])(
  "--break %s: Entra is fine, CMiC refuses, and the run names CMiC's answer and the fix",
  async (breakName, settings, detail, fix) => {
    const result = await sandbox(settings, breakName);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    // Entra's side passed: the token check is green; only CMiC refused.
    expect(result.report?.ok).toBe(true);
    expect(result.error).toBeInstanceOf(CmicError);
    expect((result.error as CmicError).code).toBe("ERR_CMIC_REJECTED");
    expect(result.error.message).toContain(detail);
    expect((result.error as CmicError).fix).toContain(fix);
  },
  60_000,
);

test("--break cmic-single-pipe on an Enterprise stack is bad usage, before anything is deployed", async () => {
  await expect(sandbox(ENTERPRISE, "cmic-single-pipe")).rejects.toBeInstanceOf(UsageError);
});
