/**
 * Every class of invalid setting is stopped before anything is declared: the real program
 * (index.ts) runs under Pulumi's mocks with each bad value, and must fail naming the setting,
 * printed as a user error (no stack trace), with not one resource registered (so nothing could
 * have been written to Entra). A few good values beside them prove the rules are not too wide.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import yaml from "js-yaml";
import * as pulumi from "@pulumi/pulumi";
import { SETTING_KEYS } from "../../components/configKeys";
import { runProgram } from "../../scripts/sandbox/runProgram";
import { generateTestCertificate } from "../support/certificates";
import { RecordingMocks } from "../support/recordingMocks";

const TENANT = "3f2504e0-4f89-41d3-9a0c-0305e82c3301";
const NOW = new Date();
const BASE = { deployment: "enterprise", serviceUser: "ARCORO_SVC" };
const CLOUD = { deployment: "cloud", serviceUser: "ARCORO_SVC", cmicTenant: "ACME" };

function loadIndex(): Record<string, unknown> {
  let program: Record<string, unknown> = {};
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require("../..");
  });
  return program;
}

interface Outcome {
  error: unknown;
  resources: number;
  warnings: string[];
}

/** Runs index.ts with `config` (keys without a namespace are the project's settings). */
async function run(config: Record<string, string>): Promise<Outcome> {
  const mocks = new RecordingMocks({ tenantId: TENANT, initialDomain: "contoso.onmicrosoft.com", now: NOW });
  const qualified: Record<string, string> = { "azuread:tenantId": TENANT };
  for (const [key, value] of Object.entries(config)) qualified[key.includes(":") ? key : `cmic-entra-oauth:${key}`] = value;
  // index.ts runs with its own copy of @pulumi/pulumi (jest.isolateModules), whose log.warn writes
  // to console.warn when no engine is attached (@pulumi/pulumi log/index.js): capture it there.
  const warnings: string[] = [];
  const warn = jest.spyOn(console, "warn").mockImplementation((message: unknown) => {
    warnings.push(String(message));
  });
  try {
    await runProgram({ stack: "acme-prod", config: qualified, mocks, loadProgram: loadIndex });
    return { error: null, resources: mocks.resources.length, warnings };
  } catch (error) {
    return { error, resources: mocks.resources.length, warnings };
  } finally {
    warn.mockRestore();
  }
}

const pem = generateTestCertificate({ commonName: "connector" });
const future = generateTestCertificate({ commonName: "later", notBefore: new Date(Date.now() + 7 * 24 * 3600 * 1000) });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cmic-settings-"));
const certOnly = path.join(scratch, "cert-only.pem");
const withKey = path.join(scratch, "with-key.pem");
const encryptedKey = path.join(scratch, "encrypted.pem");
fs.writeFileSync(certOnly, pem.certPem);
fs.writeFileSync(withKey, pem.certificateWithKeyPem);
fs.writeFileSync(
  encryptedKey,
  pem.certPem +
    crypto
      .createPrivateKey(pem.keyPem)
      .export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "pass-phrase" })
      .toString(),
);
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

const { privateKey: dsaKey } = crypto.generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 256 });
const PRIVATE_KEY_BLOCKS: Array<[string, string]> = [
  ["PKCS#8", pem.keyPem],
  ["RSA (PKCS#1)", crypto.createPrivateKey(pem.keyPem).export({ type: "pkcs1", format: "pem" }).toString()],
  [
    "encrypted PKCS#8",
    crypto.createPrivateKey(pem.keyPem).export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "x-x-x-x-x" }).toString(),
  ],
  [
    "DSA",
    dsaKey
      .export({ type: "pkcs8", format: "pem" })
      .toString()
      .replace(/PRIVATE KEY/g, "DSA PRIVATE KEY"),
  ],
  ["OpenSSH", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"],
];

