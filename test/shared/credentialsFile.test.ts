/**
 * The per-tenant credentials file (scripts/shared/credentialsFile.ts): what it accepts, what it
 * refuses (and that a refused secret is never printed), which tenants fall back to the operator app,
 * and the azuread provider's environment it gives `pulumi up`.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ClientSecretCredential } from "@azure/identity";
import { CmicError } from "../../contract/errors";
import { createDeployerCredential, tenantCredentialTarget } from "../../scripts/shared/credentials";
import {
  CREDENTIALS_FILE_ENV,
  credentialsFileFromEnv,
  deployEnvironment,
  ERR_CREDENTIALS_CERTIFICATE,
  ERR_CREDENTIALS_ENV,
  ERR_CREDENTIALS_FILE,
  loadCredentialsFile,
  parseCredentialsFile,
} from "../../scripts/shared/credentialsFile";
import { generateTestCertificate } from "../support/certificates";

const ACME = "11111111-1111-4111-8111-111111111111";
const CONTOSO = "22222222-2222-4222-8222-222222222222";
const FABRIKAM = "33333333-3333-4333-8333-333333333333";
const ACME_APP = "aaaaaaaa-0000-4000-8000-000000000001";
const CONTOSO_APP = "aaaaaaaa-0000-4000-8000-000000000002";
/** Shaped like a secret Entra issues (3 characters, a digit, Q~, 34 more); never a real one. */
const SECRET_SHAPED = "abc8Q~" + "x".repeat(34);
const FILE = "/secure/tenants.json";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "credentials-file-"));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const parse = (document: unknown, file = FILE) => parseCredentialsFile(JSON.stringify(document), file);

/** The CmicError `work` throws (failing the test if it throws none or another kind). */
function thrown(work: () => unknown): CmicError {
  try {
    work();
  } catch (error) {
    if (error instanceof CmicError) return error;
    throw error;
  }
  throw new Error("expected a CmicError");
}

function writeFile(name: string, text: string, mode = 0o600): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
  return file;
}

