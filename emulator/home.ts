/**
 * Where the emulator keeps what must survive between runs (its TLS CA, the CLI's secret file).
 *
 * The CA must be stable: `NODE_EXTRA_CA_CERTS` is read by node only at start-up, so the file a
 * parent process points at has to be the one the emulator (started later, maybe in a child) uses.
 */
import fs from "node:fs";
import path from "node:path";
import crypto from "node:crypto";

/**
 * The directory of the nearest package.json above this file: the project that embeds the emulator,
 * whether it runs from TypeScript source or from a compiled `dist/`. The emulator finds it itself
 * because it imports nothing from the project it judges.
 */
function embeddingProjectDir(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start);
  }
}

/** `CMIC_EMULATOR_HOME`, or `<project root>/.emulator` (gitignored). */
export function emulatorHome(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.CMIC_EMULATOR_HOME;
  return configured && configured.trim() !== "" ? path.resolve(configured) : path.join(embeddingProjectDir(), ".emulator");
}

/** The default directory of the CA and server certificate. */
export function defaultTlsDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(emulatorHome(env), "tls");
}

/**
 * Write a file so readers never see it half-written: write a unique temp file beside it, then
 * rename (atomic on one file system). Concurrent writers each rename a complete file; last wins.
 */
export function writeFileAtomic(file: string, contents: string, mode = 0o644): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`;
  try {
    fs.writeFileSync(temp, contents, { mode });
    // writeFileSync's mode is filtered by the umask; private keys must really be 0600.
    fs.chmodSync(temp, mode);
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}
