/**
 * A stack's life in a persistent local world (`npm run sandbox -- --state DIR`), through the real
 * program (index.ts), the engine and provider models, the emulator and the real clients: the
 * second run changes nothing, a portal change is found by drift and undone by the next run (after
 * which a run changes nothing again), and time passing (the secret's rotation date) never leaves
 * the connector without a valid secret. For `secret`, `certificate` and `both`, and for the claim
 * in the token or in CMiC's registration.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runDrift } from "../../scripts/drift/engine";
import { findingsOf } from "../../scripts/drift/report";
import { changeInPortal } from "../../scripts/sandbox/portalRun";
import { runSandbox, type SandboxResult } from "../../scripts/sandbox/runSandbox";
import { runCaptured, type CapturedRun } from "../../scripts/shared/cli";
import { verifyCommand } from "../../scripts/verify/cli";
import { readWorld } from "../../scripts/world/worldDir";
import { generateTestCertificate } from "../support/certificates";
import { worldDriftOptions } from "../support/world";

const CERTIFICATE = generateTestCertificate({ commonName: "arcoro-connector" });
const KEY_FILE = path.join(mkdtempSync(path.join(tmpdir(), "cmic-world-key-")), "connector.pem");
writeFileSync(KEY_FILE, CERTIFICATE.certificateWithKeyPem, { mode: 0o600 });

function loadIndex(): Record<string, unknown> {
  let program: Record<string, unknown> = {};
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require("../..");
  });
  return program;
}

function newWorld(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), "cmic-world-")), "world");
}

type Settings = Record<string, string>;

function qualified(settings: Settings): Record<string, string> {
  return Object.fromEntries(Object.entries(settings).map(([key, value]) => [key.includes(":") ? key : `cmic-entra-oauth:${key}`, value]));
}

async function up(dir: string, settings: Settings, at?: string): Promise<SandboxResult> {
  return runSandbox({
    stack: "acme",
    config: qualified(settings),
    propagationDelayMs: 300,
    propagationWindowMs: 6_000,
    loadProgram: loadIndex,
    stateDir: dir,
    at,
    log: () => undefined,
  });
}

function green(result: SandboxResult): Extract<SandboxResult, { ok: true }> {
  if (!result.ok) throw result.error;
  return result;
}

/** The resources an update changed, by name, with the op. */
function changes(result: SandboxResult): Record<string, string> {
  return Object.fromEntries(result.steps.filter((step) => step.op !== "same").map((step) => [step.name, step.op]));
}

async function drift(dir: string): Promise<string[]> {
  const { results } = await runDrift(worldDriftOptions(dir));
  return findingsOf(results[0]).map((finding) => `${finding.id}${finding.property ? ` ${finding.property}` : ""}`);
}

const BASE: Settings = { deployment: "enterprise", serviceUser: "ARCORO_SVC", verifiedDomain: "contoso.com", protect: "true" };

const COMBINATIONS: [string, Settings][] = [
  ["secret, claim in the token", { credential: "secret" }],
  ["secret, claim in CMiC's registration", { credential: "secret", claimSource: "registration" }],
  ["certificate, claim in the token", { credential: "certificate", certificate: CERTIFICATE.certPem, postDeployCertificateFile: KEY_FILE }],
  [
    "certificate, claim in CMiC's registration",
    { credential: "certificate", certificate: CERTIFICATE.certPem, postDeployCertificateFile: KEY_FILE, claimSource: "registration" },
  ],
  ["both, claim in the token", { credential: "both", certificate: CERTIFICATE.certPem }],
  ["both, claim in CMiC's registration", { credential: "both", certificate: CERTIFICATE.certPem, claimSource: "registration" }],
];

