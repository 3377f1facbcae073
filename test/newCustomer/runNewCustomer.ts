/**
 * Test support for new-customer: the command in this process (as test/support/drift.ts runs
 * drift), with an environment that holds no deployer credential unless the test gives one, so a
 * developer's own AZURE_CLIENT_ID never turns a local test into a Graph call.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { newCustomerCommand } from "../../scripts/newCustomer/cli";
import { runCommand } from "../../scripts/shared/cli";
import type { CliRun } from "../support/runScript";

/** The process's environment without what would start a domain check or point it elsewhere. */
export function cleanEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const base = { ...process.env };
  // CMIC_CREDENTIALS_FILE too: a per-tenant credentials file would sign in without AZURE_CLIENT_ID.
  const signIn = [
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_AUTHORITY_HOST",
    "CMIC_GRAPH_URL",
    "CMIC_CREDENTIALS_FILE",
  ];
  for (const name of signIn) delete base[name];
  return { ...base, ...env };
}

export async function runNewCustomer(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; stdin?: NodeJS.ReadableStream } = {},
): Promise<CliRun & { code: number }> {
  let stdout = "";
  let stderr = "";
  const code = await runCommand(newCustomerCommand, args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: cleanEnv(options.env),
    stdin: options.stdin ?? Readable.from([]),
  });
  return { code, stdout, stderr };
}

/** A stdin that says it is a terminal, fed by the test. */
export function fakeTerminal(): PassThrough & { isTTY: boolean } {
  return Object.assign(new PassThrough(), { isTTY: true });
}

/** A fresh project directory for one test's stack file. */
export function tempProject(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `new-customer-${prefix}-`));
}

export const TENANT_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
export const OWNER_ID = "9a7b3c1d-2e4f-4a5b-8c6d-7e8f9a0b1c2d";
