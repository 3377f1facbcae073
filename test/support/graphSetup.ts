/**
 * Fixture directories for the stand-in pulumi, filled with the outputs of apps deployed in the
 * emulator (scripts/bench/driftBench.ts `deployAuditedApp` deploys them with the real Pulumi program).
 */
import fs from "node:fs";
import path from "node:path";
import { REDACTED_SECRET, type StackOutputs } from "../../contract/stackOutputs";

/**
 * Write a stack for the stand-in pulumi: its outputs as `pulumi stack output --json` prints them
 * (secrets redacted) and, optionally, a recorded preview.
 */
export function writeFakeStack(dir: string, stack: string, outputs: StackOutputs, previewFrom?: string): void {
  const stackDir = path.join(dir, stack);
  fs.mkdirSync(stackDir, { recursive: true });
  const printed = { ...outputs, clientSecret: REDACTED_SECRET, connector: { ...outputs.connector, clientSecret: REDACTED_SECRET } };
  fs.writeFileSync(path.join(stackDir, "outputs.json"), `${JSON.stringify(printed, null, 2)}\n`);
  if (previewFrom) {
    for (const file of fs.readdirSync(previewFrom)) {
      if (file.startsWith("preview") || file === "exit-code") fs.copyFileSync(path.join(previewFrom, file), path.join(stackDir, file));
    }
  }
}
