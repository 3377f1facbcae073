/**
 * `npm run rotate` in a local world, through the real program, the engine's `--replace`, the
 * emulator and the real clients: a rotation keeps the old secret working until `--retire-previous`
 * (a separate step), `--now` ends it at once after proving the new one, and without a terminal
 * `--now` needs `--yes`.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import type { StackOutputs } from "../../contract/stackOutputs";
import { rotateCommand } from "../../scripts/rotate/cli";
import { deployStack, updateStack } from "../../scripts/sandbox/deployStack";
import { worldClock } from "../../scripts/world/clock";
import { runCaptured } from "../../scripts/shared/cli";
import { worldStackOutputs, requireWorld } from "../../scripts/world/worldDir";
import { requestTokenInWorld } from "../support/connectorToken";
import { FAKE_PULUMI_BIN } from "../support/drift";
import { startEmulatorFixture } from "../support/emulatorFixture";
import { newWorldDir, upInWorld } from "../support/world";
import { runScript, type CliRun } from "../support/runScript";

const SETTINGS = { deployment: "enterprise", serviceUser: "ARCORO_SVC", verifiedDomain: "contoso.com" };

const up = (dir: string, at?: string) => upInWorld(dir, SETTINGS, at);

async function newWorld(): Promise<{ dir: string; first: StackOutputs }> {
  const dir = newWorldDir();
  const first = (await up(dir, "2027-01-04T09:00:00Z")).outputs;
  return { dir, first };
}

/**
 * `npm run rotate` as its own process (it loads the program itself, as the npm script does); stdin
 * is not a terminal, as in a pipeline.
 */
function rotateIn(dir: string, ...args: string[]): Promise<CliRun> {
  return runScript("rotate", ["--state", dir, "--propagation-window", "20", ...args]);
}

const outputsOf = (dir: string) => worldStackOutputs(requireWorld(dir), dir, "acme").outputs;

