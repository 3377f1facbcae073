/**
 * `verify --cmic-url` against the CMiC stand-in (cmic/), registered from the stack's handoff values,
 * with real tokens from the emulator, for a v2 stack and a v1 stack: the whole chain connector →
 * Entra → CMiC is green, and each CMiC answer a real misconfiguration causes is read back as the
 * `cmic-endpoint` check naming the field to correct.
 */
import crypto from "node:crypto";
import { startCmicStandIn, type CmicStandIn } from "../../cmic";
import { issuerUrlFor, withAuthorityHost } from "../../contract/entraEndpoints";
import type { StackOutputs } from "../../contract/stackOutputs";
import { deployStack } from "../../scripts/sandbox/deployStack";
import { runVerification, verifyInputFromOutputs } from "../../scripts/verify/runner";
import { useEmulatorFixture } from "../support/emulatorFixture";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "contoso-cmic.onmicrosoft.com" } });
const ENDPOINT = "/cmictest/rest/system-data/v1/companies";
const SERVICE_USER = "CMICAPI";

describe.each([2, 1] as const)("a v%i stack", (version) => {
  let outputs: StackOutputs;
  let cmic: CmicStandIn;
  /** How far the CMiC server's clock is ahead of the real one (a server without NTP). */
  let cmicClockAheadMs = 0;

  beforeAll(async () => {
    const { emulator, tenant } = fixture();
    ({ outputs } = await deployStack({
      emulatorUrl: emulator.url,
      tenant,
      settings: {
        deployment: "enterprise",
        serviceUser: SERVICE_USER,
        verifiedDomain: tenant.initialDomain,
        displayName: `CMiC chain v${version} ${crypto.randomUUID().slice(0, 6)}`,
        accessTokenVersion: String(version),
      },
    }));
    expect(outputs.accessTokenVersion).toBe(version);
  }, 120_000);

  beforeEach(async () => {
    cmicClockAheadMs = 0;
    const { emulator } = fixture();
    // CMiC fetches the registered (public) Keyset URI; here Entra's host is the emulator. Other hosts stay as registered.
    const viaEmulator = (url: string) =>
      new URL(url).hostname === "login.microsoftonline.com" ? withAuthorityHost(url, emulator.url) : url;
    cmic = await startCmicStandIn({
      fetch: (input, init) => fetch(viaEmulator(String(input)), init),
      now: () => new Date(Date.now() + cmicClockAheadMs),
    });
    // The CMiC admin's registration, from the handoff values; IP check off (app-only tokens carry no ipaddr).
    const { issuerUrl, applicationId, keysetUri } = outputs.cmicRegistration;
    cmic.register({ applicationId, issuerUrl, keysetUri });
    cmic.setProperties({ ipCheckEnabled: false });
  });
  afterEach(() => cmic.close());

  async function endpointCheck() {
    const report = await runVerification(
      verifyInputFromOutputs(outputs, { authorityHost: fixture().emulator.url, propagationWindowMs: 0, cmicUrl: `${cmic.url}${ENDPOINT}` }),
    );
    return report.checks.find((check) => check.id === "cmic-endpoint");
  }

  test("registered from the handoff values, with the service user created, CMiC accepts the token", async () => {
    cmic.addUser(SERVICE_USER);
    expect(await endpointCheck()).toMatchObject({ ok: true, detail: expect.stringContaining("CMiC accepted the token") });
  }, 60_000);

  const other = version === 2 ? 1 : 2;
  /** Each misconfiguration: what it does to CMiC, the answer verify must read, and the fix it must name. */
  test.each<[string, () => void | Promise<void>, string, string | (() => string)]>([
    [
      "the IP check on (its default): no ipaddr in an app-only token",
      () => cmic.setProperties({ ipCheckEnabled: true }),
      'CMiC answered 401 "Client validation failed (ip check)"',
      "cmic.oauth2.ipcheck.enabled=false",
    ],
    [
      `the registration holds the v${other} issuer for a v${version} token`,
      () => cmic.register({ ...outputs.cmicRegistration, issuerUrl: issuerUrlFor(other, outputs.tenantId), serviceUser: undefined }),
      'CMiC answered "Application is not registered"',
      () => `Issuer URL = ${outputs.issuerUrl} and`,
    ],
    [
      "a wrong application id",
      () => {
        cmic.unregister(outputs.cmicRegistration.applicationId);
        cmic.register({ ...outputs.cmicRegistration, applicationId: crypto.randomUUID(), serviceUser: undefined });
      },
      'CMiC answered "Application is not registered"',
      "Application ID",
    ],
    [
      "an unreachable keyset URI",
      () => cmic.register({ ...outputs.cmicRegistration, keysetUri: "https://127.0.0.1:9/keys", serviceUser: undefined }),
      'CMiC answered "Failed to load JSON web key set"',
      "Keyset ID",
    ],
    [
      "the service user deleted in CMiC (or never created)",
      () => cmic.removeUser(SERVICE_USER),
      'CMiC answered 401 "User not found"',
      `cmicuser = "${SERVICE_USER}"`,
    ],
    [
      "cmic.oauth2.user.claim.name set to another claim than the stack's",
      () => cmic.setProperties({ userClaimName: "cmic_user" }),
      'CMiC answered 401 "Missing required claim"',
      'cmic.oauth2.user.claim.name is "cmicuser"',
    ],
    [
      "the CMiC server's clock two hours fast",
      () => {
        cmicClockAheadMs = 2 * 60 * 60 * 1000;
      },
      'CMiC answered 401 "Token expired"',
      "clock",
    ],
    [
      // Last: it changes the app for good. An app-specific signing key (Entra's other way to allow
      // mapped claims) signs the tokens; only `<keys>?appid=<client id>` publishes it.
      "an app-specific signing key on the service principal, with the tenant's Keyset ID registered",
      async () => {
        await fixture()
          .graph.api(`/servicePrincipals/${outputs.servicePrincipalObjectId}/addTokenSigningCertificate`)
          .post({ displayName: "CN=cmic-app-key" });
      },
      'CMiC answered 401 "Unable to validate signature"',
      () => `?appid=${outputs.clientId}`,
    ],
  ])(
    "%s: verify reads CMiC's answer and names the field",
    async (_case, misconfigure, detail, fix) => {
      cmic.addUser(SERVICE_USER);
      await misconfigure();
      const check = await endpointCheck();
      expect(check?.ok).toBe(false);
      expect(check?.detail).toContain(detail);
      expect(check?.fix).toContain(typeof fix === "function" ? fix() : fix);
    },
    60_000,
  );
});
