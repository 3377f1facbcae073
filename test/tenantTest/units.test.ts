/**
 * The pure parts of the tenant test: the throwaway stack's config, the version check, reading
 * engine events and outputs, the drift child's credential, the summary, and the time limits.
 */
import type { EngineEvent, OpType, OutputMap } from "@pulumi/pulumi/automation";
import { uniqueStackName } from "../../scripts/tenantTest/cli";
import { Interrupts, OWN_SIGNAL_WAIT_MS, runBounded, StepStopped } from "../../scripts/shared/bounded";
import { printableBackend } from "../../scripts/tenantTest/environment";
import { formatSummary } from "../../scripts/tenantTest/report";
import { changedResources, driftEnv, secretOutputValues, testStackConfig, versionAtLeast } from "../../scripts/tenantTest/runner";
import { STEPS, type TenantTestReport } from "../../scripts/tenantTest/steps";

const URN = "urn:pulumi:s::cmic-entra-oauth::cmic-entra-oauth:index:CmicEntraIntegration$azuread:index/application:Application::cmic-app";

function step(op: OpType, urn = URN, type = "azuread:index/application:Application", diffs?: string[]): EngineEvent {
  return { sequence: 0, timestamp: 0, resourcePreEvent: { metadata: { op, urn, type, diffs, provider: "" } } };
}

it("configures the throwaway stack with protect=false, a one-day secret and the settings from the environment", () => {
  const config = testStackConfig(
    {
      tenantId: "t",
      clientId: "c",
      signIn: "client secret",
      verifiedDomain: "contoso.com",
      serviceUser: "SVC",
      deployment: "cloud",
      cmicTenant: "ACME",
      backendUrl: "file:///x",
    },
    "tenant-test-1",
  );
  expect(Object.fromEntries(Object.entries(config).map(([key, value]) => [key, value.value]))).toEqual({
    "azuread:tenantId": "t",
    "cmic-entra-oauth:deployment": "cloud",
    "cmic-entra-oauth:serviceUser": "SVC",
    "cmic-entra-oauth:cmicTenant": "ACME",
    "cmic-entra-oauth:verifiedDomain": "contoso.com",
    "cmic-entra-oauth:displayName": "CMiC tenant test (tenant-test-1)",
    "cmic-entra-oauth:protect": "false",
    "cmic-entra-oauth:secretLifetimeDays": "1",
    "cmic-entra-oauth:postDeployCheck": "true",
  });
  expect(Object.values(config).every((value) => value.secret === false)).toBe(true);
});

it("names stacks uniquely and sortably", () => {
  const name = uniqueStackName(new Date("2026-08-05T10:11:12.345Z"));
  expect(name).toMatch(/^tenant-test-20260805-101112-[0-9a-f]{6}$/);
  expect(uniqueStackName()).not.toBe(uniqueStackName());
});

it("compares CLI versions numerically", () => {
  expect(versionAtLeast("3.226.1", "3.226.1")).toBe(true);
  expect(versionAtLeast("v3.248.0", "3.226.1")).toBe(true);
  expect(versionAtLeast("3.99.0", "3.226.1")).toBe(false);
  expect(versionAtLeast("3.226.0-alpha.1", "3.226.1")).toBe(false);
  expect(versionAtLeast("4.0.0", "3.226.1")).toBe(true);
});

it("names the resources engine events show changing, once each, and can leave the root stack out", () => {
  const events = [
    step("same", URN.replace("cmic-app", "cmic-sp")),
    step("update", URN, "azuread:index/application:Application", ["api"]),
    step("update", URN, "azuread:index/application:Application", ["api"]),
    step(
      "refresh",
      URN.replace("application:Application::cmic-app", "applicationPassword:ApplicationPassword::cmic-secret"),
      "azuread:index/applicationPassword:ApplicationPassword",
      ["endDate"],
    ),
    step("refresh", URN.replace("cmic-app", "cmic-claims-policy")),
    step("update", "urn:pulumi:s::cmic-entra-oauth::pulumi:pulumi:Stack::cmic-entra-oauth-s", "pulumi:pulumi:Stack"),
  ];
  expect(changedResources(events, { includeRootStack: true })).toEqual([
    "update cmic-app (Application) [api]",
    "refresh cmic-secret (ApplicationPassword) [endDate]",
    "update cmic-entra-oauth-s (Stack)",
  ]);
  expect(changedResources(events, { includeRootStack: false })).toHaveLength(2);
});

it("collects every secret output value, and a clientSecret nested in an output that is not marked secret", () => {
  const outputs: OutputMap = {
    clientId: { value: "1b4f", secret: false },
    clientSecret: { value: "top-level-secret-value", secret: true },
    connector: { value: { clientId: "1b4f", clientSecret: "nested-secret-value", scope: "api://x/.default" }, secret: false },
    certificate: { value: { pem: "-----BEGIN…", keys: ["k1"] }, secret: true },
  };
  expect(secretOutputValues(outputs).sort()).toEqual(["-----BEGIN…", "k1", "nested-secret-value", "top-level-secret-value"].sort());
});

