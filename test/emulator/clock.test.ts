/**
 * The emulator's clock: every time it stamps or checks comes from `clock` / `setClock` (tokens,
 * credential validity, creation dates, replication, error time stamps, the request log), while TLS
 * keeps the host's. Tests move a frozen clock instead of waiting.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { jwtVerify, createRemoteJWKSet } from "jose";
import { startEmulator } from "../../emulator";
import { generateTestCertificate } from "../support/certificates";
import {
  addSecret,
  createApplicationWithServicePrincipal,
  signInAsDeployer,
  useEmulatorFixture,
  type EmulatorFixture,
} from "../support/emulatorFixture";
import { decodePayload, expectAadsts, postToken, rawRequest, tokenWithCertificate, tokenWithSecret, uploadCertificate } from "./helpers";

const DAY_MS = 86_400_000;
const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
/** A world two years ahead of the host, at a whole second so time stamps compare exactly. */
const START = Math.floor((Date.now() + 2 * 365 * DAY_MS) / 1000) * 1000;
let worldNow = START;

const fixture = useEmulatorFixture({ clock: () => worldNow });

/** Move the world's clock; the deployer signs in again (its cached Graph token is judged on the host's clock). */
function travelTo(instant: number): EmulatorFixture {
  worldNow = instant;
  const f = fixture();
  return { ...f, ...signInAsDeployer(f.emulator.url, f.tenant) };
}

beforeEach(() => {
  worldNow = START;
});

