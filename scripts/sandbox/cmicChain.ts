/**
 * The last link of the sandbox's chain, connector → Entra → CMiC: a local CMiC (the stand-in in
 * cmic/, its filter modelled on CMiC's documents) is registered from the handoff values as the CMiC
 * admin would enter them, its service user created, and verify's `--cmic-url` probe calls it with
 * a fresh token. A CMiC-side `--break` changes what the admin entered (breaks.ts), so the sandbox
 * shows CMiC's answer and the field to fix, as `npm run verify -- --cmic-url` would on a live CMiC.
 */
import { startCmicStandIn, type CmicRegistration } from "../../cmic";
import { CLOUD_HOSTS, issuerUrlFor, withAuthorityHost } from "../../contract/entraEndpoints";
import { CONFIG_NAMESPACE } from "../../contract/kinds";
import type { StackOutputs } from "../../contract/stackOutputs";
import type { ClientCredentialSecret } from "../shared/credentials";
import type { CheckResult } from "../verify/report";
import { runVerification, verifyInputFromOutputs } from "../verify/runner";
import { UNREACHABLE_KEYSET_URI, type BreakName } from "./breaks";

/** A CMiC REST endpoint the service user may read; the stand-in answers any path under its filter. */
const CMIC_ENDPOINT = "/cmictest/rest/system-data/v1/companies";

export interface CmicChainOptions {
  /** The emulator's origin: the stand-in loads the registered (public) Keyset URI from it. */
  emulatorUrl: string;
  /** The stack's config (serviceUser, cmicTenant: the CMiC user the admin created). */
  config: Record<string, string>;
  breakName?: BreakName;
  /** The credential to request the token with: null for the secret the outputs hold. */
  credential: ClientCredentialSecret | null;
  /** The run's clock (the world's under `--at`): CMiC judges nbf/exp by it. */
  now(): Date;
}

/** What the CMiC admin enters, from the handoff values, with a CMiC-side break applied. */
function registrationFor(outputs: StackOutputs, config: Record<string, string>, breakName: BreakName | undefined): CmicRegistration {
  const registration = outputs.cmicRegistration;
  const entered: CmicRegistration = {
    applicationId: registration.applicationId,
    issuerUrl: registration.issuerUrl,
    keysetUri: registration.keysetUri,
    ...(registration.serviceUser ? { serviceUser: registration.serviceUser } : {}),
  };
  switch (breakName) {
    case "cmic-issuer":
      // CMiC's own guide lists the v1 values; an admin who copies them for a v2 app (or v2 for v1).
      return { ...entered, issuerUrl: issuerUrlFor(outputs.accessTokenVersion === 2 ? 1 : 2, outputs.tenantId, outputs.azureCloud) };
    case "cmic-app-id":
      // The object id copied in place of the application (client) id: the portal shows both.
      return { ...entered, applicationId: outputs.applicationObjectId };
    case "cmic-keyset":
      return { ...entered, keysetUri: UNREACHABLE_KEYSET_URI };
    case "cmic-single-pipe": {
      // The Arcoro guide prints `tenant| username`: one pipe is not CMiC Cloud's separator.
      const tenant = config[`${CONFIG_NAMESPACE}:cmicTenant`] ?? "";
      const user = config[`${CONFIG_NAMESPACE}:serviceUser`] ?? "";
      return { ...entered, serviceUser: `${tenant}|${user}` };
    }
    default:
      return entered;
  }
}

/**
 * Register the stack in a fresh local CMiC, create its service user (unless the break is that it
 * was never created), and call it with a token as the connector will. The IP check is on when the
 * app asks for `ipaddr` (then it can pass), off otherwise, as the handoff sheet tells the CMiC admin.
 */
export async function proveCmicChain(outputs: StackOutputs, options: CmicChainOptions): Promise<CheckResult> {
  const loginHosts = new Set(Object.values(CLOUD_HOSTS).map((hosts) => new URL(hosts.authorityHost).hostname));
  const offsetMs = options.now().getTime() - Date.now();
  const cmic = await startCmicStandIn({
    // The CMiC server loads the registered keys from Entra; here Entra's hosts are the emulator.
    fetch: (input, init) => {
      const url = String(input);
      return fetch(loginHosts.has(new URL(url).hostname) ? withAuthorityHost(url, options.emulatorUrl) : url, init);
    },
    now: () => new Date(Date.now() + offsetMs),
    properties: {
      ipCheckEnabled: outputs.optionalClaims.includes("ipaddr"),
      userClaimName: outputs.claimName,
    },
  });
  try {
    const user = options.config[`${CONFIG_NAMESPACE}:serviceUser`];
    const cmicTenant = options.config[`${CONFIG_NAMESPACE}:cmicTenant`];
    if (user && options.breakName !== "cmic-user") cmic.addUser(user, outputs.deployment === "cloud" && cmicTenant ? { cmicTenant } : {});
    cmic.register(registrationFor(outputs, options.config, options.breakName));
    const report = await runVerification(
      verifyInputFromOutputs(outputs, {
        credential: options.credential ?? undefined,
        authorityHost: options.emulatorUrl,
        propagationWindowMs: 0,
        cmicUrl: `${cmic.url}${CMIC_ENDPOINT}`,
      }),
      { now: () => Date.now() + offsetMs },
    );
    return (
      report.checks.find((check) => check.id === "cmic-endpoint") ?? {
        id: "cmic-endpoint",
        ok: false,
        detail: "no token reached CMiC: the token request failed",
        fix: report.checks.find((check) => !check.ok)?.fix ?? "run `npm run verify` for the token's diagnosis",
      }
    );
  } finally {
    await cmic.close();
  }
}
