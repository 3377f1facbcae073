/**
 * Asking for the values a new stack cannot do without, only on a terminal: a pipeline has no one to
 * answer, so without a TTY nothing is read from stdin (a CI job must never wait on it) and every
 * missing flag is named in one usage error instead.
 */
import { createInterface } from "node:readline";
import { UsageError } from "../../contract/errors";
import type { CliIo } from "../shared/cli";

export interface RequiredValue {
  /** The flag, e.g. `--tenant-id`. */
  flag: string;
  /** What the prompt asks, e.g. `Entra tenant id (GUID)`. */
  question: string;
  value: string | undefined;
}

/** True only when stdin says it is a terminal (a piped or closed stdin has no isTTY, or false). */
export function isInteractive(io: CliIo): boolean {
  return (io.stdin as NodeJS.ReadableStream & { isTTY?: boolean }).isTTY === true;
}

/**
 * Each missing value, asked for in order on a terminal; the values as given or answered. Without a
 * terminal, or when the terminal closes (Ctrl-D) or an answer is empty, one UsageError lists every
 * flag still missing.
 */
export async function completeRequired(values: readonly RequiredValue[], io: CliIo): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  for (const { flag, value } of values) if (value !== undefined) result.set(flag, value);
  const missing = values.filter((v) => v.value === undefined);
  if (missing.length > 0 && isInteractive(io)) {
    // The prompts go through io.stderr (redacted, captured by tests), never to stdout: stdout is the result.
    const reader = createInterface({ input: io.stdin, terminal: false });
    // The iterator buffers lines that arrive before their question is asked (a paste of every answer).
    const lines = reader[Symbol.asyncIterator]();
    try {
      for (const { flag, question } of missing) {
        io.stderr(`${question} (${flag}): `);
        const answer = await lines.next();
        if (answer.done === true) break;
        const text = String(answer.value).trim();
        if (text === "") break;
        result.set(flag, text);
      }
    } finally {
      reader.close();
    }
    if (result.size < values.length) io.stderr("\n");
  }
  const stillMissing = values.filter((v) => !result.has(v.flag)).map((v) => v.flag);
  if (stillMissing.length > 0) {
    throw new UsageError(
      `missing ${stillMissing.length === 1 ? "a required value" : "required values"}: ${stillMissing.join(", ")}.`,
      `give ${stillMissing.map((flag) => `${flag} VALUE`).join(" ")}${isInteractive(io) ? "" : " (without a terminal nothing is asked)"}.`,
    );
  }
  return result;
}
