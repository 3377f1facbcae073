/**
 * `npm run handoff -- --stack NAME [--reveal] [--out FILE]` (or `--outputs FILE`): the Markdown sheet
 * for the CMiC admin and the connector admin, from a stack's outputs. The secret is masked unless
 * --reveal is given; a revealed sheet written with --out is created readable by its owner only.
 */
import { closeSync, fchmodSync, openSync, writeSync } from "node:fs";
import { parseArgs } from "node:util";
import { StackOutputsError, type StackOutputs } from "../../contract/stackOutputs";
import { renderHandoffSheet } from "./sheet";
import {
  StackOutputsSourceError,
  readStackOutputsFromEnv,
  readStackOutputsFromFile,
  readStackOutputsFromPulumi,
} from "../shared/stackOutputSources";

const USAGE = `Usage: npm run handoff -- (--stack NAME | --outputs FILE) [--reveal] [--out FILE]

  --stack NAME     read the outputs of a Pulumi stack (pulumi stack output --json)
  --outputs FILE   read outputs saved with: pulumi stack output --json --show-secrets > FILE
                   (without either, $CMIC_STACK_OUTPUTS holds the outputs JSON)
  --reveal         print the client secret (otherwise: its 3-character hint from a saved
                   outputs file, nothing with --stack)
  --out FILE       write the sheet to FILE (mode 0600) instead of standard output

Exit codes: 0 sheet written, 1 outputs could not be read, 2 bad usage.`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  let values: { stack?: string; outputs?: string; reveal?: boolean; out?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string" },
        outputs: { type: "string" },
        reveal: { type: "boolean", default: false },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (values.stack && values.outputs) throw new UsageError("Give either --stack or --outputs, not both.");
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }

  let outputs: StackOutputs | null;
  try {
    if (values.stack) outputs = await readStackOutputsFromPulumi(values.stack, { showSecrets: values.reveal });
    else if (values.outputs) outputs = await readStackOutputsFromFile(values.outputs);
    else outputs = readStackOutputsFromEnv();
  } catch (error) {
    if (error instanceof StackOutputsError || error instanceof StackOutputsSourceError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (!outputs) {
    process.stderr.write(`No outputs to read.\n\n${USAGE}\n`);
    return 2;
  }
  if (values.reveal && outputs.credential !== "certificate" && !(outputs.connector.clientSecret ?? outputs.clientSecret)) {
    process.stderr.write(
      "--reveal was given but these outputs hold no client secret (saved without --show-secrets?). " +
        "Fix: use --stack NAME, or save the outputs with `pulumi stack output --json --show-secrets`.\n",
    );
    return 1;
  }

  const sheet = renderHandoffSheet(outputs, { stack: values.stack ?? null, reveal: values.reveal ?? false, generatedAt: new Date() });
  if (values.out) {
    writeOwnerOnly(values.out, sheet);
    process.stderr.write(`Handoff sheet written to ${values.out}${values.reveal ? " (contains the client secret)" : ""}.\n`);
  } else {
    process.stdout.write(sheet);
  }
  return 0;
}

/**
 * Write a file readable by its owner only. The mode given to open() applies only when the file is
 * created, so an existing (e.g. 0644) file is narrowed before the secret is written into it.
 */
function writeOwnerOnly(file: string, contents: string): void {
  const fd = openSync(file, "w", 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, contents);
  } finally {
    closeSync(fd);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`handoff failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
