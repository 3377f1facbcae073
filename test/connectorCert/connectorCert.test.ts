/**
 * connector-cert, run as `npm run connector-cert` runs it (the compiled CLI, a child process): the
 * keystore it writes opens in Node's own OpenSSL with the password and only with it, serves a real
 * TLS handshake (so its key belongs to its certificate), and the public PEM passes the project's
 * own certificate reader with the thumbprint the CLI printed. Files are owner-only where secret,
 * never overwritten without --force, and the password never appears in anything printed.
 */
import { spawnSync } from "node:child_process";
import crypto, { X509Certificate } from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import tls from "node:tls";
import { readCertificate } from "../../components/certificate";
import { generate, modeOf, printedThumbprints, runConnectorCert, tempDir, type Written } from "./runConnectorCert";

const DAY_MS = 24 * 60 * 60 * 1000;

/** One default run (random password, key-and-cert PEM), shared by the read-only checks. */
let shared: Written;
beforeAll(async () => {
  shared = await generate("acme-connector", ["--pem-with-key"]);
});

/** The peer certificate's SHA-1 fingerprint (AA:BB:…) of a TLS handshake with a server holding `pfx`. */
async function handshakeFingerprint(pfx: Buffer, passphrase: string): Promise<string> {
  const server = https.createServer({ pfx, passphrase }, (_request, response) => response.end("ok"));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<string>((resolve, reject) => {
      // rejectUnauthorized:false waives only the chain check (the certificate is self-signed); the
      // server still signs the handshake with its private key and the client checks that signature
      // against the certificate's public key.
      const socket = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
        const fingerprint = socket.getPeerCertificate().fingerprint;
        socket.end();
        resolve(fingerprint);
      });
      socket.on("error", reject);
    });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Every file in a directory, with its bytes: to prove a refused run changed nothing. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).map((entry) => [entry, fs.readFileSync(path.join(dir, entry)).toString("base64")]));
}

describe("the keystore", () => {
  it("opens in Node's OpenSSL with the password file's content, and a wrong password is refused", () => {
    const password = shared.password ?? "";
    expect(password.length).toBeGreaterThanOrEqual(24);
    expect(password).toMatch(/^[A-Za-z0-9_-]+$/);
    // Node decrypts the key and certificate bags, checks the MAC and that the key matches the certificate.
    expect(() => tls.createSecureContext({ pfx: shared.p12, passphrase: password })).not.toThrow();
    expect(() => tls.createSecureContext({ pfx: shared.p12, passphrase: `${password}x` })).toThrow();
    expect(() => tls.createSecureContext({ pfx: shared.p12, passphrase: "wrong-password" })).toThrow();
  });

  it("serves a TLS handshake whose certificate is the one printed and the one in NAME.cer.pem", async () => {
    const fingerprint = await handshakeFingerprint(shared.p12, shared.password ?? "");
    const printed = printedThumbprints(shared.stdout);
    const cer = new X509Certificate(shared.cerPem);
    expect(fingerprint).toBe(printed.fingerprint);
    expect(fingerprint).toBe(cer.fingerprint);
    expect(fingerprint.replace(/:/g, "")).toBe(printed.thumbprint);
  });

  it("passes OpenSSL 3's own reader with PBES2/AES-256-CBC, PBKDF2-HMAC-SHA256, a SHA-256 MAC and ≥ 2048 iterations", () => {
    const openssl = spawnSync("openssl", ["version"], { encoding: "utf8" });
    if (openssl.status !== 0 || !/^OpenSSL 3/.test(openssl.stdout)) {
      // Node's OpenSSL above already opened the bundle; this only adds the algorithm names.
      console.warn("skipped: no OpenSSL 3 command line on this machine"); // eslint-disable-line no-console
      return;
    }
    const info = spawnSync("openssl", ["pkcs12", "-info", "-noout", "-in", shared.file(".p12"), "-passin", "env:CC_TEST_PASSWORD"], {
      encoding: "utf8",
      env: { ...process.env, CC_TEST_PASSWORD: shared.password },
    });
    expect(info.status).toBe(0);
    expect(info.stderr).toMatch(/MAC: sha256, Iteration (\d+)/);
    expect(info.stderr).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
    expect(info.stderr).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration \d+, PRF hmacWithSHA256/);
    for (const match of info.stderr.matchAll(/Iteration (\d+)/g)) expect(Number(match[1])).toBeGreaterThanOrEqual(2048);
  });

  it("names its one entry by the alias in both bags with one localKeyId (Java's keytool finds a PrivateKeyEntry)", async () => {
    const run = await generate("alias-check", ["--alias", "informatica-entry"]);
    const openssl = spawnSync("openssl", ["pkcs12", "-in", run.file(".p12"), "-passin", "env:CC_TEST_PASSWORD", "-nodes"], {
      encoding: "utf8",
      env: { ...process.env, CC_TEST_PASSWORD: run.password },
    });
    if (openssl.status === 0) {
      expect(openssl.stdout.match(/friendlyName: (.*)/g)).toEqual(["friendlyName: informatica-entry", "friendlyName: informatica-entry"]);
      const keyIds = [...openssl.stdout.matchAll(/localKeyID: ([0-9A-F ]+)/g)].map((match) => match[1].trim());
      expect(keyIds).toHaveLength(2);
      expect(keyIds[0]).toBe(keyIds[1]);
    }
    const keytool = spawnSync(
      "keytool",
      ["-list", "-keystore", run.file(".p12"), "-storetype", "PKCS12", "-storepass:env", "CC_TEST_PASSWORD"],
      {
        encoding: "utf8",
        env: { ...process.env, CC_TEST_PASSWORD: run.password },
      },
    );
    if (keytool.error !== undefined) {
      console.warn("skipped the keytool half: no Java on this machine"); // eslint-disable-line no-console
      return;
    }
    expect(keytool.status).toBe(0);
    expect(keytool.stdout).toMatch(/^informatica-entry, .*PrivateKeyEntry/m);
    expect(keytool.stdout).toContain(`(SHA-256): ${new X509Certificate(run.cerPem).fingerprint256}`);
  });
});

