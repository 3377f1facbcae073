/**
 * Issue #12 in a local world: hand-made setups (test/support/handMade.ts) are adopted with the real
 * `npm run adopt`, imported as `pulumi import --file` would (the sandbox's --import), and deployed by
 * the real program: the client id stays, what CMiC needs is fixed, a managed secret is issued, the
 * admin's secret keeps working, and the second run is all `same`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { adoptCommand } from "../../scripts/adopt/cli";
import { importIntoWorld } from "../../scripts/sandbox/importRun";
import { readStackConfig } from "../../scripts/sandbox/stackFile";
import { runCaptured } from "../../scripts/shared/cli";
import { verifyCommand } from "../../scripts/verify/cli";
import { deployerGraph } from "../../scripts/world/deployerGraph";
import { openWorld } from "../../scripts/world/session";
import { seedHandMade, type HandMadeApp, type HandMadeKind } from "../support/handMade";
import { newWorldDir, upInWorld } from "../support/world";

async function worldWith(kind: HandMadeKind): Promise<{ dir: string; made: HandMadeApp }> {
  const dir = newWorldDir();
  const session = await openWorld(dir, { write: true });
  try {
    const tenant = session.emulator.addTenant({ initialDomain: "adoptacme.onmicrosoft.com", verifiedDomains: ["contoso.com"] });
    const access = { tenantId: tenant.tenantId, deployer: tenant.deployer };
    const made = await seedHandMade(deployerGraph(session.emulator.url, access), kind, "contoso.com", session.clock.now());
    session.save(access, {});
    return { dir, made };
  } finally {
    await session.close();
  }
}

interface AdoptJson {
  ok: boolean;
  clientId: string;
  files: string[];
  plan: { op: string; resource: string; what: string }[];
  keptCredentials: { keyId: string }[];
}

describe.each<HandMadeKind>(["setup-guide", "cmic-guide", "broken", "portal-claim", "correct"])("adopting the %s setup", (kind) => {
  it("keeps the client id, fixes what CMiC needs, issues a managed secret beside the admin's, and the second run is all same", async () => {
    const { dir, made } = await worldWith(kind);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "cmic-adopt-"));
    const adopted = await runCaptured(adoptCommand, [
      "--state",
      dir,
      "--client-id",
      made.clientId,
      "--stack",
      "acme",
      "--dir",
      out,
      "--json",
    ]);
    expect(adopted.stderr).toBe("");
    expect(adopted.code).toBe(0);
    const report = JSON.parse(adopted.stdout) as AdoptJson;
    expect(report.keptCredentials.map((c) => c.keyId)).toEqual([made.secret.keyId]);
    const [stackFile, importFile] = report.files;
    const config = readStackConfig(stackFile);
    if (kind === "broken") expect(config["cmic-entra-oauth:cmicTenant"]).toBe("ACME");

    await importIntoWorld({ stateDir: dir, stack: "acme", file: importFile, config: () => config, protect: false });
    const first = await upInWorld(dir, config, "+1h");
    expect(first.outputs.clientId).toBe(made.clientId);
    const ops = Object.fromEntries(first.steps.map((step) => [step.name, step.op]));
    // Always an update: preventDuplicateNames is not in Entra, so the import records false (plan.ts).
    expect(ops["cmic-app"]).toBe("update");
    if (kind === "correct") expect(first.steps.find((s) => s.name === "cmic-app")?.diffs).toEqual(["preventDuplicateNames"]);
    expect(ops["cmic-secret"]).toBe("create");
    // Each planned step is what the run did.
    for (const step of report.plan.filter((p) => p.op !== "adopt")) {
      expect({ resource: step.resource, op: ops[step.resource] }).toEqual({
        resource: step.resource,
        op: step.op === "update" ? "update" : "create",
      });
    }
    if (kind === "broken") expect(first.outputs.cmicUserClaim).toBe("ACME||ARCORO_SVC");

    const second = await upInWorld(dir, config, "+1h");
    expect(second.steps.filter((step) => step.op !== "same")).toEqual([]);

    // `npm run verify` accepts the new secret and, until it is retired, the one the admin made: the
    // token CMiC will get from either carries the same client id, issuer and cmicuser.
    for (const secret of [second.outputs.clientSecret ?? "", made.secret.value]) {
      const verified = await runCaptured(verifyCommand, ["--state", dir, "--propagation-window", "0", "--json"], {
        env: { ...process.env, CMIC_CLIENT_SECRET: secret },
      });
      expect({ code: verified.code, stderr: verified.stderr }).toEqual({ code: 0, stderr: "" });
      const { claims } = (JSON.parse(verified.stdout) as { token: { claims: Record<string, unknown> } }).token;
      expect({ azp: claims.azp, cmicuser: claims.cmicuser }).toEqual({ azp: made.clientId, cmicuser: first.outputs.cmicUserClaim });
    }
  }, 120_000);
});

describe("adopting a v1 app with --keep-v1", () => {
  it("keeps v1 tokens and CMiC's v1 registration: accessTokenVersion 1, no version change planned, verify passes on a v1 token", async () => {
    const { dir, made } = await worldWith("cmic-guide");
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "cmic-adopt-"));
    const adopted = await runCaptured(adoptCommand, [
      "--state",
      dir,
      "--client-id",
      made.clientId,
      "--stack",
      "acme",
      "--dir",
      out,
      "--keep-v1",
      "--json",
    ]);
    expect({ code: adopted.code, stderr: adopted.stderr }).toEqual({ code: 0, stderr: "" });
    const report = JSON.parse(adopted.stdout) as AdoptJson;
    // The hand-made app has null (v1 in Entra): the first run writes 1, which changes no token.
    expect(report.plan.map((p) => p.what).filter((what) => what.startsWith("api.requestedAccessTokenVersion"))).toEqual([
      "api.requestedAccessTokenVersion null → 1",
    ]);
    const [stackFile, importFile] = report.files;
    const config = readStackConfig(stackFile);
    expect(config["cmic-entra-oauth:accessTokenVersion"]).toBe("1");

    await importIntoWorld({ stateDir: dir, stack: "acme", file: importFile, config: () => config, protect: false });
    const first = await upInWorld(dir, config, "+1h");
    expect(first.outputs.accessTokenVersion).toBe(1);
    expect(first.outputs.cmicRegistration.issuerUrl).toBe(`https://sts.windows.net/${first.outputs.tenantId}/`);
    const second = await upInWorld(dir, config, "+1h");
    expect(second.steps.filter((step) => step.op !== "same")).toEqual([]);
    const verified = await runCaptured(verifyCommand, ["--state", dir, "--propagation-window", "0", "--json"], {
      env: { ...process.env, CMIC_CLIENT_SECRET: made.secret.value },
    });
    expect({ code: verified.code, stderr: verified.stderr }).toEqual({ code: 0, stderr: "" });
    const { claims } = (JSON.parse(verified.stdout) as { token: { claims: Record<string, unknown> } }).token;
    expect({ ver: claims.ver, appid: claims.appid }).toEqual({ ver: "1.0", appid: made.clientId });
  }, 120_000);
});

describe("what adopt refuses", () => {
  it("an app that another stack of the world already manages, and a stack file that exists", async () => {
    const { dir, made } = await worldWith("correct");
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "cmic-adopt-"));
    const args = ["--state", dir, "--client-id", made.clientId, "--stack", "acme", "--dir", out];
    expect((await runCaptured(adoptCommand, args)).code).toBe(0);
    const again = await runCaptured(adoptCommand, args);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("exists already");
    const other = await runCaptured(adoptCommand, [...args.slice(0, 4), "--stack", "acme2", "--dir", out]);
    expect(other.stderr).toContain("already managed by Pulumi.acme.yaml");
  }, 60_000);

  it("a multi-tenant app that accepts mapped claims, and an app of another tenant", async () => {
    const { dir, made } = await worldWith("correct");
    const session = await openWorld(dir, { write: true });
    try {
      const world = session.world;
      if (!world) throw new Error("no world");
      const access = { tenantId: world.tenantId, deployer: world.deployer };
      await deployerGraph(session.emulator.url, access)
        .api(`/applications/${made.appObjectId}`)
        .patch({ signInAudience: "AzureADMultipleOrgs" });
      session.save(access, world.stacks);
    } finally {
      await session.close();
    }
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "cmic-adopt-"));
    const multi = await runCaptured(adoptCommand, ["--state", dir, "--client-id", made.clientId, "--stack", "acme", "--dir", out]);
    expect(multi.stderr).toContain("multi-tenant");
    const missing = await runCaptured(adoptCommand, [
      "--state",
      dir,
      "--client-id",
      "0e2d4c6b-8a9f-4e1d-b3c5-a7f9e1d3b5c7",
      "--stack",
      "acme",
      "--dir",
      out,
    ]);
    expect(missing.stderr).toContain("another tenant");
    expect(fs.readdirSync(out)).toEqual([]);
  }, 60_000);
});
