/**
 * The pure parts of drift, driven directly: preview interpretation for digests the recorded
 * fixtures do not cover, the `$batch` retry of throttled inner requests (Graph answers 429 per
 * request inside a 200 batch, which the emulator does not inject), and the report renderings.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import { interpretPreview, parseUrn, valueAtPath } from "../../scripts/drift/pulumiPreview";
import fs from "node:fs";
import path from "node:path";
import { parseStackOutputs } from "../../contract/stackOutputs";
import { constantClaims, evaluateAudit, isOnVerifiedDomain, sendAuditBatch, type BatchRequest } from "../../scripts/drift/graphAudit";
import {
  escapeXml,
  fleetExitCode,
  formatTable,
  toJUnitXml,
  toJsonReport,
  type DriftCheck,
  type StackDriftResult,
} from "../../scripts/drift/report";
import { claimsMappingDefinition } from "../../components/claimsMapping";
import { FIXTURE_STACKS, parseXml } from "../support/drift";
import { createLimiter } from "../../scripts/shared/limiter";
import { pulumiSource } from "../../scripts/drift/stackSource";
import { checkStack, fleetContext, type DriftOptions } from "../../scripts/drift/engine";
import { PulumiNotFoundError } from "../../scripts/shared/pulumiCli";

const APP_URN =
  "urn:pulumi:prod::cmic-entra-oauth::cmic-entra-oauth:index:CmicEntraIntegration$azuread:index/application:Application::cmic-app";

function digest(steps: unknown[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ steps, duration: 1, ...extra });
}

describe("interpretPreview", () => {
  test("exit 0 with a changed step is still drift (the JSON decides, not the exit code)", () => {
    const outcome = interpretPreview("prod", {
      exitCode: 0,
      stderr: "",
      stdout: digest([
        {
          op: "update",
          urn: APP_URN,
          diffReasons: ["displayName"],
          detailedDiff: null,
          oldState: { outputs: { displayName: "Old" } },
          newState: { inputs: { displayName: "CMiC" } },
        },
      ]),
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.checks.flatMap((c) => c.findings)).toEqual([
      expect.objectContaining({ id: "pulumi.update", property: "displayName", expected: "CMiC", actual: "Old", severity: "drift" }),
    ]);
  });

  test("a replace names the property that forces it", () => {
    const outcome = interpretPreview("prod", {
      exitCode: 7,
      stderr: "",
      stdout: digest([
        { op: "replace", urn: APP_URN, diffReasons: ["signInAudience", "id"], replaceReasons: ["signInAudience"], detailedDiff: null },
      ]),
    });
    const findings = outcome.checks.flatMap((c) => c.findings);
    expect(findings.map((f) => [f.property, f.message])).toEqual([
      ["id", "would be replaced"],
      ["signInAudience", "would be replaced (forces replacement)"],
    ]);
    expect(findings[0].fix).toContain("npm run handoff -- --stack prod");
  });

  test("a rotation anchor past its date is a due rotation (expiry), not a deletion", () => {
    const rotationUrn = APP_URN.replace(
      "azuread:index/application:Application::cmic-app",
      "time:index/rotating:Rotating::cmic-secret-rotation",
    );
    const secretUrn = APP_URN.replace(
      "azuread:index/application:Application::cmic-app",
      "azuread:index/applicationPassword:ApplicationPassword::cmic-secret",
    );
    const outcome = interpretPreview("prod", {
      exitCode: 7,
      stderr: "",
      stdout: digest([
        { op: "create", urn: rotationUrn, detailedDiff: null },
        { op: "replace", urn: secretUrn, diffReasons: ["rotateWhenChanged"], replaceReasons: ["rotateWhenChanged"], detailedDiff: null },
      ]),
    });
    const rotation = outcome.checks.flatMap((c) => c.findings).find((f) => f.resource.includes("cmic-secret-rotation"));
    expect(rotation).toMatchObject({ id: "pulumi.rotationDue", severity: "expiry" });
    expect(rotation?.message).not.toContain("deleted");
    expect(rotation?.fix).toContain("npm run handoff -- --stack prod --reveal");
  });

  test("exit 7 with a change summary but no listed step is drift, not clean", () => {
    const outcome = interpretPreview("prod", { exitCode: 7, stderr: "", stdout: digest([], { changeSummary: { same: 3, update: 1 } }) });
    expect(outcome.checks.flatMap((c) => c.findings)).toEqual([expect.objectContaining({ id: "pulumi.summary", severity: "drift" })]);
  });

  test("exit 255 with a digest of only unchanged steps is 'could not check'", () => {
    const outcome = interpretPreview("prod", {
      exitCode: 255,
      stderr: "error: the stack is currently locked by 1 lock(s)\n",
      stdout: digest([{ op: "same", urn: APP_URN }]),
    });
    expect(outcome.error).toContain("locked");
    expect(outcome.checks.some((c) => c.findings.some((f) => f.severity === "error"))).toBe(true);
  });

  test("non-JSON stdout is 'could not check', and the rotation URN is found when present", () => {
    expect(interpretPreview("prod", { exitCode: 255, stdout: "panic: runtime error", stderr: "" }).error).toContain("exit 255");
    const rotation = "urn:pulumi:prod::p::cmic-entra-oauth:index:CmicEntraIntegration$time:index/rotating:Rotating::cmic-secret-rotation";
    expect(interpretPreview("prod", { exitCode: 0, stderr: "", stdout: digest([{ op: "same", urn: rotation }]) }).rotationUrn).toBe(
      rotation,
    );
  });

  test("URNs and property paths", () => {
    expect(parseUrn("urn:pulumi:s::p::a:b:C$azuread:index/application:Application::name::with::colons")).toEqual({
      type: "azuread:index/application:Application",
      name: "name::with::colons",
    });
    expect(valueAtPath({ identifierUris: ["a", "b"], api: { x: { y: 1 } } }, "identifierUris[1]")).toBe("b");
    expect(valueAtPath({ api: { x: { y: 1 } } }, "api.x.y")).toBe(1);
    expect(valueAtPath({ api: 1 }, "api.x")).toBeUndefined();
  });
});

describe("Graph audit helpers", () => {
  test("identifier URI hosts: the client id itself, a verified domain or a subdomain of one", () => {
    const appId = "1b4f0d5e-8c2a-4f7e-9d31-0000000002a1";
    expect(isOnVerifiedDomain(`api://${appId}`, [], appId)).toBe(true);
    expect(isOnVerifiedDomain(`api://${appId}.contoso.com`, ["contoso.com"], appId)).toBe(true);
    expect(isOnVerifiedDomain("https://contoso.com/cmic", ["Contoso.com"], appId)).toBe(true);
    expect(isOnVerifiedDomain("api://evilcontoso.com", ["contoso.com"], appId)).toBe(false);
    expect(isOnVerifiedDomain("urn:cmic", ["contoso.com"], appId)).toBe(false);
  });

  test("the constant claims of a policy definition", () => {
    expect(constantClaims([claimsMappingDefinition("CMICAPI")])).toEqual({
      claims: [{ claimType: "cmicuser", value: "CMICAPI" }],
      parsed: true,
    });
    expect(constantClaims([claimsMappingDefinition("CMICAPI", "svcuser")]).claims).toEqual([{ claimType: "svcuser", value: "CMICAPI" }]);
    expect(constantClaims(["{not json"])).toEqual({ claims: [], parsed: false });
  });

  test("throttled inner requests are sent again, alone, after the longest Retry-After", async () => {
    const sent: string[][] = [];
    let round = 0;
    // A stand-in transport: the first $batch throttles two of its requests, the second answers them.
    const client = {
      api: (path: string) => ({
        post: async (body: { requests: BatchRequest[] }) => {
          expect(path).toBe("/$batch");
          sent.push(body.requests.map((r) => r.id));
          round += 1;
          return {
            responses: body.requests.map((r) =>
              round === 1 && r.id !== "app"
                ? {
                    id: r.id,
                    status: 429,
                    headers: { "Retry-After": r.id === "sp" ? "2" : "1" },
                    body: { error: { code: "TooManyRequests" } },
                  }
                : { id: r.id, status: 200, body: { id: r.id } },
            ),
          };
        },
      }),
    } as unknown as Client;
    const waits: number[] = [];
    const requests: BatchRequest[] = [
      { id: "app", method: "GET", url: "/applications/a" },
      { id: "sp", method: "GET", url: "/servicePrincipals/s" },
      { id: "domains", method: "GET", url: "/domains" },
    ];
    const responses = await sendAuditBatch(client, requests, { sleep: async (ms) => void waits.push(ms) });
    expect(sent).toEqual([
      ["app", "sp", "domains"],
      ["sp", "domains"],
    ]);
    expect(waits).toEqual([2000]);
    expect([...responses.values()].map((r) => [r.id, r.status])).toEqual([
      ["app", 200],
      ["sp", 200],
      ["domains", 200],
    ]);
  });

  test("throttling that never ends stops after the retry budget with the 429 kept (an error, not clean)", async () => {
    let calls = 0;
    const client = {
      api: () => ({
        post: async (body: { requests: BatchRequest[] }) => {
          calls += 1;
          return { responses: body.requests.map((r) => ({ id: r.id, status: 429, headers: { "retry-after": "0" } })) };
        },
      }),
    } as unknown as Client;
    const responses = await sendAuditBatch(client, [{ id: "app", method: "GET", url: "/applications/a" }], {
      maxThrottleRetries: 2,
      sleep: async () => undefined,
    });
    expect(calls).toBe(3);
    expect(responses.get("app")?.status).toBe(429);
    const outputs = parseStackOutputs(JSON.parse(fs.readFileSync(path.join(FIXTURE_STACKS, "acme-clean", "outputs.json"), "utf8")));
    const checks = evaluateAudit({ stack: "acme-clean", outputs, expiryDays: 30, now: new Date() }, responses);
    expect(
      checks
        .flatMap((c) => c.findings)
        .filter((f) => f.severity === "error")
        .map((f) => f.id),
    ).toEqual(["graph.unreadable", "graph.unreadable"]);
  });
});

describe("reports", () => {
  const check = (findings: DriftCheck["findings"], name = "graph: x"): DriftCheck => ({
    layer: "graph",
    id: "graph.x",
    name,
    resource: "app",
    findings,
  });
  const finding = (severity: "drift" | "expiry" | "error", message = "m") => ({
    stack: "s",
    layer: "graph" as const,
    id: "graph.x",
    severity,
    resource: "app",
    message,
    fix: "f",
  });
  const result = (stack: string, status: StackDriftResult["status"], checks: DriftCheck[] = []): StackDriftResult => ({
    stack,
    status,
    checks,
  });

  test("fleet exit code: any could-not-check wins, then drift, then clean; nothing checked is not clean", () => {
    expect(fleetExitCode([result("a", "clean"), result("b", "clean")])).toBe(0);
    expect(fleetExitCode([result("a", "clean"), result("b", "drift")])).toBe(3);
    expect(fleetExitCode([result("a", "drift"), result("b", "error")])).toBe(1);
    expect(fleetExitCode([])).toBe(1);
  });

  test("JSON: ok only when the exit code is 0; check status from its findings", () => {
    const json = toJsonReport([result("a", "drift", [check([]), check([finding("expiry")]), check([finding("error")])])], {
      expiryDays: 7,
      now: new Date(0),
    });
    expect(json).toMatchObject({ ok: false, exitCode: 3, expiryDays: 7, generatedAt: "1970-01-01T00:00:00.000Z" });
    expect(json.stacks[0].checks.map((c) => c.status)).toEqual(["pass", "fail", "error"]);
    expect(json.stacks[0].findings).toHaveLength(2);
  });

  test("JUnit stays well-formed whatever the messages hold", () => {
    const nasty = `<tag attr="x"> & 'quotes' \u0007 bell ]]> end`;
    const xml = toJUnitXml([result(`st&ck<"1">`, "drift", [check([finding("drift", nasty)], `graph: ${nasty}`)])]);
    const root = parseXml(xml);
    const testcase = root.children[0].children[0];
    expect(testcase.attributes.name).toBe(`graph: ${nasty.replace("\u0007", "")}`);
    expect(testcase.children[0].attributes.message).toBe(nasty.replace("\u0007", ""));
    expect(escapeXml("a\u0000b")).toBe("ab");
  });

  test("a stack-level error without an errored check still gets an errored testcase", () => {
    const root = parseXml(toJUnitXml([{ stack: "(all stacks)", status: "error", checks: [], error: "pulumi stack ls failed" }]));
    expect(root.attributes).toMatchObject({ tests: "1", errors: "1" });
    expect(root.children[0].children[0].children[0]).toMatchObject({
      name: "error",
      attributes: expect.objectContaining({ message: "pulumi stack ls failed" }),
    });
  });

  test("notes reach the table, the JSON and JUnit's system-out, and never change a status or the exit code", () => {
    const noted: DriftCheck = { ...check([]), notes: ["the connector has switched & can retire <previous>"] };
    const results = [result("a", "clean", [noted])];
    expect(formatTable(results)).toContain("  note: the connector has switched & can retire <previous>\n");
    const json = toJsonReport(results, { expiryDays: 30 });
    expect(json).toMatchObject({ ok: true, exitCode: 0 });
    expect(json.stacks[0].checks[0]).toMatchObject({ status: "pass", notes: ["the connector has switched & can retire <previous>"] });
    expect(toJsonReport([result("a", "clean", [check([])])], { expiryDays: 30 }).stacks[0].checks[0]).not.toHaveProperty("notes");
    const root = parseXml(toJUnitXml(results));
    expect(root.attributes).toMatchObject({ failures: "0", errors: "0" });
    expect(root.children[0].children[0].children[0]).toMatchObject({
      name: "system-out",
      text: "the connector has switched & can retire <previous>",
    });
  });

  test("the table says which exit code the fleet gets", () => {
    expect(formatTable([result("a", "clean"), result("b", "error")])).toMatch(
      /2 stack\(s\): 1 clean, 0 with drift, 1 could not be checked → exit 1/,
    );
  });
});

describe("createLimiter", () => {
  test("runs at most its limit at once, also for tasks queued while others run", async () => {
    const limit = createLimiter(2);
    let running = 0;
    let peak = 0;
    const task = async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setImmediate(resolve));
      running -= 1;
    };
    const first = Array.from({ length: 4 }, () => limit(task));
    const late = new Promise<void>((resolve) =>
      setImmediate(() => resolve(Promise.all(Array.from({ length: 4 }, () => limit(task))).then(() => undefined))),
    );
    await Promise.all([...first, late]);
    expect(peak).toBe(2);
  });
});

describe("checkStack (the engine)", () => {
  const options: DriftOptions = {
    stacks: ["acme"],
    all: false,
    concurrency: 1,
    auditConcurrency: 1,
    expiryDays: 30,
    skipPreview: true,
    skipAudit: false,
    graphUrl: "https://graph.microsoft.com",
    json: true,
  };

  test("unreadable outputs are 'could not check', with the fix taken from the error's field", async () => {
    const source = pulumiSource({ pulumiCommand: path.join(FIXTURE_STACKS, "no-such-pulumi-binary") }, "https://graph.microsoft.com", {});
    const result = await checkStack(
      "acme",
      fleetContext(
        options,
        {
          ...source,
          graphClient: () => {
            throw new Error("the audit must not reach Graph without outputs");
          },
        },
        new Date(),
      ),
    );
    expect(result.status).toBe("error");
    const [finding] = result.checks.flatMap((check) => check.findings);
    const expected = new PulumiNotFoundError("pulumi");
    expect(finding).toMatchObject({ id: "graph.outputs", severity: "error", fix: expected.fix });
    expect(finding.message).toContain("was not found on PATH");
    expect(finding.message).not.toContain("Fix:");
  });
});
