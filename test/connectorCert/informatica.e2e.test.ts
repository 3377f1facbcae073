/**
 * Informatica CAI with a certificate, end to end: `npm run connector-cert` makes the key pair and
 * keystore, its public certificate goes into the stack (credential certificate, connectorProfile
 * informatica-cai), the sandbox deploys it through the real program, the post-deploy check signs
 * in with the key-and-cert PEM, the local CMiC accepts the token, and the handoff sheet gives
 * the connector admin the fingerprint connector-cert printed, in Informatica's colon form.
 */
import fs from "node:fs";
import { randomUUID } from "node:crypto";
import { renderHandoffSheet } from "../../scripts/handoff/sheet";
import { runSandbox } from "../../scripts/sandbox/runSandbox";
import { useEmulatorFixture } from "../support/emulatorFixture";
import { loadIndex } from "../support/world";
import { generate } from "./runConnectorCert";

// One emulator for the file; each run adds its own tenant.
const fixture = useEmulatorFixture({ propagationDelayMs: 200 });

test.each([2, 1] as const)(
  "v%i: a connector-cert keystore's certificate deployed for Informatica CAI signs in, CMiC accepts, the sheet names its fingerprint",
  async (version) => {
    const keystore = await generate(`cai-v${version}`, ["--pem-with-key", "--json"]);
    const printed = JSON.parse(keystore.stdout) as { thumbprint: string; sha1Fingerprint: string };
    const result = await runSandbox({
      stack: "cai",
      config: {
        "azuread:tenantId": randomUUID(),
        "cmic-entra-oauth:deployment": "enterprise",
        "cmic-entra-oauth:serviceUser": "INFA_SVC",
        "cmic-entra-oauth:credential": "certificate",
        "cmic-entra-oauth:certificate": keystore.cerPem,
        "cmic-entra-oauth:postDeployCertificateFile": keystore.file(".key-and-cert.pem"),
        "cmic-entra-oauth:connectorProfile": "informatica-cai",
        "cmic-entra-oauth:accessTokenVersion": String(version),
      },
      propagationDelayMs: 200,
      propagationWindowMs: 4_000,
      loadProgram: loadIndex,
      emulator: fixture().emulator,
      log: () => undefined,
    });
    if (!result.ok) throw result.error;
    // The post-deploy check signed its assertion with the generated key (certificate sign-in).
    expect(result.report?.token?.claims).toMatchObject(version === 2 ? { azpacr: "2" } : { appidacr: "2" });
    expect(result.cmic.ok).toBe(true);

    const sheet = renderHandoffSheet(result.outputs, { stack: "cai", reveal: false, generatedAt: new Date() });
    // Entra's thumbprint of the deployed certificate is the one connector-cert printed.
    expect(result.outputs.certificateThumbprint).toBe(printed.thumbprint);
    expect(sheet).toContain(`| SHA1_Fingerprint | \`${printed.sha1Fingerprint}\` |`);
    expect(sheet).toContain(`| Resource | \`${result.outputs.identifierUri}\` |`);
    expect(sheet).toContain("**GetAccessTokenUsingCertificate**; leave Client_Secret blank");
    // The sheet holds no secret of the keystore: neither its password nor its key.
    expect(sheet).not.toContain(keystore.password ?? "<no password>");
    expect(sheet).not.toContain("PRIVATE KEY");
    expect(fs.existsSync(keystore.file(".p12"))).toBe(true);
  },
  90_000,
);
