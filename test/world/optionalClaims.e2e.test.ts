/**
 * `optionalClaims` (CMiC's Entra guide: ipaddr, email, upn) end to end through the real program,
 * the provider model and the emulator: the app asks for them, tokens carry `ipaddr` (the address
 * the token was requested from) and no user claims, the next `pulumi up` changes nothing, a claim
 * removed in the portal is put back, and CMiC's IP check passes from the same address and refuses
 * a call that reaches CMiC from another one (a proxy in between), with the fix named.
 */
import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { startCmicStandIn, type CmicStandIn } from "../../cmic";
import { withAuthorityHost } from "../../contract/entraEndpoints";
import type { StackOutputs } from "../../contract/stackOutputs";
import { auditStack } from "../../scripts/drift/graphAudit";
import { renderHandoffSheet } from "../../scripts/handoff/sheet";
import { deployStack, updateStack } from "../../scripts/sandbox/deployStack";
import { runVerification, verifyInputFromOutputs } from "../../scripts/verify/runner";
import { useEmulatorFixture } from "../support/emulatorFixture";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "contoso-claims.onmicrosoft.com" } });

function settings(version: 1 | 2, claims: string[]): Record<string, string> {
  const { tenant } = fixture();
  return {
    deployment: "enterprise",
    serviceUser: "CMICAPI",
    verifiedDomain: tenant.initialDomain,
    displayName: `CMiC claims v${version} ${crypto.randomUUID().slice(0, 6)}`,
    accessTokenVersion: String(version),
    optionalClaims: JSON.stringify(claims),
  };
}

const verify = (outputs: StackOutputs, cmicUrl?: string) =>
  runVerification(verifyInputFromOutputs(outputs, { authorityHost: fixture().emulator.url, propagationWindowMs: 0, cmicUrl }));

async function appOptionalClaims(outputs: StackOutputs): Promise<string[]> {
  const app = (await fixture().graph.api(`/applications/${outputs.applicationObjectId}`).select("optionalClaims").get()) as {
    optionalClaims: { accessToken?: { name: string }[] } | null;
  };
  return (app.optionalClaims?.accessToken ?? []).map((claim) => claim.name);
}

test.each([2, 1] as const)(
  "v%i: the app asks for ipaddr, email, upn; the token carries ipaddr and no user claim; the next up changes nothing",
  async (version) => {
    const { emulator, tenant } = fixture();
    const wanted = settings(version, ["ipaddr", "email", "upn"]);
    const first = await deployStack({ emulatorUrl: emulator.url, tenant, settings: wanted });
    expect(first.outputs.optionalClaims).toEqual(["ipaddr", "email", "upn"]);
    expect(await appOptionalClaims(first.outputs)).toEqual(["ipaddr", "email", "upn"]);

    const report = await verify(first.outputs);
    expect(report.checks.filter((c) => !c.ok && c.warning !== true)).toEqual([]);
    expect(report.token?.claims.ipaddr).toBe("127.0.0.1");
    expect(report.token?.claims).not.toHaveProperty("email");
    expect(report.token?.claims).not.toHaveProperty("upn");
    expect(report.checks.find((c) => c.id === "ip-check")?.detail).toContain("the token carries ipaddr 127.0.0.1");

    const sheet = renderHandoffSheet(first.outputs, { stack: "acme", reveal: false, generatedAt: new Date() });
    expect(sheet).toContain("The app asks for the `ipaddr` claim, so the check can stay on");

    const second = await updateStack({ emulatorUrl: emulator.url, tenant, settings: wanted, state: first.state });
    expect(second.ok).toBe(true);
    expect(second.steps.filter((step) => step.op !== "same")).toEqual([]);
  },
  120_000,
);

test("a claim removed in the portal is put back by the next up, and named by verify until then", async () => {
  const { emulator, tenant, graph } = fixture();
  const wanted = settings(2, ["ipaddr"]);
  const first = await deployStack({ emulatorUrl: emulator.url, tenant, settings: wanted });
  await graph
    .api(`/applications/${first.outputs.applicationObjectId}`)
    .patch({ optionalClaims: { accessToken: [], idToken: [], saml2Token: [] } });

  const checks = await auditStack("acme", { ...first.outputs, clientSecret: null }, { client: graph, expiryDays: 30 });
  const [finding] = checks.flatMap((c) => c.findings);
  expect(finding).toMatchObject({ property: "optionalClaims.accessToken", expected: "ipaddr", actual: "(none)" });
  expect(finding.message).toContain('"Client validation failed (ip check)"');

  const report = await verify(first.outputs);
  expect(report.token?.claims).not.toHaveProperty("ipaddr");
  expect(report.checks.find((c) => c.id === "ip-check")?.detail).toContain("although the app asks for it (optionalClaims)");

  const next = await updateStack({
    emulatorUrl: emulator.url,
    tenant,
    settings: wanted,
    state: first.state,
  });
  expect(next.steps.filter((step) => step.op !== "same").map((step) => `${step.name} ${step.op}`)).toEqual(["cmic-app update"]);
  expect(await appOptionalClaims(first.outputs)).toEqual(["ipaddr"]);
  const after = await auditStack("acme", { ...first.outputs, clientSecret: null }, { client: graph, expiryDays: 30 });
  expect(after.flatMap((c) => c.findings)).toEqual([]);
  expect(after.find((c) => c.id === "graph.app.optionalClaims")?.name).toBe("graph: access tokens ask for ipaddr");
}, 120_000);

describe("CMiC's IP check on, with ipaddr in the token", () => {
  let outputs: StackOutputs;
  let cmic: CmicStandIn;
  let proxy: http.Server;
  let proxyUrl: string;

  beforeAll(async () => {
    const { emulator, tenant } = fixture();
    ({ outputs } = await deployStack({ emulatorUrl: emulator.url, tenant, settings: settings(2, ["ipaddr"]) }));
    const viaEmulator = (url: string) =>
      new URL(url).hostname === "login.microsoftonline.com" ? withAuthorityHost(url, emulator.url) : url;
    cmic = await startCmicStandIn({ fetch: (input, init) => fetch(viaEmulator(String(input)), init) });
    cmic.addUser("CMICAPI");
    cmic.register({ ...outputs.cmicRegistration, serviceUser: undefined });
    cmic.setProperties({ ipCheckEnabled: true });
    // A reverse proxy in front of CMiC whose calls come from another address (the connector's calls
    // leave through another egress IP than its token requests): CMiC sees X-Forwarded-For.
    proxy = http.createServer((request, response) => {
      const upstream = http.request(
        `${cmic.url}${request.url ?? "/"}`,
        { method: request.method, headers: { ...request.headers, "x-forwarded-for": "203.0.113.7" } },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      request.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => {
    await cmic?.close();
    await new Promise((resolve) => proxy?.close(resolve));
  });

  test("from the address the token was requested from, CMiC accepts it", async () => {
    const report = await verify(outputs, `${cmic.url}/cmictest/rest/v1/companies`);
    expect(report.checks.find((c) => c.id === "cmic-endpoint")).toMatchObject({ ok: true });
  }, 60_000);

  test("through another egress address, CMiC refuses it and verify names the trade-off", async () => {
    const report = await verify(outputs, `${proxyUrl}/cmictest/rest/v1/companies`);
    const check = report.checks.find((c) => c.id === "cmic-endpoint");
    expect(check?.ok).toBe(false);
    expect(check?.detail).toContain('CMiC answered 401 "Client validation failed (ip check)"');
    expect(check?.fix).toContain("same egress IP");
  }, 60_000);
});
