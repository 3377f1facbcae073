/** Plain text from what a CLI printed: ANSI colours removed, the last lines of a long output. */

// CSI sequences (colours, cursor moves, `?`-private modes such as the CLI's cursor hiding).
// eslint-disable-next-line no-control-regex
const ANSI_ESCAPES = /\u001b\[[0-9;?]*[A-Za-z]/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_ESCAPES, "");
}

/** The last `count` non-empty lines of a command's output, with how many came before. */
export function lastLines(text: string, count: number): string {
  const lines = stripAnsi(text)
    .replace(/\r/g, "")
    .split("\n")
    .filter((line) => line.trim() !== "");
  const tail = lines.slice(-count);
  return `${lines.length > count ? `… (${lines.length - count} earlier lines)\n` : ""}${tail.join("\n")}`;
}

/** The first non-empty line of an error's message (or of a text), ANSI colours removed. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (
    stripAnsi(text)
      .split("\n")
      .find((line) => line.trim() !== "") ?? text
  );
}
