/**
 * new-customer's domain check against the project's emulator over real HTTPS (@azure/identity,
 * the Graph client, GET /domains): it signs in to the CUSTOMER'S tenant, not AZURE_TENANT_ID's; a
 * verified domain is accepted, an unverified or unknown one refused with the tenant's verified
 * domains, and a tenant where the app is not consented (or has no permission) is a failure with
 * the consent fix. Nothing is written unless the check passed or was not asked for.
 */
import fs from "node:fs";
import path from "node:path";
import { registerOperatorApp } from "../../scripts/bench/driftBench";
import type { EmulatorTenant } from "../../emulator";
import { useEmulatorFixture } from "../support/emulatorFixture";
import { runNewCustomer, TENANT_ID, tempProject } from "./runNewCustomer";

const fixture = useEmulatorFixture({
  tenant: { initialDomain: "integrator-home.onmicrosoft.com", verifiedDomains: ["integrator.example"] },
});

let customer: EmulatorTenant;
const dirs: string[] = [];
beforeAll(() => {
  customer = fixture().emulator.addTenant({ initialDomain: "acme.onmicrosoft.com", verifiedDomains: ["acme.com"] });
  fixture().emulator.addDomain(customer.tenantId, "pending.acme.com");
});
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function project(): string {
  const dir = tempProject("domains");
  dirs.push(dir);
  return dir;
}

/** Signed in as `client`, with AZURE_TENANT_ID deliberately the integrator's home tenant: the check must use --tenant-id. */
function envAs(client: { clientId: string; clientSecret: string }): NodeJS.ProcessEnv {
  const { emulator, tenant: home } = fixture();
  return {
    AZURE_TENANT_ID: home.tenantId,
    AZURE_CLIENT_ID: client.clientId,
    AZURE_CLIENT_SECRET: client.clientSecret,
    AZURE_AUTHORITY_HOST: emulator.url,
    CMIC_GRAPH_URL: emulator.url,
  };
}

function args(dir: string, tenantId: string, ...extra: string[]): string[] {
  return ["--stack", "acme", "--tenant-id", tenantId, "--deployment", "enterprise", "--service-user", "SVC", "--cwd", dir, ...extra];
}

const domainReads = () => fixture().emulator.requests.filter((r) => r.method === "GET" && r.path.startsWith("/v1.0/domains"));

test("a verified domain of the customer's tenant is accepted and the file written", async () => {
  const dir = project();
  const before = domainReads().length;
  const run = await runNewCustomer(args(dir, customer.tenantId, "--verified-domain", "ACME.com"), { env: envAs(customer.deployer) });
  expect(run.stderr).not.toContain("unexpected error");
  expect(run.code).toBe(0);
  expect(run.stderr).toContain(`reading the domains of tenant ${customer.tenantId}`);
  expect(run.stdout).toContain(`Domain: acme.com is a verified domain of tenant ${customer.tenantId} (checked in Graph).`);
  expect(domainReads().length).toBe(before + 1);
  const text = fs.readFileSync(path.join(dir, "Pulumi.acme.yaml"), "utf8");
  expect(text).toContain("# Domain: acme.com is a verified domain");
  expect(text).not.toContain(customer.deployer.clientSecret);
  expect(run.stdout + run.stderr).not.toContain(customer.deployer.clientSecret);
}, 60_000);

test("without --verified-domain, the initial *.onmicrosoft.com domain that will be used is reported", async () => {
  const dir = project();
  const run = await runNewCustomer(args(dir, customer.tenantId), { env: envAs(customer.deployer) });
  expect(run.code).toBe(0);
  expect(run.stdout).toContain("the Application ID URI will be on the tenant's initial domain acme.onmicrosoft.com (checked in Graph)");
}, 60_000);

