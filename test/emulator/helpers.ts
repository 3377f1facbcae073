/** Helpers shared by the emulator tests: raw token requests, client assertions, AADSTS codes. */
import crypto from "node:crypto";
import { SignJWT } from "jose";
import type { Client } from "@microsoft/microsoft-graph-client";
import { createClientCredential } from "../../scripts/shared/credentials";
import type { TestCertificate } from "../support/certificates";
import type { EmulatorFixture } from "../support/emulatorFixture";

export interface RawResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

export async function rawRequest(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** POST a form to the emulator's token endpoint (v2 by default). */
export function postToken(
  origin: string,
  tenant: string,
  form: Record<string, string>,
  options: { v1?: boolean; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  const path = options.v1 ? "oauth2/token" : "oauth2/v2.0/token";
  return rawRequest(`${origin}/${tenant}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(options.headers ?? {}) },
    body: new URLSearchParams(form).toString(),
  });
}

/** The AADSTS code @azure/identity surfaces in its error message. */
export function aadstsCode(error: unknown): number | undefined {
  const match = /AADSTS(\d+)/.exec(error instanceof Error ? error.message : String(error));
  return match ? Number(match[1]) : undefined;
}

/** Acquire a token with a fresh secret credential and return the AADSTS code it failed with (or the token). */
export async function tokenWithSecret(
  fixture: EmulatorFixture,
  clientId: string,
  clientSecret: string,
  scope: string,
  tenantId = fixture.tenant.tenantId,
): Promise<string> {
  const credential = createClientCredential({
    tenantId,
    clientId,
    credential: { kind: "secret", clientSecret },
    authorityHost: fixture.authorityHost,
  });
  const token = await credential.getToken(scope);
  if (!token) throw new Error("getToken returned null");
  return token.token;
}

export async function tokenWithCertificate(
  fixture: EmulatorFixture,
  clientId: string,
  certificate: TestCertificate,
  scope: string,
): Promise<string> {
  const credential = createClientCredential({
    tenantId: fixture.tenant.tenantId,
    clientId,
    credential: { kind: "certificate", certificatePem: certificate.certificateWithKeyPem },
    authorityHost: fixture.authorityHost,
  });
  const token = await credential.getToken(scope);
  if (!token) throw new Error("getToken returned null");
  return token.token;
}

/** Expect a promise to reject with the given AADSTS code in its message. */
export async function expectAadsts(promise: Promise<unknown>, code: number): Promise<string> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(Error);
  expect(aadstsCode(error)).toBe(code);
  return (error as Error).message;
}

export function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8")) as Record<string, unknown>;
}

export function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split(".")[0], "base64url").toString("utf8")) as Record<string, unknown>;
}

export interface AssertionOptions {
  clientId: string;
  audience: string;
  certificate: TestCertificate;
  /** Sign with this key instead of the certificate's (a bad signature). */
  signingKeyPem?: string;
  expiresInSeconds?: number;
  thumbprintHeader?: "x5t" | "x5t#S256";
}

/** A client assertion built by hand, for the cases @azure/identity would never produce. */
export async function clientAssertion(options: AssertionOptions): Promise<string> {
  const der = Buffer.from(options.certificate.certDerBase64, "base64");
  const header =
    options.thumbprintHeader === "x5t#S256"
      ? { alg: "RS256", typ: "JWT", "x5t#S256": crypto.createHash("sha256").update(der).digest("base64url") }
      : { alg: "RS256", typ: "JWT", x5t: crypto.createHash("sha1").update(der).digest("base64url") };
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: crypto.randomUUID() })
    .setProtectedHeader(header)
    .setIssuer(options.clientId)
    .setSubject(options.clientId)
    .setAudience(options.audience)
    .setNotBefore(now - 60)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (options.expiresInSeconds ?? 600))
    .sign(crypto.createPrivateKey(options.signingKeyPem ?? options.certificate.keyPem));
}

/** Upload a certificate to an application as Graph's keyCredentials. */
export async function uploadCertificate(graph: Client, applicationObjectId: string, certificate: TestCertificate): Promise<void> {
  await graph.api(`/applications/${applicationObjectId}`).patch({
    keyCredentials: [{ type: "AsymmetricX509Cert", usage: "Verify", key: certificate.certDerBase64, displayName: "CN=test" }],
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Retry `attempt` until it resolves or `timeoutMs` passes (for replication windows). */
export async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 10_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(intervalMs);
    }
  }
}
