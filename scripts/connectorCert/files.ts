/**
 * Writing the connector's files: each one atomically (a reader sees the old file or the whole new
 * one, never a half-written keystore), created owner-only from the first byte, and never over an
 * existing file unless --force said so. The set is checked before anything is written, and a run
 * that fails half-way removes the files it had created, so a refusal or a failure leaves the
 * directory as it found it (a replaced file under --force cannot be brought back).
 */
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { CmicError, EXIT_USAGE } from "../../contract/errors";

export interface PlannedFile {
  file: string;
  contents: Buffer | string;
  /** The mode the file ends with: 0o600 for anything secret, 0o644 for the public certificate. */
  mode: number;
}

/** Files of the set already there and --force not given: the user decides, so exit 2 (as new-customer's). */
export class ConnectorCertExistsError extends CmicError {
  constructor(readonly files: readonly string[]) {
    super(
      "ERR_CONNECTOR_CERT_EXISTS",
      `${files.length === 1 ? "this file already exists" : "these files already exist"}, so nothing was written:\n${files.map((file) => `  ${file}`).join("\n")}`,
      {
        fix:
          "pick another --name (or --out), or add --force to replace them: the old key pair is then gone, " +
          "so first make sure no connector still signs in with it.",
        exitCode: EXIT_USAGE,
      },
    );
  }
}

/** Which of `files` exist (a dangling symbolic link counts: writing there would replace it). */
export function existing(files: readonly string[]): string[] {
  return files.filter((file) => {
    try {
      fs.lstatSync(file);
      return true;
    } catch {
      return false;
    }
  });
}

function writeAll(fd: number, data: Buffer): void {
  // writeSync may write fewer bytes than asked (a signal, a pipe); loop until all are down.
  for (let offset = 0; offset < data.length;) offset += fs.writeSync(fd, data, offset, data.length - offset);
}

/** Make the rename durable too: fsync the directory (not possible everywhere, e.g. Windows; then best effort). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, "r");
    fs.fsyncSync(fd);
  } catch {
    // The data itself is already fsync'ed; only the directory entry's durability is best effort.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * One file, atomically: a temporary file beside it, opened with O_CREAT|O_EXCL and mode 0600 (so
 * a secret is never readable by others, not even for a moment, and a planted file or symbolic
 * link at the temporary name is refused), written, given its final mode (fchmod, which the umask
 * does not narrow), fsync'ed, then moved into place. Without `force` that move is a hard link,
 * which fails with EEXIST if the file appeared since the check; rename would silently replace it.
 */
export function writeFileAtomically(planned: PlannedFile, options: { force: boolean }): void {
  const { file, mode } = planned;
  const dir = path.dirname(file);
  const temporary = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(6).toString("hex")}.tmp`);
  const data = typeof planned.contents === "string" ? Buffer.from(planned.contents, "utf8") : planned.contents;
  try {
    const fd = fs.openSync(temporary, "wx", 0o600);
    try {
      writeAll(fd, data);
      fs.fchmodSync(fd, mode);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (options.force) {
      fs.renameSync(temporary, file);
    } else {
      try {
        fs.linkSync(temporary, file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "EEXIST") throw new ConnectorCertExistsError([file]);
        // Some file systems have no hard links: the existence check then comes just before the rename.
        if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw error;
        if (existing([file]).length > 0) throw new ConnectorCertExistsError([file]);
        fs.renameSync(temporary, file);
      }
    }
    syncDirectory(dir);
  } catch (error) {
    if (error instanceof CmicError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new CmicError("ERR_CONNECTOR_CERT_WRITE", `cannot write ${file} (${code ?? (error as Error).message}).`, {
      fix: "check that you may write to the --out directory and that it has space; the files this run had created were removed again.",
      cause: error,
    });
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/**
 * Write the whole set, or (on a failure part-way) none of the files this run created. Files that
 * existed before (replaced under --force) are the caller's `stale` list's concern, not undone.
 */
export function writeFileSet(files: readonly PlannedFile[], options: { force: boolean }): void {
  const createdHere: string[] = [];
  try {
    for (const planned of files) {
      const isNew = existing([planned.file]).length === 0;
      writeFileAtomically(planned, options);
      if (isNew) createdHere.push(planned.file);
    }
  } catch (error) {
    for (const file of createdHere) fs.rmSync(file, { force: true });
    throw error;
  }
}

/** `0600`, as `ls -l` users and the README write modes. */
export function modeText(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}
