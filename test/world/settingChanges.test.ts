/**
 * What each setting change does to the live app on the next `pulumi up`, measured in a local world
 * through the real program and the provider models, and held against the table README.md gives
 * admins ("What a setting change does"): the table must say what really happens, for every setting.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { SETTING_KEYS } from "../../components/configKeys";
import { runSandbox, type SandboxResult } from "../../scripts/sandbox/runSandbox";
import { deployerGraph } from "../../scripts/world/deployerGraph";
import { openWorldForReading, tenantOf } from "../../scripts/world/session";
import { generateTestCertificate } from "../support/certificates";

const FIRST = generateTestCertificate({ commonName: "arcoro-connector" });
const SECOND = generateTestCertificate({ commonName: "arcoro-connector-2" });
const KEYS = mkdtempSync(path.join(tmpdir(), "cmic-world-keys-"));
const KEY_FILE = path.join(KEYS, "connector.pem");
const KEY_FILE_COPY = path.join(KEYS, "connector-copy.pem");
writeFileSync(KEY_FILE, FIRST.certificateWithKeyPem, { mode: 0o600 });
writeFileSync(KEY_FILE_COPY, FIRST.certificateWithKeyPem, { mode: 0o600 });

type Settings = Record<string, string>;

function loadIndex(): Record<string, unknown> {
  let program: Record<string, unknown> = {};
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program = require("../..");
  });
  return program;
}

async function up(dir: string, settings: Settings): Promise<SandboxResult> {
  const result = await runSandbox({
    stack: "acme",
    config: Object.fromEntries(Object.entries(settings).map(([key, value]) => [`cmic-entra-oauth:${key}`, value])),
    propagationDelayMs: 200,
    propagationWindowMs: 6_000,
    loadProgram: loadIndex,
    stateDir: dir,
    at: "+1d",
    log: () => undefined,
  });
  if (!result.ok) throw result.error;
  return result;
}

const BASE: Settings = { deployment: "enterprise", serviceUser: "ARCORO_SVC", verifiedDomain: "contoso.com" };
const CLOUD: Settings = { deployment: "cloud", serviceUser: "ARCORO_SVC", cmicTenant: "ACME", verifiedDomain: "contoso.com" };
const BOTH: Settings = { ...BASE, credential: "both", certificate: FIRST.certPem };
const CERTIFICATE: Settings = { ...BASE, credential: "certificate", certificate: FIRST.certPem, postDeployCertificateFile: KEY_FILE };

/**
 * Settings a live stack cannot change: a tenant does not move between clouds, so a new azureCloud
 * without the provider signing in to that cloud is refused before anything is touched (README: "refused").
 */
const REFUSED = {
  azureCloud: [BASE, { azureCloud: "usgovernment" }, "the azuread provider would sign in to the public cloud"],
} as const satisfies Record<string, [Settings, Settings, string]>;

/** Each setting: the stack before, and the change (a function for values only the world knows). */
const CHANGES: Record<
  Exclude<(typeof SETTING_KEYS)[number], keyof typeof REFUSED>,
  [Settings, (world: string) => Promise<Settings> | Settings]
> = {
  deployment: [BASE, () => ({ deployment: "cloud", cmicTenant: "ACME" })],
  serviceUser: [BASE, () => ({ serviceUser: "ARCORO_SVC2" })],
  cmicTenant: [CLOUD, () => ({ cmicTenant: "BETA" })],
  verifiedDomain: [BASE, () => ({ verifiedDomain: "fabrikam.com" })],
  identifierUriFormat: [BASE, () => ({ identifierUriFormat: "api://{domain}/{clientId}" })],
  claimSource: [BASE, () => ({ claimSource: "registration" })],
  claimName: [BASE, () => ({ claimName: "cmic_user" })],
  credential: [BASE, () => ({ credential: "both", certificate: FIRST.certPem })],
  certificate: [BOTH, () => ({ certificate: SECOND.certPem })],
  secretLifetimeDays: [BASE, () => ({ secretLifetimeDays: "90" })],
  handoverDays: [BASE, () => ({ handoverDays: "10" })],
  displayName: [BASE, () => ({ displayName: "CMiC for Acme" })],
  owners: [BASE, async (dir) => ({ owners: JSON.stringify([await deployerObjectId(dir)]) })],
  protect: [BASE, () => ({ protect: "false" })],
  postDeployCheck: [BASE, () => ({ postDeployCheck: "false" })],
  postDeployCertificateFile: [CERTIFICATE, () => ({ postDeployCertificateFile: KEY_FILE_COPY })],
  accessTokenVersion: [BASE, () => ({ accessTokenVersion: "1" })],
  connectorProfile: [BASE, () => ({ connectorProfile: "informatica-cai" })],
  optionalClaims: [BASE, () => ({ optionalClaims: '["ipaddr"]' })],
};

/** A real directory object to own the app: the deployer's service principal. */
async function deployerObjectId(dir: string): Promise<string> {
  const session = await openWorldForReading(dir, undefined);
  try {
    const tenant = tenantOf(session.world);
    const found = (await deployerGraph(session.emulator.url, tenant)
      .api("/servicePrincipals")
      .filter(`appId eq '${tenant.deployer.clientId}'`)
      .get()) as { value: { id: string }[] };
    return found.value[0].id;
  } finally {
    await session.close();
  }
}

/** README's table: setting → the ops it documents, as `name op` sorted, or "none". */
function documentedChanges(): Map<string, string> {
  const readme = readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
  const section = readme.split("### What a setting change does")[1]?.split("\n### ")[0] ?? "";
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim());
    const setting = /^`([A-Za-z]+)`/.exec(cells[1] ?? "")?.[1];
    if (setting && cells.length >= 4) rows.set(setting, cells[2].replace(/`/g, ""));
  }
  return rows;
}

function measured(result: SandboxResult): string {
  const changed = result.steps
    .filter((step) => step.op !== "same")
    .map((step) => `${step.name} ${step.op}`)
    .sort();
  return changed.length > 0 ? changed.join(", ") : "none";
}

const documented = documentedChanges();

it("README documents every setting", () => {
  expect([...documented.keys()].sort()).toEqual([...SETTING_KEYS].sort());
});

describe.each(Object.entries(REFUSED))("changing %s", (setting, [before, change, reason]) => {
  it("is refused as README says, and the stack is left as it was", async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "cmic-world-")), "world");
    await up(dir, before);
    await expect(up(dir, { ...before, ...change })).rejects.toThrow(reason);
    expect(documented.get(setting)).toBe("refused");
    expect(measured(await up(dir, before))).toBe("none");
  });
});

describe.each(Object.entries(CHANGES))("changing %s", (setting, [before, change]) => {
  it("does what README says, and the run after it changes nothing", async () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "cmic-world-")), "world");
    await up(dir, before);
    const after = { ...before, ...(await change(dir)) };
    const result = await up(dir, after);
    expect(measured(result)).toBe(documented.get(setting));
    expect(measured(await up(dir, after))).toBe("none");
  });
});
