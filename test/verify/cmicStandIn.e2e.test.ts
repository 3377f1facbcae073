/**
 * `verify --cmic-url` against the CMiC stand-in (cmic/), registered from the stack's handoff values,
 * with real tokens from the emulator: the whole chain connector → Entra → CMiC is green, and each
 * CMiC answer a misconfiguration causes is read back as the `cmic-endpoint` check naming the field.
 */
import crypto from "node:crypto";
import { startCmicStandIn, type CmicStandIn } from "../../cmic";
import { issuerUrlV1, withAuthorityHost } from "../../contract/entraEndpoints";
import type { StackOutputs } from "../../contract/stackOutputs";
import { deployStack } from "../../scripts/sandbox/deployStack";
import { runVerification, verifyInputFromOutputs } from "../../scripts/verify/runner";
import { useEmulatorFixture } from "../support/emulatorFixture";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "contoso-cmic.onmicrosoft.com" } });

let outputs: StackOutputs;
let cmic: CmicStandIn;
const ENDPOINT = "/cmictest/rest/system-data/v1/companies";

beforeAll(async () => {
  const { emulator, tenant } = fixture();
  ({ outputs } = await deployStack({
    emulatorUrl: emulator.url,
    tenant,
    settings: {
      deployment: "enterprise",
      serviceUser: "CMICAPI",
      verifiedDomain: tenant.initialDomain,
      displayName: `CMiC chain ${crypto.randomUUID().slice(0, 6)}`,
    },
  }));
  // CMiC fetches the registered (public) Keyset URI; here Entra's host is the emulator. Other hosts stay as registered.
  const viaEmulator = (url: string) => (new URL(url).hostname === "login.microsoftonline.com" ? withAuthorityHost(url, emulator.url) : url);
  cmic = await startCmicStandIn({ fetch: (input, init) => fetch(viaEmulator(String(input)), init) });
  cmic.addUser("CMICAPI");
}, 120_000);
afterAll(() => cmic?.close());

beforeEach(() => {
  // The CMiC admin's registration, from the handoff values; IP check off (app-only tokens carry no ipaddr).
  const { issuerUrl, applicationId, keysetUri } = outputs.cmicRegistration;
  cmic.register({ applicationId, issuerUrl, keysetUri });
  cmic.setProperties({ ipCheckEnabled: false });
});

async function endpointCheck() {
  const report = await runVerification(
    verifyInputFromOutputs(outputs, { authorityHost: fixture().emulator.url, propagationWindowMs: 0, cmicUrl: `${cmic.url}${ENDPOINT}` }),
  );
  return report.checks.find((check) => check.id === "cmic-endpoint");
}

test("registered from the handoff values, CMiC accepts the token", async () => {
  expect(await endpointCheck()).toMatchObject({ ok: true, detail: expect.stringContaining("CMiC accepted the token") });
}, 60_000);

test.each([
  [
    "the IP check on (its default): no ipaddr in an app-only token",
    () => cmic.setProperties({ ipCheckEnabled: true }),
    'CMiC answered 401 "Client validation failed (ip check)"',
    "cmic.oauth2.ipcheck.enabled=false",
  ],
  [
    "the registration holds the v1 issuer for a v2 token",
    () => cmic.register({ ...outputs.cmicRegistration, issuerUrl: issuerUrlV1(outputs.tenantId), serviceUser: undefined }),
    'CMiC answered "Application is not registered"',
    "Issuer URL = https://login.microsoftonline.com/",
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
])(
  "%s: verify reads CMiC's answer and names the field",
  async (_case, misconfigure, detail, fix) => {
    misconfigure();
    const check = await endpointCheck();
    expect(check?.ok).toBe(false);
    expect(check?.detail).toContain(detail);
    expect(check?.fix).toContain(fix);
  },
  60_000,
);
