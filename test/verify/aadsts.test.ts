import { AuthenticationError, CredentialUnavailableError } from "@azure/identity";
import {
  AADSTS_CATALOGUE,
  classifyEntraError,
  describeDiagnosis,
  diagnoseEntraError,
  entraSentence,
  extractAadstsCode,
} from "../../scripts/verify/aadsts";

const ctx = { tenantId: "t-1", clientId: "c-1", scope: "api://c-1/.default" };

describe("AADSTS diagnosis", () => {
  it("extracts the code from @azure/identity's wrapped text", () => {
    expect(extractAadstsCode("ClientSecretCredential authentication failed: AADSTS7000215: Invalid client secret provided.")).toBe(
      "7000215",
    );
    expect(extractAadstsCode("no code here")).toBeNull();
  });

  it("catalogues every code the brief names, each with cause, fix and a retry class", () => {
    for (const code of [
      "50146",
      "501461",
      "1002012",
      "7000215",
      "7000222",
      "700016",
      "7000229",
      "90002",
      "90009",
      "500011",
      "700025",
      "700027",
      "7000216",
      "50196",
    ]) {
      const entry = AADSTS_CATALOGUE.get(code);
      expect(entry).toBeDefined();
      expect(entry!.cause(ctx).length).toBeGreaterThan(20);
      expect(entry!.fix(ctx).length).toBeGreaterThan(20);
    }
  });

  it.each([
    ["7000215", "propagation"],
    ["700016", "propagation"],
    ["500011", "propagation"],
    ["700027", "propagation"],
    ["7000229", "propagation"],
    ["700025", "permanent"],
    ["90009", "permanent"],
    ["1002012", "permanent"],
    ["90002", "permanent"],
    ["501461", "permanent"],
    ["50146", "permanent"],
    ["7000222", "permanent"],
    ["50196", "transient"],
    ["90033", "transient"],
  ])("AADSTS%s is %s", (code, retry) => {
    expect(diagnoseEntraError(new Error(`failed: AADSTS${code}: text`), ctx).retry).toBe(retry);
  });

  it("retries 50146 and 501461 as propagation only right after a deployment", () => {
    for (const code of ["50146", "501461"]) {
      const error = new Error(`failed: AADSTS${code}: text`);
      expect(diagnoseEntraError(error, { ...ctx, justDeployed: true }).retry).toBe("propagation");
      expect(diagnoseEntraError(error, { ...ctx, justDeployed: false }).retry).toBe("permanent");
    }
    // Other permanent errors stay permanent after a deployment.
    expect(diagnoseEntraError(new Error("AADSTS1002012: scope"), { ...ctx, justDeployed: true }).retry).toBe("permanent");
  });

  it("reads MSAL's network_error (underscore) as a network failure naming the host, not an unknown reason", () => {
    const diagnosis = diagnoseEntraError(new Error("network_error: Network request failed"), {
      ...ctx,
      authorityHost: "https://login.example.test",
    });
    expect(diagnosis).toMatchObject({ code: null, short: "cannot reach Entra", retry: "transient" });
    expect(diagnosis.cause).toContain("login.example.test");
  });

  it("names the verified-domain form of the identifier URI for 501461", () => {
    const diagnosis = diagnoseEntraError(new Error("AADSTS501461: AcceptMappedClaims is only supported…"), ctx);
    expect(diagnosis.fix).toContain("api://c-1.<your verified domain>");
    expect(diagnosis.fix).toContain("verifiedDomain");
  });

  it("tells secret value from secret ID for 7000215 and rotation for 7000222", () => {
    expect(diagnoseEntraError(new Error("AADSTS7000215: Invalid client secret"), ctx).fix).toMatch(/secret Value.*not the Secret ID/);
    expect(diagnoseEntraError(new Error("AADSTS7000222: expired"), ctx).fix).toContain("pulumi up");
  });

  it("keeps the 90002 diagnosis for an unknown tenant surfacing as CredentialUnavailableError", () => {
    const error = new CredentialUnavailableError(
      "ClientSecretCredential: endpoints_resolution_error: Error: could not resolve endpoints. invalid_tenant",
    );
    const diagnosis = diagnoseEntraError(error, ctx);
    expect(diagnosis.code).toBe("90002");
    expect(diagnosis.retry).toBe("permanent");
  });

  it("treats 429 and 5xx as transient and honours Retry-After", () => {
    const throttled = new AuthenticationError(429, { error: "throttled", error_description: "Too many requests" });
    Object.assign(throttled, { retryAfterInMs: 2000 });
    const diagnosis = diagnoseEntraError(throttled, ctx);
    expect(diagnosis).toMatchObject({ retry: "transient", code: "429", retryAfterMs: 2000 });
    expect(describeDiagnosis(diagnosis)).toBe("HTTP 429 (throttled by Entra)");
    expect(
      classifyEntraError(new AuthenticationError(503, { error: "temporarily_unavailable", error_description: "later" })).entry.retry,
    ).toBe("transient");
  });

  it("treats connection failures as transient and TLS trust as permanent", () => {
    expect(diagnoseEntraError(new Error("connect ECONNREFUSED 127.0.0.1:1"), ctx).retry).toBe("transient");
    expect(diagnoseEntraError(new Error("self-signed certificate in certificate chain"), ctx).retry).toBe("permanent");
  });

  it("treats an unknown code with OAuth's temporarily_unavailable as transient", () => {
    expect(diagnoseEntraError(new Error("temporarily_unavailable: AADSTS9999998: try later"), ctx).retry).toBe("transient");
  });

  it("falls back to a generic diagnosis for an unknown code", () => {
    const diagnosis = diagnoseEntraError(new Error("AADSTS9999999: something new"), ctx);
    expect(diagnosis).toMatchObject({ code: "9999999", retry: "permanent" });
    expect(diagnosis.fix).toContain("login.microsoftonline.com/error?code=");
  });

  it("passes Entra's text through the redactor", () => {
    const diagnosis = diagnoseEntraError(new Error("AADSTS7000215: bad secret s3cr3t-value-xyz"), ctx, (t) =>
      t.replace("s3cr3t-value-xyz", "[redacted]"),
    );
    expect(diagnosis.message).not.toContain("s3cr3t-value-xyz");
  });
});

describe("entraSentence", () => {
  it("keeps Entra's sentence and drops trace ids and timestamps", () => {
    const text =
      "ClientSecretCredential authentication failed: invalid_client: Error(s): 7000215 - Timestamp: 2026-11-23 11:33:58Z - Description: " +
      "AADSTS7000215: Invalid client secret provided. Trace ID: abc Correlation ID: def Timestamp: 2026-11-23\nmore";
    expect(entraSentence(text)).toBe("AADSTS7000215: Invalid client secret provided.");
    expect(entraSentence("\nendpoints_resolution_error: see docs\nstack")).toBe("endpoints_resolution_error: see docs");
  });
});
