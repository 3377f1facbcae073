/**
 * Graph's credential sign-in report (`GET /beta/reports/appCredentialSignInActivities`,
 * emulator/graph/reports.ts) through the real Graph client: which credential was used last, as the
 * token endpoint records it (emulator/oidc/signIns.ts); the licence and permission it needs.
 */
import { startEmulator, type Emulator } from "../../emulator";
import { DEPLOYER_GRAPH_ROLES } from "../../emulator/store";
import { createApplicationWithServicePrincipal, signInAsDeployer, useEmulatorFixture } from "../support/emulatorFixture";
import { tokenWithSecret } from "./helpers";

let worldNow = Date.parse("2027-03-01T08:00:00Z");
const fixture = useEmulatorFixture({ clock: () => worldNow, tenant: { premiumLicense: true } });
const REPORT = "/reports/appCredentialSignInActivities";

interface ActivityEntry {
  keyId: string;
  appId: string;
  keyType: string;
  resourceId: string | null;
  expirationDateTime: string;
  signInActivity: { lastSignInDateTime: string | null; lastSuccessfulSignInDateTime: string | null };
}

/** The report for one app, read by a freshly signed-in deployer (the clock moves between reads). */
async function report(appId: string): Promise<Map<string, ActivityEntry>> {
  const { graph } = signInAsDeployer(fixture().emulator.url, fixture().tenant);
  const body = (await graph.api(`${REPORT}?$filter=appId eq '${appId}'`).version("beta").get()) as { value: ActivityEntry[] };
  return new Map(body.value.map((entry) => [entry.keyId, entry]));
}

async function appWithSecrets(name: string, count: number): Promise<{ appId: string; secrets: { keyId: string; text: string }[] }> {
  const { graph } = signInAsDeployer(fixture().emulator.url, fixture().tenant);
  const app = await createApplicationWithServicePrincipal(graph, { displayName: name });
  const secrets = [];
  for (let i = 0; i < count; i += 1) {
    const added = (await graph.api(`/applications/${app.id}/addPassword`).post({ passwordCredential: { displayName: `s${i}` } })) as {
      keyId: string;
      secretText: string;
    };
    secrets.push({ keyId: added.keyId, text: added.secretText });
  }
  return { appId: app.appId, secrets };
}