describe("parsing", () => {
  test("the three credential forms, tenant ids lower-cased, paths relative to the file's folder", () => {
    const file = parse({
      tenants: {
        [ACME.toUpperCase()]: { clientId: ACME_APP.toUpperCase(), clientSecretEnv: "ACME_CLIENT_SECRET" },
        [CONTOSO]: {
          clientId: CONTOSO_APP,
          certificatePathEnv: "CONTOSO_CERT_PEM_PATH",
          authorityHost: "https://login.microsoftonline.us/",
        },
        [FABRIKAM]: {
          clientId: CONTOSO_APP,
          certificatePath: "certs/fabrikam.pem",
          pfxPath: "/secure/fabrikam.pfx",
          pfxPasswordEnv: "FAB_PFX",
        },
      },
    });
    expect([...file.tenants.keys()]).toEqual([ACME, CONTOSO, FABRIKAM]);
    expect(file.tenants.get(ACME)).toEqual({
      tenantId: ACME,
      clientId: ACME_APP,
      credential: { kind: "secret", secretEnv: "ACME_CLIENT_SECRET" },
    });
    expect(file.tenants.get(CONTOSO)).toMatchObject({
      credential: { kind: "certificate", pemPath: { from: "env", variable: "CONTOSO_CERT_PEM_PATH" } },
      authorityHost: "https://login.microsoftonline.us",
    });
    expect(file.tenants.get(FABRIKAM)).toMatchObject({
      credential: { kind: "certificate", pemPath: { from: "file", value: "/secure/certs/fabrikam.pem" } },
      pfx: { path: { from: "file", value: "/secure/fabrikam.pfx" }, passwordEnv: "FAB_PFX" },
    });
  });

  test("the YAML form (.yaml / .yml) reads the same", () => {
    const yamlText = `tenants:\n  ${ACME}:\n    clientId: ${ACME_APP}\n    clientSecretEnv: ACME_CLIENT_SECRET\n`;
    for (const name of ["/x/tenants.yaml", "/x/tenants.YML"]) {
      expect(parseCredentialsFile(yamlText, name).tenants.get(ACME)?.credential).toEqual({
        kind: "secret",
        secretEnv: "ACME_CLIENT_SECRET",
      });
    }
    // The same text under a .json name is not JSON.
    expect(thrown(() => parseCredentialsFile(yamlText, FILE)).code).toBe(ERR_CREDENTIALS_FILE);
  });

  test.each([
    [
      "clientSecret",
      { clientId: ACME_APP, clientSecret: SECRET_SHAPED },
      /key "clientSecret", which would hold a secret/,
      /clientSecretEnv/,
    ],
    ["password", { clientId: ACME_APP, certificatePath: "/c.pem", password: SECRET_SHAPED }, /key "password"/, /pfxPasswordEnv/],
    ["privateKey", { clientId: ACME_APP, certificatePath: "/c.pem", privateKey: SECRET_SHAPED }, /key "privateKey"/, /certificatePath/],
    [
      "a secret under the env-name key",
      { clientId: ACME_APP, clientSecretEnv: SECRET_SHAPED },
      /"clientSecretEnv" looks like a client secret/,
      /environment variable/,
    ],
    [
      "a secret under an unknown key",
      { clientId: ACME_APP, clientSecretEnv: "A", token: SECRET_SHAPED },
      /"token" looks like a client secret/,
      /environment variable/,
    ],
  ])("a secret value is refused, named by entry and key, never printed: %s", (_name, entry, message, fix) => {
    const error = thrown(() => parse({ tenants: { [ACME]: entry } }));
    expect(error.code).toBe(ERR_CREDENTIALS_FILE);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`tenant ${ACME}`);
    expect(error.message).toContain(FILE);
    expect(error.fix).toMatch(fix);
    expect(`${error.message} ${error.fix}`).not.toContain(SECRET_SHAPED);
    expect(`${error.message} ${error.fix}`).not.toContain("xxxxxxxx");
  });

  test("PEM text in place of a certificate path is refused without printing it", () => {
    const { certificateWithKeyPem } = generateTestCertificate({ commonName: "pasted" });
    const error = thrown(() => parse({ tenants: { [CONTOSO]: { clientId: CONTOSO_APP, certificatePath: certificateWithKeyPem } } }));
    expect(error.message).toMatch(/"certificatePath" looks like a client secret or a PEM key \(not shown\)/);
    expect(`${error.message} ${error.fix}`).not.toContain("BEGIN");
  });

  test("a secret pasted in place of the tenant id is not printed either", () => {
    const error = thrown(() => parse({ tenants: { [SECRET_SHAPED]: { clientId: ACME_APP, clientSecretEnv: "A" } } }));
    expect(error.message).toContain("entry #1");
    expect(error.message).not.toContain(SECRET_SHAPED);
  });

  test("an unknown (misspelt) key is refused rather than ignored", () => {
    const error = thrown(() => parse({ tenants: { [ACME]: { clientId: ACME_APP, clientSecretEnv: "A", authorityHots: "https://x" } } }));
    expect(error.message).toContain(`tenant ${ACME} has the unknown key "authorityHots"`);
    expect(error.fix).toContain("authorityHost");
    expect(thrown(() => parse({ tenant: {} })).message).toContain('unknown top-level key "tenant"');
  });

  test.each([
    [
      "a tenant key that is a domain",
      { "acme.onmicrosoft.com": { clientId: ACME_APP, clientSecretEnv: "A" } },
      /entry #1: its key "acme.onmicrosoft.com" is not a tenant id/,
    ],
    ["a clientId that is not a GUID", { [ACME]: { clientId: "acme-app", clientSecretEnv: "A" } }, /"clientId" is not a GUID/],
    ["no clientId", { [ACME]: { clientSecretEnv: "A" } }, /"clientId" is missing/],
    [
      "a bad variable name",
      { [ACME]: { clientId: ACME_APP, clientSecretEnv: "ACME-SECRET" } },
      /"clientSecretEnv" is not an environment variable name/,
    ],
    [
      "a variable name starting with a digit",
      { [ACME]: { clientId: ACME_APP, certificatePathEnv: "1PATH" } },
      /"certificatePathEnv" is not an environment variable name/,
    ],
    ["no credential", { [ACME]: { clientId: ACME_APP } }, /needs exactly one of/],
    [
      "a secret and a certificate",
      { [ACME]: { clientId: ACME_APP, clientSecretEnv: "A", certificatePath: "/c.pem" } },
      /needs exactly one of .*\(it has a secret and a certificate\)/,
    ],
    [
      "both certificate forms",
      { [ACME]: { clientId: ACME_APP, certificatePath: "/c.pem", certificatePathEnv: "P" } },
      /both "certificatePath" and "certificatePathEnv"/,
    ],
    [
      "an http authority",
      { [ACME]: { clientId: ACME_APP, clientSecretEnv: "A", authorityHost: "http://localhost:1" } },
      /"authorityHost" must be an https URL/,
    ],
    ["a pfx on a secret entry", { [ACME]: { clientId: ACME_APP, clientSecretEnv: "A", pfxPath: "/c.pfx" } }, /PKCS#12 bundle/],
    [
      "a tenant listed twice",
      {
        [CONTOSO_APP]: { clientId: ACME_APP, clientSecretEnv: "A" },
        [CONTOSO_APP.toUpperCase()]: { clientId: ACME_APP, clientSecretEnv: "B" },
      },
      /listed twice/,
    ],
  ])("refused: %s", (_name, tenants, message) => {
    const error = thrown(() => parse({ tenants }));
    expect(error).toMatchObject({ code: ERR_CREDENTIALS_FILE });
    expect(error.message).toMatch(message);
    expect(error.fix).toBeTruthy();
  });

  test("bad JSON names the line where node says it, and never echoes the text around it", () => {
    // Node 22's JSON.parse quotes the text around an unexpected token: here a pasted, unquoted secret.
    const pasted = `{\n  "tenants": {\n    "${ACME}": { "clientId": "${ACME_APP}", "clientSecretEnv": ${SECRET_SHAPED} }\n  }\n}\n`;
    const error = thrown(() => parseCredentialsFile(pasted, FILE));
    expect(error.code).toBe(ERR_CREDENTIALS_FILE);
    expect(error.message).toContain(`credentials file ${FILE} (${CREDENTIALS_FILE_ENV}): is not valid JSON`);
    expect(`${error.message} ${error.fix}`).not.toContain(SECRET_SHAPED);
    const missingComma = `{\n  "tenants": {\n    "${ACME}": { "clientId": "${ACME_APP}" "clientSecretEnv": "A" }\n  }\n}\n`;
    expect(thrown(() => parseCredentialsFile(missingComma, FILE)).message).toMatch(/is not valid JSON at line 3, column \d+$/);
  });

  test("bad YAML names the line and the reason, not a snippet", () => {
    const text = `tenants:\n  ${ACME}:\n    clientId: ${ACME_APP}\n   clientSecretEnv: "${SECRET_SHAPED}\n`;
    const error = thrown(() => parseCredentialsFile(text, "/x/t.yaml"));
    expect(error.message).toMatch(/is not valid YAML at line \d+, column \d+/);
    expect(error.message).not.toContain(SECRET_SHAPED);
  });
});

