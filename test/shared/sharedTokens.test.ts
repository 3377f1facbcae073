/**
 * scripts/shared/sharedTokens.ts: however many Graph requests ask at once, one token request per
 * tenant and scope; a token is renewed before it expires; a failure is not kept. The credential
 * below stands in for @azure/identity's (the code under test is the wrapper), counting its calls.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { shareTokens, TOKEN_RENEWAL_MARGIN_MS } from "../../scripts/shared/sharedTokens";

const GRAPH = ["https://graph.microsoft.com/.default"];
const HOUR = 3_600_000;

function countingCredential(
  now: () => number,
  answer: (call: number) => Promise<AccessToken | null> = (call) =>
    Promise.resolve({ token: `token-${call}`, expiresOnTimestamp: now() + HOUR }),
) {
  const calls: Array<{ scopes: string | string[]; options?: GetTokenOptions }> = [];
  const credential: TokenCredential = {
    getToken: async (scopes, options) => {
      calls.push({ scopes, options });
      await new Promise((resolve) => setImmediate(resolve));
      return answer(calls.length);
    },
  };
  return { credential, calls };
}

test("requests that ask at once share one token request; later ones reuse the token", async () => {
  let clock = 1_000_000;
  const { credential, calls } = countingCredential(() => clock);
  const shared = shareTokens(credential, () => clock);
  const tokens = await Promise.all(Array.from({ length: 20 }, () => shared.getToken(GRAPH)));
  expect(new Set(tokens.map((token) => token?.token))).toEqual(new Set(["token-1"]));
  clock += HOUR / 2;
  expect((await shared.getToken(GRAPH))?.token).toBe("token-1");
  expect(calls).toHaveLength(1);
});

test("each tenant and each scope gets a token of its own", async () => {
  const { credential, calls } = countingCredential(() => Date.now());
  const shared = shareTokens(credential);
  await Promise.all([
    shared.getToken(GRAPH, { tenantId: "tenant-a" }),
    shared.getToken(GRAPH, { tenantId: "tenant-b" }),
    shared.getToken(GRAPH, { tenantId: "tenant-a" }),
    shared.getToken(["api://other/.default"], { tenantId: "tenant-a" }),
  ]);
  expect(calls.map((call) => `${call.options?.tenantId} ${String(call.scopes)}`).sort()).toEqual([
    "tenant-a api://other/.default",
    "tenant-a https://graph.microsoft.com/.default",
    "tenant-b https://graph.microsoft.com/.default",
  ]);
});

test("a token close to its expiry or past its refresh time is renewed, never handed out", async () => {
  let clock = 5_000_000;
  const { credential, calls } = countingCredential(() => clock);
  const shared = shareTokens(credential, () => clock);
  await shared.getToken(GRAPH);
  clock += HOUR - TOKEN_RENEWAL_MARGIN_MS + 1;
  expect((await shared.getToken(GRAPH))?.token).toBe("token-2");

  const refreshing = countingCredential(
    () => clock,
    (call) => Promise.resolve({ token: `r-${call}`, expiresOnTimestamp: clock + HOUR, refreshAfterTimestamp: clock + 60_000 }),
  );
  const sharedRefreshing = shareTokens(refreshing.credential, () => clock);
  await sharedRefreshing.getToken(GRAPH);
  clock += 60_000;
  expect((await sharedRefreshing.getToken(GRAPH))?.token).toBe("r-2");
  expect(calls).toHaveLength(2);
});

test("a failed token request is not kept: every waiter sees the failure, the next call asks again", async () => {
  const { credential, calls } = countingCredential(
    () => Date.now(),
    (call) =>
      call === 1
        ? Promise.reject(new Error("AADSTS7000215: Invalid client secret provided."))
        : Promise.resolve({ token: "ok", expiresOnTimestamp: Date.now() + HOUR }),
  );
  const shared = shareTokens(credential);
  const first = await Promise.allSettled([shared.getToken(GRAPH), shared.getToken(GRAPH)]);
  expect(first.map((outcome) => outcome.status)).toEqual(["rejected", "rejected"]);
  expect((await shared.getToken(GRAPH))?.token).toBe("ok");
  expect(calls).toHaveLength(2);
});

test("a claims challenge is never answered from the shared token", async () => {
  const { credential, calls } = countingCredential(() => Date.now());
  const shared = shareTokens(credential);
  await shared.getToken(GRAPH);
  await shared.getToken(GRAPH, { claims: '{"access_token":{"nbf":{"essential":true}}}' });
  expect(calls).toHaveLength(2);
});
