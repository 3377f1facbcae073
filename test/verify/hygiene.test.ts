/**
 * Secret hygiene at verify's edges: a secret pasted where it does not belong is scrubbed by its
 * shape, credentials in a URL are refused without being echoed, token mode says truthfully where
 * the token goes, and signing keys are never fetched in clear text.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { runCaptured } from "../../scripts/shared/cli";
import { checkToken, createJwksFetcher } from "../../scripts/verify/tokenChecks";
import { runVerification } from "../../scripts/verify/runner";
import { verifyCommand } from "../../scripts/verify/cli";
import { CLIENT_ID, TENANT_ID, expectations, goodClaims, newSigningKey, signToken } from "../support/tokens";

/** Shaped like an Entra client secret (three characters, a digit, Q~, 34 more), known to nobody. */
const PASTED = "Ab38Q~zyxwvutsrqponmlkjihgfedcba01234567";
const CLEAN_ENV = { ...process.env, CMIC_CLIENT_SECRET: "", CMIC_STACK_OUTPUTS: "" };

it.each([
  ["--deployment", [`--deployment`, PASTED]],
  ["a positional argument", [PASTED]],
  ["--jwks-uri", ["--jwks-uri", PASTED]],
])("a secret pasted into %s is not echoed in the usage error", async (_where, argv) => {
  const run = await runCaptured(verifyCommand, argv, { env: CLEAN_ENV });
  expect(run.code).toBe(2);
  expect(run.stdout + run.stderr).not.toContain(PASTED);
  expect(run.stdout + run.stderr).not.toContain("zyxwvutsrqponmlkjihgfedcba");
});

it("refuses user:password@ in --cmic-url without printing the password", async () => {
  const run = await runCaptured(
    verifyCommand,
    [
      "--tenant-id",
      TENANT_ID,
      "--client-id",
      CLIENT_ID,
      "--scope",
      `api://${CLIENT_ID}/.default`,
      "--no-cmicuser",
      "--token",
      "x.y.z",
      "--cmic-url",
      "https://admin:hunter2-password@cmic.example.com/api",
    ],
    { env: CLEAN_ENV },
  );
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("must not carry a user name or password (https://***@cmic.example.com/api)");
  expect(run.stdout + run.stderr).not.toContain("hunter2");
});

it("token mode says the token goes to --cmic-url when it does", async () => {
  const key = await newSigningKey("tenant-key");
  const token = await signToken(key, goodClaims(Math.floor(Date.now() / 1000)));
  const cmic = http.createServer((_request, response) => response.writeHead(200, { "content-type": "application/json" }).end("{}"));
  await new Promise<void>((resolve) => cmic.listen(0, "127.0.0.1", resolve));
  try {
    const url = `http://127.0.0.1:${(cmic.address() as AddressInfo).port}/cmic/api`;
    const base = { ...expectations(), scope: `api://${CLIENT_ID}/.default`, credential: null, token, timeoutMs: 5_000 };
    const withProbe = await runVerification({ ...base, cmicUrl: url });
    expect(withProbe.checks.find((check) => check.id === "token")?.detail).toContain(
      `then sent to 127.0.0.1:${(cmic.address() as AddressInfo).port}`,
    );
    const offline = await runVerification(base);
    expect(offline.checks.find((check) => check.id === "token")?.detail).toContain("the token is sent nowhere");
  } finally {
    await new Promise<void>((resolve) => cmic.close(() => resolve()));
  }
});

it("never fetches signing keys over plain http, whatever the outputs say", async () => {
  const key = await newSigningKey("tenant-key");
  const now = Math.floor(Date.now() / 1000);
  const token = await signToken(key, goodClaims(now));
  let requests = 0;
  const keys = http.createServer((_request, response) => {
    requests += 1;
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [key.publicJwk] }));
  });
  await new Promise<void>((resolve) => keys.listen(0, "127.0.0.1", resolve));
  try {
    const jwksUri = `http://127.0.0.1:${(keys.address() as AddressInfo).port}/keys`;
    const { checks } = await checkToken(token, expectations({ jwksUri }), createJwksFetcher(), now);
    const signature = checks.find((check) => check.id === "signature");
    expect(signature?.ok).toBe(false);
    expect(signature?.detail).toContain("is not https: signing keys are never fetched in clear text");
    expect(requests).toBe(0);
  } finally {
    await new Promise<void>((resolve) => keys.close(() => resolve()));
  }
});
