/** Microsoft Graph on an emulated tenant, signed in as its deployer (what the sandbox deploys with). */
import type { Client } from "@microsoft/microsoft-graph-client";
import { createClientCredential } from "../shared/credentials";
import { createGraphClient } from "../shared/graphClient";

export interface EmulatorTenantAccess {
  tenantId: string;
  deployer: { clientId: string; clientSecret: string };
}

export function deployerGraph(emulatorUrl: string, tenant: EmulatorTenantAccess): Client {
  return createGraphClient({
    credential: createClientCredential({
      tenantId: tenant.tenantId,
      clientId: tenant.deployer.clientId,
      credential: { kind: "secret", clientSecret: tenant.deployer.clientSecret },
      authorityHost: emulatorUrl,
    }),
    graphUrl: emulatorUrl,
  });
}
