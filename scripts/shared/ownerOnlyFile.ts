/** Files that hold a secret (a handoff sheet with --reveal, saved stack outputs). */
import { closeSync, constants, fchmodSync, openSync, writeSync } from "node:fs";
import { CmicError } from "../../contract/errors";

/**
 * Write a file readable by its owner only. The mode given to open() applies only when the file is
 * created, so an existing (e.g. 0644) file is narrowed before the secret is written into it. A
 * symbolic link is refused (O_NOFOLLOW), so the secret cannot be steered into the link's target.
 * `flag` names the option the path came from, for the error.
 */
export function writeOwnerOnly(file: string, contents: string, flag: string): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CmicError(
      "ERR_OUT_FILE",
      `cannot write ${flag} ${file} (${code === "ELOOP" ? "it is a symbolic link" : (code ?? "error")}).`,
      {
        fix: "pass a regular file path you own; an existing symbolic link is never followed.",
        cause: error,
      },
    );
  }
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, contents);
  } finally {
    closeSync(fd);
  }
}
