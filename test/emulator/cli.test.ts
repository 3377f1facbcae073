/** `npm run emulator` flag parsing and the printed instructions. */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connectionInstructions, parseEmulatorArgs, UsageError } from "../../scripts/emulator/cli";
import { compiledCli, PROJECT_ROOT } from "../support/runScript";

describe("parseEmulatorArgs", () => {
  it("has defaults and reads every flag, in both --flag value and --flag=value forms", () => {
    expect(parseEmulatorArgs([])).toEqual({
      port: 0,
      propagationDelayMs: 0,
      domain: "contoso.onmicrosoft.com",
      verifiedDomains: [],
      help: false,
    });
    expect(
      parseEmulatorArgs([
        "--port",
        "8443",
        "--propagation-delay=2.5",
        "--tenant-id",
        "AAAAAAAA-0000-4000-8000-000000000001",
        "--domain",
        "Fabrikam.onmicrosoft.com",
        "--verified-domain",
        "fabrikam.com",
        "--verified-domain=eu.fabrikam.com",
      ]),
    ).toEqual({
      port: 8443,
      propagationDelayMs: 2500,
      tenantId: "aaaaaaaa-0000-4000-8000-000000000001",
      domain: "fabrikam.onmicrosoft.com",
      verifiedDomains: ["fabrikam.com", "eu.fabrikam.com"],
      help: false,
    });
  });

  it.each([
    [["--port", "70000"], /--port/],
    [["--port"], /needs a value/],
    [["--propagation-delay", "-1"], /seconds/],
    [["--tenant-id", "contoso"], /GUID/],
    [["--domain", "not a domain"], /domain name/],
    [["--frobnicate"], /Unknown option/],
  ])("rejects %j with a message naming the fix", (argv, message) => {
    expect(() => parseEmulatorArgs(argv)).toThrow(UsageError);
    expect(() => parseEmulatorArgs(argv)).toThrow(message);
  });
});

describe("connectionInstructions", () => {
  it("prints the environment to set and the secret file, never the secret", () => {
    const text = connectionInstructions(
      { url: "https://localhost:8443", caCertFile: "/x/.emulator/tls/ca.crt" },
      {
        tenantId: "t-id",
        initialDomain: "contoso.onmicrosoft.com",
        verifiedDomains: ["contoso.onmicrosoft.com"],
        deployer: { clientId: "c-id", clientSecret: "SUPER-SECRET-VALUE" },
      },
      "/x/.emulator/deployer-secret-t-id",
      1500,
    );
    expect(text).not.toContain("SUPER-SECRET-VALUE");
    expect(text).toContain("export NODE_EXTRA_CA_CERTS=/x/.emulator/tls/ca.crt");
    expect(text).toContain("export AZURE_AUTHORITY_HOST=https://localhost:8443");
    expect(text).toContain("export AZURE_TENANT_ID=t-id");
    expect(text).toContain("export AZURE_CLIENT_ID=c-id");
    expect(text).toContain('export AZURE_CLIENT_SECRET="$(cat /x/.emulator/deployer-secret-t-id)"');
    expect(text).toContain("export CMIC_GRAPH_URL=https://localhost:8443");
    expect(text).toContain("npm run verify -- --authority-host https://localhost:8443");
  });
});

describe("npm run emulator as a process", () => {
  it("removes the deployer-secret file it wrote when stopped with Ctrl-C (SIGINT)", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "cmic-emulator-home-"));
    try {
      const child = spawn(process.execPath, [compiledCli("emulator"), "--port", "0"], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, CMIC_EMULATOR_HOME: home },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      // The instructions name the file; once they are printed, the file exists.
      const secretFile = await new Promise<string>((resolve, reject) => {
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString("utf8");
          const named = /cat ([^)]*deployer-secret-[^)]*)\)/.exec(stdout);
          if (named) resolve(named[1]);
        });
        child.on("exit", (code) => reject(new Error(`the emulator exited (${code}) before printing its instructions: ${stdout}`)));
      });
      expect(fs.existsSync(secretFile)).toBe(true);
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
      const exited = new Promise<string>((resolve) =>
        child.on("exit", (code, signal) => resolve(`code ${code} signal ${signal} ${stderr}`.trim())),
      );
      child.kill("SIGINT");
      expect(await exited).toBe("code 0 signal null");
      expect(fs.existsSync(secretFile)).toBe(false);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
