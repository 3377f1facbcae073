/**
 * `pulumi stack output --json --show-secrets` can print the outputs (the client secret among them)
 * and then fail. Whatever it printed must never reach the user: verify and handoff report the
 * failure from the CLI's stderr only. The real `pulumi` is replaced by the stand-in on PATH.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { handoffCommand } from "../../scripts/handoff/cli";
import { runCaptured } from "../../scripts/shared/cli";
import { verifyCommand } from "../../scripts/verify/cli";
import { FAKE_PULUMI_BIN, FIXTURE_STACKS } from "../support/drift";

const SECRET = "Q8~leaked-secret-value-0123456789abcdefXYZ";
let fixtures: string;

beforeAll(() => {
  fixtures = fs.mkdtempSync(path.join(os.tmpdir(), "cmic-leaky-"));
  const stack = path.join(fixtures, "leaky");
  fs.mkdirSync(stack);
  const outputs = JSON.parse(fs.readFileSync(path.join(FIXTURE_STACKS, "acme-clean", "outputs.json"), "utf8")) as Record<string, unknown>;
  outputs.clientSecret = SECRET;
  outputs.connector = { ...(outputs.connector as Record<string, unknown>), clientSecret: SECRET };
  fs.writeFileSync(path.join(stack, "outputs.json"), JSON.stringify(outputs));
  fs.writeFileSync(path.join(stack, "exit-code"), "255");
  // The same, failing with an error text.
  const talkative = path.join(fixtures, "leaky-with-error");
  fs.cpSync(stack, talkative, { recursive: true });
  fs.writeFileSync(path.join(talkative, "output.stderr.txt"), "error: failed to decrypt the stack's secrets\n");
});

afterAll(() => fs.rmSync(fixtures, { recursive: true, force: true }));

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${FAKE_PULUMI_BIN}${path.delimiter}${process.env.PATH ?? ""}`,
    FAKE_PULUMI_DIR: fixtures,
    CMIC_CLIENT_SECRET: "",
    CMIC_STACK_OUTPUTS: "",
  };
}

it.each([
  ["verify", "leaky", "it printed no error message"],
  ["verify", "leaky-with-error", "error: failed to decrypt the stack's secrets"],
  ["handoff", "leaky", "it printed no error message"],
  ["handoff", "leaky-with-error", "error: failed to decrypt the stack's secrets"],
])("%s on stack %s reports the failed `pulumi stack output` without printing what it printed", async (name, stack, said) => {
  const result =
    name === "verify"
      ? await runCaptured(verifyCommand, ["--stack", stack], { env: env() })
      : await runCaptured(handoffCommand, ["--stack", stack, "--reveal"], { env: env() });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("failed (exit 255)");
  expect(result.stderr).toContain(said);
  expect(result.stdout + result.stderr).not.toContain(SECRET);
  expect(result.stdout + result.stderr).not.toContain("leaked-secret");
});