describe("the files", () => {
  it("are owner-only where secret (0600) and world-readable only for the public certificate (0644)", () => {
    expect(modeOf(shared.file(".p12"))).toBe("0600");
    expect(modeOf(shared.file(".p12.password"))).toBe("0600");
    expect(modeOf(shared.file(".key-and-cert.pem"))).toBe("0600");
    expect(modeOf(shared.file(".cer.pem"))).toBe("0644");
    // Nothing else: no temporary file left behind.
    expect(fs.readdirSync(shared.dir).sort()).toEqual(
      ["acme-connector.cer.pem", "acme-connector.key-and-cert.pem", "acme-connector.p12", "acme-connector.p12.password"].sort(),
    );
    // The modes printed are the modes on disk.
    const printed = [...shared.stdout.matchAll(/^ {2}(\S+) +(0[0-7]{3}) /gm)];
    expect(printed).toHaveLength(4);
    for (const [, file, mode] of printed) expect(modeOf(file)).toBe(mode);
  });

  it("NAME.cer.pem holds only the certificate, which the project's readCertificate accepts with the printed thumbprint", () => {
    expect(shared.cerPem).not.toMatch(/PRIVATE KEY/);
    expect(shared.cerPem.match(/-----BEGIN /g)).toEqual(["-----BEGIN "]);
    const info = readCertificate(shared.cerPem, new Date());
    expect(info.thumbprintSha1).toBe(printedThumbprints(shared.stdout).thumbprint);
    expect(info.subject).toBe("CN=acme-connector");
    // Valid now, from a few minutes ago (clock skew), for the default 365 days.
    expect(Date.now() - info.notBefore.getTime()).toBeGreaterThanOrEqual(4 * 60 * 1000);
    expect(Date.now() - info.notBefore.getTime()).toBeLessThan(10 * 60 * 1000);
    expect(Math.abs(info.notAfter.getTime() - (Date.now() + 365 * DAY_MS))).toBeLessThan(5 * 60 * 1000);
  });

  it("is a v3 SHA-256/RSA certificate, not a CA, for digital signatures", () => {
    const cer = new X509Certificate(shared.cerPem);
    expect(cer.ca).toBe(false);
    expect(cer.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cer.verify(cer.publicKey)).toBe(true);
    const text = spawnSync("openssl", ["x509", "-noout", "-text"], { input: shared.cerPem, encoding: "utf8" });
    if (text.status === 0) {
      expect(text.stdout).toMatch(/Version: 3 \(0x2\)/);
      expect(text.stdout).toMatch(/Signature Algorithm: sha256WithRSAEncryption/);
      expect(text.stdout).toMatch(/X509v3 Key Usage: critical\n\s+Digital Signature\n/);
      expect(text.stdout).toMatch(/X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
    }
  });

  it("NAME.key-and-cert.pem is the certificate then its unencrypted PKCS#8 key", () => {
    const text = fs.readFileSync(shared.file(".key-and-cert.pem"), "utf8");
    expect(text.match(/-----BEGIN [A-Z ]+-----/g)).toEqual(["-----BEGIN CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----"]);
    const key = crypto.createPrivateKey(text);
    expect(new X509Certificate(text).checkPrivateKey(key)).toBe(true);
    expect(new X509Certificate(text).fingerprint).toBe(new X509Certificate(shared.cerPem).fingerprint);
  });

  it("--common-name, --days, --key-size 3072 and --alias are what the certificate and keystore hold", async () => {
    const run = await generate("options", ["--common-name", "Acme CAI connector", "--days", "1095", "--key-size", "3072", "--json"]);
    const cer = new X509Certificate(run.cerPem);
    expect(cer.subject).toBe("CN=Acme CAI connector");
    expect(cer.publicKey.asymmetricKeyDetails?.modulusLength).toBe(3072);
    expect(Math.abs(new Date(cer.validTo).getTime() - (Date.now() + 1095 * DAY_MS))).toBeLessThan(5 * 60 * 1000);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ keystoreType: "PKCS12", alias: "options", keySize: 3072, subject: "CN=Acme CAI connector" });
    expect(new Date(json.notAfter as string).getTime()).toBe(new Date(cer.validTo).getTime());
  });
});

