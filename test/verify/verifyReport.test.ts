import { redact, renderChecklist, renderJson, type VerifyReport } from "../../scripts/verify/report";

const report: VerifyReport = {
  ok: false,
  tokenRequests: 1,
  elapsedMs: 10,
  token: { header: { alg: "RS256", kid: "k" }, claims: { cmicuser: "svc" } },
  checks: [
    { id: "ip-check", ok: true, warning: true, detail: "no ipaddr", fix: "set cmic.oauth2.ipcheck.enabled=false" },
    { id: "issuer", ok: false, detail: "iss is x", fix: "register y" },
    { id: "signature", ok: true, detail: "valid" },
  ],
};

describe("verify report", () => {
  it("renders ✔/✘/! lines in check order with the fix under failures and a summary", () => {
    const text = renderChecklist(report);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^✔ signature/);
    expect(lines[1]).toMatch(/^✘ issuer/);
    expect(lines[2]).toMatch(/fix: register y/);
    expect(text).toMatch(/! ip-check/);
    expect(text).toContain("FAILED: 1 check failed (issuer)");
  });

  it("renders the JSON shape { ok, checks: [{ id, ok, detail, fix? }], token: { header, claims } }", () => {
    const body = JSON.parse(renderJson(report));
    expect(Object.keys(body)).toEqual(["ok", "checks", "token"]);
    expect(body.checks[0]).toEqual({ id: "signature", ok: true, detail: "valid" });
    expect(body.checks[1]).toEqual({ id: "issuer", ok: false, detail: "iss is x", fix: "register y" });
    expect(body.token).toEqual({ header: { alg: "RS256", kid: "k" }, claims: { cmicuser: "svc" } });
  });

  it("redacts known secrets, JWTs, bearer headers, form secrets and private keys", () => {
    const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIabc\n-----END PRIVATE KEY-----";
    const text = `secret Abc~defghij123 token ${jwt} Authorization: Bearer abc.def client_secret=xyz&a=b ${pem}`;
    const out = redact(text, ["Abc~defghij123"]);
    for (const leaked of ["Abc~defghij123", jwt, "abc.def", "xyz", "MIIabc"]) expect(out).not.toContain(leaked);
    expect(out).toContain("a=b");
  });
});
