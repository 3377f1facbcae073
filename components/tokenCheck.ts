/**
 * The post-deploy token check: `npm run verify` once the resources exist, and again whenever the
 * app, a credential or the policy changes (triggers). A failing check fails `pulumi up` with
 * verify's diagnosis. The check gets the would-be stack outputs (no secret) and the secret through
 * its environment, which Pulumi keeps secret in state; verify never prints either.
 */
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { CLIENT_CERTIFICATE_FILE_ENV, CLIENT_SECRET_ENV, POST_DEPLOY_CHECK_COMMAND, STACK_OUTPUTS_ENV } from "../contract/postDeployCheck";

export interface TokenCheckInput {
  /** The stack outputs without the secret. */
  stackOutputs: pulumi.Input<Record<string, unknown>>;
  /** The client secret, when the stack has one: the check signs in with it. */
  clientSecret: pulumi.Output<string> | null;
  /** Else a PEM with certificate and private key (setting postDeployCertificateFile). */
  certificateFile: string | null;
}

export interface TokenCheckWiring {
  parent: pulumi.Resource;
  /** Every resource the check checks: it runs after all of them exist. */
  dependsOn: pulumi.Resource[];
  /** Values whose change makes the check run again. */
  triggers: pulumi.Input<string>[];
}

/**
 * `<name>-token-check`, or null with a warning when there is nothing to sign in with (a
 * certificate-only stack without the connector's private key): the check is skipped, not faked.
 */
export function createTokenCheck(name: string, input: TokenCheckInput, wiring: TokenCheckWiring): command.local.Command | null {
  const environment: Record<string, pulumi.Input<string>> = {
    [STACK_OUTPUTS_ENV]: pulumi.jsonStringify(pulumi.output(input.stackOutputs)),
  };
  if (input.clientSecret) {
    environment[CLIENT_SECRET_ENV] = input.clientSecret;
  } else if (input.certificateFile) {
    environment[CLIENT_CERTIFICATE_FILE_ENV] = input.certificateFile;
  } else {
    // A log line, not a step: nothing waits for it (the engine orders log messages itself).
    void pulumi.log.warn(
      "The post-deploy token check is skipped: with credential=certificate it needs the connector's private key. " +
        "Fix: pulumi config set cmic-entra-oauth:postDeployCertificateFile <PEM with certificate and key>, " +
        "or run `npm run verify -- --stack <stack> --certificate <file>` yourself.",
      wiring.parent,
    );
    return null;
  }
  return new command.local.Command(
    `${name}-token-check`,
    {
      create: POST_DEPLOY_CHECK_COMMAND,
      update: POST_DEPLOY_CHECK_COMMAND,
      environment,
      triggers: wiring.triggers,
    },
    { parent: wiring.parent, dependsOn: wiring.dependsOn },
  );
}
