/**
 * `npm run handoff -- --stack NAME [--reveal] [--out FILE]` (or `--outputs FILE`): the Markdown sheet
 * for the CMiC admin and the connector admin, from a stack's outputs. The secret is masked unless
 * --reveal is given; a revealed sheet written with --out is created readable by its owner only.
 */
import { GRAPH_URL_ENV } from "../../contract/entraEndpoints";
import { CmicError, UsageError } from "../../contract/errors";
import { STACK_OUTPUTS_ENV } from "../../contract/postDeployCheck";
import type { StackOutputs } from "../../contract/stackOutputs";
import { writeOwnerOnly } from "../shared/ownerOnlyFile";
import { defineCommand, runWhenMain } from "../shared/cli";
import { readStackOutputsFromEnv, readStackOutputsFromFile, readStackOutputsFromPulumi } from "../shared/stackOutputSources";
import { readAppCredentialView } from "./appCredentialView";
import type { AppCredentialView } from "./rotationSection";
import { renderHandoffSheet } from "./sheet";

/** The credentials of a world stack's app, read from the world's emulator at the world's clock. */
async function readWorldCredentials(
  dir: string,
  outputs: StackOutputs,
  at: string | undefined,
): Promise<{ view: AppCredentialView; now: Date }> {
  const { openWorldForReading, tenantOf } = await import("../world/session");
  const { deployerGraph } = await import("../world/deployerGraph");
  const session = await openWorldForReading(dir, at);
  try {
    const now = session.clock.now();
    return { view: await readAppCredentialView(deployerGraph(session.emulator.url, tenantOf(session.world)), outputs, now), now };
  } finally {
    await session.close();
  }
}

const HELP = `Usage: npm run handoff -- (--stack NAME | --outputs FILE | --state DIR [--stack NAME] [--at WHEN]) [--reveal] [--out FILE] [--offline]

  --stack NAME     read the outputs of a Pulumi stack (pulumi stack output --json)
  --state DIR      read them from the local world of npm run sandbox -- --state DIR
                   (--stack names its stack when it holds several)
  --outputs FILE   read outputs saved with: pulumi stack output --json --show-secrets > FILE
                   (without either, $${STACK_OUTPUTS_ENV} holds the outputs JSON)
  --reveal         print the client secret (otherwise: its 3-character hint from a saved
                   outputs file, nothing with --stack)
  --out FILE       write the sheet to FILE (mode 0600) instead of standard output
  --at WHEN        with --state: the world's instant (ISO date or +Nd/+Nh), as verify --at
  --offline        do not read the app's credentials from Entra (with --stack or --state the
                   sheet reads them to say whether a previous secret is still in use and until
                   when; it signs in as drift does: AZURE_CLIENT_ID/SECRET or az login)

Exit codes: 0 sheet written, 1 outputs could not be read, 2 bad usage.
`;

export const handoffCommand = defineCommand({
  name: "handoff",
  summary: "Print the handoff sheet for the CMiC and connector administrators.",
  help: HELP,
  options: {
    stack: { type: "string" },
    outputs: { type: "string" },
    reveal: { type: "boolean" },
    out: { type: "string" },
    state: { type: "string" },
    offline: { type: "boolean" },
    at: { type: "string" },
  },
  async run(values, io, context) {
    if (values.stack && values.outputs) throw new UsageError("Give either --stack or --outputs, not both.");
    if (values.state && values.outputs) throw new UsageError("Give either --state or --outputs, not both.");
    if (values.at && (!values.state || values.offline))
      throw new UsageError("--at sets a local world's clock: give it with --state (and without --offline).");
    const reveal = values.reveal === true;
    let outputs: StackOutputs | null;
    let stack = values.stack ?? null;
    let credentials: AppCredentialView | null = null;
    let generatedAt = new Date();
    if (values.state) {
      const { requireWorld, worldStackOutputs } = await import("../world/worldDir");
      const selected = worldStackOutputs(requireWorld(values.state), values.state, values.stack);
      outputs = selected.outputs;
      stack = selected.name;
      if (values.offline !== true) {
        const rerun = await (await import("../shared/emulatorTrust")).rerunTrustingEmulator(io.env);
        if (rerun !== null) return rerun;
        const read = await readWorldCredentials(values.state, selected.outputs, values.at);
        credentials = read.view;
        generatedAt = read.now;
      }
    } else if (values.stack) outputs = await readStackOutputsFromPulumi(values.stack, { showSecrets: reveal, env: io.env });
    else if (values.outputs) outputs = await readStackOutputsFromFile(values.outputs);
    else outputs = readStackOutputsFromEnv(io.env);
    if (!outputs) {
      throw new UsageError(
        "No outputs to read.",
        `pass --stack NAME, or --outputs FILE saved with \`pulumi stack output --json --show-secrets\` (or set $${STACK_OUTPUTS_ENV}).`,
      );
    }
    const secret = outputs.connector.clientSecret ?? outputs.clientSecret;
    if (reveal && outputs.credential !== "certificate" && !secret) {
      throw new CmicError("ERR_NO_SECRET", "--reveal was given but these outputs hold no client secret (saved without --show-secrets?).", {
        fix: "use --stack NAME, or save the outputs with `pulumi stack output --json --show-secrets`.",
      });
    }
    // Masked unless revealed: without --reveal the secret must not appear anywhere, not even in an error.
    if (!reveal) context.addSecret(secret);
    if (values.stack && !values.state && values.offline !== true) {
      const { tenantGraphClient } = await import("../shared/graphClient");
      credentials = await readAppCredentialView(
        tenantGraphClient(io.env, outputs.tenantId, outputs.azureCloud, io.env[GRAPH_URL_ENV]),
        outputs,
        generatedAt,
      );
    }
    const sheet = renderHandoffSheet(outputs, { stack, stateDir: values.state ?? null, reveal, generatedAt, credentials });
    if (values.out) {
      writeOwnerOnly(values.out, sheet, "--out");
      io.stderr(`Handoff sheet written to ${values.out}${reveal ? " (contains the client secret)" : ""}.\n`);
    } else {
      io.stdout(sheet);
    }
    return 0;
  },
});

runWhenMain(module, handoffCommand);
