/**
 * The real program (index.ts) under Pulumi's mocks: for each setting combination, exactly the
 * expected resources with the expected inputs, the expected outputs, and secrets kept secret.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { generateTestCertificate } from "../support/certificates";
import { MOCK_SECRET_VALUE, RecordingMocks, type RecordedResource } from "../support/recordingMocks";
import { plainOutputs, runProgram, type ProgramRun } from "../../scripts/sandbox/runProgram";
import { parseStackOutputs } from "../../contract/stackOutputs";
import type * as pulumi from "@pulumi/pulumi";
import { CmicEntraIntegration } from "../../components/cmicEntraIntegration";
import type { IntegrationSettings } from "../../components/settings";

const TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const OWNER = "9a7b3c1d-2e4f-4a5b-8c6d-7e8f9a0b1c2d";
const NOW = new Date();

const T = {
  app: "azuread:index/application:Application",
  uri: "azuread:index/applicationIdentifierUri:ApplicationIdentifierUri",
  sp: "azuread:index/servicePrincipal:ServicePrincipal",
  rotation: "time:index/rotating:Rotating",
  password: "azuread:index/applicationPassword:ApplicationPassword",
  certificate: "azuread:index/applicationCertificate:ApplicationCertificate",
  policy: "azuread:index/claimsMappingPolicy:ClaimsMappingPolicy",
  assignment: "azuread:index/servicePrincipalClaimsMappingPolicyAssignment:ServicePrincipalClaimsMappingPolicyAssignment",
  check: "command:local:Command",
  component: "cmic-entra-oauth:index:CmicEntraIntegration",
};

function loadIndex(): Record<string, unknown> {
  let program: Record<string, unknown> = {};
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require("../..");
  });
  return program;
}

async function deploy(
  settings: Record<string, string>,
  options: { tenant?: boolean } = {},
): Promise<{ run: ProgramRun; mocks: RecordingMocks }> {
  const mocks = new RecordingMocks({ tenantId: TENANT, initialDomain: "contoso.onmicrosoft.com", now: NOW });
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries(settings)) config[`cmic-entra-oauth:${key}`] = value;
  if (options.tenant !== false) config["azuread:tenantId"] = TENANT;
  const run = await runProgram({ stack: "acme-prod", config, mocks, loadProgram: loadIndex });
  return { run, mocks };
}

const types = (resources: RecordedResource[]) => resources.map((resource) => resource.type).sort();

/** The instant `days` after an RFC 3339 date, written as Graph writes dates (whole seconds). */
function daysAfter(rfc3339: string, days: number): string {
  const [date, time] = new Date(Date.parse(rfc3339) + days * 24 * 3600 * 1000).toISOString().split("T");
  return `${date}T${time.slice(0, 8)}Z`;
}