describe("the thumbprint", () => {
  it("is printed as Entra shows it and as Informatica's SHA1_Fingerprint (the same 20 bytes, colon-separated)", () => {
    const { thumbprint, fingerprint } = printedThumbprints(shared.stdout);
    expect(thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){19}[0-9A-F]{2}$/);
    expect(fingerprint.split(":")).toEqual(thumbprint.match(/../g));
    const der = new X509Certificate(shared.cerPem).raw;
    expect(thumbprint).toBe(crypto.createHash("sha1").update(der).digest("hex").toUpperCase());
    expect(shared.stdout).toMatch(/Keystore_Type\s+PKCS12/);
    expect(shared.stdout).toMatch(/Keystore_Alias\s+acme-connector/);
    expect(shared.stdout).toContain(`pulumi config set cmic-entra-oauth:credential certificate`);
    expect(shared.stdout).toContain(`pulumi config set cmic-entra-oauth:certificate < ${shared.file(".cer.pem")}`);
  });

  it("--json gives the same facts as one JSON object, without the password", async () => {
    const run = await generate("json-out", ["--json"]);
    const json = JSON.parse(run.stdout) as { thumbprint: string; sha1Fingerprint: string; files: Array<{ path: string; mode: string }> };
    const cer = new X509Certificate(run.cerPem);
    expect(json.sha1Fingerprint).toBe(cer.fingerprint);
    expect(json.thumbprint).toBe(cer.fingerprint.replace(/:/g, ""));
    expect(json.files.map(({ path: file, mode }) => [path.basename(file), mode])).toEqual([
      ["json-out.p12", "0600"],
      ["json-out.p12.password", "0600"],
      ["json-out.cer.pem", "0644"],
    ]);
    expect(run.stdout).not.toContain(run.password);
    expect(run.stderr).toBe("");
  });
});

describe("the password", () => {
  it("a generated one appears in no output", () => {
    expect(shared.password).toBeDefined();
    expect(shared.stdout).not.toContain(shared.password);
    expect(shared.stderr).not.toContain(shared.password);
  });

  it("--password-env: the keystore opens with that value, no password file is written, and the value is printed nowhere", async () => {
    const secret = "Tr0ub4dor&3-horse-staple";
    const run = await generate("from-env", ["--password-env", "CC_P12_PASSWORD"], { CC_P12_PASSWORD: secret });
    expect(run.password).toBeUndefined();
    expect(fs.existsSync(run.file(".p12.password"))).toBe(false);
    expect(() => tls.createSecureContext({ pfx: run.p12, passphrase: secret })).not.toThrow();
    expect(run.stdout).not.toContain(secret);
    expect(run.stderr).not.toContain(secret);
    expect(run.stdout).toContain("$CC_P12_PASSWORD");
  });

  it("an unset, empty, short or non-ASCII variable is refused with exit 2, naming the variable but never its value", async () => {
    const cases: Array<[NodeJS.ProcessEnv, RegExp]> = [
      [{}, /CC_MISSING_PASSWORD is not set or is empty/],
      [{ CC_MISSING_PASSWORD: "" }, /CC_MISSING_PASSWORD is not set or is empty/],
      [{ CC_MISSING_PASSWORD: "short7!" }, /CC_MISSING_PASSWORD is shorter than 8/],
      [{ CC_MISSING_PASSWORD: "pässwörd-lang" }, /CC_MISSING_PASSWORD holds characters outside printable ASCII/],
    ];
    for (const [env, message] of cases) {
      const dir = tempDir("bad-env");
      const run = await runConnectorCert(["--out", dir, "--name", "x", "--password-env", "CC_MISSING_PASSWORD"], env);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
      const value = env.CC_MISSING_PASSWORD;
      if (value) {
        expect(run.stderr).not.toContain(value);
        expect(run.stdout).not.toContain(value);
      }
      expect(fs.readdirSync(dir)).toEqual([]);
    }
  });
});