describe("the emulator's clock", () => {
  it("stamps tokens (iat, nbf, exp), verifiable with the published keys at the world's time", async () => {
    const f = travelTo(START);
    const token = await tokenWithSecret(f, f.tenant.deployer.clientId, f.tenant.deployer.clientSecret, GRAPH_SCOPE);
    const payload = decodePayload(token);
    expect(payload).toMatchObject({ iat: START / 1000, nbf: START / 1000, exp: START / 1000 + 3600 });
    const jwks = createRemoteJWKSet(new URL(`${f.emulator.url}/common/discovery/keys`));
    await expect(jwtVerify(token, jwks, { currentDate: new Date(START) })).resolves.toBeDefined();
  });

  it("publishes a signing key whose certificate is valid from the day before its clock's start for ten years", async () => {
    const f = fixture();
    const { body } = await rawRequest(`${f.emulator.url}/common/discovery/keys`);
    const [key] = body.keys as Array<{ x5c: string[] }>;
    const certificate = new crypto.X509Certificate(Buffer.from(key.x5c[0], "base64"));
    expect(Date.parse(certificate.validFrom)).toBe(START - DAY_MS);
    expect(Date.parse(certificate.validTo)).toBe(START + 10 * 365 * DAY_MS);
  });

  it("dates new objects and secrets on its clock (createdDateTime, default secret window)", async () => {
    const f = travelTo(START);
    const app = (await f.graph.api("/applications").post({ displayName: "dated" })) as { id: string; createdDateTime: string };
    expect(app.createdDateTime).toBe(new Date(START).toISOString().replace(".000Z", "Z"));
    const secret = (await f.graph.api(`/applications/${app.id}/addPassword`).post({ passwordCredential: {} })) as {
      startDateTime: string;
      endDateTime: string;
    };
    expect(Date.parse(secret.startDateTime)).toBe(START);
    expect(Date.parse(secret.endDateTime)).toBeGreaterThan(START + 700 * DAY_MS);
  });

  it("refuses a secret past its end date with AADSTS7000222 once the clock has moved past it", async () => {
    const f = travelTo(START);
    const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "short-lived" });
    const { secretText } = (await f.graph.api(`/applications/${client.id}/addPassword`).post({
      passwordCredential: { displayName: "180 days", endDateTime: new Date(START + 180 * DAY_MS).toISOString() },
    })) as { secretText: string };
    await tokenWithSecret(f, client.appId, secretText, GRAPH_SCOPE);

    const later = travelTo(START + 200 * DAY_MS);
    await expectAadsts(tokenWithSecret(later, client.appId, secretText, GRAPH_SCOPE), 7000222);
    // The deployer (ten years) still works at the same time.
    await tokenWithSecret(later, later.tenant.deployer.clientId, later.tenant.deployer.clientSecret, GRAPH_SCOPE);
  });

  it("judges a certificate credential's dates on its clock, and accepts an assertion signed on the host's", async () => {
    const f = travelTo(START);
    const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "certificate-client" });
    // Valid now in the world (two years ahead of the host) for 30 days.
    const certificate = generateTestCertificate({
      commonName: "world",
      notBefore: new Date(START - DAY_MS),
      notAfter: new Date(START + 30 * DAY_MS),
    });
    await uploadCertificate(f.graph, client.id, certificate);
    // ClientCertificateCredential signs its assertion with the host's time, two years behind the world.
    const token = await tokenWithCertificate(f, client.appId, certificate, GRAPH_SCOPE);
    expect(decodePayload(token).iat).toBe(START / 1000);

    const later = travelTo(START + 31 * DAY_MS);
    const message = await expectAadsts(tokenWithCertificate(later, client.appId, certificate, GRAPH_SCOPE), 700027);
    expect(message).toContain("expired or not yet valid");
  });

  it("measures replication on its clock: a new secret works once the clock passes its readyAt", async () => {
    const f = travelTo(START);
    const client = await createApplicationWithServicePrincipal(f.graph, { displayName: "replicating" });
    f.emulator.setPropagationDelay(60_000);
    try {
      const secret = await addSecret(f.graph, client.id);
      const early = travelTo(START + 59_000);
      await expectAadsts(tokenWithSecret(early, client.appId, secret, GRAPH_SCOPE), 7000215);
      const replicated = travelTo(START + 60_000);
      await tokenWithSecret(replicated, client.appId, secret, GRAPH_SCOPE);
    } finally {
      f.emulator.setPropagationDelay(0);
    }
  });

  it("stamps AADSTS errors, Graph errors and the request log with its time", async () => {
    const f = travelTo(START + 1_000);
    f.emulator.clearRequestLog();
    const login = await postToken(f.emulator.url, f.tenant.tenantId, {
      grant_type: "client_credentials",
      client_id: f.tenant.deployer.clientId,
      client_secret: "wrong",
      scope: GRAPH_SCOPE,
    });
    const stamp = new Date(START + 1_000).toISOString().slice(0, 19);
    expect(login.body.timestamp).toBe(`${stamp.replace("T", " ")}Z`);
    expect(String(login.body.error_description)).toContain(`Timestamp: ${stamp.replace("T", " ")}Z`);

    const token = await tokenWithSecret(f, f.tenant.deployer.clientId, f.tenant.deployer.clientSecret, GRAPH_SCOPE);
    const graph = await rawRequest(`${f.emulator.url}/v1.0/applications/00000000-0000-4000-8000-000000000000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(graph.status).toBe(404);
    expect((graph.body.error as { innerError: { date: string } }).innerError.date).toBe(stamp);
    expect(f.emulator.requests[0]).toMatchObject({ method: "POST", status: 401, at: START + 1_000 });
  });

  it("refuses a Graph token issued before the clock passed its exp", async () => {
    const f = travelTo(START);
    const token = await tokenWithSecret(f, f.tenant.deployer.clientId, f.tenant.deployer.clientSecret, GRAPH_SCOPE);
    travelTo(START + 3_601_000);
    const answer = await rawRequest(`${f.emulator.url}/v1.0/organization`, { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: { code: "InvalidAuthenticationToken" } });
  });

  it("follows setClock, and rejects a clock that does not answer epoch milliseconds", async () => {
    const f = fixture();
    const later = START + 10 * DAY_MS;
    f.emulator.setClock(() => later);
    try {
      const token = await tokenWithSecret(f, f.tenant.deployer.clientId, f.tenant.deployer.clientSecret, GRAPH_SCOPE);
      expect(decodePayload(token).iat).toBe(later / 1000);
      expect(() => f.emulator.setClock(() => Number.NaN)).toThrow(/setClock: clock must be a function returning epoch milliseconds/);
    } finally {
      f.emulator.setClock(() => worldNow);
    }
    await expect(startEmulator({ clock: (() => "soon") as unknown as () => number })).rejects.toThrow(/clock must be a function/);
  });
});

describe("TLS keeps the host's clock", () => {
  it("serves the same CA and a certificate the host accepts, whatever the world's time", async () => {
    const caBefore = fs.readFileSync(fixture().emulator.caCertFile, "utf8");
    const farFuture = await startEmulator({ clock: () => Date.now() + 20 * 365 * DAY_MS });
    try {
      expect(fs.readFileSync(farFuture.caCertFile, "utf8")).toBe(caBefore);
      const tenant = farFuture.addTenant({ initialDomain: "future.onmicrosoft.com" });
      const discovery = await rawRequest(`${farFuture.url}/${tenant.tenantId}/v2.0/.well-known/openid-configuration`);
      expect(discovery.status).toBe(200);
    } finally {
      await farFuture.close();
    }
  });
});
