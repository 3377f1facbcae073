/**
 * The CMiC stand-in (cmic/) judged with REAL tokens from the emulator: every answer is reached by
 * a real registration or misconfiguration, never by a token crafted to fit the code.
 */
import net from "node:net";
import { SignJWT, decodeJwt, decodeProtectedHeader, generateKeyPair } from "jose";
import { startCmicStandIn, TEXTS, type CmicRegistration, type CmicStandIn } from "../../cmic";
import { addSecret, createApplicationWithServicePrincipal, useEmulatorFixture } from "../support/emulatorFixture";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "fabrikam.onmicrosoft.com", verifiedDomains: ["fabrikam.com"] } });

const API_PATH = "/cmictest/rest/system-data/v1/companies";

interface CmicApp {
  appId: string;
  token: string;
  claims: Record<string, unknown>;
}

/**
 * One Entra app as the integration sets it up (000_…, Phase 2): it asks for a token for itself
 * (scope `api://<appId>.fabrikam.com/.default`) and carries the given constant claims through a
 * claims-mapping policy with acceptMappedClaims.
 */
async function cmicApp(options: { version: 1 | 2; claims?: Record<string, string> }): Promise<CmicApp> {
  const { graph, emulator, tenant } = fixture();
  const claims = options.claims ?? {};
  const app = await createApplicationWithServicePrincipal(graph, {
    displayName: "cmic-integration",
    api: { requestedAccessTokenVersion: options.version === 2 ? 2 : null, acceptMappedClaims: true },
  });
  const identifierUri = `api://${app.appId}.fabrikam.com`;
  await graph.api(`/applications/${app.id}`).patch({ identifierUris: [identifierUri] });
  if (Object.keys(claims).length > 0) {
    const definition = JSON.stringify({
      ClaimsMappingPolicy: {
        Version: 1,
        IncludeBasicClaimSet: "true",
        ClaimsSchema: Object.entries(claims).map(([JwtClaimType, Value]) => ({ Value, JwtClaimType })),
      },
    });
    const policy = (await graph
      .api("/policies/claimsMappingPolicies")
      .post({ displayName: "cmic user", definition: [definition], isOrganizationDefault: false })) as { id: string };
    await graph.api(`/servicePrincipals/${app.servicePrincipalId}/claimsMappingPolicies/$ref`).post({
      "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policy.id}`,
    });
  }
  const secret = await addSecret(graph, app.id);
  const response = await fetch(`${emulator.url}/${tenant.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: app.appId,
      client_secret: secret,
      scope: `${identifierUri}/.default`,
    }).toString(),
  });
  const body = (await response.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(`the emulator issued no token: ${response.status} ${body.error_description ?? ""}`);
  return { appId: app.appId, token: body.access_token, claims: decodeJwt(body.access_token) as Record<string, unknown> };
}

/** The registration CMiC's guide gives for a token of that version (000_… Phase 3; entra-facts.md "CMiC facts"). */
function registrationFor(app: CmicApp, overrides: Partial<CmicRegistration> = {}): CmicRegistration {
  const { emulator, tenant } = fixture();
  const v2 = app.claims.ver === "2.0";
  return {
    applicationId: app.appId,
    issuerUrl: v2 ? `https://login.microsoftonline.com/${tenant.tenantId}/v2.0` : `https://sts.windows.net/${tenant.tenantId}/`,
    keysetUri: v2 ? `${emulator.url}/${tenant.tenantId}/discovery/v2.0/keys` : `${emulator.url}/common/discovery/keys`,
    ...overrides,
  };
}

interface Answer {
  status: number;
  text: string;
  contentType: string | null;
  wwwAuthenticate: string | null;
}

