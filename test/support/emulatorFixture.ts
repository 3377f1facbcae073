/**
 * A started emulator with one tenant and a Graph client signed in as its deployer, for end-to-end
 * tests. Tests must run through `npm test` (scripts/withEmulatorCa.ts) so node trusts the
 * emulator's CA; the fixture says so plainly instead of failing later with a TLS error.
 */
import fs from "node:fs";
import type { TokenCredential } from "@azure/identity";
import type { Client } from "@microsoft/microsoft-graph-client";
import { CLOUD_HOSTS } from "../../contract/entraEndpoints";
import { createClientCredential } from "../../scripts/shared/credentials";
import { createGraphClient } from "../../scripts/shared/graphClient";
import { startEmulator, type AddTenantInput, type Emulator, type EmulatorOptions, type EmulatorTenant } from "../../emulator";

export interface EmulatorFixture {
  emulator: Emulator;
  tenant: EmulatorTenant;
  /** Same as emulator.url: pass as `authorityHost` and as `graphUrl`. */
  authorityHost: string;
  deployerCredential: TokenCredential;
  /** Graph client for the emulator, authenticated as the tenant's deployer. */
  graph: Client;
}

export interface EmulatorFixtureOptions extends EmulatorOptions {
  tenant?: Partial<AddTenantInput>;
}

/** Throws with the fix when this process does not trust the emulator CA. */
export function assertEmulatorCaTrusted(caCertFile: string, env: NodeJS.ProcessEnv = process.env): void {
  const configured = env.NODE_EXTRA_CA_CERTS;
  const ca = fs.readFileSync(caCertFile, "utf8").trim();
  const trusted = configured !== undefined && fs.existsSync(configured) && fs.readFileSync(configured, "utf8").includes(ca);
  if (!trusted) {
    throw new Error(
      `This process does not trust the emulator CA (${caCertFile}); NODE_EXTRA_CA_CERTS=${configured ?? "(unset)"}. ` +
        "Run the tests with `npm test -- <path>` (it goes through scripts/withEmulatorCa.ts), not bare `npx jest`.",
    );
  }
}

/**
 * A fresh credential and Graph client for a tenant's deployer. Fresh matters when the emulator's
 * clock jumps: a credential's cached token expires on the emulator's clock, while @azure/identity
 * judges it on the host's and would keep sending it.
 */
export function signInAsDeployer(emulatorUrl: string, tenant: EmulatorTenant): Pick<EmulatorFixture, "deployerCredential" | "graph"> {
  const deployerCredential = createClientCredential({
    tenantId: tenant.tenantId,
    clientId: tenant.deployer.clientId,
    credential: { kind: "secret", clientSecret: tenant.deployer.clientSecret },
    authorityHost: emulatorUrl,
  });
  // Graph tokens are for the tenant's cloud's Graph (graph.microsoft.us in Azure Government).
  const graphResource = CLOUD_HOSTS[tenant.cloud].graphUrl;
  return { deployerCredential, graph: createGraphClient({ credential: deployerCredential, graphUrl: emulatorUrl, graphResource }) };
}

export async function startEmulatorFixture(options: EmulatorFixtureOptions = {}): Promise<EmulatorFixture> {
  const { tenant: tenantInput, ...emulatorOptions } = options;
  const emulator = await startEmulator(emulatorOptions);
  try {
    assertEmulatorCaTrusted(emulator.caCertFile);
    const tenant = emulator.addTenant({ initialDomain: "contoso.onmicrosoft.com", ...tenantInput });
    return { emulator, tenant, authorityHost: emulator.url, ...signInAsDeployer(emulator.url, tenant) };
  } catch (error) {
    await emulator.close();
    throw error;
  }
}

/**
 * Jest helper: start one emulator for the describe block (beforeAll) and close it (afterAll).
 * Call the returned function inside tests to get the fixture.
 */
export function useEmulatorFixture(options: EmulatorFixtureOptions = {}): () => EmulatorFixture {
  let fixture: EmulatorFixture | undefined;
  beforeAll(async () => {
    fixture = await startEmulatorFixture(options);
  });
  afterAll(async () => {
    await fixture?.emulator.close();
  });
  return () => {
    if (!fixture) throw new Error("The emulator fixture is not started: call useEmulatorFixture() at describe level, not inside a test.");
    return fixture;
  };
}

export interface CreatedApplication {
  /** Object id. */
  id: string;
  appId: string;
  servicePrincipalId: string;
}

/** Create an application and its service principal through Graph (as the provider would). */
export async function createApplicationWithServicePrincipal(graph: Client, body: Record<string, unknown>): Promise<CreatedApplication> {
  const app = (await graph.api("/applications").post(body)) as { id: string; appId: string };
  const sp = (await graph.api("/servicePrincipals").post({ appId: app.appId })) as { id: string };
  return { id: app.id, appId: app.appId, servicePrincipalId: sp.id };
}

/** Add a secret and return its text (shown once, as in Entra). */
export async function addSecret(graph: Client, applicationObjectId: string, displayName = "test secret"): Promise<string> {
  const result = (await graph.api(`/applications/${applicationObjectId}/addPassword`).post({ passwordCredential: { displayName } })) as {
    secretText: string;
  };
  return result.secretText;
}
