/** TLS material (generated once, reused, safe under concurrency) and the withEmulatorCa wrapper. */
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import https from "node:https";
import tls from "node:tls";
import { emulatorHome } from "../../emulator/home";
import { generateRsaKeyPair, issueCertificate } from "../../emulator/x509";
import { ensureTlsMaterial } from "../../emulator/tls";
import { extraCaCertsValue, parseCommand, resolveCommand } from "../../scripts/shared/withEmulatorCa";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "..", "..");
/** The wrapper as `npm test` runs it: compiled by `npm run build`. */
const WITH_EMULATOR_CA = path.join(ROOT, "dist", "scripts", "shared", "withEmulatorCa.js");

let scratch: string;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cmic-emulator-tls-"));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

function checkSet(dir: string): crypto.X509Certificate {
  const ca = new crypto.X509Certificate(fs.readFileSync(path.join(dir, "ca.crt")));
  const server = new crypto.X509Certificate(fs.readFileSync(path.join(dir, "server.crt")));
  expect(ca.ca).toBe(true);
  expect(server.checkIssued(ca)).toBe(true);
  expect(server.verify(ca.publicKey)).toBe(true);
  expect(server.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(path.join(dir, "server.key"))))).toBe(true);
  expect(ca.checkPrivateKey(crypto.createPrivateKey(fs.readFileSync(path.join(dir, "ca.key"))))).toBe(true);
  return server;
}

