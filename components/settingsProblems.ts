/**
 * The error invalid stack settings end in, and the list the rules collect problems into. Every
 * problem is a record (which setting, what is wrong, the command that fixes it) so callers can
 * branch on the setting instead of parsing text; the message renders the records for people.
 */
import { CmicError } from "../contract/errors";
import { CONFIG_NAMESPACE } from "../contract/kinds";

/** One invalid setting. `key` is the setting's name without the namespace (`serviceUser`). */
export interface SettingsProblem {
  readonly key: string;
  /** What is wrong, starting after the setting's name (`is empty or only whitespace`). */
  readonly message: string;
  /** What to do, usually a `pulumi config set` command. */
  readonly fix: string;
}

/** One problem as one line: `cmic-entra-oauth:<key> <message>. Fix: <fix>`. */
export function renderSettingsProblem(problem: SettingsProblem): string {
  return `${CONFIG_NAMESPACE}:${problem.key} ${problem.message}. Fix: ${problem.fix}`;
}

export class SettingsError extends CmicError {
  /** Every problem found, in the order the settings are checked. */
  readonly problems: readonly SettingsProblem[];
  /**
   * The Pulumi runtime prints an error with this brand as its message alone, without the stack
   * trace and the error object it prints for a program bug (@pulumi/pulumi `cmd/run/run.js`, the
   * uncaught-error handler; `errors.ts` `RunError.isInstance` checks this field, so it works across
   * SDK copies). Invalid settings are the user's to fix, not a crash.
   */
  readonly __pulumiRunError = true;

  constructor(problems: readonly SettingsProblem[]) {
    // No error-level `fix`: each problem carries its own, and the message already prints them.
    super(
      "ERR_SETTINGS",
      `Invalid ${CONFIG_NAMESPACE} settings (nothing was changed in Entra):\n` +
        problems.map((problem) => `  - ${renderSettingsProblem(problem)}`).join("\n"),
    );
    this.problems = problems;
  }

  /** The problems as the lines the message lists (without the leading "  - "). */
  get problemLines(): string[] {
    return this.problems.map(renderSettingsProblem);
  }
}

/** `pulumi config set cmic-entra-oauth:<key> <example>`: the usual fix. */
export function setCommand(key: string, example: string): string {
  return `pulumi config set ${CONFIG_NAMESPACE}:${key} ${example}`;
}

/** Where the rules put what they find, so that every problem is reported at once. */
export class ProblemList {
  readonly records: SettingsProblem[] = [];

  add(key: string, message: string, fix: string): void {
    this.records.push({ key, message, fix });
  }

  get isEmpty(): boolean {
    return this.records.length === 0;
  }
}