describe("an enterprise stack with a client secret (the default shape)", () => {
  let run: ProgramRun;
  let mocks: RecordingMocks;
  beforeAll(async () => {
    ({ run, mocks } = await deploy({
      deployment: "enterprise",
      serviceUser: "ARCORO_SVC",
      verifiedDomain: "contoso.com",
      owners: JSON.stringify([OWNER]),
    }));
  });

  it("declares exactly the component and its eight children", () => {
    expect(types(mocks.resources)).toEqual(
      [T.component, T.app, T.uri, T.sp, T.rotation, T.password, T.policy, T.assignment, T.check].sort(),
    );
    expect(mocks.resources.map((r) => r.name).sort()).toEqual(
      [
        "cmic",
        "cmic-app",
        "cmic-identifier-uri",
        "cmic-sp",
        "cmic-secret-rotation",
        "cmic-secret",
        "cmic-claims-policy",
        "cmic-claims-policy-assignment",
        "cmic-token-check",
      ].sort(),
    );
  });

  it("registers a single-tenant app that asks for v2 tokens and accepts mapped claims", () => {
    const app = mocks.only(T.app);
    expect(app.inputs).toMatchObject({
      displayName: "CMiC integration (acme-prod)",
      signInAudience: "AzureADMyOrg",
      preventDuplicateNames: true,
      owners: [OWNER],
      api: { requestedAccessTokenVersion: 2, mappedClaimsEnabled: true },
    });
    expect(app.inputs.identifierUris).toBeUndefined();
    expect(app.inputs.web).toBeUndefined();
  });

  it("puts the Application ID URI on the verified domain through its own resource", () => {
    const app = mocks.only(T.app);
    const uri = mocks.only(T.uri);
    expect(uri.inputs).toEqual({ applicationId: app.id, identifierUri: `api://${String(app.state.clientId)}.contoso.com` });
  });

  it("creates the service principal for the app's client id", () => {
    expect(mocks.only(T.sp).inputs).toMatchObject({ clientId: mocks.only(T.app).state.clientId, owners: [OWNER] });
  });

  it("anchors the secret's end date on a rotation resource, handover + 30 days past the rotation date, not on the clock", () => {
    const rotation = mocks.only(T.rotation);
    // The anchor carries the settings it was created with: they take effect at the next rotation.
    expect(rotation.inputs).toEqual({ rotationDays: 180, triggers: { lifetimeDays: "180", handoverDays: "30" } });
    const password = mocks.only(T.password);
    // Still valid through the handover window after the first scheduled run past the rotation
    // date (at most 30 days late) issues the next secret.
    expect(password.inputs).toMatchObject({
      applicationId: mocks.only(T.app).id,
      endDate: daysAfter(String(rotation.state.rotationRfc3339), 30 + 30),
      rotateWhenChanged: { rotation: rotation.id },
    });
    expect(String(password.inputs.endDate)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("assigns a claims-mapping policy emitting cmicuser = the plain username", () => {
    const policy = mocks.only(T.policy);
    const definitions = policy.inputs.definitions as string[];
    expect(definitions).toHaveLength(1);
    expect(JSON.parse(definitions[0])).toEqual({
      ClaimsMappingPolicy: { Version: 1, IncludeBasicClaimSet: "true", ClaimsSchema: [{ Value: "ARCORO_SVC", JwtClaimType: "cmicuser" }] },
    });
    expect(mocks.only(T.assignment).inputs).toEqual({ servicePrincipalId: mocks.only(T.sp).id, claimsMappingPolicyId: policy.id });
  });

  it("exports every handoff value", () => {
    const outputs = plainOutputs(run);
    const clientId = String(mocks.only(T.app).state.clientId);
    const identifierUri = `api://${clientId}.contoso.com`;
    expect(outputs).toMatchObject({
      tenantId: TENANT,
      clientId,
      applicationObjectId: mocks.only(T.app).state.objectId,
      servicePrincipalObjectId: mocks.only(T.sp).state.objectId,
      identifierUri,
      issuerUrl: `https://login.microsoftonline.com/${TENANT}/v2.0`,
      jwksUri: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
      tokenUrl: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
      scope: `${identifierUri}/.default`,
      cmicUserClaim: "ARCORO_SVC",
      clientSecret: MOCK_SECRET_VALUE,
      certificateThumbprint: null,
      cmicRegistration: {
        description: "CMiC integration (acme-prod)",
        issuerUrl: `https://login.microsoftonline.com/${TENANT}/v2.0`,
        applicationId: clientId,
        keysetUri: `https://login.microsoftonline.com/${TENANT}/discovery/v2.0/keys`,
        serviceUser: "ARCORO_SVC",
      },
      connector: {
        tokenUrl: `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`,
        clientId,
        clientSecret: MOCK_SECRET_VALUE,
        scope: `${identifierUri}/.default`,
        certificateThumbprint: null,
      },
      claimsMappingPolicyId: String(mocks.only(T.policy).id).split("/").pop(),
      credentialKeyIds: [mocks.only(T.password).state.keyId],
      secretExpiresAt: daysAfter(String(mocks.only(T.rotation).state.rotationRfc3339), 60),
      secretKeyId: mocks.only(T.password).state.keyId,
      secretRotatesAt: mocks.only(T.rotation).state.rotationRfc3339,
      secretHandoverDays: 30,
      connectorSwitchBy: daysAfter(String(mocks.only(T.rotation).state.rfc3339), 30),
    });
    // The outputs are exactly what verify, handoff and drift read back.
    expect(parseStackOutputs(outputs).scope).toBe(`${identifierUri}/.default`);
  });

  it("keeps the client secret secret, at the top level and inside connector, and nothing else", () => {
    expect(run.outputs.clientSecret.secretPaths).toEqual([""]);
    expect(run.outputs.connector.secretPaths).toEqual(["clientSecret"]);
    const others = Object.entries(run.outputs).filter(([key]) => key !== "clientSecret" && key !== "connector");
    for (const [key, output] of others) expect([key, output.secretPaths]).toEqual([key, []]);
  });

  it("runs the post-deploy check after everything exists, with the secret only in its environment", () => {
    const check = mocks.only(T.check);
    expect(check.inputs.create).toBe("node dist/scripts/verify/cli.js --just-deployed");
    const environment = check.inputs.environment as Record<string, string>;
    expect(environment.CMIC_CLIENT_SECRET).toBe(MOCK_SECRET_VALUE);
    // Pulumi stores the whole environment encrypted, because it holds the secret.
    expect(check.secretInputs).toContain("environment");
    const handedOutputs = parseStackOutputs(JSON.parse(environment.CMIC_STACK_OUTPUTS));
    expect(handedOutputs.clientSecret).toBeNull();
    expect(handedOutputs.connector.clientSecret).toBeNull();
    expect(environment.CMIC_STACK_OUTPUTS).not.toContain(MOCK_SECRET_VALUE);
    expect(handedOutputs.cmicUserClaim).toBe("ARCORO_SVC");
    // Re-run when the app, URI, secret, policy or token version (the issuer CMiC holds) change.
    expect(check.inputs.triggers).toEqual([
      mocks.only(T.app).state.clientId,
      mocks.only(T.uri).id,
      mocks.only(T.password).state.keyId,
      mocks.only(T.policy).id,
      mocks.only(T.assignment).id,
      "accessTokenVersion=2",
    ]);
  });
});

describe("setting combinations", () => {
  it("builds the Cloud claim as tenant||username", async () => {
    const { mocks, run } = await deploy({ deployment: "cloud", serviceUser: "ARCORO_SVC", cmicTenant: "ACME" });
    const definition = JSON.parse((mocks.only(T.policy).inputs.definitions as string[])[0]);
    expect(definition.ClaimsMappingPolicy.ClaimsSchema).toEqual([{ Value: "ACME||ARCORO_SVC", JwtClaimType: "cmicuser" }]);
    expect(plainOutputs(run).cmicUserClaim).toBe("ACME||ARCORO_SVC");
  });

  it("uses an email-format Cloud username alone", async () => {
    const { run } = await deploy({ deployment: "cloud", serviceUser: "svc@acme.example" });
    expect(plainOutputs(run).cmicUserClaim).toBe("svc@acme.example");
  });

  it("falls back to the tenant's initial domain and signed-in tenant when neither is set", async () => {
    const { mocks, run } = await deploy({ deployment: "enterprise", serviceUser: "SVC" }, { tenant: false });
    expect(mocks.calls.map((call) => call.token).sort()).toEqual([
      "azuread:index/getClientConfig:getClientConfig",
      "azuread:index/getDomains:getDomains",
    ]);
    expect(mocks.calls.find((call) => call.token.endsWith("getDomains"))?.inputs).toMatchObject({ onlyInitial: true });
    const clientId = String(mocks.only(T.app).state.clientId);
    expect(plainOutputs(run)).toMatchObject({ tenantId: TENANT, identifierUri: `api://${clientId}.contoso.onmicrosoft.com` });
  });

  it("creates no claims policy with claimSource=registration; mapped claims stay accepted only while the URI is on the verified domain", async () => {
    const { mocks, run } = await deploy({ deployment: "enterprise", serviceUser: "ARCORO_SVC", claimSource: "registration" });
    expect(mocks.byType(T.policy)).toHaveLength(0);
    expect(mocks.byType(T.assignment)).toHaveLength(0);
    // Default form api://{clientId}.{domain}: on the domain, so a switch from token never turns them off mid-update.
    expect(mocks.only(T.app).inputs.api).toMatchObject({ requestedAccessTokenVersion: 2, mappedClaimsEnabled: true });
    const offDomain = await deploy({
      deployment: "enterprise",
      serviceUser: "ARCORO_SVC",
      claimSource: "registration",
      identifierUriFormat: "api://{clientId}",
    });
    expect(offDomain.mocks.only(T.app).inputs.api).toMatchObject({ mappedClaimsEnabled: false });
    expect(plainOutputs(run)).toMatchObject({ cmicUserClaim: null, claimsMappingPolicyId: null, claimSource: "registration" });
    expect((plainOutputs(run).cmicRegistration as { serviceUser: string }).serviceUser).toBe("ARCORO_SVC");
  });

  it("adds a certificate credential with its validity and thumbprint, and no secret", async () => {
    const notBefore = new Date("2026-01-01T00:00:00Z");
    const notAfter = new Date(Date.now() + 400 * 86_400_000);
    notAfter.setUTCMilliseconds(0);
    const certificate = generateTestCertificate({ commonName: "arcoro-connector", notBefore, notAfter });
    const { mocks, run } = await deploy({
      deployment: "enterprise",
      serviceUser: "SVC",
      credential: "certificate",
      certificate: certificate.certPem,
    });
    expect(mocks.byType(T.password)).toHaveLength(0);
    expect(mocks.byType(T.rotation)).toHaveLength(0);
    const credential = mocks.only(T.certificate);
    expect(credential.inputs).toMatchObject({
      applicationId: mocks.only(T.app).id,
      type: "AsymmetricX509Cert",
      encoding: "pem",
      value: certificate.certPem.trim(),
    });
    // Graph's own date format (no fraction): what the provider reads back, so refresh shows no diff.
    const graphFormat = (date: Date) => date.toISOString().replace(/\.000Z$/, "Z");
    expect(credential.inputs).toMatchObject({ startDate: graphFormat(notBefore), endDate: graphFormat(notAfter) });
    expect(String(credential.inputs.startDate)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(String(credential.inputs.endDate)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // The certificate is public, but the SDK stores `value` encrypted anyway.
    expect(credential.secretInputs).toContain("value");
    const outputs = plainOutputs(run);
    expect(outputs).toMatchObject({
      clientSecret: null,
      certificateThumbprint: certificate.thumbprintSha1Hex.toUpperCase(),
      certificateExpiresAt: notAfter.toISOString(),
      credentialKeyIds: [credential.state.keyId],
      connector: expect.objectContaining({ clientSecret: null, certificateThumbprint: certificate.thumbprintSha1Hex.toUpperCase() }),
    });
    // Without the private key the post-deploy check cannot run: it is skipped, not faked.
    expect(mocks.byType(T.check)).toHaveLength(0);
  });

  it("passes the check's certificate file when one is configured for a certificate-only stack", async () => {
    const certificate = generateTestCertificate({ commonName: "arcoro-connector" });
    // The file must exist and hold the certificate and its key (settings reject it otherwise).
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cmic-check-")), "connector.pem");
    fs.writeFileSync(file, certificate.certificateWithKeyPem, { mode: 0o600 });
    const { mocks } = await deploy({
      deployment: "enterprise",
      serviceUser: "SVC",
      credential: "certificate",
      certificate: certificate.certPem,
      postDeployCertificateFile: file,
    });
    expect((mocks.only(T.check).inputs.environment as Record<string, string>).CMIC_CLIENT_CERTIFICATE_FILE).toBe(file);
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  });

  it("creates both credentials with credential=both", async () => {
    const certificate = generateTestCertificate({ commonName: "arcoro-connector" });
    const { mocks, run } = await deploy({
      deployment: "enterprise",
      serviceUser: "SVC",
      credential: "both",
      certificate: certificate.certPem,
    });
    expect(mocks.byType(T.password)).toHaveLength(1);
    expect(mocks.byType(T.certificate)).toHaveLength(1);
    expect(plainOutputs(run).credentialKeyIds).toEqual([mocks.only(T.password).state.keyId, mocks.only(T.certificate).state.keyId]);
  });

  it("honours secretLifetimeDays, displayName, a custom claim name and URI form", async () => {
    const { mocks, run } = await deploy({
      deployment: "enterprise",
      serviceUser: "SVC",
      secretLifetimeDays: "30",
      displayName: "Arcoro - CMiC",
      claimName: "cmic_user",
      identifierUriFormat: "api://cmic-{clientId}.{domain}",
      verifiedDomain: "contoso.com",
    });
    // The default handover window is capped below a shorter lifetime.
    expect(mocks.only(T.rotation).inputs).toEqual({ rotationDays: 30, triggers: { lifetimeDays: "30", handoverDays: "29" } });
    expect(mocks.only(T.app).inputs.displayName).toBe("Arcoro - CMiC");
    expect(JSON.parse((mocks.only(T.policy).inputs.definitions as string[])[0]).ClaimsMappingPolicy.ClaimsSchema[0].JwtClaimType).toBe(
      "cmic_user",
    );
    expect(plainOutputs(run).identifierUri).toBe(`api://cmic-${String(mocks.only(T.app).state.clientId)}.contoso.com`);
  });

  it("drops the post-deploy check when postDeployCheck is false", async () => {
    const { mocks } = await deploy({ deployment: "enterprise", serviceUser: "SVC", postDeployCheck: "false" });
    expect(mocks.byType(T.check)).toHaveLength(0);
  });
});

describe("invalid settings", () => {
  it.each([
    [{ serviceUser: "SVC" }, "cmic-entra-oauth:deployment is required"],
    [{ deployment: "enterprise", serviceUser: "A|B" }, "cmic-entra-oauth:serviceUser contains '|'"],
    [{ deployment: "cloud", serviceUser: "SVC" }, "cmic-entra-oauth:cmicTenant is required on CMiC Cloud"],
    [
      { deployment: "enterprise", serviceUser: "SVC", verifiedDomain: "https://contoso.com" },
      "cmic-entra-oauth:verifiedDomain is 'https://contoso.com'",
    ],
    [{ deployment: "enterprise", serviceUser: "SVC", secretLifetimeDays: "731" }, "whole number of days from 1 to 730"],
    [{ deployment: "enterprise", serviceUser: "SVC", credential: "certificate", certificate: "not a pem" }, "is not a PEM certificate"],
  ])("%j fails before any resource is declared", async (settings, message) => {
    const mocks = new RecordingMocks({ tenantId: TENANT, initialDomain: "contoso.onmicrosoft.com", now: NOW });
    const config = Object.fromEntries(Object.entries(settings).map(([key, value]) => [`cmic-entra-oauth:${key}`, value]));
    await expect(runProgram({ stack: "acme-prod", config, mocks, loadProgram: loadIndex })).rejects.toThrow(message);
    expect(mocks.resources).toHaveLength(0);
  });

  it("rejects an expired certificate", async () => {
    const certificate = generateTestCertificate({
      commonName: "old",
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2021-01-01T00:00:00Z"),
    });
    await expect(
      deploy({ deployment: "enterprise", serviceUser: "SVC", credential: "certificate", certificate: certificate.certPem }),
    ).rejects.toThrow("cmic-entra-oauth:certificate expired on 2021-01-01T00:00:00.000Z");
  });

  it("rejects a PEM that carries the private key", async () => {
    const certificate = generateTestCertificate({ commonName: "leaky" });
    await expect(
      deploy({
        deployment: "enterprise",
        serviceUser: "SVC",
        credential: "certificate",
        certificate: certificate.certPem + certificate.keyPem,
      }),
    ).rejects.toThrow("contains a private key");
  });
});

describe("resource options", () => {
  /** Deploy the component with a transformation that records each child's resource options. */
  async function childOptions(settings: Record<string, unknown>): Promise<Map<string, pulumi.CustomResourceOptions>> {
    const recorded = new Map<string, pulumi.CustomResourceOptions>();
    const mocks = new RecordingMocks({ tenantId: TENANT, initialDomain: "contoso.onmicrosoft.com", now: NOW });
    await runProgram({
      stack: "acme-prod",
      config: {},
      mocks,
      loadProgram: () => {
        const integration = new CmicEntraIntegration("cmic", { tenantId: TENANT, ...settings } as IntegrationSettings, {
          transformations: [
            (args) => {
              recorded.set(args.name, args.opts);
              return undefined;
            },
          ],
        });
        return { clientId: integration.clientId };
      },
    });
    return recorded;
  }

  it("protects the app and service principal, and leaves identifierUris to its own resource", async () => {
    const options = await childOptions({ deployment: "enterprise", serviceUser: "SVC" });
    expect(options.get("cmic-app")).toMatchObject({ protect: true, ignoreChanges: ["identifierUris"] });
    expect(options.get("cmic-sp")).toMatchObject({ protect: true });
    expect(options.get("cmic-secret")?.protect).toBeFalsy();
  });

  it("lets protection be turned off", async () => {
    const options = await childOptions({ deployment: "enterprise", serviceUser: "SVC", protect: false });
    expect(options.get("cmic-app")?.protect).toBe(false);
    expect(options.get("cmic-sp")?.protect).toBe(false);
  });

  it("runs the post-deploy check only after every resource it checks exists", async () => {
    const options = await childOptions({ deployment: "enterprise", serviceUser: "SVC" });
    const dependsOn = (options.get("cmic-token-check")?.dependsOn ?? []) as pulumi.Resource[];
    const names = await Promise.all(
      dependsOn.map((resource) => new Promise<string>((resolve) => resource.urn.apply((urn) => resolve(urn.split("::").pop() ?? "")))),
    );
    expect(names.sort()).toEqual([
      "cmic-app",
      "cmic-claims-policy",
      "cmic-claims-policy-assignment",
      "cmic-identifier-uri",
      "cmic-secret",
      "cmic-sp",
    ]);
  });
});
