import http from "node:http";
import type { AddressInfo } from "node:net";
import { probeCmic } from "../../scripts/verify/cmicProbe";

/** A stand-in CMiC: answers each path with a fixed status and body, and records the auth header. */
function startFakeCmic(routes: Record<string, [number, string]>): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers.authorization ?? "");
    const [status, body] = routes[req.url ?? ""] ?? [404, "no such endpoint"];
    res.writeHead(status, { "content-type": "text/plain" }).end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((done) => server.close(() => done())) });
    }),
  );
}

const ctx = {
  issuerUrl: "https://login.microsoftonline.com/t/v2.0",
  clientId: "c-1",
  jwksUri: "https://login.microsoftonline.com/t/discovery/v2.0/keys",
  claimName: "cmicuser",
  expectedCmicUser: "svc",
};

describe("probeCmic", () => {
  let cmic: Awaited<ReturnType<typeof startFakeCmic>>;
  beforeAll(async () => {
    cmic = await startFakeCmic({
      "/ok": [200, "[]"],
      "/claim": [401, "Missing required claim"],
      "/ip": [401, "Client validation failed (ip check)"],
      "/expired": [401, "Token expired"],
      "/sig": [401, "Unable to validate signature"],
      "/unregistered": [500, "Application is not registered"],
      "/jwks": [500, "Failed to load JSON web key set"],
      "/forbidden": [403, "Forbidden"],
    });
  });
  afterAll(() => cmic.close());

  it("sends the token as bearer and passes on 2xx", async () => {
    const check = await probeCmic(`${cmic.url}/ok`, "tok.en.value", ctx);
    expect(check).toMatchObject({ id: "cmic-endpoint", ok: true });
    expect(cmic.seen.at(-1)).toBe("Bearer tok.en.value");
  });

  it.each([
    ["/claim", /Missing required claim/, /cmicuser = "svc"/],
    ["/ip", /ip check/, /cmic\.oauth2\.ipcheck\.enabled=false/],
    ["/expired", /Token expired/, /new token/],
    ["/sig", /Unable to validate signature/, /Keyset ID to https:\/\/login\.microsoftonline\.com\/t\/discovery\/v2\.0\/keys/],
    ["/unregistered", /not registered/, /Issuer URL = https:\/\/login\.microsoftonline\.com\/t\/v2\.0 and Application ID = c-1/],
    ["/jwks", /JSON web key set/, /reach login\.microsoftonline\.com/],
    ["/forbidden", /403/, /API Security/],
  ])("interprets %s", async (path, detail, fix) => {
    const check = await probeCmic(`${cmic.url}${path}`, "t", ctx);
    expect(check.ok).toBe(false);
    expect(check.detail).toMatch(detail);
    expect(check.fix).toMatch(fix);
  });

  it("reports an unreachable CMiC with a fix", async () => {
    const check = await probeCmic("http://127.0.0.1:1/x", "t", ctx);
    expect(check.ok).toBe(false);
    expect(check.fix).toContain("--cmic-url");
  });
});