describe("npm run rotate in a world", () => {
  it("issues a new secret and keeps the old one working until --retire-previous, a separate step", async () => {
    const { dir, first } = await newWorld();
    const rotated = await rotateIn(dir, "--at", "+3d");
    expect(rotated.code).toBe(0);
    const after = outputsOf(dir);
    expect(after.secretKeyId).not.toBe(first.secretKeyId);
    expect(rotated.stdout).toContain(`New client secret ${after.secretKeyId}`);
    expect(rotated.stdout).toContain(`The previous secret ${first.secretKeyId} keeps working until ${first.secretExpiresAt}`);
    expect(rotated.stdout).toContain(`npm run rotate -- --state ${dir} --stack acme --retire-previous`);
    // Nothing secret is printed.
    for (const secret of [first.clientSecret, after.clientSecret])
      expect(`${rotated.stdout}${rotated.stderr}`).not.toContain(secret ?? "<none>");
    // A full lifetime from the rotation, not the old schedule.
    expect(Date.parse(after.secretRotatesAt ?? "") - Date.parse(after.secretCreatedAt ?? "")).toBeGreaterThan(179 * 86_400_000);
    // Both secrets work; the next scheduled run changes nothing.
    expect(await requestTokenInWorld(dir, after, first.clientSecret ?? "")).toBeNull();
    expect(await requestTokenInWorld(dir, after, after.clientSecret ?? "")).toBeNull();
    expect((await up(dir, "+1d")).steps.filter((step) => step.op !== "same")).toEqual([]);

    const retired = await rotateIn(dir, "--retire-previous");
    expect(retired.code).toBe(0);
    expect(retired.stdout).toContain(`Removed: secret ${first.secretKeyId}`);
    expect(await requestTokenInWorld(dir, after, first.clientSecret ?? "")).toBe("AADSTS7000215");
    expect(await requestTokenInWorld(dir, after, after.clientSecret ?? "")).toBeNull();
    // Retiring again finds nothing, and the run after it still changes nothing.
    expect((await rotateIn(dir, "--retire-previous")).stdout).toContain("No previous secret to remove.");
    expect((await up(dir, "+1d")).steps.filter((step) => step.op !== "same")).toEqual([]);
  }, 180_000);

  it("--now ends the leaked secret at once, after proving the new one; never a secret it did not create", async () => {
    const { dir, first } = await newWorld();
    // A secret someone added by hand: rotate never removes it.
    const byHand = await addPasswordByHand(dir, first);
    // An hour later: time_rotating's id is its base to the second (terraform-provider-time), so a
    // rotation in the very second the anchor was created would name the same anchor; rotate then
    // stops with ERR_ROTATE_NOT_ISSUED rather than claim a new secret.
    const leaked = await rotateIn(dir, "--now", "--yes", "--at", "+1h");
    expect({ code: leaked.code, stderr: leaked.code === 0 ? "" : leaked.stderr }).toEqual({ code: 0, stderr: "" });
    const after = outputsOf(dir);
    expect(after.secretKeyId).not.toBe(first.secretKeyId);
    expect(leaked.stdout).toContain(`Removed: secret ${first.secretKeyId}`);
    expect(leaked.stdout).toContain(`Left alone: secret ${byHand}`);
    expect(await requestTokenInWorld(dir, after, first.clientSecret ?? "")).toBe("AADSTS7000215");
    expect(await requestTokenInWorld(dir, after, after.clientSecret ?? "")).toBeNull();
  }, 180_000);

  it("without a terminal, --now needs --yes and changes nothing otherwise", async () => {
    const { dir, first } = await newWorld();
    const refused = await rotateIn(dir, "--now");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--yes");
    expect(outputsOf(dir).secretKeyId).toBe(first.secretKeyId);
    expect(await requestTokenInWorld(dir, first, first.clientSecret ?? "")).toBeNull();
  }, 120_000);

  it.each([
    [["--now", "--retire-previous"], "two different steps"],
    [["--key-id", "x"], "--key-id goes with --retire-previous"],
    [["--yes"], "--yes confirms --now"],
  ])("refuses %p as a usage error", async (args, message) => {
    const run = await runCaptured(rotateCommand, ["--stack", "acme", ...args], { env: { ...process.env }, stdin: Readable.from([]) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});

/** `az ad app credential reset --append` as an admin would: a secret with its own display name. */
async function addPasswordByHand(dir: string, outputs: StackOutputs): Promise<string> {
  const { openWorld, tenantOf } = await import("../../scripts/world/session");
  const { deployerGraph } = await import("../../scripts/world/deployerGraph");
  const session = await openWorld(dir, { write: true });
  try {
    const world = requireWorld(dir);
    const added = (await deployerGraph(session.emulator.url, tenantOf(world))
      .api(`/applications/${outputs.applicationObjectId}/addPassword`)
      .post({ passwordCredential: { displayName: "Arcoro test" } })) as { keyId: string };
    session.save(tenantOf(world), world.stacks);
    return added.keyId;
  } finally {
    await session.close();
  }
}

describe("npm run rotate on a Pulumi stack (the stand-in pulumi, the emulator as Entra and Graph)", () => {
  it("runs pulumi up --replace on the rotation anchor, proves the new secret, and retires the old one through Graph only when told", async () => {
    const fixture = await startEmulatorFixture();
    try {
      const { tenant, emulator } = fixture;
      const access = { tenantId: tenant.tenantId, deployer: tenant.deployer };
      const settings = { ...SETTINGS, verifiedDomain: "contoso.onmicrosoft.com" };
      const first = await deployStack({ emulatorUrl: emulator.url, tenant: access, settings, stack: "acme" });
      const anchor = first.state.resources.find((resource) => resource.type === "time:index/rotating:Rotating");
      // What `pulumi up --replace` will have done: the engine's targeted replace, an hour later.
      const clock = worldClock(new Date(Date.now() + 3_600_000));
      const rotated = await updateStack({
        emulatorUrl: emulator.url,
        tenant: access,
        settings,
        stack: "acme",
        state: first.state,
        clock,
        replace: [anchor?.urn ?? ""],
      });
      expect(rotated.ok).toBe(true);
      const stacks = mkdtempSync(path.join(tmpdir(), "cmic-pulumi-"));
      mkdirSync(path.join(stacks, "acme", "up"), { recursive: true });
      writeFileSync(path.join(stacks, "acme", "outputs.json"), JSON.stringify(first.outputs));
      writeFileSync(path.join(stacks, "acme", "up", "outputs.json"), JSON.stringify(rotated.outputs));
      writeFileSync(
        path.join(stacks, "acme", "export.json"),
        JSON.stringify({ deployment: { resources: first.state.resources.map(({ urn, type }) => ({ urn, type })) } }),
      );
      const log = path.join(stacks, "pulumi.log");
      const env = {
        PATH: `${FAKE_PULUMI_BIN}${path.delimiter}${process.env.PATH ?? ""}`,
        FAKE_PULUMI_DIR: stacks,
        FAKE_PULUMI_LOG: log,
        CMIC_AUTHORITY_HOST: emulator.url,
        CMIC_GRAPH_URL: emulator.url,
        AZURE_TENANT_ID: tenant.tenantId,
        AZURE_CLIENT_ID: tenant.deployer.clientId,
        AZURE_CLIENT_SECRET: tenant.deployer.clientSecret,
        AZURE_AUTHORITY_HOST: emulator.url,
      };
      const rotate = await runScript("rotate", ["--stack", "acme", "--propagation-window", "20"], { env });
      expect({ code: rotate.code, stderr: rotate.code === 0 ? "" : rotate.stderr }).toEqual({ code: 0, stderr: "" });
      const calls = readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as string[]);
      expect(calls).toContainEqual(["up", "--stack", "acme", "--replace", anchor?.urn, "--yes", "--skip-preview", "--refresh"]);
      expect(calls.filter((call) => call[0] === "up")).toHaveLength(1);
      expect(rotate.stdout).toContain(`New client secret ${rotated.outputs?.secretKeyId}`);
      expect(rotate.stdout).toContain(`The previous secret ${first.outputs.secretKeyId} keeps working`);
      const keyIds = async () =>
        (
          (await fixture.graph.api(`/applications/${first.outputs.applicationObjectId}`).select("passwordCredentials").get()) as {
            passwordCredentials: { keyId: string }[];
          }
        ).passwordCredentials.map((credential) => credential.keyId);
      expect(await keyIds()).toContain(first.outputs.secretKeyId);

      const retire = await runScript("rotate", ["--stack", "acme", "--retire-previous", "--propagation-window", "20"], { env });
      expect({ code: retire.code, stderr: retire.code === 0 ? "" : retire.stderr }).toEqual({ code: 0, stderr: "" });
      expect(await keyIds()).toEqual([rotated.outputs?.secretKeyId]);
      // Retiring runs no update.
      expect(
        readFileSync(log, "utf8")
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line) as string[])
          .filter((call) => call[0] === "up"),
      ).toHaveLength(1);
    } finally {
      await fixture.emulator.close();
    }
  }, 120_000);
});
