/** verify's usage errors and unreadable outputs, run in-process: what it prints and the exit code it returns. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FAKE_PULUMI_BIN, FIXTURE_STACKS } from "../support/drift";
import { runVerifyInProcess } from "../support/verifyCli";

const SECRET = "Q~usage-test-secret-0123456789abcdef";

describe("verify CLI usage (exit 2)", () => {
  it("prints help and exits 0, recommending the environment variable for the secret", async () => {
    const run = await runVerifyInProcess(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("CMIC_CLIENT_SECRET");
    expect(run.stdout).toContain("shell history");
  });

  it("rejects an unknown flag", async () => {
    const run = await runVerifyInProcess(["--frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--frobnicate");
  });

  it("bounds every numeric flag and says the range, for huge and negative values alike", async () => {
    for (const [flag, value] of [
      ["--timeout", "5000000"],
      ["--timeout", "-5"],
      ["--propagation-window", "86401"],
      ["--propagation-window", "-1"],
    ]) {
      const run = await runVerifyInProcess([
        flag,
        value,
        "--tenant-id",
        "t",
        "--client-id",
        "c",
        "--scope",
        "api://c/.default",
        "--no-cmicuser",
        "--client-secret",
        "not-a-real-secret-value",
      ]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`${flag} must be a number of seconds from 0 to 86400, got '${value}'.`);
      expect(run.stderr).not.toMatch(/RangeError|ambiguous/);
    }
  });

  it("names the flag that provides a missing value", async () => {
    const noTenant = await runVerifyInProcess(["--client-id", "c"]);
    expect(noTenant.code).toBe(2);
    expect(noTenant.stderr).toMatch(/tenant id: pass --tenant-id/);
    const noUser = await runVerifyInProcess(["--tenant-id", "t", "--client-id", "c", "--scope", "api://c/.default"]);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain("--expect-cmicuser");
    const noSecret = await runVerifyInProcess(["--tenant-id", "t", "--client-id", "c", "--scope", "api://c/.default", "--no-cmicuser"]);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toContain("CMIC_CLIENT_SECRET");
  });

  it("rejects bad values without echoing the secret", async () => {
    const run = await runVerifyInProcess([
      "--tenant-id",
      "t",
      "--client-id",
      "c",
      "--scope",
      "api://c/.default",
      "--no-cmicuser",
      "--client-secret",
      SECRET,
      "--timeout",
      "soon",
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--timeout");
    expect(run.stdout + run.stderr).not.toContain(SECRET);
  });

  it("refuses to send the token over plain http to another machine", async () => {
    const run = await runVerifyInProcess(
      ["--tenant-id", "t", "--client-id", "c", "--scope", "api://c/.default", "--no-cmicuser", "--cmic-url", "http://cmic.example.com/api"],
      { env: { CMIC_CLIENT_SECRET: SECRET } },
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--cmic-url must be an https:// URL (http only for localhost)");
  });
});

describe("verify CLI when the outputs cannot be read (exit 1)", () => {
  it("reports an unreadable outputs file with the fix", async () => {
    const run = await runVerifyInProcess(["--outputs", "/nonexistent/outputs.json"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("pulumi stack output --json --show-secrets");
  });

  it("reports a malformed outputs file without quoting its contents", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "cmic-verify-")), "outputs.json");
    writeFileSync(file, `{"clientSecret": ${SECRET}}`);
    const run = await runVerifyInProcess(["--outputs", file]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("is not valid JSON");
    expect(run.stderr).not.toContain(SECRET.slice(0, 8));
  });

  it("reports a stack the Pulumi CLI does not know, with the fix", async () => {
    const run = await runVerifyInProcess(["--stack", "no-such-stack"], {
      env: { PATH: `${FAKE_PULUMI_BIN}${path.delimiter}${process.env.PATH ?? ""}`, FAKE_PULUMI_DIR: FIXTURE_STACKS },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("pulumi stack ls");
  });
});