test.each([
  ["pending.acme.com", "is added to tenant", " but not verified"],
  ["integrator.example", "is not a domain of tenant", ""],
])(
  "--verified-domain %s is refused with the tenant's verified domains; nothing is written",
  async (domain, says, more) => {
    const dir = project();
    const run = await runNewCustomer(args(dir, customer.tenantId, "--verified-domain", domain), { env: envAs(customer.deployer) });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--verified-domain ${domain} ${says} ${customer.tenantId}${more}`);
    expect(run.stderr).toContain("The tenant's verified domains: acme.onmicrosoft.com, acme.com.");
    expect(run.stderr).toContain("Custom domain names");
    expect(run.stderr).toContain("or pass one of the verified domains above as --verified-domain");
    expect(fs.readdirSync(dir)).toEqual([]);
  },
  60_000,
);

test("an app not registered or consented in the customer's tenant (AADSTS700016) fails with the consent fix; nothing is written", async () => {
  const dir = project();
  const { tenant: home } = fixture();
  // The home tenant's deployer is a single-tenant app: the customer's tenant does not know it.
  const run = await runNewCustomer(args(dir, customer.tenantId, "--verified-domain", "acme.com"), { env: envAs(home.deployer) });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(`is not registered or consented in the customer's tenant ${customer.tenantId}`);
  expect(run.stderr).toContain("AADSTS700016");
  expect(run.stderr).toContain(`https://login.microsoftonline.com/${customer.tenantId}/adminconsent?client_id=${home.deployer.clientId}`);
  expect(run.stderr).toContain("Domain.Read.All");
  expect(run.stdout).toBe("");
  expect(fs.readdirSync(dir)).toEqual([]);
}, 60_000);

test("an app consented without Graph permissions (HTTP 403) fails naming Domain.Read.All admin consent", async () => {
  const dir = project();
  const { emulator, graph } = fixture();
  const operator = await registerOperatorApp(graph, "new-customer operator without roles");
  emulator.grantAdminConsent(customer.tenantId, operator.appId, []);
  const run = await runNewCustomer(args(dir, customer.tenantId), {
    env: envAs({ clientId: operator.appId, clientSecret: operator.secretText }),
  });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(`signed in to tenant ${customer.tenantId} but may not read its domains (HTTP 403)`);
  expect(run.stderr).toContain(`adminconsent?client_id=${operator.appId}`);
  expect(run.stderr).toContain("grants the Graph application permission Domain.Read.All");
  expect(run.stderr).not.toContain(operator.secretText);
  expect(fs.readdirSync(dir)).toEqual([]);
}, 60_000);

test("--check-domains with Graph unreachable is a failure (exit 1); --no-domain-check makes no Graph request", async () => {
  const dir = project();
  const unreachable = await runNewCustomer(args(dir, customer.tenantId, "--check-domains", "--graph-url", "https://127.0.0.1:1"), {
    env: envAs(customer.deployer),
  });
  expect(unreachable.code).toBe(1);
  expect(unreachable.stderr).toContain("could not be reached to read the domains");
  expect(fs.readdirSync(dir)).toEqual([]);

  const before = domainReads().length;
  const skipped = await runNewCustomer(args(dir, TENANT_ID, "--no-domain-check"), { env: envAs(customer.deployer) });
  expect(skipped.code).toBe(0);
  expect(skipped.stdout).toContain("Domain: not checked in the tenant (--no-domain-check)");
  expect(domainReads().length).toBe(before);
}, 60_000);

test("a tenant listed in the credentials file is checked as its own app, with no AZURE_CLIENT_* set", async () => {
  const dir = project();
  const { emulator } = fixture();
  const credentialsFile = path.join(dir, "tenants.json");
  fs.writeFileSync(
    credentialsFile,
    JSON.stringify({ tenants: { [customer.tenantId]: { clientId: customer.deployer.clientId, clientSecretEnv: "ACME_SECRET" } } }),
  );
  const before = domainReads().length;
  const run = await runNewCustomer(args(dir, customer.tenantId, "--verified-domain", "pending.acme.com"), {
    env: {
      CMIC_CREDENTIALS_FILE: credentialsFile,
      ACME_SECRET: customer.deployer.clientSecret,
      AZURE_AUTHORITY_HOST: emulator.url,
      CMIC_GRAPH_URL: emulator.url,
    },
  });
  // Checked without being asked (the file names a credential of the tenant): the pending domain is refused.
  expect(domainReads().length).toBe(before + 1);
  expect(run.code).toBe(2);
  expect(run.stderr).toContain("pending.acme.com");
  expect(fs.existsSync(path.join(dir, "Pulumi.acme.yaml"))).toBe(false);
  expect(run.stdout + run.stderr).not.toContain(customer.deployer.clientSecret);
}, 60_000);