/** [what, settings, the setting the problem must name]. */
const INVALID: Array<[string, Record<string, string>, string]> = [
  ["zero-width space in the user", { ...BASE, serviceUser: "ARCORO\u200bSVC" }, "serviceUser"],
  ["right-to-left override in the user", { ...BASE, serviceUser: "ARCORO\u202eSVC" }, "serviceUser"],
  ["next-line (U+0085) in the user", { ...BASE, serviceUser: "ARCORO\u0085SVC" }, "serviceUser"],
  ["no-break space in the user", { ...BASE, serviceUser: "ARCORO\u00a0SVC" }, "serviceUser"],
  ["fullwidth ｜ in the user", { ...BASE, serviceUser: "ACME｜SVC" }, "serviceUser"],
  ["Cyrillic а in the user", { ...BASE, serviceUser: "\u0430rcoro" }, "serviceUser"],
  ["double quote in the user", { ...BASE, serviceUser: 'ARCORO"SVC' }, "serviceUser"],
  ["single quote in the user", { ...BASE, serviceUser: "ARCORO'SVC" }, "serviceUser"],
  ["5,000-character user", { ...BASE, serviceUser: "A".repeat(5_000) }, "serviceUser"],
  ["1,000,000-character user", { ...BASE, serviceUser: "A".repeat(1_000_000) }, "serviceUser"],
  ["space inside the user", { ...BASE, serviceUser: "ARCORO SVC" }, "serviceUser"],
  ["Cyrillic letter in the Cloud tenant", { ...CLOUD, cmicTenant: "\u0410CME" }, "cmicTenant"],
  ["zero-width joiner in the Cloud tenant", { ...CLOUD, cmicTenant: "AC\u200dME" }, "cmicTenant"],
  ["300-character Cloud tenant", { ...CLOUD, cmicTenant: "T".repeat(300) }, "cmicTenant"],
  ["URI host that merely contains {domain}", { ...BASE, identifierUriFormat: "https://{domain}.evil.example" }, "identifierUriFormat"],
  ["URI with user info before the host", { ...BASE, identifierUriFormat: "https://{domain}@evil.example" }, "identifierUriFormat"],
  ["URI host glued to {domain}", { ...BASE, identifierUriFormat: "api://x{domain}" }, "identifierUriFormat"],
  ["URI with a query", { ...BASE, identifierUriFormat: "api://{clientId}.{domain}?x=1" }, "identifierUriFormat"],
  ["URI with a fragment", { ...BASE, identifierUriFormat: "api://{clientId}.{domain}#x" }, "identifierUriFormat"],
  ["unknown placeholder {tenantId}", { ...BASE, identifierUriFormat: "api://{tenantId}.{domain}" }, "identifierUriFormat"],
  ["placeholder in the wrong case {clientid}", { ...BASE, identifierUriFormat: "api://{clientid}.{domain}" }, "identifierUriFormat"],
  [
    "https URI off the domain even without mapped claims",
    { ...BASE, claimSource: "registration", identifierUriFormat: "https://evil.example/{clientId}" },
    "identifierUriFormat",
  ],
  ...PRIVATE_KEY_BLOCKS.map(([kind, block]): [string, Record<string, string>, string] => [
    `a certificate with a ${kind} private key`,
    { ...BASE, credential: "certificate", certificate: pem.certPem + block },
    "certificate",
  ]),
  [
    "a public key block beside the certificate",
    {
      ...BASE,
      credential: "certificate",
      certificate: pem.certPem + crypto.createPublicKey(pem.keyPem).export({ type: "spki", format: "pem" }),
    },
    "certificate",
  ],
  ["a certificate not yet valid", { ...BASE, credential: "certificate", certificate: future.certPem }, "certificate"],
  ["claim name email", { ...BASE, claimName: "email" }, "claimName"],
  ["claim name upn", { ...BASE, claimName: "upn" }, "claimName"],
  ["claim name groups", { ...BASE, claimName: "groups" }, "claimName"],
  ["claim name client_id", { ...BASE, claimName: "client_id" }, "claimName"],
  ["claim name idp", { ...BASE, claimName: "idp" }, "claimName"],
  ["claim name cnf", { ...BASE, claimName: "cnf" }, "claimName"],
  ["claim name preferred_username", { ...BASE, claimName: "preferred_username" }, "claimName"],
  ["claim name xms_cc", { ...BASE, claimName: "xms_cc" }, "claimName"],
  ["claim name XMS_anything", { ...BASE, claimName: "XMS_anything" }, "claimName"],
  ["display name with an apostrophe", { ...BASE, displayName: "O'Brien CMiC" }, "displayName"],
  ["display name with a newline", { ...BASE, displayName: "CMiC\nintegration" }, "displayName"],
  ["display name with NUL", { ...BASE, displayName: "CMiC\u0000integration" }, "displayName"],
  ["display name with a backtick", { ...BASE, displayName: "CMiC `integration`" }, "displayName"],
  ["display name with a zero-width space", { ...BASE, displayName: "CMiC\u200bintegration" }, "displayName"],
  ["a typo in a setting's name", { ...BASE, secretLifetimeDay: "90" }, "secretLifetimeDay"],
  ["a setting name in the wrong case", { ...BASE, ServiceUser: "X" }, "ServiceUser"],
  [
    "post-deploy certificate file that does not exist",
    { ...BASE, credential: "certificate", certificate: pem.certPem, postDeployCertificateFile: path.join(scratch, "missing.pem") },
    "postDeployCertificateFile",
  ],
  [
    "post-deploy certificate file without a private key",
    { ...BASE, credential: "certificate", certificate: pem.certPem, postDeployCertificateFile: certOnly },
    "postDeployCertificateFile",
  ],
  [
    "post-deploy certificate file with an encrypted key",
    { ...BASE, credential: "certificate", certificate: pem.certPem, postDeployCertificateFile: encryptedKey },
    "postDeployCertificateFile",
  ],
  ["the nil tenant GUID", { ...BASE, "azuread:tenantId": "00000000-0000-0000-0000-000000000000" }, "tenantId"],
  ["a domain as tenant id", { ...BASE, "azuread:tenantId": "contoso.onmicrosoft.com" }, "tenantId"],
];