it("hands drift's Graph audit the deployer's credential unless AZURE_* already say something", () => {
  const arm = { ARM_TENANT_ID: "t", ARM_CLIENT_ID: "c", ARM_CLIENT_SECRET: "s" };
  expect(driftEnv(arm)).toMatchObject({ AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: "s" });
  expect(driftEnv({ ...arm, AZURE_CLIENT_ID: "other" }).AZURE_CLIENT_SECRET).toBeUndefined();
  expect(driftEnv({ ARM_TENANT_ID: "t", ARM_CLIENT_ID: "c", ARM_USE_OIDC: "true" }).AZURE_CLIENT_ID).toBeUndefined();
});

it("prints a backend URL without its password", () => {
  expect(printableBackend("postgres://user:hunter2@db.example.com/state")).toBe("postgres://***@db.example.com/state");
  expect(printableBackend("file:///home/me/state")).toBe("file:///home/me/state");
});

it("the summary names the failed step, and for a cleanup that failed the stack, the commands and the app", () => {
  const report: TenantTestReport = {
    stack: "tenant-test-x",
    steps: STEPS.map((s, index) => ({
      number: index + 1,
      id: s.id,
      title: s.title,
      command: s.command("tenant-test-x"),
      status: s.id === "up" || s.id === "destroy" ? "failed" : s.id === "create-stack" || s.id === "preview" ? "passed" : "skipped",
      elapsedMs: s.id === "up" ? 1234 : null,
      detail: s.id === "up" ? "error: boom (exit 4)" : "…",
      fix: s.id === "up" ? "do this" : undefined,
    })),
    cleanup: "left",
    app: { clientId: "1b4f", displayName: "CMiC tenant test (tenant-test-x)" },
    exitCode: 1,
  };
  const text = formatSummary(report);
  expect(text).toContain("Tenant test of stack tenant-test-x: FAILED at step 3 (up), step 9 (destroy)");
  expect(text).toMatch(/\n {2}3 {2}up\s+failed\s+1\.2 s\s+error: boom \(exit 4\)\n/);
  expect(text).toContain("Step 3 (up) ran: pulumi up --yes --skip-preview --stack tenant-test-x\nFix: do this\n");
  expect(text).toContain("pulumi destroy --yes --stack tenant-test-x && pulumi stack rm --yes tenant-test-x");
  expect(text).toContain("'CMiC tenant test (tenant-test-x)' (client id 1b4f)");
  expect(text.trimEnd().endsWith("Exit status 1.")).toBe(true);
});

describe("time limits and interrupts", () => {
  const noInterrupts = () => new Interrupts(() => undefined, null);

  it("resolves with the work's result when it ends in time", async () => {
    await expect(runBounded(async () => "done", { timeoutMs: 10_000, graceMs: 10_000, interrupts: noInterrupts() })).resolves.toBe("done");
  });

  it("on timeout signals the work and reports it stopped once the work ends", async () => {
    let sawAbort = false;
    const work = (signal: AbortSignal) =>
      new Promise<string>((_resolve, reject) => {
        signal.addEventListener("abort", () => {
          sawAbort = true;
          reject(new Error("canceled"));
        });
      });
    const error = await runBounded(work, { timeoutMs: 20, graceMs: 10_000, interrupts: noInterrupts() }).catch((e: unknown) => e);
    expect(sawAbort).toBe(true);
    expect(error).toBeInstanceOf(StepStopped);
    expect(error).toMatchObject({ reason: "timeout", ended: true });
  });

  it("abandons work that ignores the signal once the grace period is over", async () => {
    const error = await runBounded(() => new Promise<string>(() => undefined), {
      timeoutMs: 10,
      graceMs: 10,
      interrupts: noInterrupts(),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: "timeout", ended: false });
  });

  it("an interrupt stops the running step at once, or, when its CLI says it is cancelling on its own, leaves it to finish", () => {
    jest.useFakeTimers();
    try {
      const interrupts = noInterrupts();
      const plain = { controller: new AbortController() };
      const selfCancelling = { controller: new AbortController(), cancelling: () => true };
      const silent = { controller: new AbortController(), cancelling: () => false };
      for (const entry of [plain, selfCancelling, silent]) interrupts.track(entry);
      interrupts.interrupt("SIGINT");
      expect(interrupts.interrupted).toBe(true);
      expect(plain.controller.signal.aborted).toBe(true);
      expect(silent.controller.signal.aborted).toBe(false);
      jest.advanceTimersByTime(OWN_SIGNAL_WAIT_MS);
      expect(silent.controller.signal.aborted).toBe(true);
      expect(selfCancelling.controller.signal.aborted).toBe(false);
    } finally {
      jest.useRealTimers();
    }
  });
});
