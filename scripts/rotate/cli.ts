/**
 * `npm run rotate -- --stack NAME [--retire-previous [--key-id ID]… | --now --yes]` (or
 * `--state DIR`): rotate a stack's client secret now, prove the new one works, retire the previous
 * one only when told. See rotation.ts.
 */
import { createInterface } from "node:readline";
import { UsageError } from "../../contract/errors";
import { defineCommand, numberOption, runWhenMain, type CliIo } from "../shared/cli";

const HELP = `Usage: npm run rotate -- (--stack NAME | --state DIR [--stack NAME] [--at WHEN])
                          [--retire-previous [--key-id ID]... | --now [--yes]]

Without --retire-previous: issue a new client secret now (pulumi up --replace of the secret's
rotation anchor), check that it gets a token CMiC accepts, and print how to hand it over. The
previous secret keeps working until its end date: the connector switches at its own pace.

  --retire-previous   a separate, later step: check that the CURRENT secret gets a token, then
                      remove every previous secret of this stack (managed display name) from the
                      app. Secrets the stack did not create are never removed.
  --key-id ID         with --retire-previous: also remove this previous certificate (repeatable;
                      npm run handoff lists them). Never the stack's current certificate.
  --now               a leaked secret: issue a new one and remove the previous ones at once,
                      once the new one is proven. Asks to type the stack name; --yes skips that
                      (required without a terminal, e.g. in pipelines).
  --yes               confirm --now without a prompt
  --stack NAME        the Pulumi stack (the pulumi CLI and Graph as AZURE_CLIENT_ID / az login;
                      removing secrets needs Application.ReadWrite.OwnedBy or .All)
  --state DIR         a local world of npm run sandbox -- --state DIR
  --at WHEN           with --state: the world's instant (ISO date or +Nd/+Nh)
  (with --stack, $CMIC_AUTHORITY_HOST and $CMIC_GRAPH_URL reach Entra and Graph elsewhere, as
   for verify and drift; $CMIC_CREDENTIALS_FILE, as for drift, names the app each customer tenant
   is signed in to as, by tenant id, with its secret in a named variable)
  --propagation-window SECONDS
                      how long the token check retries Entra's propagation errors (default 300)

Exit codes: 0 done, 1 failed (nothing removed unless the remaining secret was proven), 2 bad usage
or --now not confirmed.
`;

async function confirmByStackName(io: CliIo, stack: string): Promise<boolean> {
  const stdin = io.stdin as NodeJS.ReadableStream & { isTTY?: boolean };
  if (stdin.isTTY !== true) return false;
  const reader = createInterface({ input: stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((resolve) =>
      reader.question(
        `--now removes the previous secret of ${stack} at once: a connector still using it stops. Type the stack name to go on: `,
        resolve,
      ),
    );
    return answer.trim() === stack;
  } finally {
    reader.close();
  }
}

export const rotateCommand = defineCommand({
  name: "rotate",
  summary: "Rotate a stack's client secret now; retire the previous one when told.",
  help: HELP,
  options: {
    stack: { type: "string" },
    state: { type: "string" },
    at: { type: "string" },
    "retire-previous": { type: "boolean" },
    "key-id": { type: "string", multiple: true },
    now: { type: "boolean" },
    yes: { type: "boolean" },
    "propagation-window": { type: "string" },
  },
  async run(values, io, context) {
    const retirePrevious = values["retire-previous"] === true;
    const now = values.now === true;
    const keyIds = values["key-id"] ?? [];
    if (retirePrevious && now) {
      throw new UsageError(
        "--now and --retire-previous are two different steps.",
        "use --now for a leaked secret (issue and retire at once), or --retire-previous after the connector switched.",
      );
    }
    if (keyIds.length > 0 && !retirePrevious) throw new UsageError("--key-id goes with --retire-previous.");
    if (values.yes && !now) throw new UsageError("--yes confirms --now; nothing else asks.");
    if (!values.stack && !values.state) throw new UsageError("Name the stack: --stack NAME (or --state DIR for a local world).");
    if (values.at && !values.state) throw new UsageError("--at sets a local world's clock: give it with --state.");
    const windowSeconds = numberOption("--propagation-window", values["propagation-window"], { min: 0, max: 3600, unit: "seconds" }) ?? 300;

    const { pulumiBackend, worldBackend } = await import("./backends");
    let backend;
    let stack: string;
    if (values.state) {
      const rerun = await (await import("../shared/emulatorTrust")).rerunTrustingEmulator(io.env);
      if (rerun !== null) return rerun;
      backend = await worldBackend({ dir: values.state, stack: values.stack, at: values.at, propagationWindowMs: windowSeconds * 1000 });
      stack = backend.stack;
    } else {
      stack = values.stack ?? "";
      backend = pulumiBackend(stack, { env: io.env }, io.env);
    }
    if (now && values.yes !== true && !(await confirmByStackName(io, stack))) {
      throw new UsageError(
        "--now was not confirmed: nothing was changed.",
        "type the stack name when asked, or add --yes (pipelines have no terminal to ask on).",
      );
    }
    // No secret value is printed; redact them anyway, the current one before anything runs.
    context.addSecret((await backend.outputs()).clientSecret);
    const { rotate, renderRotateResult } = await import("./rotation");
    const options = {
      issue: !retirePrevious,
      retire: retirePrevious || now,
      certificateKeyIds: keyIds,
      propagationWindowMs: windowSeconds * 1000,
      progress: (line: string) => io.stderr(`${line}\n`),
    };
    const result = await rotate(backend, options);
    context.addSecret((await backend.outputs()).clientSecret);
    io.stdout(renderRotateResult(result, options, backend.commands));
    return 0;
  },
});

runWhenMain(module, rotateCommand);
