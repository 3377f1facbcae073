/**
 * End to end with the project's Entra emulator (its independent judge): NAME.cer.pem registered
 * on an app the way the stack registers `certificate`, NAME.key-and-cert.pem signs the client
 * assertion through @azure/identity (what postDeployCertificateFile and `verify --certificate`
 * use), and the emulator issues a certificate-authenticated token. A keystore from another run,
 * not registered, is refused: the emulator does check the key.
 */
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import { createClientCredential } from "../../scripts/shared/credentials";
import { createApplicationWithServicePrincipal, useEmulatorFixture } from "../support/emulatorFixture";
import { generate } from "./runConnectorCert";

const fixture = useEmulatorFixture();

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;
}

async function tokenWith(certificatePem: string, clientId: string, scope: string): Promise<string> {
  const f = fixture();
  const credential = createClientCredential({
    tenantId: f.tenant.tenantId,
    clientId,
    credential: { kind: "certificate", certificatePem },
    authorityHost: f.authorityHost,
  });
  const token = await credential.getToken(scope);
  if (!token) throw new Error("getToken returned null");
  return token.token;
}

it("the emulator accepts an assertion signed with NAME.key-and-cert.pem for the registered NAME.cer.pem, and refuses another key", async () => {
  const f = fixture();
  const run = await generate("e2e-connector", ["--pem-with-key"]);
  const other = await generate("e2e-stranger", ["--pem-with-key"]);

  const resource = await createApplicationWithServicePrincipal(f.graph, {
    displayName: "cmic-resource",
    api: { requestedAccessTokenVersion: 2 },
  });
  const identifierUri = `api://${resource.appId}`;
  await f.graph.api(`/applications/${resource.id}`).patch({ identifierUris: [identifierUri] });
  const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "connector" });
  // As the stack's certificate credential: the public certificate's DER, nothing else.
  await f.graph.api(`/applications/${client.id}`).patch({
    keyCredentials: [
      {
        type: "AsymmetricX509Cert",
        usage: "Verify",
        key: new X509Certificate(run.cerPem).raw.toString("base64"),
        displayName: "CN=e2e-connector",
      },
    ],
  });

  const scope = `${identifierUri}/.default`;
  const token = await tokenWith(fs.readFileSync(run.file(".key-and-cert.pem"), "utf8"), client.appId, scope);
  expect(decodePayload(token)).toMatchObject({ aud: resource.appId, azp: client.appId, azpacr: "2" });

  await expect(tokenWith(fs.readFileSync(other.file(".key-and-cert.pem"), "utf8"), client.appId, scope)).rejects.toThrow(/AADSTS700027/);
});
