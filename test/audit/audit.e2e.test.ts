/**
 * `npm run audit` on hand-made setups (test/support/handMade.ts), through the real CLI, the real
 * Graph client and @azure/identity, against the emulator: each setup gets the findings CMiC's
 * requirements give it, and nothing else.
 */
import { auditCommand } from "../../scripts/audit/cli";
import { runCaptured } from "../../scripts/shared/cli";
import { useEmulatorFixture } from "../support/emulatorFixture";
import { seedHandMade, type HandMadeApp, type HandMadeKind } from "../support/handMade";

const fixture = useEmulatorFixture({ tenant: { verifiedDomains: ["contoso.com"] } });

interface AuditJson {
  ok: boolean;
  exitCode: number;
  clientId: string | null;
  findings: { id: string; severity: string; message: string; fix: string }[];
}

async function audit(args: string[]): Promise<{ code: number; json: AuditJson; stderr: string }> {
  const { emulator, tenant } = fixture();
  const env = {
    ...process.env,
    AZURE_CLIENT_ID: tenant.deployer.clientId,
    AZURE_CLIENT_SECRET: tenant.deployer.clientSecret,
    AZURE_AUTHORITY_HOST: emulator.url,
  };
  const run = await runCaptured(auditCommand, ["--tenant", tenant.tenantId, "--graph-url", emulator.url, "--json", ...args], { env });
  return { code: run.code, json: JSON.parse(run.stdout || "null") as AuditJson, stderr: run.stderr };
}

async function seeded(kind: HandMadeKind): Promise<HandMadeApp> {
  return seedHandMade(fixture().graph, kind, "contoso.com", new Date());
}

const ids = (json: AuditJson) => json.findings.map((f) => `${f.severity} ${f.id}`).sort();

describe("npm run audit on hand-made setups", () => {
  it("the setup guide followed literally: works with v2 tokens, but the URI is off-domain and the claim lives in the portal", async () => {
    const app = await seeded("setup-guide");
    const { code, json } = await audit(["--client-id", app.clientId]);
    expect(ids(json)).toEqual(["info audit.claim.portal", "warning audit.app.identifierUriOffDomain"]);
    expect(json.findings.find((f) => f.id === "audit.app.identifierUriOffDomain")?.message).toContain(
      "fails with AADSTS501461 if they become v1",
    );
    expect(code).toBe(3);
  });

  it("CMiC's guide followed literally: v1 tokens, and the CMiC registration must hold the v1 values", async () => {
    const app = await seeded("cmic-guide");
    const { json } = await audit(["--client-id", app.clientId]);
    expect(ids(json)).toEqual(["warning audit.app.tokenVersion"]);
    const [finding] = json.findings;
    expect(finding.message).toContain(`https://sts.windows.net/${fixture().tenant.tenantId}/`);
    expect(finding.fix).toContain(`https://login.microsoftonline.com/${fixture().tenant.tenantId}/v2.0`);
  });

  it("a broken setup: one pipe, v1 tokens on api://<client id>, mapped claims not accepted", async () => {
    const app = await seeded("broken");
    const { code, json } = await audit(["--app-object-id", app.appObjectId]);
    expect(ids(json)).toEqual([
      "error audit.app.acceptMappedClaims",
      "error audit.app.identifierUriOffDomain",
      "error audit.claim.singlePipe",
      "warning audit.app.tokenVersion",
    ]);
    expect(json.findings.find((f) => f.id === "audit.claim.singlePipe")?.fix).toContain("'ACME||ARCORO_SVC'");
    expect(json.clientId).toBe(app.clientId);
    expect(code).toBe(3);
  });

  it("a right setup whose claim lives in the portal: one note, and exit 0 (nothing fails; adopt brings it under a policy)", async () => {
    const app = await seeded("portal-claim");
    const { code, json } = await audit(["--client-id", app.clientId]);
    expect(ids(json)).toEqual(["info audit.claim.portal"]);
    expect(json.findings[0].message).toContain('"ARCORO_SVC"');
    expect(code).toBe(0);
  });

  it("a setup that is already correct has nothing to report, and exits 0", async () => {
    const app = await seeded("correct");
    const { code, json } = await audit(["--client-id", app.clientId]);
    expect(json.findings).toEqual([]);
    expect(code).toBe(0);
  });

  it("reports an extra secret and one about to expire", async () => {
    const app = await seeded("correct");
    const { graph } = fixture();
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
    await graph
      .api(`/applications/${app.appObjectId}/addPassword`)
      .post({ passwordCredential: { displayName: "test", endDateTime: soon } });
    const { json } = await audit(["--client-id", app.clientId]);
    expect(ids(json)).toEqual(["info audit.credentials.several", "warning audit.credentials.expiring"]);
  });

  it("an app of another tenant (or deleted) is not found, with the fix", async () => {
    const { code, json } = await audit(["--client-id", "0e2d4c6b-8a9f-4e1d-b3c5-a7f9e1d3b5c7"]);
    expect(ids(json)).toEqual(["error audit.app.notFound"]);
    expect(json.findings[0].fix).toContain("Directory (tenant) ID");
    expect(code).toBe(3);
  });

  it("refuses a command line that names no app or two, or a malformed id (exit 2)", async () => {
    const { tenant } = fixture();
    expect((await runCaptured(auditCommand, ["--tenant", tenant.tenantId])).code).toBe(2);
    const both = await runCaptured(auditCommand, [
      "--tenant",
      tenant.tenantId,
      "--client-id",
      tenant.deployer.clientId,
      "--app-object-id",
      tenant.deployer.clientId,
    ]);
    expect(both.code).toBe(2);
    const malformed = await runCaptured(auditCommand, ["--tenant", tenant.tenantId, "--client-id", "not-a-guid"]);
    expect(malformed.stderr).toContain("--client-id must be a GUID");
  });
});