describe("existing files", () => {
  it("are refused without --force, all named, and nothing is written", async () => {
    const first = await generate("again", []);
    const before = snapshot(first.dir);
    const run = await runConnectorCert(["--out", first.dir, "--name", "again", "--pem-with-key"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("already exist, so nothing was written");
    for (const suffix of [".p12", ".p12.password", ".cer.pem"]) expect(run.stderr).toContain(first.file(suffix));
    expect(run.stderr).not.toContain(first.file(".key-and-cert.pem"));
    expect(run.stderr).toMatch(/Fix: .*--force/);
    expect(snapshot(first.dir)).toEqual(before);
  });

  it("one file of the set in the way is enough to refuse the whole run", async () => {
    const dir = tempDir("one-in-way");
    fs.writeFileSync(path.join(dir, "solo.cer.pem"), "keep me");
    const run = await runConnectorCert(["--out", dir, "--name", "solo"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(path.join(dir, "solo.cer.pem"));
    expect(snapshot(dir)).toEqual({ "solo.cer.pem": Buffer.from("keep me").toString("base64") });
  });

  it("--force replaces them with a new key pair and removes the old set's password file it no longer writes", async () => {
    const first = await generate("replace", []);
    const run = await runConnectorCert(["--out", first.dir, "--name", "replace", "--force", "--password-env", "CC_NEW_PASSWORD"], {
      CC_NEW_PASSWORD: "a-new-password-123",
    });
    expect(run.code).toBe(0);
    const cer = fs.readFileSync(first.file(".cer.pem"), "utf8");
    expect(new X509Certificate(cer).fingerprint).not.toBe(new X509Certificate(first.cerPem).fingerprint);
    expect(() => tls.createSecureContext({ pfx: fs.readFileSync(first.file(".p12")), passphrase: "a-new-password-123" })).not.toThrow();
    expect(fs.existsSync(first.file(".p12.password"))).toBe(false);
    expect(run.stdout).toMatch(/replace\.p12\.password +removed/);
    expect(modeOf(first.file(".p12"))).toBe("0600");
  });
});

describe("usage errors", () => {
  it("exit 2 with the cause and a fix, and write nothing", async () => {
    const dir = tempDir("usage");
    const cases: Array<[string[], RegExp]> = [
      [["--out", dir, "--name", "x", "--bogus"], /Unknown option '--bogus'/],
      [["--name", "x"], /--out is missing/],
      [["--out", dir], /--name is missing/],
      [["--out", dir, "--name", "x", "--days", "0"], /--days must be a whole number of days from 1 to 1095, got '0'/],
      [["--out", dir, "--name", "x", "--days", "1096"], /--days must be .* from 1 to 1095/],
      [["--out", dir, "--name", "x", "--days", "ten"], /--days must be/],
      [["--out", dir, "--name", "certs/x"], /--name 'certs\/x' holds a path separator/],
      [["--out", dir, "--name", "..\\x"], /holds a path separator/],
      [["--out", dir, "--name", "my cert"], /--name 'my cert' is not a plain file name/],
      [["--out", dir, "--name", ".."], /is not a plain file name/],
      [["--out", path.join(dir, "missing"), "--name", "x"], /does not exist/],
      [["--out", dir, "--name", "x", "--key-size", "1024"], /--key-size must be 2048 or 3072/],
      [["--out", dir, "--name", "x", "--password-env", "not a name"], /--password-env takes the NAME of an environment variable/],
      [["--out", dir, "--name", "x", "--common-name", "a\nb"], /--common-name must be 1 to 64 characters/],
    ];
    for (const [args, message] of cases) {
      const run = await runConnectorCert(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/Fix: |Run `npm run connector-cert -- --help`/);
      expect(run.stdout).toBe("");
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("--help names every option and exits 0", async () => {
    const run = await runConnectorCert(["--help"]);
    expect(run.code).toBe(0);
    for (const flag of ["--out", "--name", "--common-name", "--days", "--password-env", "--alias", "--pem-with-key", "--force", "--json"]) {
      expect(run.stdout).toContain(flag);
    }
  });
});
