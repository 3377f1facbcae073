/**
 * drift's fault matrix: a Graph that accepts and never answers, 429 with Retry-After: 99999, endless
 * 5xx, latency beyond the deadline, HTML or truncated JSON, connections reset mid-request, a preview
 * that never ends, a JUnit path that would make Node's recursive mkdir spin. Every run ends within
 * its deadline plus 5 s, "could not check" (exit 1, never clean) with a cause and a fix, or exit 2
 * for the bad path. Runs are in-process (the stand-in `pulumi` is a child, as in production).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DriftReportJson } from "../../scripts/drift/report";
import { FIXTURE_STACKS, runDriftInProcess } from "../support/drift";
import { useEmulatorFixture } from "../support/emulatorFixture";
import { startHttpsPeer } from "../support/httpsPeer";

// The tenant of the fixture stacks' outputs: drift signs in to a stack's own tenant.
const fixture = useEmulatorFixture({
  tenant: { initialDomain: "contoso-drift-faults.onmicrosoft.com", tenantId: "72f988bf-86f1-41af-91ab-2d7cd011db47" },
});
const REQUEST_TIMEOUT_S = 2;
const SLACK_MS = 5_000;

let scratch: string;
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "drift-faults-"));
  // One stack whose preview never ends; its outputs are the clean fixture's.
  const hanging = path.join(scratch, "stuck");
  fs.cpSync(path.join(FIXTURE_STACKS, "acme-clean"), hanging, { recursive: true });
  fs.writeFileSync(path.join(hanging, "hang"), "");
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));
afterEach(() => fixture().emulator.setFaults({}));

function graphEnv(graphUrl: string): NodeJS.ProcessEnv {
  const f = fixture();
  return {
    AZURE_TENANT_ID: f.tenant.tenantId,
    AZURE_CLIENT_ID: f.tenant.deployer.clientId,
    AZURE_CLIENT_SECRET: f.tenant.deployer.clientSecret,
    AZURE_AUTHORITY_HOST: f.emulator.url,
    CMIC_GRAPH_URL: graphUrl,
  };
}

interface TimedRun {
  code: number | null;
  report: DriftReportJson;
  stderr: string;
  elapsedMs: number;
}

async function auditOnly(graphUrl: string, extra: string[] = []): Promise<TimedRun> {
  const started = Date.now();
  const run = await runDriftInProcess(
    ["--stack", "acme-clean", "--skip-preview", "--json", "--request-timeout", String(REQUEST_TIMEOUT_S), ...extra],
    graphEnv(graphUrl),
  );
  return { code: run.code, report: JSON.parse(run.stdout) as DriftReportJson, stderr: run.stderr, elapsedMs: Date.now() - started };
}

function expectCouldNotCheck(run: TimedRun, deadlineMs: number, cause: RegExp): void {
  expect(run.code).toBe(1);
  const [stack] = run.report.stacks;
  expect(stack.status).toBe("error");
  const errors = stack.findings.filter((finding) => finding.severity === "error");
  expect(errors.length).toBeGreaterThan(0);
  expect(errors.map((finding) => finding.message).join("\n")).toMatch(cause);
  expect(errors.every((finding) => finding.fix.length > 0)).toBe(true);
  expect(run.elapsedMs).toBeLessThan(deadlineMs + SLACK_MS);
}

// The Graph client's own retries (429/503, up to 3, honouring Retry-After) live inside one request:
// the request deadline bounds them. A throttled or failing request therefore costs at most the
// request timeout times the network retries allowed after it (none: it had an HTTP answer).
const AUDIT_DEADLINE_MS = REQUEST_TIMEOUT_S * 1000;

describe("drift ends within its deadlines, never clean, whatever Graph does", () => {
  it("a Graph that accepts connections and never answers", async () => {
    const silent = await startHttpsPeer(() => undefined);
    try {
      expectCouldNotCheck(await auditOnly(silent.url), AUDIT_DEADLINE_MS, /did not finish within 2\.0 s/);
    } finally {
      await silent.close();
    }
  });

  it("429 with Retry-After: 99999 on every $batch", async () => {
    fixture().emulator.setFaults({ throttle: { count: 1_000, retryAfterSeconds: 99_999 }, pathPrefix: "/v1.0/" });
    expectCouldNotCheck(await auditOnly(fixture().emulator.url), AUDIT_DEADLINE_MS, /did not finish|429|throttl/i);
  });

  it("5xx on every $batch", async () => {
    fixture().emulator.setFaults({ serverErrors: { count: 1_000, status: 503 }, pathPrefix: "/v1.0/" });
    expectCouldNotCheck(await auditOnly(fixture().emulator.url), AUDIT_DEADLINE_MS, /did not finish|503|unavailable/i);
  });

  it("latency beyond the request deadline", async () => {
    fixture().emulator.setFaults({ latencyMs: 60_000, pathPrefix: "/v1.0/" });
    expectCouldNotCheck(await auditOnly(fixture().emulator.url), AUDIT_DEADLINE_MS, /did not finish within/);
  });

  it("an HTML page where Graph should answer", async () => {
    const html = await startHttpsPeer((response) =>
      response.writeHead(200, { "content-type": "text/html" }).end("<html>proxy login</html>"),
    );
    try {
      expectCouldNotCheck(await auditOnly(html.url), AUDIT_DEADLINE_MS, /the answer to the \$batch request is not a Graph batch response/);
    } finally {
      await html.close();
    }
  });

  it("truncated JSON where Graph should answer", async () => {
    const truncated = await startHttpsPeer((response) =>
      response.writeHead(200, { "content-type": "application/json" }).end('{"responses":[{"id":"app","sta'),
    );
    try {
      expectCouldNotCheck(await auditOnly(truncated.url), AUDIT_DEADLINE_MS, /Graph audit request failed|JSON/i);
    } finally {
      await truncated.close();
    }
  });

  it("connections reset mid-request: retried with backoff, then reported with the cause", async () => {
    const resetting = await startHttpsPeer((response) => response.socket?.destroy());
    try {
      // 4 tries and 250 + 500 + 1000 ms of backoff, each try well inside the request deadline.
      const run = await auditOnly(resetting.url);
      expectCouldNotCheck(
        run,
        AUDIT_DEADLINE_MS + 1_750,
        /no HTTP answer after retries \(.*(other side closed|socket hang up|ECONNRESET|UND_ERR_SOCKET)/i,
      );
      expect(resetting.connections()).toBeGreaterThanOrEqual(4);
    } finally {
      await resetting.close();
    }
  });

  it("a preview that never ends is stopped at the stack's deadline", async () => {
    const started = Date.now();
    const run = await runDriftInProcess(["--stack", "stuck", "--skip-audit", "--json", "--stack-timeout", "10"], {
      FAKE_PULUMI_DIR: scratch,
    });
    const elapsedMs = Date.now() - started;
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as DriftReportJson;
    expect(report.stacks[0].status).toBe("error");
    expect(report.stacks[0].findings.map((finding) => finding.message).join("\n")).toMatch(/did not finish within 10(\.0)? s/);
    expect(elapsedMs).toBeLessThan(10_000 + SLACK_MS);
  });
});

describe("the JUnit path", () => {
  it("a path Node's recursive mkdir would spin on is a usage error, before anything is checked", async () => {
    const run = await runDriftInProcess(
      ["--stack", "acme-clean", "--skip-preview", "--junit", "/proc/cmic-x/y.xml"],
      graphEnv("https://localhost:9"),
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--junit /proc/cmic-x/y.xml: its directory /proc/cmic-x cannot be used");
    expect(run.stdout).toBe("");
  });

  it("missing directories of a writable path are created", async () => {
    const file = path.join(scratch, "reports", "nested", "drift.xml");
    const run = await runDriftInProcess(
      ["--stack", "acme-clean", "--skip-preview", "--junit", file, "--request-timeout", "2"],
      graphEnv("https://localhost:9"),
    );
    expect(run.code).toBe(1);
    expect(fs.readFileSync(file, "utf8")).toContain("<testsuites");
  });
});
