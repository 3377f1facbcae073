/**
 * Runs the compiled connector-cert CLI in a fresh temporary directory and reads back what it wrote,
 * for the tests beside this file. Directories are removed when the test file ends.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runScript, type CliRun } from "../support/runScript";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A new empty directory under the OS temp dir, removed after the file's tests. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `connector-cert-${prefix}-`));
  dirs.push(dir);
  return dir;
}

export function runConnectorCert(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runScript("connectorCert", args, { env });
}

export interface Written extends CliRun {
  dir: string;
  name: string;
  p12: Buffer;
  /** The generated password (NAME.p12.password without its line end), or undefined if not written. */
  password: string | undefined;
  cerPem: string;
  file(suffix: string): string;
}

/** Run with `--out <new dir> --name NAME ...extra` and expect success. */
export async function generate(name: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Written> {
  const dir = tempDir(name);
  const run = await runConnectorCert(["--out", dir, "--name", name, ...extra], env);
  if (run.code !== 0) throw new Error(`connector-cert exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
  const file = (suffix: string) => path.join(dir, `${name}${suffix}`);
  const passwordFile = file(".p12.password");
  return {
    ...run,
    dir,
    name,
    p12: fs.readFileSync(file(".p12")),
    password: fs.existsSync(passwordFile) ? fs.readFileSync(passwordFile, "utf8").replace(/\n$/, "") : undefined,
    cerPem: fs.readFileSync(file(".cer.pem"), "utf8"),
    file,
  };
}

/** The `0600` form of a file's permission bits. */
export function modeOf(file: string): string {
  return `0${(fs.statSync(file).mode & 0o777).toString(8)}`;
}

/** `Thumbprint (Entra)  <40 hex>` and `SHA1_Fingerprint  <pairs>` as the text output prints them. */
export function printedThumbprints(stdout: string): { thumbprint: string; fingerprint: string } {
  const thumbprint = /Thumbprint \(Entra\)\s+(\S+)/.exec(stdout)?.[1];
  const fingerprint = /SHA1_Fingerprint\s+(\S+)/.exec(stdout)?.[1];
  if (thumbprint === undefined || fingerprint === undefined) throw new Error(`no thumbprint in the output:\n${stdout}`);
  return { thumbprint, fingerprint };
}