describe("invalid settings are stopped before anything is declared", () => {
  it.each(INVALID)("%s", async (_what, settings, key) => {
    const outcome = await run(settings);
    expect(outcome.resources).toBe(0);
    expect(outcome.error).toMatchObject({ code: "ERR_SETTINGS", __pulumiRunError: true });
    expect(pulumi.RunError.isInstance(outcome.error)).toBe(true);
    const message = (outcome.error as Error).message;
    expect(message).toContain(`cmic-entra-oauth:${key} `);
    expect(message).toContain("Fix: ");
  });

  it("a type error is listed once", async () => {
    const outcome = await run({ ...BASE, secretLifetimeDays: "ninety" });
    const message = (outcome.error as Error).message;
    expect(message.split("\n").filter((line) => line.includes("secretLifetimeDays"))).toHaveLength(1);
  });

  it("names the invisible character by its code point", async () => {
    const outcome = await run({ ...BASE, serviceUser: "ARCORO\u200bSVC" });
    expect((outcome.error as Error).message).toContain("U+200B (zero-width space)");
  });

  it("suggests the setting a typo meant", async () => {
    const outcome = await run({ ...BASE, secretLifetimeDay: "90" });
    expect((outcome.error as Error).message).toContain("did you mean secretLifetimeDays?");
  });
});

describe("the rules are not too wide", () => {
  it.each([
    ["an identifier username", { ...BASE, serviceUser: "ARCORO_SVC.01-X$#" }],
    ["an email-format Cloud username", { deployment: "cloud", serviceUser: "svc.arcoro+cmic@acme-construction.com" }],
    ["a subdomain identifier URI", { ...BASE, identifierUriFormat: "https://cmic.{domain}/{clientId}" }],
    ["the default URI form", { ...BASE, identifierUriFormat: "api://{clientId}.{domain}" }],
    [
      "api://{clientId} when CMiC reads the user from its registration",
      { deployment: "enterprise", claimSource: "registration", identifierUriFormat: "api://{clientId}" },
    ],
    [
      "a post-deploy certificate file with its key",
      { ...BASE, credential: "certificate", certificate: pem.certPem, postDeployCertificateFile: withKey },
    ],
    ["a display name with a typographic apostrophe", { ...BASE, displayName: "O’Brien CMiC" }],
  ])("accepts %s", async (_what, settings) => {
    const outcome = await run(settings);
    expect(outcome.error).toBeNull();
    expect(outcome.resources).toBeGreaterThan(0);
  });

  it("warns, without stopping, about a namespace that looks like the project's", async () => {
    const outcome = await run({ ...BASE, "cmic-entra-oath:credential": "certificate" });
    expect(outcome.error).toBeNull();
    expect(outcome.warnings.join("\n")).toMatch(
      /'cmic-entra-oath:credential' is in namespace 'cmic-entra-oath'.*pulumi config set cmic-entra-oauth:credential/,
    );
  });
});

describe("the settings list", () => {
  it("is the one Pulumi.yaml declares", () => {
    const project = yaml.load(fs.readFileSync(path.join(__dirname, "..", "..", "Pulumi.yaml"), "utf8")) as {
      config: Record<string, unknown>;
    };
    expect(Object.keys(project.config).sort()).toEqual([...SETTING_KEYS].sort());
  });
});
