/**
 * Reads a stack settings file (Pulumi.<stack>.yaml) into the flat `key → string` map that
 * `pulumi config` hands a program, so the sandbox runs the program on exactly the user's file.
 */
import { readFileSync } from "node:fs";
import yaml from "js-yaml";
import { CmicError, EXIT_USAGE } from "../../contract/errors";

/** The stack settings file the sandbox was pointed at cannot be used: the user gave a wrong file (exit 2). */
export class StackFileError extends CmicError {
  constructor(message: string, fix: string) {
    super("ERR_STACK_FILE", message, { fix, exitCode: EXIT_USAGE });
  }
}

/** Flatten one config value the way Pulumi stores it: strings as-is, everything else as JSON text. */
function configString(key: string, value: unknown, file: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  if (value !== null && typeof value === "object" && "secure" in value) {
    throw new StackFileError(
      `${file}: ${key} is an encrypted secret, which the sandbox cannot decrypt.`,
      "give the sandbox a stack file with plain values (the sandbox never talks to a real tenant).",
    );
  }
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  throw new StackFileError(`${file}: ${key} has no value.`, "set it or remove the line.");
}

export function readStackConfig(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new StackFileError(
      `Cannot read the stack file ${file}: ${(error as Error).message}.`,
      "pass --stack NAME for Pulumi.NAME.yaml, or --stack-file PATH.",
    );
  }
  let document: unknown;
  try {
    document = yaml.load(text);
  } catch (error) {
    throw new StackFileError(
      `${file} is not valid YAML: ${(error as Error).message}`,
      "fix the YAML at the line named above (Pulumi.dev.yaml is a complete example).",
    );
  }
  const config = (document as { config?: unknown } | null)?.config;
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config))
    throw new StackFileError(
      `${file}: \`config\` must be a map of settings.`,
      "write each setting as `cmic-entra-oauth:<name>: <value>` under `config:`, as in Pulumi.dev.yaml.",
    );
  return Object.fromEntries(Object.entries(config as Record<string, unknown>).map(([key, value]) => [key, configString(key, value, file)]));
}
