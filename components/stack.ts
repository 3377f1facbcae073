/**
 * The stack definition behind index.ts: read and validate the stack settings, create one
 * CmicEntraIntegration, return its outputs. Kept apart from index.ts so that tools which deploy
 * many stacks in one process (tests, benchmarks) can run the very same program body again.
 */
import * as pulumi from "@pulumi/pulumi";
import { CmicEntraIntegration } from "./cmicEntraIntegration";
import { CONFIG_NAMESPACE, settingsFromConfig } from "./settings";

export function defineCmicStack(): ReturnType<CmicEntraIntegration["stackOutputs"]> {
  const config = new pulumi.Config(CONFIG_NAMESPACE);
  const azureadConfig = new pulumi.Config("azuread");
  // The run's one clock: certificate expiry is judged once, against this instant.
  const now = new Date();
  // Validation runs before any resource is declared, so a bad setting changes nothing in Entra.
  // The result is ValidatedSettings, which the component takes without validating again.
  const settings = settingsFromConfig(
    (key) => config.get(key),
    // The provider's environment falls back to ARM_ENVIRONMENT as the provider's own does.
    (key) => azureadConfig.get(key) ?? (key === "environment" ? process.env.ARM_ENVIRONMENT : undefined),
    { stack: pulumi.getStack(), now },
    { all: Object.keys(pulumi.runtime.allConfig()), warn: (message) => void pulumi.log.warn(message) },
  );
  return new CmicEntraIntegration("cmic", settings).stackOutputs();
}
