/**
 * One error vocabulary for every side of the project, modelled on panva/jose `src/util/errors.ts`:
 * each error has a stable `code` callers branch on (never the message text), a `message` that says
 * what happened (the cause), a `fix` that says what to do, and the `exitCode` a CLI ends with.
 * Structured results travel as fields, never inside the message.
 */

export const EXIT_OK = 0;
/** A check failed, or a stack could not be checked. */
export const EXIT_FAILED = 1;
/** Bad usage: an unknown or malformed option, a missing value. */
export const EXIT_USAGE = 2;
/** Drift (or a credential about to expire) was found. */
export const EXIT_DRIFT = 3;

export interface CmicErrorOptions {
  /** What the user should do about it; printed after the message. */
  fix?: string;
  /** The process exit code when a CLI ends with this error (default 1). */
  exitCode?: number;
  /** The underlying error, kept for debugging; never printed as-is (it may quote secrets). */
  cause?: unknown;
}

export class CmicError extends Error {
  /** Stable identifier of the error kind, e.g. `ERR_USAGE`, `ERR_STACK_OUTPUTS`. */
  readonly code: string;
  readonly fix: string | undefined;
  readonly exitCode: number;

  constructor(code: string, message: string, options: CmicErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.fix = options.fix;
    this.exitCode = options.exitCode ?? EXIT_FAILED;
  }
}

/** Bad usage of a command: exit 2. */
export class UsageError extends CmicError {
  constructor(message: string, fix?: string) {
    super("ERR_USAGE", message, { fix, exitCode: EXIT_USAGE });
  }
}

/** `message` plus its fix, for places that print an error as one text. */
export function describeError(error: CmicError): string {
  return error.fix ? `${error.message}\nFix: ${error.fix}` : error.message;
}
