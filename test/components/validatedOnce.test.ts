/**
 * Settings are validated once per run, with one clock: the component takes settings the settings
 * module validated as they are, and validates everything else itself (it never trusts its input).
 */
import { generateTestCertificate } from "../support/certificates";
import { RecordingMocks } from "../support/recordingMocks";
import { runProgram } from "../../scripts/sandbox/runProgram";
import { CmicEntraIntegration, type CmicEntraIntegrationArgs } from "../../components/cmicEntraIntegration";
import { SettingsError, validateIntegrationSettings, type IntegrationSettings, type ValidatedSettings } from "../../components/settings";

const TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const CERTIFICATE_TYPE = "azuread:index/applicationCertificate:ApplicationCertificate";

async function deployComponent(args: CmicEntraIntegrationArgs): Promise<RecordingMocks> {
  const mocks = new RecordingMocks({ tenantId: TENANT, initialDomain: "contoso.onmicrosoft.com", now: new Date() });
  await runProgram({
    stack: "acme-prod",
    config: {},
    mocks,
    loadProgram: () => ({ clientId: new CmicEntraIntegration("cmic", args).clientId }),
  });
  return mocks;
}

describe("the component's settings", () => {
  // Valid at the clock the run validated with, expired by the wall clock: only a second
  // validation with a second clock could tell, so the outcome shows how often it validates.
  const certificate = generateTestCertificate({
    commonName: "connector",
    notBefore: new Date("2020-01-01T00:00:00Z"),
    notAfter: new Date("2021-01-01T00:00:00Z"),
  });
  const typed: IntegrationSettings = {
    deployment: "enterprise",
    serviceUser: "SVC",
    tenantId: TENANT,
    credential: "certificate",
    certificate: certificate.certPem,
    postDeployCheck: false,
  };

  it("takes validated settings as they are: validated once, with the run's one clock", async () => {
    const settings = validateIntegrationSettings(typed, { stack: "acme-prod", now: new Date("2020-06-01T00:00:00Z") });
    const mocks = await deployComponent(settings);
    expect(mocks.byType(CERTIFICATE_TYPE)).toHaveLength(1);
  });

  it("validates typed settings itself, before any resource is declared", async () => {
    const mocks = new RecordingMocks({ tenantId: TENANT, initialDomain: "contoso.onmicrosoft.com", now: new Date() });
    const run = runProgram({
      stack: "acme-prod",
      config: {},
      mocks,
      loadProgram: () => ({ id: new CmicEntraIntegration("cmic", typed).clientId }),
    });
    await expect(run).rejects.toThrow("cmic-entra-oauth:certificate expired on 2021-01-01T00:00:00.000Z");
    expect(mocks.resources).toHaveLength(0);
  });

  it("validates an object cast to ValidatedSettings that the settings module never made", async () => {
    const lookAlike = { deployment: "enterprise", serviceUser: "A|B", tenantId: TENANT } as unknown as ValidatedSettings;
    await expect(deployComponent(lookAlike)).rejects.toThrow(SettingsError);
    await expect(deployComponent(lookAlike)).rejects.toThrow("cmic-entra-oauth:serviceUser contains '|'");
  });
});