async function call(standIn: CmicStandIn, token: string | undefined, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${standIn.url}${API_PATH}`, {
    headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...headers },
  });
  return {
    status: response.status,
    text: await response.text(),
    contentType: response.headers.get("content-type"),
    wwwAuthenticate: response.headers.get("www-authenticate"),
  };
}

function lastReason(standIn: CmicStandIn): string {
  const last = standIn.requests.at(-1);
  if (!last) throw new Error("no request was recorded");
  return last.reason;
}

/** A port nothing listens on (opened, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("the CMiC stand-in with emulator tokens", () => {
  let standIn: CmicStandIn;
  let clock: Date | undefined;
  let keySetRequests: string[];
  let v2: CmicApp;

  beforeAll(async () => {
    v2 = await cmicApp({ version: 2, claims: { cmicuser: "svc-arcoro" } });
  });

  beforeEach(async () => {
    clock = undefined;
    keySetRequests = [];
    standIn = await startCmicStandIn({
      now: () => clock ?? new Date(),
      fetch: (input, init) => {
        keySetRequests.push(String(input));
        return fetch(input, init);
      },
    });
    standIn.addUser("svc-arcoro");
  });

  afterEach(async () => {
    await standIn.close();
  });

  it("the emulator's v2 token: issuer, azp and no ipaddr, as entra-facts.md describes", () => {
    expect(v2.claims).toMatchObject({
      iss: `https://login.microsoftonline.com/${fixture().tenant.tenantId}/v2.0`,
      azp: v2.appId,
      ver: "2.0",
    });
    expect(v2.claims.appid).toBeUndefined();
    expect(v2.claims.ipaddr).toBeUndefined();
    expect(standIn.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("a v2 registration (azp as the application id) answers 200 with the user, once the IP check is off", async () => {
    standIn.register(registrationFor(v2));
    standIn.setProperties({ ipCheckEnabled: false });
    const answer = await call(standIn, v2.token);
    expect(answer.status).toBe(200);
    expect(answer.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(answer.text)).toEqual({ user: "svc-arcoro", applicationId: v2.appId, path: API_PATH });
    expect(standIn.requests).toEqual([
      { method: "GET", path: API_PATH, status: 200, reason: expect.stringContaining('"svc-arcoro"') as unknown },
    ]);
  });

  it("caches the key set per URI and reloads it after KEY_SET_CACHE_MS", async () => {
    standIn.register(registrationFor(v2));
    standIn.setProperties({ ipCheckEnabled: false });
    expect((await call(standIn, v2.token)).status).toBe(200);
    expect((await call(standIn, v2.token)).status).toBe(200);
    expect(keySetRequests).toHaveLength(1);
    clock = new Date(Date.now() + 61_000);
    expect((await call(standIn, v2.token)).status).toBe(200);
    expect(keySetRequests).toHaveLength(2);
  });

  it("a v1 token (appid) with CMiC's V1 issuer and common keys answers 200; without the trailing slash it is not registered", async () => {
    const v1 = await cmicApp({ version: 1, claims: { cmicuser: "svc-arcoro" } });
    expect(v1.claims).toMatchObject({ iss: `https://sts.windows.net/${fixture().tenant.tenantId}/`, appid: v1.appId, ver: "1.0" });
    standIn.setProperties({ ipCheckEnabled: false });
    standIn.register(registrationFor(v1));
    expect(await call(standIn, v1.token)).toMatchObject({ status: 200 });
    standIn.register(registrationFor(v1, { issuerUrl: `https://sts.windows.net/${fixture().tenant.tenantId}` }));
    expect(await call(standIn, v1.token)).toMatchObject({ status: 500, text: TEXTS.notRegistered });
  });

  describe("check 1: the bearer token", () => {
    it("no Authorization header: 401 Unauthorized with WWW-Authenticate: Bearer", async () => {
      standIn.register(registrationFor(v2));
      const answer = await call(standIn, undefined);
      expect(answer).toMatchObject({ status: 401, text: "Unauthorized", wwwAuthenticate: "Bearer" });
      expect(answer.contentType).toMatch(/^text\/plain/);
      expect(lastReason(standIn)).toBe("no Authorization header");
    });

    it("Basic instead of Bearer: 401 Unauthorized", async () => {
      standIn.register(registrationFor(v2));
      expect(await call(standIn, undefined, { authorization: "Basic c3ZjOnB3" })).toMatchObject({ status: 401, text: "Unauthorized" });
    });

    it("a bearer that is no JWT: 401 Unable to validate signature", async () => {
      standIn.register(registrationFor(v2));
      expect(await call(standIn, "not-a-jwt")).toMatchObject({ status: 401, text: TEXTS.signature });
      expect(lastReason(standIn)).toMatch(/^not a JWT/);
    });
  });

  describe("check 2: registration, key set, signature", () => {
    it("a registration with the v1 issuer for a v2 token: 500 Application is not registered", async () => {
      standIn.register(registrationFor(v2, { issuerUrl: `https://sts.windows.net/${fixture().tenant.tenantId}/` }));
      const answer = await call(standIn, v2.token);
      expect(answer).toMatchObject({ status: 500, text: "Application is not registered" });
      expect(lastReason(standIn)).toContain(`https://login.microsoftonline.com/${fixture().tenant.tenantId}/v2.0`);
      expect(keySetRequests).toEqual([]);
    });

    it("a v2 issuer with a trailing slash: 500 not registered (exact string)", async () => {
      standIn.register(registrationFor(v2, { issuerUrl: `https://login.microsoftonline.com/${fixture().tenant.tenantId}/v2.0/` }));
      expect(await call(standIn, v2.token)).toMatchObject({ status: 500, text: TEXTS.notRegistered });
    });

    it("a wrong application id: 500 Application is not registered", async () => {
      standIn.register(registrationFor(v2, { applicationId: "00000000-0000-0000-0000-000000000001" }));
      expect(await call(standIn, v2.token)).toMatchObject({ status: 500, text: TEXTS.notRegistered });
    });

    it("after unregister: 500 Application is not registered", async () => {
      standIn.register(registrationFor(v2));
      standIn.unregister(v2.appId);
      expect(await call(standIn, v2.token)).toMatchObject({ status: 500, text: TEXTS.notRegistered });
    });

    it("a keyset URI on a closed port: 500 Failed to load JSON web key set", async () => {
      const port = await closedPort();
      standIn.register(registrationFor(v2, { keysetUri: `http://127.0.0.1:${port}/discovery/v2.0/keys` }));
      expect(await call(standIn, v2.token)).toMatchObject({ status: 500, text: "Failed to load JSON web key set" });
      expect(lastReason(standIn)).toContain("unreachable");
    });

    it("a keyset URI that answers 404, or JSON that is no key set: 500 Failed to load JSON web key set", async () => {
      const { emulator, tenant } = fixture();
      standIn.register(registrationFor(v2, { keysetUri: `${emulator.url}/${tenant.tenantId}/discovery/v2.0/no-keys` }));
      expect(await call(standIn, v2.token)).toMatchObject({ status: 500, text: TEXTS.keySet });
      expect(lastReason(standIn)).toContain("HTTP 404");
      standIn.register(registrationFor(v2, { keysetUri: `${emulator.url}/${tenant.tenantId}/v2.0/.well-known/openid-configuration` }));
      expect(await call(standIn, v2.token)).toMatchObject({ status: 500, text: TEXTS.keySet });
      expect(lastReason(standIn)).toContain("JSON web key set");
    });

    it("the token's claims signed by another key under the emulator's kid: 401 Unable to validate signature", async () => {
      standIn.register(registrationFor(v2));
      standIn.setProperties({ ipCheckEnabled: false });
      const { privateKey } = await generateKeyPair("RS256");
      const header = decodeProtectedHeader(v2.token);
      const forged = await new SignJWT(v2.claims).setProtectedHeader({ alg: "RS256", typ: "JWT", kid: header.kid }).sign(privateKey);
      expect(await call(standIn, forged)).toMatchObject({ status: 401, text: "Unable to validate signature" });
    });

    it("a kid the key set does not hold: 401 Unable to validate signature, after one reload of a cached set", async () => {
      standIn.register(registrationFor(v2));
      standIn.setProperties({ ipCheckEnabled: false });
      expect((await call(standIn, v2.token)).status).toBe(200);
      const { privateKey } = await generateKeyPair("RS256");
      const forged = await new SignJWT(v2.claims)
        .setProtectedHeader({ alg: "RS256", typ: "JWT", kid: "someone-elses-key" })
        .sign(privateKey);
      expect(await call(standIn, forged)).toMatchObject({ status: 401, text: TEXTS.signature });
      expect(keySetRequests).toHaveLength(2);
    });

    it("a tampered payload (another cmicuser, signature kept): 401 Unable to validate signature", async () => {
      standIn.register(registrationFor(v2));
      standIn.setProperties({ ipCheckEnabled: false });
      standIn.addUser("admin");
      const [header, , signature] = v2.token.split(".");
      const payload = Buffer.from(JSON.stringify({ ...v2.claims, cmicuser: "admin" })).toString("base64url");
      expect(await call(standIn, `${header}.${payload}.${signature}`)).toMatchObject({ status: 401, text: TEXTS.signature });
    });

    it("an unsigned token (alg none): 401 Unable to validate signature", async () => {
      standIn.register(registrationFor(v2));
      const [, payload] = v2.token.split(".");
      const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
      expect(await call(standIn, `${header}.${payload}.`)).toMatchObject({ status: 401, text: TEXTS.signature });
    });
  });

  describe("check 3: nbf and exp", () => {
    it("now() past exp: 401 Token expired", async () => {
      standIn.register(registrationFor(v2));
      standIn.setProperties({ ipCheckEnabled: false });
      clock = new Date(((v2.claims.exp as number) + 1) * 1000);
      expect(await call(standIn, v2.token)).toMatchObject({ status: 401, text: "Token expired" });
      expect(lastReason(standIn)).toMatch(/^exp /);
    });

    it("now() before nbf: 401 with the check point's one documented text, the reason says not yet valid", async () => {
      standIn.register(registrationFor(v2));
      standIn.setProperties({ ipCheckEnabled: false });
      clock = new Date(((v2.claims.nbf as number) - 60) * 1000);
      expect(await call(standIn, v2.token)).toMatchObject({ status: 401, text: TEXTS.expired });
      expect(lastReason(standIn)).toContain("not yet valid");
    });

    it("the IP check comes after the time check: an expired token fails as expired even with the IP check on", async () => {
      standIn.register(registrationFor(v2));
      clock = new Date(((v2.claims.exp as number) + 1) * 1000);
      expect(await call(standIn, v2.token)).toMatchObject({ status: 401, text: TEXTS.expired });
    });
  });

  describe("check 4: the IP check", () => {
    it("on by default: an app-only token without ipaddr fails with 401 Client validation failed (ip check); off: 200", async () => {
      standIn.register(registrationFor(v2));
      expect(await call(standIn, v2.token)).toMatchObject({ status: 401, text: "Client validation failed (ip check)" });
      expect(lastReason(standIn)).toContain("no ipaddr");
      standIn.setProperties({ ipCheckEnabled: false });
      expect(await call(standIn, v2.token)).toMatchObject({ status: 200 });
    });

    it("a token whose ipaddr is the caller's passes; x-forwarded-for's first entry is the caller when present", async () => {
      const withIp = await cmicApp({ version: 2, claims: { cmicuser: "svc-arcoro", ipaddr: "127.0.0.1" } });
      standIn.register(registrationFor(withIp));
      expect(await call(standIn, withIp.token)).toMatchObject({ status: 200 });
      expect(await call(standIn, withIp.token, { "x-forwarded-for": "127.0.0.1, 10.0.0.1" })).toMatchObject({ status: 200 });
      expect(await call(standIn, withIp.token, { "x-forwarded-for": "203.0.113.7, 127.0.0.1" })).toMatchObject({
        status: 401,
        text: TEXTS.ipCheck,
      });
      expect(lastReason(standIn)).toContain("203.0.113.7");
    });
  });

  describe("check 5: the user", () => {
    beforeEach(() => standIn.setProperties({ ipCheckEnabled: false }));

    it("no claim of the configured name (cmic.oauth2.user.claim.name): 401 Missing required claim", async () => {
      const noClaim = await cmicApp({ version: 2 });
      standIn.register(registrationFor(noClaim));
      expect(await call(standIn, noClaim.token)).toMatchObject({ status: 401, text: "Missing required claim" });
      standIn.register(registrationFor(v2));
      standIn.setProperties({ userClaimName: "cmic_service_user" });
      expect(await call(standIn, v2.token)).toMatchObject({ status: 401, text: TEXTS.missingClaim });
      expect(lastReason(standIn)).toContain("cmic_service_user");
    });

    it("a claim naming nobody in CMiC: 401 User not found", async () => {
      const stranger = await cmicApp({ version: 2, claims: { cmicuser: "svc-unknown" } });
      standIn.register(registrationFor(stranger));
      expect(await call(standIn, stranger.token)).toMatchObject({ status: 401, text: "User not found" });
    });

    it("Cloud: tenant||username resolves to the tenant's user; a single pipe is not split (user not found)", async () => {
      standIn.addUser("svc-arcoro", { cmicTenant: "ACME" });
      const twoPipes = await cmicApp({ version: 2, claims: { cmicuser: "ACME||svc-arcoro" } });
      standIn.register(registrationFor(twoPipes));
      const answer = await call(standIn, twoPipes.token);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ user: "svc-arcoro", cmicTenant: "ACME" });

      const onePipe = await cmicApp({ version: 2, claims: { cmicuser: "ACME|svc-arcoro" } });
      standIn.register(registrationFor(onePipe));
      expect(await call(standIn, onePipe.token)).toMatchObject({ status: 401, text: TEXTS.userNotFound });
      expect(lastReason(standIn)).toContain('"ACME|svc-arcoro"');
    });

    it("Cloud: another tenant's user of the same name is not found", async () => {
      standIn.addUser("svc-arcoro", { cmicTenant: "GLOBEX" });
      const acme = await cmicApp({ version: 2, claims: { cmicuser: "ACME||svc-arcoro" } });
      standIn.register(registrationFor(acme));
      expect(await call(standIn, acme.token)).toMatchObject({ status: 401, text: TEXTS.userNotFound });
    });

    it("post-Patch-22: the registration's serviceUser with no claim in the token answers 200, and wins over a claim", async () => {
      const noClaim = await cmicApp({ version: 2 });
      standIn.addUser("svc-patch23");
      standIn.register(registrationFor(noClaim, { serviceUser: "svc-patch23" }));
      const answer = await call(standIn, noClaim.token);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ user: "svc-patch23" });
      standIn.register(registrationFor(v2, { serviceUser: "svc-patch23" }));
      expect(JSON.parse((await call(standIn, v2.token)).text)).toMatchObject({ user: "svc-patch23" });
      expect(lastReason(standIn)).toContain("registration's service user");
    });

    it("cmic.oauth2.remove.domainFromUser: user@domain is not found as it stands, found once the domain is removed", async () => {
      const withDomain = await cmicApp({ version: 2, claims: { cmicuser: "svc-arcoro@fabrikam.com" } });
      standIn.register(registrationFor(withDomain));
      expect(await call(standIn, withDomain.token)).toMatchObject({ status: 401, text: TEXTS.userNotFound });
      standIn.setProperties({ removeDomainFromUser: true });
      const answer = await call(standIn, withDomain.token);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ user: "svc-arcoro" });
    });
  });

  it("records every request's method, path, status and reason", async () => {
    standIn.register(registrationFor(v2));
    await call(standIn, undefined);
    await call(standIn, v2.token);
    expect(standIn.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ["GET", API_PATH, 401],
      ["GET", API_PATH, 401],
    ]);
    expect(standIn.requests.map((r) => r.reason)).toEqual(["no Authorization header", expect.stringContaining("no ipaddr") as unknown]);
  });

  it("refuses a registration without a keyset URI and a property of the wrong type", () => {
    expect(() => standIn.register({ applicationId: "a", issuerUrl: "b", keysetUri: "" })).toThrow(TypeError);
    expect(() => standIn.setProperties({ userClaimName: "" })).toThrow(TypeError);
  });
});