describe("loading", () => {
  test("a missing file is an error at load naming the file and the variable", () => {
    const missing = path.join(dir, "nope.json");
    const error = thrown(() => credentialsFileFromEnv({ [CREDENTIALS_FILE_ENV]: missing }));
    expect(error.code).toBe(ERR_CREDENTIALS_FILE);
    expect(error.message).toContain(missing);
    expect(error.message).toContain("ENOENT");
    expect(error.fix).toContain(CREDENTIALS_FILE_ENV);
  });

  test("no variable, no file", () => {
    expect(credentialsFileFromEnv({})).toBeNull();
    expect(credentialsFileFromEnv({ [CREDENTIALS_FILE_ENV]: "" })).toBeNull();
  });

  const posix = process.platform === "win32" ? test.skip : test;
  posix("a file others may write is warned about (it holds no secret, so being readable is fine)", () => {
    const text = JSON.stringify({ tenants: { [ACME]: { clientId: ACME_APP, clientSecretEnv: "A" } } });
    expect(loadCredentialsFile(writeFile("readable.json", text, 0o644)).warnings).toEqual([]);
    const [warning] = loadCredentialsFile(writeFile("writable.json", text, 0o666)).warnings;
    expect(warning).toContain("is writable by others (mode 666)");
    expect(warning).toContain("chmod go-w");
  });
});

