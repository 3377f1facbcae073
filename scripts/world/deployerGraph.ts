/** Microsoft Graph on an emulated tenant, signed in as its deployer (what the sandbox deploys with). */
import type { Client } from "@microsoft/microsoft-graph-client";
import { CLOUD_HOSTS } from "../../contract/entraEndpoints";
import type { AzureCloud } from "../../contract/kinds";
import { createClientCredential } from "../shared/credentials";
import { createGraphClient } from "../shared/graphClient";

export interface EmulatorTenantAccess {
  tenantId: string;
  deployer: { clientId: string; clientSecret: string };
  /** The emulated tenant's cloud (default public): Graph tokens are for that cloud's Graph. */
  cloud?: AzureCloud;
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
    graphResource: CLOUD_HOSTS[tenant.cloud ?? "public"].graphUrl,
  });
}
