/**
 * The world as a user drives it from the shell: `npm run sandbox -- --state DIR` with `--at`,
 * `--json`, `--save-outputs` and `--portal`, then `drift`, `verify`, `handoff` and `emulator` on
 * the same DIR, each the compiled CLI in its own process. Exit codes, the one JSON object, file
 * modes, the lock, and no secret printed anywhere.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { compiledCli, PROJECT_ROOT, runScript, type CliRun } from "../support/runScript";

const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/;
const FAST = ["--propagation-delay", "0.5", "--window", "15"];

function newWorld(): string {
  return path.join(mkdtempSync(path.join(tmpdir(), "cmic-world-cli-")), "world");
}

function json(run: CliRun): Record<string, unknown> {
  const lines = run.stdout.trim().split("\n");
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]) as Record<string, unknown>;
}

let dir: string;
let outputsFile: string;
let secret: string;

beforeAll(async () => {
  dir = newWorld();
  outputsFile = path.join(path.dirname(dir), "outputs.json");
  const first = await runScript("sandbox", [
    "--state",
    dir,
    "--json",
    "--save-outputs",
    outputsFile,
    "--at",
    "2027-01-04T09:00:00Z",
    ...FAST,
  ]);
  expect(first.code).toBe(0);
  const report = json(first);
  expect(report).toMatchObject({ ok: true, exitCode: 0, at: "2027-01-04T09:00:00.000Z", stack: "dev", check: { by: "post-deploy check" } });
  expect((report.steps as { op: string }[]).every((step) => step.op === "create")).toBe(true);
  expect((report.changeSummary as Record<string, number>).create).toBe((report.steps as unknown[]).length);
  secret = (JSON.parse(readFileSync(outputsFile, "utf8")) as { clientSecret: string }).clientSecret;
  expect(secret.length).toBeGreaterThan(20);
  expect(statSync(outputsFile).mode & 0o777).toBe(0o600);
  expect(statSync(path.join(dir, "world.json")).mode & 0o777).toBe(0o600);
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  expect(first.stdout + first.stderr).not.toContain(secret);
}, 120_000);

it("a week later: every step `same`, the sandbox checks the token itself, at the world's clock", async () => {
  const run = await runScript("sandbox", ["--state", dir, "--json", "--at", "+7d", ...FAST]);
  expect(run.code).toBe(0);
  const report = json(run);
  // Seven days after the previous run ended (it took a moment of the world's time).
  expect(report).toMatchObject({ ok: true, check: { by: "sandbox", ok: true } });
  expect(report.at).toMatch(/^2027-01-11T09:0\d:/);
  expect(report.changeSummary).toMatchObject({ create: 0, update: 0, replace: 0, delete: 0 });
  expect(run.stdout + run.stderr).not.toContain(secret);
  expect(run.stdout + run.stderr).not.toMatch(JWT);
});

it("a portal change is found by drift (re-run trusting the emulator's CA), shown in the plan, undone, and verify, handoff work on the world", async () => {
  const portal = await runScript("sandbox", ["--state", dir, "--portal", "mapped-claims-off"]);
  expect(portal.code).toBe(0);
  expect(portal.stderr).toContain("set acceptMappedClaims to false");

  // No CA in the environment: drift starts itself again with NODE_EXTRA_CA_CERTS set.
  const drift = await runScript("drift", ["--state", dir], { env: { NODE_EXTRA_CA_CERTS: "" } });
  expect(drift.code).toBe(3);
  expect(drift.stdout).toContain("mappedClaims");
  expect(drift.stdout).toContain(`npm run sandbox -- --state ${dir} --stack dev`);

  const undo = await runScript("sandbox", ["--state", dir, "--at", "+1d", ...FAST]);
  expect(undo.code).toBe(0);
  expect(undo.stderr).toContain("refresh: azuread:Application cmic-app was changed outside Pulumi [api");
  expect(undo.stderr).toMatch(/~\s+azuread:Application\s+cmic-app\s+updated \[diff: ~api\]/);
  expect(undo.stderr).toMatch(/Resources:\n\s+~ +1 updated/);
  expect(undo.stdout).toContain(`npm run verify -- --state ${dir} --stack dev`);

  const clean = await runScript("drift", ["--state", dir]);
  expect(clean.code).toBe(0);
  const verify = await runScript("verify", ["--state", dir, "--propagation-window", "0"]);
  expect(verify.stdout).toContain("OK: the token passes every check CMiC makes");
  expect(verify.code).toBe(0);
  const handoff = await runScript("handoff", ["--state", dir]);
  expect(handoff.code).toBe(0);
  expect(handoff.stdout).toContain(`from sandbox stack \`dev\` of the local world \`${dir}\``);
  for (const run of [portal, drift, undo, clean, verify, handoff]) expect(run.stdout + run.stderr).not.toContain(secret);
});

it("refuses a clock that runs backwards, a bad --at, a portal change without a world, and a world held by a live process", async () => {
  const backwards = await runScript("sandbox", ["--state", dir, "--at", "2026-01-01"]);
  expect(backwards.code).toBe(2);
  expect(backwards.stderr).toContain("its time cannot run backwards");
  const garbage = await runScript("sandbox", ["--state", dir, "--at", "next tuesday"]);
  expect(garbage.code).toBe(2);
  expect(garbage.stderr).toContain("--at 'next tuesday' is neither an ISO date nor +Nd / +Nh");
  const noWorld = await runScript("sandbox", ["--portal", "delete-app"]);
  expect(noWorld.code).toBe(2);

  // This test process is alive: the world is held.
  writeFileSync(path.join(dir, ".lock"), String(process.pid));
  const held = await runScript("sandbox", ["--state", dir, ...FAST]);
  expect(held.code).toBe(1);
  expect(held.stderr).toContain(`Another run (process ${process.pid}) is using the world`);
  // A lock left by a process that is gone is taken over.
  writeFileSync(path.join(dir, ".lock"), "2147483646");
  const takenOver = await runScript("sandbox", ["--state", dir, "--json", ...FAST]);
  expect(takenOver.code).toBe(0);
});

it("serves the world with `npm run emulator -- --state DIR` until Ctrl-C, and saves it", async () => {
  const child = spawn(process.execPath, [compiledCli("emulator"), "--state", dir], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      if (stdout.includes("Press Ctrl-C to stop.")) resolve();
    });
    child.on("error", reject);
    child.on("close", (code) => reject(new Error(`the emulator exited (${code}) before listening: ${stdout}`)));
  });
  expect(stdout).toContain("its stacks: dev");
  const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
  child.kill("SIGINT");
  expect(await closed).toBe(0);
  expect(stdout).toContain("stopping the emulator and saving the world");
  expect(stdout).not.toContain(secret);
});