describe("which credential a tenant gets", () => {
  const secretFile = () =>
    writeFile(
      "mixed.json",
      JSON.stringify({
        tenants: {
          [ACME]: { clientId: ACME_APP, clientSecretEnv: "ACME_CLIENT_SECRET" },
          [CONTOSO]: { clientId: CONTOSO_APP, certificatePathEnv: "CONTOSO_CERT_PEM_PATH" },
        },
      }),
    );

  test("a listed tenant signs in as its own app, with the secret from the named variable and the file's authority", () => {
    const env = { [CREDENTIALS_FILE_ENV]: secretFile(), ACME_CLIENT_SECRET: "acme-secret", AZURE_AUTHORITY_HOST: "https://localhost:4443" };
    expect(tenantCredentialTarget(ACME.toUpperCase(), env)).toEqual({
      tenantId: ACME,
      clientId: ACME_APP,
      credential: { kind: "secret", clientSecret: "acme-secret" },
      authorityHost: "https://localhost:4443",
    });
  });

  test("a tenant the file does not list falls back to the operator app (set-up a)", () => {
    const env = {
      [CREDENTIALS_FILE_ENV]: secretFile(),
      AZURE_CLIENT_ID: "operator",
      AZURE_CLIENT_SECRET: "operator-secret",
      AZURE_AUTHORITY_HOST: "https://localhost:4443",
    };
    expect(tenantCredentialTarget(FABRIKAM, env)).toBeNull();
    expect(tenantCredentialTarget(ACME, { ...env, [CREDENTIALS_FILE_ENV]: undefined })).toBeNull();
    // Unlisted: the operator's secret credential, even though the listed tenants' variables are unset.
    expect(createDeployerCredential(env, FABRIKAM)).toBeInstanceOf(ClientSecretCredential);
  });

  test("an unset or empty variable fails when that tenant's credential is built, naming the variable, never before", () => {
    const env = { [CREDENTIALS_FILE_ENV]: secretFile() };
    expect(credentialsFileFromEnv(env)?.tenants.size).toBe(2);
    const unset = thrown(() => createDeployerCredential(env, ACME));
    expect(unset.code).toBe(ERR_CREDENTIALS_ENV);
    expect(unset.message).toContain("the environment variable ACME_CLIENT_SECRET is not set");
    expect(unset.message).toContain(`tenant ${ACME}`);
    expect(unset.fix).toContain("set ACME_CLIENT_SECRET");
    expect(thrown(() => createDeployerCredential({ ...env, ACME_CLIENT_SECRET: "" }, ACME)).message).toContain(
      "ACME_CLIENT_SECRET is empty",
    );
    expect(thrown(() => createDeployerCredential(env, CONTOSO)).message).toContain("CONTOSO_CERT_PEM_PATH is not set");
  });

  test("a certificate entry reads its PEM when built; a file that is not cert + key is refused", () => {
    const certificate = generateTestCertificate({ commonName: "contoso drift" });
    const pem = writeFile("contoso.pem", certificate.certificateWithKeyPem);
    const env = { [CREDENTIALS_FILE_ENV]: secretFile(), CONTOSO_CERT_PEM_PATH: pem };
    expect(tenantCredentialTarget(CONTOSO, env)?.credential).toEqual({
      kind: "certificate",
      certificatePem: certificate.certificateWithKeyPem,
    });
    const certOnly = writeFile("cert-only.pem", certificate.certPem);
    const error = thrown(() => tenantCredentialTarget(CONTOSO, { ...env, CONTOSO_CERT_PEM_PATH: certOnly }));
    expect(error.code).toBe(ERR_CREDENTIALS_CERTIFICATE);
    expect(error.message).toContain(certOnly);
    expect(error.message).not.toContain("BEGIN");
  });
});

describe("deployEnvironment (the azuread provider's ARM_* variables for pulumi up)", () => {
  const file = parse({
    tenants: {
      [ACME]: { clientId: ACME_APP, clientSecretEnv: "ACME_CLIENT_SECRET" },
      [CONTOSO]: { clientId: CONTOSO_APP, certificatePath: "/secure/contoso.pem" },
      [FABRIKAM]: {
        clientId: CONTOSO_APP,
        certificatePath: "/secure/fab.pem",
        pfxPathEnv: "FAB_PFX_PATH",
        pfxPasswordEnv: "FAB_PFX_PASSWORD",
      },
    },
  });

  test("a secret entry: tenant, client and the secret from its variable; certificate variables emptied", () => {
    expect(deployEnvironment(ACME.toUpperCase(), { ACME_CLIENT_SECRET: "s3cret" }, file)).toEqual({
      ARM_TENANT_ID: ACME,
      ARM_CLIENT_ID: ACME_APP,
      ARM_CLIENT_SECRET: "s3cret",
      ARM_CLIENT_SECRET_FILE_PATH: "",
      ARM_CLIENT_CERTIFICATE: "",
      ARM_CLIENT_CERTIFICATE_PATH: "",
      ARM_CLIENT_CERTIFICATE_PASSWORD: "",
    });
    expect(thrown(() => deployEnvironment(ACME, {}, file)).code).toBe(ERR_CREDENTIALS_ENV);
  });

  test("a certificate entry deploys with its PKCS#12 bundle; a PEM alone is refused with the conversion", () => {
    expect(deployEnvironment(FABRIKAM, { FAB_PFX_PATH: "/secure/fab.pfx", FAB_PFX_PASSWORD: "pw" }, file)).toEqual({
      ARM_TENANT_ID: FABRIKAM,
      ARM_CLIENT_ID: CONTOSO_APP,
      ARM_CLIENT_CERTIFICATE_PATH: "/secure/fab.pfx",
      ARM_CLIENT_CERTIFICATE_PASSWORD: "pw",
      ARM_CLIENT_CERTIFICATE: "",
      ARM_CLIENT_SECRET: "",
      ARM_CLIENT_SECRET_FILE_PATH: "",
    });
    const error = thrown(() => deployEnvironment(CONTOSO, {}, file));
    expect(error.code).toBe(ERR_CREDENTIALS_CERTIFICATE);
    expect(error.message).toContain("PKCS#12 (.pfx)");
    expect(error.fix).toContain("openssl pkcs12 -export");
    expect(error.fix).toContain('"pfxPath"');
  });

  test("null for a tenant not in the file, or with no file", () => {
    expect(deployEnvironment(FABRIKAM.replace("3", "4"), {}, file)).toBeNull();
    expect(deployEnvironment(ACME, {})).toBeNull();
  });
});