describe.each(COMBINATIONS)("%s", (_label, extra) => {
  const settings = { ...BASE, ...extra };

  it("runs a second time with every step `same`, finds a portal change by drift, undoes it, and is `same` again", async () => {
    const dir = newWorld();
    const first = green(await up(dir, settings));
    expect(first.steps.every((step) => step.op === "create")).toBe(true);

    const second = green(await up(dir, settings, "+1d"));
    expect(changes(second)).toEqual({});
    // The application and its service principal were read before the identifier URI (a resource of
    // its own) was added: the first refresh records the URI on both (Entra lists it among the
    // service principal's names), as the real provider's Read does. Nothing to change.
    // (The service principal may have been read after the URI was added: the two ran side by side.)
    const refreshed = second.refreshed.map((change) => `${change.name} ${change.change} ${change.properties.join(",")}`);
    expect(refreshed).toContain("cmic-app changed identifierUris");
    expect(refreshed.filter((line) => line !== "cmic-app changed identifierUris")).toEqual(
      refreshed.includes("cmic-sp changed servicePrincipalNames") ? ["cmic-sp changed servicePrincipalNames"] : [],
    );
    expect(green(await up(dir, settings, "+1d")).refreshed).toEqual([]);
    // Nothing changed, so the post-deploy check did not run; the sandbox still proved a token.
    expect(second.checkedBy).toBe("sandbox");
    expect(await drift(dir)).toEqual([]);

    await changeInPortal({ stateDir: dir, change: "token-version-1" });
    expect(await drift(dir)).toEqual(
      expect.arrayContaining(["pulumi.update api", "graph.app.tokenVersion api.requestedAccessTokenVersion"]),
    );
    const undone = green(await up(dir, settings, "+1d"));
    expect(changes(undone)).toMatchObject({ "cmic-app": "update" });
    expect(undone.refreshed).toMatchObject([{ name: "cmic-app", change: "changed", properties: ["api"] }]);
    expect(changes(green(await up(dir, settings, "+1d")))).toEqual({});
    expect(await drift(dir)).toEqual([]);

    // The same client id throughout: CMiC's registration never needed a change.
    expect(undone.outputs.clientId).toBe(first.outputs.clientId);
  });
});

describe("portal changes on a secret stack with the claim in the token", () => {
  it.each([
    ["mapped-claims-off", { "cmic-app": "update" }, "graph.app.acceptMappedClaims"],
    ["unassign-policy", { "cmic-claims-policy-assignment": "create" }, "graph.policy.missing"],
    ["delete-identifier-uri", { "cmic-identifier-uri": "create" }, "graph.app.identifierUri"],
  ] as const)("%s: drift finds it, the next run undoes it, the run after is all `same`", async (change, expected, graphFinding) => {
    const dir = newWorld();
    green(await up(dir, BASE));
    await changeInPortal({ stateDir: dir, change });
    const found = await drift(dir);
    expect(found.some((id) => id.startsWith(graphFinding))).toBe(true);
    expect(found.some((id) => id.startsWith("pulumi."))).toBe(true);
    expect(changes(green(await up(dir, BASE)))).toMatchObject(expected);
    expect(changes(green(await up(dir, BASE)))).toEqual({});
    expect(await drift(dir)).toEqual([]);
  });

  it("delete-app: the next run creates the application again, with a new client id CMiC must be given", async () => {
    const dir = newWorld();
    const first = green(await up(dir, BASE));
    await changeInPortal({ stateDir: dir, change: "delete-app" });
    expect(await drift(dir)).toEqual(expect.arrayContaining(["pulumi.missing"]));
    // The preview replaces the token check, whose environment holds the secret: the digest masks it.
    const report = JSON.stringify(await runDrift({ ...worldDriftOptions(dir) }));
    expect(report).toContain("[secret]");
    expect(report).not.toContain(first.outputs.clientSecret ?? "<no secret>");
    const recreated = green(await up(dir, BASE));
    expect(changes(recreated)["cmic-app"]).toBe("create");
    expect(recreated.outputs.clientId).not.toBe(first.outputs.clientId);
    expect(changes(green(await up(dir, BASE)))).toEqual({});
  });

  it("add-secret: drift reports the secret nobody manages; pulumi up does not own it, so it stays until removed by hand", async () => {
    const dir = newWorld();
    green(await up(dir, BASE));
    await changeInPortal({ stateDir: dir, change: "add-secret" });
    expect((await drift(dir)).some((id) => id.startsWith("graph.credentials.unknown"))).toBe(true);
    expect(changes(green(await up(dir, BASE)))).toEqual({});
    expect((await drift(dir)).some((id) => id.startsWith("graph.credentials.unknown"))).toBe(true);
  });
});