describe("the credential sign-in report", () => {
  it("lists the credential a connector used, when it last tried and last succeeded; an unused one is absent, a wrong secret is nobody's", async () => {
    const { appId, secrets } = await appWithSecrets("report-used", 2);
    const [used, unused] = secrets;
    await tokenWithSecret(fixture(), appId, used.text, `${appId}/.default`);
    await expect(tokenWithSecret(fixture(), appId, "not-a-secret-of-this-app", `${appId}/.default`)).rejects.toThrow(/7000215/);
    const first = await report(appId);
    expect([...first.keys()]).toEqual([used.keyId]);
    const entry = first.get(used.keyId);
    expect(entry).toMatchObject({ appId, keyType: "clientSecret", resourceId: appId });
    expect(entry?.signInActivity).toEqual(
      expect.objectContaining({ lastSignInDateTime: "2027-03-01T08:00:00Z", lastSuccessfulSignInDateTime: "2027-03-01T08:00:00Z" }),
    );
    expect(first.has(unused.keyId)).toBe(false);

    // A day later the connector asks for a scope that does not exist: an attempt, not a success.
    worldNow += 86_400_000;
    await expect(tokenWithSecret(fixture(), appId, used.text, "api://no-such-resource/.default")).rejects.toThrow(/500011/);
    expect((await report(appId)).get(used.keyId)?.signInActivity).toEqual(
      expect.objectContaining({ lastSignInDateTime: "2027-03-02T08:00:00Z", lastSuccessfulSignInDateTime: "2027-03-01T08:00:00Z" }),
    );
  });

  it("counts an expired secret's use as a failed attempt", async () => {
    const { graph } = signInAsDeployer(fixture().emulator.url, fixture().tenant);
    const app = await createApplicationWithServicePrincipal(graph, { displayName: "report-expired" });
    const endDateTime = new Date(worldNow + 3_600_000).toISOString();
    const added = (await graph
      .api(`/applications/${app.id}/addPassword`)
      .post({ passwordCredential: { displayName: "short", endDateTime } })) as { keyId: string; secretText: string };
    worldNow += 2 * 3_600_000;
    await expect(tokenWithSecret(fixture(), app.appId, added.secretText, `${app.appId}/.default`)).rejects.toThrow(/7000222/);
    const activity = (await report(app.appId)).get(added.keyId)?.signInActivity;
    expect(activity?.lastSignInDateTime).toBe(new Date(worldNow).toISOString().replace(/\.\d{3}Z$/, "Z"));
    expect(activity?.lastSuccessfulSignInDateTime).toBeNull();
  });

  it("is refused to a tenant without Entra ID P1/P2, and to a token without AuditLog.Read.All or Directory.Read.All", async () => {
    const { emulator, tenant } = fixture();
    emulator.setPremiumLicense(tenant.tenantId, false);
    try {
      await expect(signInAsDeployer(emulator.url, tenant).graph.api(REPORT).version("beta").get()).rejects.toMatchObject({
        statusCode: 403,
        code: "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
      });
    } finally {
      emulator.setPremiumLicense(tenant.tenantId, true);
    }
    const roles = ["Application.ReadWrite.All", "Policy.Read.All"];
    emulator.setGraphRoles(tenant.tenantId, tenant.deployer.clientId, roles);
    try {
      await expect(signInAsDeployer(emulator.url, tenant).graph.api(REPORT).version("beta").get()).rejects.toMatchObject({
        statusCode: 403,
        code: "Authorization_RequestDenied",
      });
      emulator.setGraphRoles(tenant.tenantId, tenant.deployer.clientId, [...roles, "Directory.Read.All"]);
      const body = (await signInAsDeployer(emulator.url, tenant).graph.api(REPORT).version("beta").get()) as { value: unknown[] };
      expect(Array.isArray(body.value)).toBe(true);
    } finally {
      emulator.setGraphRoles(tenant.tenantId, tenant.deployer.clientId, DEPLOYER_GRAPH_ROLES);
    }
  });

  it("survives a snapshot (sign-ins and the licence), and a snapshot of the format before reads as no licence and no sign-in", async () => {
    const { appId, secrets } = await appWithSecrets("report-snapshot", 1);
    await tokenWithSecret(fixture(), appId, secrets[0].text, `${appId}/.default`);
    const snapshot = fixture().emulator.snapshot();
    let restored: Emulator | undefined;
    let older: Emulator | undefined;
    try {
      restored = await startEmulator({ snapshot, clock: () => worldNow });
      const again = (await signInAsDeployer(restored.url, fixture().tenant)
        .graph.api(`${REPORT}?$filter=appId eq '${appId}'`)
        .version("beta")
        .get()) as { value: ActivityEntry[] };
      expect(again.value.map((entry) => entry.keyId)).toEqual([secrets[0].keyId]);

      const before = JSON.parse(JSON.stringify(snapshot)) as Record<string, unknown> & {
        tenants: Record<string, unknown>[];
        applications: { passwordCredentials: Record<string, unknown>[] }[];
      };
      before.format = "cmic-entra-oauth/emulator-snapshot@2";
      for (const tenant of before.tenants) delete tenant.premiumLicense;
      for (const app of before.applications) for (const secret of app.passwordCredentials) delete secret.signIns;
      older = await startEmulator({ snapshot: before, clock: () => worldNow });
      await expect(signInAsDeployer(older.url, fixture().tenant).graph.api(REPORT).version("beta").get()).rejects.toMatchObject({
        statusCode: 403,
        code: "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
      });
    } finally {
      await restored?.close();
      await older?.close();
    }
  });
});
