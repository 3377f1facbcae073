/**
 * The emulator's TLS material: a private CA and a `localhost` server certificate it signs.
 *
 * MSAL refuses plain-http authorities, so the emulator must speak HTTPS, and node clients trust it
 * through `NODE_EXTRA_CA_CERTS=<ca file>`. Material is generated once and reused so that file stays
 * valid across runs. Several processes may start at once (jest workers, `npm test` next to
 * `npm run emulator`): generation happens under a lock directory and every file is written by
 * rename, and readers validate the set as a whole, so nobody uses a CA/server pair that does not match.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { defaultTlsDir, writeFileAtomic } from "./home";
import { generateRsaKeyPair, hasNameConstraints, issueCertificate } from "./x509";

export interface TlsMaterial {
  dir: string;
  caCertFile: string;
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

const FILES = {
  caCert: "ca.crt",
  caKey: "ca.key",
  serverCert: "server.crt",
  serverKey: "server.key",
} as const;

export const SERVER_ALT_NAMES = ["localhost", "127.0.0.1", "::1"];

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_LIFETIME_DAYS = 3650;
const SERVER_LIFETIME_DAYS = 825;
/** Renew the server certificate this long before it expires (the CA is kept if still good). */
const RENEW_BEFORE_DAYS = 7;
const LOCK_STALE_MS = 60_000;
const LOCK_WAIT_MS = 90_000;

export function caCertPath(tlsDir: string = defaultTlsDir()): string {
  return path.join(tlsDir, FILES.caCert);
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

interface ReadState {
  caCertPem?: string;
  caKeyPem?: string;
  serverCertPem?: string;
  serverKeyPem?: string;
}

function readState(dir: string): ReadState {
  return {
    caCertPem: readIfExists(path.join(dir, FILES.caCert)),
    caKeyPem: readIfExists(path.join(dir, FILES.caKey)),
    serverCertPem: readIfExists(path.join(dir, FILES.serverCert)),
    serverKeyPem: readIfExists(path.join(dir, FILES.serverKey)),
  };
}

function validLongEnough(cert: crypto.X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && Date.parse(cert.validTo) - RENEW_BEFORE_DAYS * DAY_MS > now;
}

/** The CA pair is usable: parses, is a CA, matches its key and is not near expiry. */
function usableCa(state: ReadState, now: number): boolean {
  if (!state.caCertPem || !state.caKeyPem) return false;
  try {
    const cert = new crypto.X509Certificate(state.caCertPem);
    return (
      cert.ca &&
      hasNameConstraints(state.caCertPem) &&
      cert.checkPrivateKey(crypto.createPrivateKey(state.caKeyPem)) &&
      validLongEnough(cert, now)
    );
  } catch {
    return false;
  }
}

/** The whole set is usable: CA as above, server certificate signed by it, matching its key, covering localhost. */
function usableSet(state: ReadState, now: number): state is Required<ReadState> {
  if (!usableCa(state, now) || !state.serverCertPem || !state.serverKeyPem || !state.caCertPem) return false;
  try {
    const ca = new crypto.X509Certificate(state.caCertPem);
    const server = new crypto.X509Certificate(state.serverCertPem);
    return (
      server.verify(ca.publicKey) &&
      server.checkIssued(ca) &&
      server.checkPrivateKey(crypto.createPrivateKey(state.serverKeyPem)) &&
      server.checkHost("localhost") !== undefined &&
      validLongEnough(server, now)
    );
  } catch {
    return false;
  }
}

function generate(dir: string, state: ReadState, now: number): void {
  let caCertPem = state.caCertPem;
  let caKeyPem = state.caKeyPem;
  // Keep a good CA: processes already started with NODE_EXTRA_CA_CERTS keep trusting the renewed server.
  if (!usableCa(state, now) || !caCertPem || !caKeyPem) {
    const caKeys = generateRsaKeyPair();
    caKeyPem = caKeys.privateKeyPem;
    caCertPem = issueCertificate({
      commonName: "cmic-entra-oauth local emulator CA",
      publicKeyPem: caKeys.publicKeyPem,
      subjectPrivateKeyPem: caKeys.privateKeyPem,
      notBefore: new Date(now - DAY_MS),
      notAfter: new Date(now + CA_LIFETIME_DAYS * DAY_MS),
      isCa: true,
      permittedNames: SERVER_ALT_NAMES,
    });
    writeFileAtomic(path.join(dir, FILES.caKey), caKeyPem, 0o600);
    writeFileAtomic(path.join(dir, FILES.caCert), caCertPem);
  }
  const serverKeys = generateRsaKeyPair();
  const serverCertPem = issueCertificate({
    commonName: "localhost",
    publicKeyPem: serverKeys.publicKeyPem,
    issuer: { certPem: caCertPem, privateKeyPem: caKeyPem },
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + SERVER_LIFETIME_DAYS * DAY_MS),
    altNames: SERVER_ALT_NAMES,
    serverAuth: true,
  });
  writeFileAtomic(path.join(dir, FILES.serverKey), serverKeys.privateKeyPem, 0o600);
  writeFileAtomic(path.join(dir, FILES.serverCert), serverCertPem);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Take the lock directory (mkdir is atomic); break it when its holder evidently died. */
async function acquireLock(lockDir: string): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      fs.mkdirSync(lockDir);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    try {
      if (Date.now() - fs.statSync(lockDir).mtimeMs > LOCK_STALE_MS) fs.rmSync(lockDir, { recursive: true, force: true });
    } catch {
      // The holder released it between our mkdir and stat: just retry.
    }
    if (Date.now() > deadline) {
      throw new Error(
        `Timed out waiting for the emulator TLS lock ${lockDir}. If no other emulator process is running, delete that directory and retry.`,
      );
    }
    await sleep(50);
  }
}

/**
 * Make sure a matching CA + `localhost` server certificate exist in `tlsDir` (generating them once)
 * and return them. Private keys are written with mode 0600.
 */
export async function ensureTlsMaterial(tlsDir: string = defaultTlsDir()): Promise<TlsMaterial> {
  const dir = path.resolve(tlsDir);
  const material = (state: Required<ReadState>): TlsMaterial => ({
    dir,
    caCertFile: path.join(dir, FILES.caCert),
    caCertPem: state.caCertPem,
    serverCertPem: state.serverCertPem,
    serverKeyPem: state.serverKeyPem,
  });

  const existing = readState(dir);
  if (usableSet(existing, Date.now())) return material(existing);

  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new Error(
      `Cannot create the emulator TLS directory ${dir}: ${(error as Error).message}. Set CMIC_EMULATOR_HOME to a writable directory.`,
      { cause: error },
    );
  }
  const lockDir = path.join(dir, ".lock");
  await acquireLock(lockDir);
  try {
    // Another process may have finished generating while we waited for the lock.
    const now = Date.now();
    const current = readState(dir);
    if (!usableSet(current, now)) generate(dir, current, now);
    const written = readState(dir);
    if (!usableSet(written, Date.now())) {
      throw new Error(`The emulator TLS material in ${dir} is unusable right after writing it. Delete ${dir} and retry.`);
    }
    return material(written);
  } finally {
    fs.rmSync(lockDir, { recursive: true, force: true });
  }
}