const DAY_MS = 86_400_000;

/** `to` is at or after `from`, by less than an hour (the run's own duration on the world's clock). */
function expectShortlyAfter(from: string, to: string): void {
  const seconds = (Date.parse(to) - Date.parse(from)) / 1000;
  expect(seconds).toBeGreaterThanOrEqual(0);
  expect(seconds).toBeLessThan(3600);
}

/** The secret's rotation date as the world's state holds it. */
function rotationDate(dir: string): string {
  const record = readWorld(dir)?.stacks.acme.state.resources.find((resource) => resource.name === "cmic-secret-rotation");
  return String(record?.state.rotationRfc3339);
}

/** `npm run verify -- --state DIR --at WHEN` with this secret, in-process. */
async function verifyWith(dir: string, secret: string | null, at: string): Promise<CapturedRun> {
  return runCaptured(verifyCommand, ["--state", dir, "--at", at, "--propagation-window", "0"], {
    env: { ...process.env, CMIC_CLIENT_SECRET: secret ?? "" },
  });
}

describe("time passing", () => {
  it("keeps the secret valid after its rotation date, and the replaced one through its handover window", async () => {
    const dir = newWorld();
    const settings = { ...BASE, secretLifetimeDays: "30", handoverDays: "10" };
    const first = green(await up(dir, settings, "2027-01-01T00:00:00Z"));
    const firstSecret = first.outputs.clientSecret;
    // The secret ends after its rotation date (2027-01-31) + the handover window + the 30-day run allowance.
    expectShortlyAfter("2027-03-12T00:00:00Z", first.outputs.secretExpiresAt ?? "");
    // A week before the rotation date: nothing to do.
    expect(changes(green(await up(dir, settings, "+23d")))).toEqual({});
    // A week after it, before the next scheduled run: the connector's secret still gets a token.
    expect(await verifyWith(dir, firstSecret, "2027-02-07T00:00:00Z")).toMatchObject({ code: 0 });
    // That run issues the new secret: a new rotation anchor, dated from the run.
    const rotated = green(await up(dir, settings, "+14d"));
    expect(changes(rotated)).toMatchObject({ "cmic-secret-rotation": "create", "cmic-secret": "replace" });
    expect(rotated.outputs.clientSecret).not.toBe(firstSecret);
    // Rotation 30 days after that run (the world's clock runs on from the run's instant), the secret 40 more.
    expectShortlyAfter("2027-03-09T00:00:00Z", rotationDate(dir));
    expect(Date.parse(rotated.outputs.secretExpiresAt ?? "")).toBe(Date.parse(rotationDate(dir)) + 40 * DAY_MS);
    expectShortlyAfter("2027-02-07T00:00:00Z", readWorld(dir)?.lastRunAt ?? "");
    // The replaced secret is retained, not deleted: both get a token (issue #11, docs/rotation-design.md).
    expect(await verifyWith(dir, rotated.outputs.clientSecret, "+1h")).toMatchObject({ code: 0 });
    expect(await verifyWith(dir, firstSecret, "+1h")).toMatchObject({ code: 0 });
    // The old one keeps working well past the 10-day handover window, until its own end date, then Entra ends it.
    expect(await verifyWith(dir, firstSecret, "2027-03-11T00:00:00Z")).toMatchObject({ code: 0 });
    const retired = await verifyWith(dir, firstSecret, "2027-03-13T00:00:00Z");
    expect(retired.code).toBe(1);
    expect(retired.stdout).toContain("AADSTS7000222");
    // A world nobody runs pulumi up in: once the new secret's end date has passed, Entra refuses it as expired.
    const expired = await verifyWith(dir, rotated.outputs.clientSecret, "2027-04-20T00:00:00Z");
    expect(expired.code).toBe(1);
    expect(expired.stdout).toContain("AADSTS7000222");
  });

  it("a second run of a certificate stack does not replace the certificate (dates in Graph's format)", async () => {
    const dir = newWorld();
    const settings = { ...BASE, credential: "certificate", certificate: CERTIFICATE.certPem, postDeployCertificateFile: KEY_FILE };
    green(await up(dir, settings));
    expect(changes(green(await up(dir, settings, "+30d")))).toEqual({});
  });
});