/** Serve `certPem` on loopback and report whether a client trusting only `caPem` accepts it. */
async function clientAccepts(caPem: string, certPem: string, keyPem: string): Promise<string | true> {
  const server = https.createServer({ cert: certPem, key: keyPem }, (_, res) => res.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  try {
    return await new Promise<string | true>((resolve) => {
      const socket = tls.connect({ host: "127.0.0.1", port, ca: caPem }, () => {
        socket.end();
        resolve(true);
      });
      socket.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe("the emulator CA can vouch for this machine only", () => {
  it("is refused for a certificate naming any other host, even one it signed", async () => {
    const dir = path.join(scratch, "tls");
    await ensureTlsMaterial(dir);
    const caPem = fs.readFileSync(path.join(dir, "ca.crt"), "utf8");
    const issuer = { certPem: caPem, privateKeyPem: fs.readFileSync(path.join(dir, "ca.key"), "utf8") };
    const issue = (altNames: string[]) => {
      const keys = generateRsaKeyPair();
      const now = Date.now();
      const certPem = issueCertificate({
        commonName: altNames[0],
        publicKeyPem: keys.publicKeyPem,
        issuer,
        notBefore: new Date(now - 60_000),
        notAfter: new Date(now + 86_400_000),
        altNames,
        serverAuth: true,
      });
      return { certPem, keyPem: keys.privateKeyPem };
    };
    const loopback = issue(["localhost", "127.0.0.1"]);
    expect(await clientAccepts(caPem, loopback.certPem, loopback.keyPem)).toBe(true);
    // A stolen CA key could mint this for a real site; name constraints make clients refuse it.
    const foreign = issue(["login.microsoftonline.com", "127.0.0.1"]);
    // (It also names 127.0.0.1, so without the constraints this very connection would succeed.)
    const refused = await clientAccepts(caPem, foreign.certPem, foreign.keyPem);
    expect(refused).not.toBe(true);
    expect(typeof refused).toBe("string");
  });
});

describe("ensureTlsMaterial", () => {
  it("creates a CA and a localhost/127.0.0.1/::1 server certificate, keys mode 0600", async () => {
    const dir = path.join(scratch, "tls");
    const material = await ensureTlsMaterial(dir);
    expect(material.caCertFile).toBe(path.join(dir, "ca.crt"));
    const server = checkSet(dir);
    expect(server.subjectAltName).toContain("DNS:localhost");
    expect(server.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(server.checkIP("::1")).toBeDefined();
    for (const key of ["ca.key", "server.key"]) expect(fs.statSync(path.join(dir, key)).mode & 0o777).toBe(0o600);
  });

  it("reuses existing material, and renews a damaged server certificate under the same CA", async () => {
    const dir = path.join(scratch, "tls");
    const first = await ensureTlsMaterial(dir);
    const again = await ensureTlsMaterial(dir);
    expect(again.caCertPem).toBe(first.caCertPem);
    expect(again.serverCertPem).toBe(first.serverCertPem);
    fs.writeFileSync(path.join(dir, "server.crt"), "garbage");
    const renewed = await ensureTlsMaterial(dir);
    expect(renewed.caCertPem).toBe(first.caCertPem);
    expect(renewed.serverCertPem).not.toBe(first.serverCertPem);
    checkSet(dir);
  });

  it("leaves one consistent set when many callers start at once (in-process and across processes)", async () => {
    const dir = path.join(scratch, "tls");
    const results = await Promise.all(Array.from({ length: 5 }, () => ensureTlsMaterial(dir)));
    expect(new Set(results.map((r) => r.caCertPem)).size).toBe(1);
    checkSet(dir);

    const other = path.join(scratch, "tls-processes");
    const script = `require(${JSON.stringify(path.join(ROOT, "dist", "emulator", "tls.js"))}).ensureTlsMaterial(${JSON.stringify(other)}).then(m => process.stdout.write(m.caCertPem))`;
    const outputs = await Promise.all(Array.from({ length: 3 }, () => run(process.execPath, ["-e", script], { cwd: ROOT })));
    expect(new Set(outputs.map((o) => o.stdout)).size).toBe(1);
    expect(outputs[0].stdout).toBe(fs.readFileSync(path.join(other, "ca.crt"), "utf8"));
    checkSet(other);
    expect(fs.existsSync(path.join(other, ".lock"))).toBe(false);
  }, 60_000);

  it("emulatorHome follows CMIC_EMULATOR_HOME, else <project>/.emulator", () => {
    expect(emulatorHome({ CMIC_EMULATOR_HOME: scratch })).toBe(scratch);
    expect(emulatorHome({})).toBe(path.join(ROOT, ".emulator"));
  });
});

describe("withEmulatorCa", () => {
  it("takes the command after --, and resolves project binaries in node_modules/.bin", () => {
    expect(parseCommand(["--", "jest", "test/emulator"])).toEqual(["jest", "test/emulator"]);
    expect(parseCommand(["jest"])).toEqual(["jest"]);
    expect(resolveCommand("jest", ROOT)).toBe(path.join(ROOT, "node_modules", ".bin", "jest"));
    expect(resolveCommand("definitely-not-installed-xyz", ROOT)).toBe("definitely-not-installed-xyz");
    expect(resolveCommand("./local.sh", ROOT)).toBe("./local.sh");
  });

  it("combines an existing NODE_EXTRA_CA_CERTS bundle with the emulator CA in one file", async () => {
    const material = await ensureTlsMaterial(path.join(scratch, "tls"));
    expect(extraCaCertsValue(material.caCertFile, undefined, scratch)).toBe(material.caCertFile);
    expect(extraCaCertsValue(material.caCertFile, material.caCertFile, scratch)).toBe(material.caCertFile);
    const corporate = path.join(scratch, "corporate.pem");
    const corporatePem = (await ensureTlsMaterial(path.join(scratch, "other"))).caCertPem;
    fs.writeFileSync(corporate, corporatePem);
    const combined = extraCaCertsValue(material.caCertFile, corporate, scratch);
    expect(path.dirname(combined)).toBe(scratch);
    const contents = fs.readFileSync(combined, "utf8");
    expect(contents).toContain(corporatePem.trim());
    expect(contents).toContain(material.caCertPem.trim());
    // A bundle that already holds the emulator CA is used as is.
    expect(extraCaCertsValue(material.caCertFile, combined, scratch)).toBe(combined);
  });

  it("runs the command with NODE_EXTRA_CA_CERTS set, passing arguments and the exit code through", async () => {
    const { NODE_EXTRA_CA_CERTS: _inherited, ...inherited } = process.env;
    const env = { ...inherited, CMIC_EMULATOR_HOME: scratch };
    const child = run(
      process.execPath,
      [
        WITH_EMULATOR_CA,
        "--",
        "node",
        "-e",
        "console.log(JSON.stringify([process.env.NODE_EXTRA_CA_CERTS, process.argv.slice(1)])); process.exit(3)",
        "a b",
      ],
      { cwd: ROOT, env },
    );
    const error = (await child.then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: number; stdout: string };
    expect(error.code).toBe(3);
    const [extra, args] = JSON.parse(error.stdout.trim()) as [string, string[]];
    expect(extra).toBe(path.join(scratch, "tls", "ca.crt"));
    expect(args).toEqual(["a b"]);
  }, 60_000);

  it("exits 2 with the usage when no command is given", async () => {
    const error = (await run(process.execPath, [WITH_EMULATOR_CA], {
      cwd: ROOT,
      env: { ...process.env, CMIC_EMULATOR_HOME: scratch },
    }).then(
      () => undefined,
      (e: unknown) => e,
    )) as { code: number; stderr: string };
    expect(error.code).toBe(2);
    expect(error.stderr).toContain("Usage:");
  }, 60_000);
});
