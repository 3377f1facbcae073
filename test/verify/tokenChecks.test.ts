import {
  appSpecificJwksUri,
  checkClaims,
  checkToken,
  explainCmicUserMismatch,
  repeatedMemberNames,
} from "../../scripts/verify/tokenChecks";
import { issuerUrlV1 } from "../../contract/entraEndpoints";
import type { CheckResult } from "../../scripts/verify/report";
import {
  CLIENT_ID,
  IDENTIFIER_URI,
  JWKS_URI,
  TENANT_ID,
  expectations,
  goodClaims,
  jwks,
  keyConfusionToken,
  newSigningKey,
  signToken,
  staticJwks,
  unsignedToken,
  type SigningKey,
} from "../support/tokens";

const NOW = 1_800_000_000;

function byId(checks: CheckResult[], id: string): CheckResult {
  const check = checks.find((c) => c.id === id);
  if (!check) throw new Error(`no ${id} check in ${checks.map((c) => c.id).join(", ")}`);
  return check;
}

function failing(checks: CheckResult[]): string[] {
  return checks.filter((c) => !c.ok).map((c) => c.id);
}

describe("checkToken", () => {
  let tenantKey: SigningKey;
  let otherKey: SigningKey;
  let appKey: SigningKey;

  beforeAll(async () => {
    [tenantKey, otherKey, appKey] = await Promise.all([newSigningKey("tenant-key"), newSigningKey("other-key"), newSigningKey("app-key")]);
  });

  it("passes a good v2 token on every check, with ip-check as a warning only", async () => {
    const token = await signToken(tenantKey, goodClaims(NOW));
    const { checks, decoded } = await checkToken(token, expectations(), staticJwks({ [JWKS_URI]: jwks(tenantKey) }), NOW);
    expect(failing(checks)).toEqual([]);
    expect(checks.map((c) => c.id)).toEqual([
      "signature",
      "issuer",
      "application-id",
      "audience",
      "lifetime",
      "version",
      "cmicuser",
      "ip-check",
    ]);
    expect(byId(checks, "ip-check")).toMatchObject({ ok: true, warning: true });
    expect(byId(checks, "signature").warning).toBeUndefined();
    expect(decoded?.claims.cmicuser).toBe("svc-arcoro");
    expect(decoded?.header.kid).toBe("tenant-key");
  });

  it("fails the signature when the kid is not published anywhere", async () => {
    const token = await signToken(otherKey, goodClaims(NOW));
    const fetcher = staticJwks({ [JWKS_URI]: jwks(tenantKey) });
    const { checks } = await checkToken(token, expectations(), fetcher, NOW);
    expect(failing(checks)).toEqual(["signature"]);
    expect(byId(checks, "signature").detail).toContain("kid other-key is not in the registered JWKS");
    // It looked in the app-specific set before giving up.
    expect(fetcher.calls).toEqual([JWKS_URI, appSpecificJwksUri(JWKS_URI, CLIENT_ID)]);
  });

  it("fails a token signed by another key that reuses a published kid", async () => {
    const forged = await signToken({ ...otherKey, kid: "tenant-key" }, goodClaims(NOW));
    const { checks } = await checkToken(forged, expectations(), staticJwks({ [JWKS_URI]: jwks(tenantKey) }), NOW);
    expect(byId(checks, "signature")).toMatchObject({ ok: false });
    expect(byId(checks, "signature").detail).toContain("does not verify");
  });

  it("fails a token whose payload was altered after signing", async () => {
    const token = await signToken(tenantKey, goodClaims(NOW));
    const [header, , signature] = token.split(".");
    const altered = Buffer.from(JSON.stringify(goodClaims(NOW, { cmicuser: "admin" }))).toString("base64url");
    const { checks } = await checkToken(
      `${header}.${altered}.${signature}`,
      expectations(),
      staticJwks({ [JWKS_URI]: jwks(tenantKey) }),
      NOW,
    );
    expect(byId(checks, "signature").ok).toBe(false);
  });

  it("fails an app-specific key, which CMiC cannot find at the registered Keyset ID, naming both fixes", async () => {
    const token = await signToken(appKey, goodClaims(NOW));
    const appUri = appSpecificJwksUri(JWKS_URI, CLIENT_ID);
    const { checks } = await checkToken(token, expectations(), staticJwks({ [JWKS_URI]: jwks(tenantKey), [appUri]: jwks(appKey) }), NOW);
    const signature = byId(checks, "signature");
    expect(failing(checks)).toEqual(["signature"]);
    expect(signature.warning).toBeUndefined();
    expect(signature.detail).toContain("Unable to validate signature");
    expect(signature.fix).toContain(`Keyset ID as ${appUri}`);
    expect(signature.fix).toContain("remove the app's own token-signing key");
    expect(appUri).toBe(`${JWKS_URI}?appid=${CLIENT_ID}`);
  });

  it("tries every key that shares the token's kid (key rollover, merged sets)", async () => {
    const token = await signToken(tenantKey, goodClaims(NOW));
    const sameKid = { ...otherKey.publicJwk, kid: "tenant-key" };
    const set = { keys: [sameKid, tenantKey.publicJwk] };
    const { checks } = await checkToken(token, expectations(), staticJwks({ [JWKS_URI]: set }), NOW);
    expect(failing(checks)).toEqual([]);
    // With only the impostor key under that kid, the same token fails.
    const alone = await checkToken(token, expectations(), staticJwks({ [JWKS_URI]: { keys: [sameKid] } }), NOW);
    expect(byId(alone.checks, "signature").detail).toContain("does not verify");
  });

  it("rejects a token whose tid disagrees with its iss", async () => {
    const token = await signToken(tenantKey, goodClaims(NOW, { tid: "99999999-2222-3333-4444-555555555555" }));
    const { checks } = await checkToken(token, expectations(), staticJwks({ [JWKS_URI]: jwks(tenantKey) }), NOW);
    expect(failing(checks)).toEqual(["issuer"]);
    expect(byId(checks, "issuer").detail).toMatch(/tid is "99999999-.*iss .* names tenant 11111111-/);
  });

  it("rejects a token issued in the future, and one whose iat is not a number", async () => {
    const fetcher = staticJwks({ [JWKS_URI]: jwks(tenantKey) });
    const future = await checkToken(await signToken(tenantKey, goodClaims(NOW, { iat: NOW + 3600 })), expectations(), fetcher, NOW);
    expect(failing(future.checks)).toEqual(["lifetime"]);
    expect(byId(future.checks, "lifetime").detail).toContain("issued in the future");
    // Entra's own 5-minute backdating and ordinary skew pass.
    const skewed = await checkToken(await signToken(tenantKey, goodClaims(NOW, { iat: NOW + 30 })), expectations(), fetcher, NOW);
    expect(failing(skewed.checks)).toEqual([]);
    const text = await checkToken(await signToken(tenantKey, goodClaims(NOW, { iat: "yesterday" })), expectations(), fetcher, NOW);
    expect(failing(text.checks)).toEqual(["lifetime"]);
  });

  it("rejects a token that repeats a claim name, which CMiC's parser may read either way", async () => {
    const fetcher = staticJwks({ [JWKS_URI]: jwks(tenantKey) });
    const claims = JSON.stringify(goodClaims(NOW)).replace(/}$/, ',"cmicuser":"admin"}');
    const header = Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT", kid: tenantKey.kid })).toString("base64url");
    const payload = Buffer.from(claims).toString("base64url");
    const signature = await signToken(tenantKey, goodClaims(NOW)); // a real signature over other bytes
    const { checks } = await checkToken(`${header}.${payload}.${signature.split(".")[2]}`, expectations(), fetcher, NOW);
    expect(byId(checks, "token")).toMatchObject({ ok: false });
    expect(byId(checks, "token").detail).toContain("claim cmicuser");
  });

  it("passes an app-specific key without warning when the Keyset ID already has ?appid=", async () => {
    const appUri = appSpecificJwksUri(JWKS_URI, CLIENT_ID);
    const token = await signToken(appKey, goodClaims(NOW));
    const { checks } = await checkToken(token, expectations({ jwksUri: appUri }), staticJwks({ [appUri]: jwks(appKey) }), NOW);
    expect(byId(checks, "signature")).toMatchObject({ ok: true });
    expect(byId(checks, "signature").warning).toBeUndefined();
  });

  it("rejects alg none without looking at any key", async () => {
    const fetcher = staticJwks({ [JWKS_URI]: jwks(tenantKey) });
    const { checks } = await checkToken(unsignedToken(goodClaims(NOW), "tenant-key"), expectations(), fetcher, NOW);
    expect(failing(checks)).toEqual(["signature"]);
    expect(byId(checks, "signature").detail).toContain("unsigned");
    expect(fetcher.calls).toEqual([]);
  });

  it("rejects HS256 signed with the public key as secret (key confusion)", async () => {
    const token = await keyConfusionToken(tenantKey, goodClaims(NOW));
    const { checks } = await checkToken(token, expectations(), staticJwks({ [JWKS_URI]: jwks(tenantKey) }), NOW);
    expect(failing(checks)).toEqual(["signature"]);
    expect(byId(checks, "signature").detail).toMatch(/HS256.*key confusion/);
  });

  it("fails the signature with the Keyset ID fix when the JWKS cannot be loaded", async () => {
    const token = await signToken(tenantKey, goodClaims(NOW));
    const { checks } = await checkToken(token, expectations(), staticJwks({}), NOW);
    expect(byId(checks, "signature")).toMatchObject({ ok: false });
    expect(byId(checks, "signature").fix).toContain(`Keyset ID must be ${JWKS_URI}`);
  });

  it("reports a non-JWT as one failed token check", async () => {
    const { checks, decoded } = await checkToken("not-a-token", expectations(), staticJwks({}), NOW);
    expect(decoded).toBeNull();
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ id: "token", ok: false });
  });
});

