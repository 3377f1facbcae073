/**
 * Admin consent in another tenant (emulator/seed.ts grantAdminConsent): a multi-tenant app of one
 * tenant signs in to another once an admin there consented, with the Graph permissions granted
 * there and only those; an unconsented tenant answers AADSTS700016, as Entra does.
 */
import { startEmulator, type Emulator } from "../../emulator";
import { createApplicationWithServicePrincipal, useEmulatorFixture } from "../support/emulatorFixture";
import { decodePayload, expectAadsts, tokenWithSecret } from "./helpers";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "consent-home.onmicrosoft.com" } });

async function multiTenantApp(signInAudience = "AzureADMultipleOrgs"): Promise<{ id: string; appId: string; secret: string }> {
  const { graph } = fixture();
  const app = await createApplicationWithServicePrincipal(graph, { displayName: "operator", signInAudience });
  const { secretText } = (await graph.api(`/applications/${app.id}/addPassword`).post({ passwordCredential: {} })) as {
    secretText: string;
  };
  return { id: app.id, appId: app.appId, secret: secretText };
}

describe("admin consent in another tenant", () => {
  it("gives the app a service principal there whose Graph tokens carry the roles granted there; elsewhere AADSTS700016", async () => {
    const { emulator } = fixture();
    const customer = emulator.addTenant({ initialDomain: "consent-customer.onmicrosoft.com" });
    const other = emulator.addTenant({ initialDomain: "consent-other.onmicrosoft.com" });
    const operator = await multiTenantApp();
    emulator.grantAdminConsent(customer.tenantId, operator.appId, ["Application.Read.All"]);
    const token = await tokenWithSecret(
      fixture(),
      operator.appId,
      operator.secret,
      "https://graph.microsoft.com/.default",
      customer.tenantId,
    );
    expect(decodePayload(token)).toMatchObject({ tid: customer.tenantId, roles: ["Application.Read.All"] });
    await expectAadsts(
      tokenWithSecret(fixture(), operator.appId, operator.secret, "https://graph.microsoft.com/.default", other.tenantId),
      700016,
    );
    // A second consent replaces the grant, and a restored snapshot keeps it.
    emulator.grantAdminConsent(customer.tenantId, operator.appId, ["Application.Read.All", "Policy.Read.All"]);
    let restored: Emulator | undefined;
    try {
      restored = await startEmulator({ snapshot: emulator.snapshot() });
      const again = await tokenWithSecret(
        { ...fixture(), authorityHost: restored.url },
        operator.appId,
        operator.secret,
        "https://graph.microsoft.com/.default",
        customer.tenantId,
      );
      expect(decodePayload(again).roles).toEqual(["Application.Read.All", "Policy.Read.All"]);
    } finally {
      await restored?.close();
    }
  });

  it("refuses a single-tenant app, and the app's own tenant (whose roles setGraphRoles sets)", async () => {
    const { emulator, tenant } = fixture();
    const customer = emulator.addTenant({ initialDomain: "consent-single.onmicrosoft.com" });
    const single = await multiTenantApp("AzureADMyOrg");
    expect(() => emulator.grantAdminConsent(customer.tenantId, single.appId, [])).toThrow(/single-tenant/);
    expect(() => emulator.grantAdminConsent(tenant.tenantId, single.appId, [])).toThrow(/use setGraphRoles/);
  });
});
