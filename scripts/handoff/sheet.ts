/**
 * The handoff sheet: a Markdown page with what the CMiC admin and the connector admin each enter.
 * Pure: it renders StackOutputs, and the app's credentials when the caller read them from Entra.
 */
import type { StackOutputs } from "../../contract/stackOutputs";
import { renderConnectorSection } from "./connectorSection";
import { renderRotationSection, type AppCredentialView } from "./rotationSection";

/** How the sheet names a sovereign cloud. */
const CLOUD_NAMES: Record<Exclude<StackOutputs["azureCloud"], "public">, string> = {
  usgovernment: "Azure Government",
  china: "Azure China (21Vianet)",
};

export interface HandoffSheetOptions {
  /** Stack the values come from, to name it and to print follow-up commands. */
  stack: string | null;
  /**
   * The local world the stack lives in (`--state DIR`): follow-up commands then read it, not the
   * Pulumi CLI. `throwaway`: a sandbox run without one, whose tenant is gone when it ends.
   */
  stateDir?: string | null;
  throwaway?: boolean;
  /** Print the client secret; otherwise only Entra's 3-character hint is shown. */
  reveal: boolean;
  generatedAt: Date;
  /** The app's credentials as Entra lists them (previous secrets, other certificates), or why not read. */
  credentials?: AppCredentialView | null;
}

/** Mask a secret as the Entra portal does after creation: the first three characters, then dots. */
export function maskSecret(secret: string): string {
  return `${secret.slice(0, 3)}${"•".repeat(8)}`;
}

function row(field: string, value: string): string {
  // Pipes inside values (the Cloud claim tenant||user) would end the Markdown cell.
  return `| ${field} | \`${value.replace(/\|/g, "\\|")}\` |`;
}

export function renderHandoffSheet(outputs: StackOutputs, options: HandoffSheetOptions): string {
  const worldArg = options.stateDir ? ` --state ${options.stateDir}` : "";
  const stackArg = options.stack ? ` --${worldArg} --stack ${options.stack}` : worldArg ? ` --${worldArg}` : "";
  const registration = outputs.cmicRegistration;
  const lines: string[] = [
    `# CMiC integration handoff: ${registration.description}`,
    "",
    `Generated ${options.generatedAt.toISOString()}${options.stack ? ` from ${options.stateDir ? "sandbox" : "Pulumi"} stack \`${options.stack}\`` : ""}` +
      `${options.stateDir ? ` of the local world \`${options.stateDir}\`` : ""}. ` +
      `Entra tenant \`${outputs.tenantId}\`.`,
    "",
    "## 1. CMiC administrator: API Security → Application Registration",
    "",
    "| Field | Value |",
    "| --- | --- |",
    row("Description", registration.description),
    row("Issuer URL", registration.issuerUrl),
    row("Application ID", registration.applicationId),
    row("Keyset ID (JWKS URI)", registration.keysetUri),
  ];
  if (registration.serviceUser) lines.push(row("Service user", registration.serviceUser));
  lines.push(
    "",
    outputs.accessTokenVersion === 1
      ? `The app issues **v1** access tokens (as CMiC's own guide registers): \`iss\` is the ${new URL(registration.issuerUrl).host} issuer above, with its trailing slash, and CMiC reads the app id from \`appid\`.`
      : `The app issues **v2** access tokens (as the Arcoro guide registers): \`iss\` is the ${new URL(registration.issuerUrl).host} …/v2.0 issuer above, and CMiC reads the app id from \`azp\`. ` +
          "The v1 values in CMiC's own guide (sts.windows.net, common/discovery/keys) would be refused.",
  );
  if (outputs.azureCloud !== "public") {
    lines.push(
      "",
      `The tenant is in the **${CLOUD_NAMES[outputs.azureCloud]}** cloud: every URL above is on its hosts, not login.microsoftonline.com, ` +
        `and the CMiC server must reach ${new URL(registration.keysetUri).host} over HTTPS to load the keys.`,
    );
  }
  lines.push("");
  if (outputs.claimSource === "registration") {
    lines.push("The token carries no `cmicuser` claim: set the service user in this registration (CMiC after Patch 22).");
  } else if (outputs.cmicUserClaim) {
    lines.push(
      `Tokens carry the claim \`cmicuser\` = \`${outputs.cmicUserClaim}\`; that CMiC user must exist ` +
        (outputs.deployment === "cloud"
          ? "(CMiC Cloud: `tenant||username`, or the email-format username)."
          : "(CMiC Enterprise: the plain username)."),
    );
  }
  lines.push(
    "",
    outputs.optionalClaims.includes("ipaddr")
      ? "CMiC checks by default that the token was requested from the same IP address that calls it " +
          "(`cmic.oauth2.ipcheck.enabled`). The app asks for the `ipaddr` claim, so the check can stay on **if the connector requests its tokens " +
          "from the same egress IP it calls CMiC from** (one NAT address, no proxy in between that changes it). " +
          'A connector behind several egress addresses, or a proxy CMiC sees instead, fails with "Client validation failed (ip check)": ' +
          "then set `cmic.oauth2.ipcheck.enabled=false` in `cmicapp.properties`."
      : "CMiC checks by default that the token was requested from the same IP address that calls it " +
          "(`cmic.oauth2.ipcheck.enabled`). These tokens carry no `ipaddr` claim (the stack's optionalClaims does not ask for it); " +
          'if calls fail with "Client validation failed (ip check)", set `cmic.oauth2.ipcheck.enabled=false` in `cmicapp.properties`, ' +
          "or add `ipaddr` to the stack's optionalClaims when the connector has one fixed egress IP.",
    "",
  );
  const secret = outputs.connector.clientSecret ?? outputs.clientSecret;
  const revealCommand = options.throwaway
    ? "`npm run sandbox -- --state DIR --save-outputs FILE` (a world that is kept), then `npm run handoff -- --outputs FILE --reveal`"
    : `\`npm run handoff${stackArg || " --"} --reveal\``;
  lines.push(
    ...renderConnectorSection(
      outputs,
      {
        value: secret ? (options.reveal ? secret : maskSecret(secret)) : null,
        note: options.reveal
          ? null
          : `${secret ? "The secret is masked." : "The secret is not shown."} Print it for the connector admin only, over a secure channel: ${revealCommand}.`,
      },
      row,
    ),
  );
  lines.push(
    ...renderRotationSection({
      outputs,
      credentials: options.credentials ?? null,
      now: options.generatedAt,
      rotateCommand: `npm run rotate${stackArg || " --"}`,
    }),
  );
  lines.push(
    "## 3. Check before handing over",
    "",
    options.throwaway
      ? "This sandbox's tenant is gone now that the run ended: keep one with `npm run sandbox -- --state DIR`, then " +
          "`npm run verify -- --state DIR` requests a token exactly as the connector will and validates it as CMiC does."
      : `\`npm run verify${stackArg}\` requests a token exactly as the connector will and validates it as CMiC does.`,
    "",
  );
  return lines.join("\n");
}