describe("checkClaims", () => {
  const expect_ = expectations();

  it.each([
    ["iss with a trailing slash", "issuer", { iss: `https://login.microsoftonline.com/${TENANT_ID}/v2.0/` }, /trailing slash/],
    [
      "iss of another tenant",
      "issuer",
      { iss: "https://login.microsoftonline.com/99999999-9999-9999-9999-999999999999/v2.0", tid: "99999999-9999-9999-9999-999999999999" },
      /from tenant 99999999/,
    ],
    ["no iss", "issuer", { iss: undefined }, /no iss/],
    ["azp of another client", "application-id", { azp: "bbbbbbbb-0000-0000-0000-000000000000" }, /azp is "bbbbbbbb/],
    ["no azp", "application-id", { azp: undefined }, /azp is \(absent\)/],
    ["aud = App ID URI in a v2 token", "audience", { aud: IDENTIFIER_URI }, /expected the client id/],
    ["aud of another resource", "audience", { aud: "00000003-0000-0000-c000-000000000000" }, /expected the client id/],
    ["expired an hour ago", "lifetime", { exp: NOW - 3600 }, /expired at/],
    ["no exp", "lifetime", { exp: undefined }, /no numeric exp/],
    ["nbf 10 min ahead", "lifetime", { nbf: NOW + 600 }, /not valid before/],
    [
      "ver 1.0",
      "version",
      { ver: "1.0", azp: undefined, appid: CLIENT_ID, iss: issuerUrlV1(TENANT_ID), aud: IDENTIFIER_URI },
      /ver is "1.0"/,
    ],
    ["no ver", "version", { ver: undefined }, /ver is \(absent\)/],
    ["no cmicuser", "cmicuser", { cmicuser: undefined }, /no cmicuser claim/],
    ["another cmicuser", "cmicuser", { cmicuser: "someone-else" }, /expected "svc-arcoro"/],
  ])("%s fails %s", (_label, id, overrides, detail) => {
    const checks = checkClaims(goodClaims(NOW, overrides), expect_, NOW);
    expect(failing(checks)).toContain(id);
    expect(byId(checks, id).detail).toMatch(detail);
    expect(byId(checks, id).fix).toBeTruthy();
  });

  it("tolerates a clock skew of 60 s on exp and nbf, not more", () => {
    expect(byId(checkClaims(goodClaims(NOW, { exp: NOW - 30 }), expect_, NOW), "lifetime").ok).toBe(true);
    expect(byId(checkClaims(goodClaims(NOW, { nbf: NOW + 30 }), expect_, NOW), "lifetime").ok).toBe(true);
    expect(byId(checkClaims(goodClaims(NOW, { exp: NOW - 61 }), expect_, NOW), "lifetime").ok).toBe(false);
    expect(byId(checkClaims(goodClaims(NOW, { nbf: NOW + 61 }), expect_, NOW), "lifetime").ok).toBe(false);
  });

  it("recognises a v1 token and prescribes requestedAccessTokenVersion = 2", () => {
    const v1 = goodClaims(NOW, {
      ver: "1.0",
      azp: undefined,
      azpacr: undefined,
      appid: CLIENT_ID,
      appidacr: "1",
      iss: issuerUrlV1(TENANT_ID),
      aud: IDENTIFIER_URI,
    });
    const checks = checkClaims(v1, expect_, NOW);
    expect(failing(checks)).toEqual(["issuer", "version"]);
    expect(byId(checks, "issuer").detail).toContain("v1.0 token");
    expect(byId(checks, "issuer").fix).toContain("requestedAccessTokenVersion = 2");
    // v1 reads the app id from appid and the audience is the App ID URI.
    expect(byId(checks, "application-id").detail).toContain("appid is");
    expect(byId(checks, "audience").ok).toBe(true);
  });

  it("explains Cloud claim formats when the value differs", () => {
    const cloud = expectations({ expectedCmicUser: "acme||svc", deployment: "cloud" });
    const single = byId(checkClaims(goodClaims(NOW, { cmicuser: "acme|svc" }), cloud, NOW), "cmicuser");
    expect(single.ok).toBe(false);
    expect(single.detail).toContain("single pipe");
    expect(single.detail).toContain("TWO pipes");
    expect(single.fix).toContain("cmic-entra-oauth:cmicTenant");
    const noTenant = byId(checkClaims(goodClaims(NOW, { cmicuser: "svc" }), cloud, NOW), "cmicuser");
    expect(noTenant.detail).toContain('tenant prefix "acme||" is missing');
    expect(byId(checkClaims(goodClaims(NOW, { cmicuser: "acme||svc" }), cloud, NOW), "cmicuser").ok).toBe(true);
  });

  it("explains a Cloud-format value on Enterprise, quotes and case", () => {
    expect(explainCmicUserMismatch("svc", "acme||svc", "enterprise")).toContain("Cloud format");
    expect(explainCmicUserMismatch("svc", '"svc"', "enterprise")).toContain("quotes");
    expect(explainCmicUserMismatch("svc", "SVC", "enterprise")).toContain("letter case");
  });

  it("passes without a cmicuser claim when none is expected, and notes a leftover one", () => {
    const registration = expectations({ expectedCmicUser: null });
    const none = byId(checkClaims(goodClaims(NOW, { cmicuser: undefined }), registration, NOW), "cmicuser");
    expect(none).toMatchObject({ ok: true });
    expect(none.detail).toContain("claimSource=registration");
    expect(byId(checkClaims(goodClaims(NOW), registration, NOW), "cmicuser")).toMatchObject({ ok: true, warning: true });
  });

  it("reads a configured claim name", () => {
    const custom = expectations({ claimName: "svcuser" });
    const claims = goodClaims(NOW, { cmicuser: undefined, svcuser: "svc-arcoro" });
    expect(byId(checkClaims(claims, custom, NOW), "cmicuser").ok).toBe(true);
  });

  it("never fails on ip-check, and names ipaddr when the token carries one", () => {
    const check = byId(checkClaims(goodClaims(NOW, { ipaddr: "203.0.113.7" }), expect_, NOW), "ip-check");
    expect(check).toMatchObject({ ok: true, warning: true });
    expect(check.detail).toContain("203.0.113.7");
    expect(check.fix).toContain("cmic.oauth2.ipcheck.enabled=false");
  });
});

describe("repeatedMemberNames", () => {
  it("finds names repeated in the top-level object only, escapes and nesting included", () => {
    expect(repeatedMemberNames('{"a":1,"b":{"a":2},"c":[{"a":3}],"a":4}')).toEqual(["a"]);
    expect(repeatedMemberNames('{"a":"x\\",\\"a\\":1","b":2}')).toEqual([]);
    expect(repeatedMemberNames('{"\\u0061":1,"a":2}')).toEqual(["a"]);
    expect(repeatedMemberNames('{"a":1,"b":2}')).toEqual([]);
  });
});
