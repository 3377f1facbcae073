/** Injected faults and the request log. */
import { useEmulatorFixture } from "../support/emulatorFixture";
import { postToken, rawRequest, tokenWithSecret } from "./helpers";

const fixture = useEmulatorFixture();

afterEach(() => fixture().emulator.setFaults({}));

describe("faults", () => {
  it("throttles the next N requests with 429 + Retry-After in Graph's shape; the Graph client retries through it", async () => {
    const f = fixture();
    await f.graph.api("/organization").get(); // token acquired before the fault
    f.emulator.setFaults({ throttle: { count: 1, retryAfterSeconds: 1 }, pathPrefix: "/v1.0/" });
    f.emulator.clearRequestLog();
    const organization = (await f.graph.api("/organization").get()) as { value: unknown[] };
    expect(organization.value).toHaveLength(1);
    expect(f.emulator.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it("sends Graph 429 bodies with TooManyRequests and token-endpoint 429 bodies with an AADSTS code", async () => {
    const f = fixture();
    f.emulator.setFaults({ throttle: { count: 2, retryAfterSeconds: 7 } });
    const graph = await rawRequest(`${f.emulator.url}/v1.0/organization`);
    expect(graph.status).toBe(429);
    expect(graph.headers.get("retry-after")).toBe("7");
    expect((graph.body.error as Record<string, unknown>).code).toBe("TooManyRequests");
    const token = await postToken(f.emulator.url, f.tenant.tenantId, { grant_type: "client_credentials" });
    expect(token.status).toBe(429);
    expect(token.headers.get("retry-after")).toBe("7");
    expect(Array.isArray(token.body.error_codes)).toBe(true);
    // The count is used up: the next request is handled normally (401: no token).
    expect((await rawRequest(`${f.emulator.url}/v1.0/organization`)).status).toBe(401);
  });

  it("answers the next N requests under pathPrefix with a 5xx, leaving other paths alone", async () => {
    const f = fixture();
    f.emulator.setFaults({ serverErrors: { count: 2, status: 500 }, pathPrefix: `/${f.tenant.tenantId}/oauth2/` });
    const discovery = await rawRequest(`${f.emulator.url}/${f.tenant.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    const first = await postToken(f.emulator.url, f.tenant.tenantId, { grant_type: "client_credentials" });
    expect(first.status).toBe(500);
    expect(first.body.error).toBe("temporarily_unavailable");
    // @azure/identity / MSAL retry once on 5xx: the second injected error is consumed, then it succeeds.
    const token = await tokenWithSecret(
      f,
      f.tenant.deployer.clientId,
      f.tenant.deployer.clientSecret,
      "https://graph.microsoft.com/.default",
    );
    expect(token.split(".")).toHaveLength(3);
  });

  it("adds latency to each matching request", async () => {
    const f = fixture();
    f.emulator.setFaults({ latencyMs: 150 });
    const started = Date.now();
    await rawRequest(`${f.emulator.url}/common/discovery/keys`);
    // A lower bound only: never flaky, whatever the machine's speed.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it("rejects invalid fault settings with the reason", () => {
    const f = fixture();
    expect(() => f.emulator.setFaults({ throttle: { count: -1, retryAfterSeconds: 1 } })).toThrow(/throttle.count/);
    expect(() => f.emulator.setFaults({ serverErrors: { count: 1, status: 404 } })).toThrow(/5xx/);
  });
});

describe("request log", () => {
  it("records method, path without query, status and time for every request", async () => {
    const f = fixture();
    f.emulator.clearRequestLog();
    const before = Date.now();
    await rawRequest(`${f.emulator.url}/${f.tenant.tenantId}/discovery/v2.0/keys?appid=abc`);
    await rawRequest(`${f.emulator.url}/nowhere/v2.0/.well-known/openid-configuration`);
    expect(f.emulator.requests).toEqual([
      { method: "GET", path: `/${f.tenant.tenantId}/discovery/v2.0/keys`, status: 200, at: expect.any(Number) },
      { method: "GET", path: "/nowhere/v2.0/.well-known/openid-configuration", status: 400, at: expect.any(Number) },
    ]);
    expect(f.emulator.requests[0].at).toBeGreaterThanOrEqual(before);
    f.emulator.clearRequestLog();
    expect(f.emulator.requests).toEqual([]);
  });

  it("counts one token acquisition by @azure/identity as discovery + token POST", async () => {
    const f = fixture();
    f.emulator.clearRequestLog();
    await tokenWithSecret(f, f.tenant.deployer.clientId, f.tenant.deployer.clientSecret, "https://graph.microsoft.com/.default");
    expect(f.emulator.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /${f.tenant.tenantId}/v2.0/.well-known/openid-configuration`,
      `POST /${f.tenant.tenantId}/oauth2/v2.0/token`,
    ]);
  });
});
