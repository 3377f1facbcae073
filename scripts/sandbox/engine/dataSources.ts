/**
 * The provider functions (Pulumi invokes) the program calls, answered from the tenant through
 * Microsoft Graph as the azuread provider answers them (terraform-provider-azuread v3.8.0
 * internal/services/client_config_data_source.go and domains/domains_data_source.go: `/domains`,
 * filtered on the client side).
 */
import type { Properties, ProviderContext } from "../provider/types";

interface GraphDomain {
  id: string;
  isInitial: boolean;
  isVerified: boolean;
  isDefault: boolean;
}

export async function invokeDataSource(token: string, inputs: Properties, ctx: ProviderContext): Promise<Properties> {
  switch (token) {
    case "azuread:index/getClientConfig:getClientConfig":
      return { tenantId: ctx.tenantId, clientId: "", objectId: "" };
    case "azuread:index/getDomains:getDomains": {
      const response = (await ctx.graph.api("/domains").get()) as { value: GraphDomain[] };
      const onlyInitial = inputs.onlyInitial === true;
      return {
        domains: response.value
          .filter((domain) => domain.isVerified && (!onlyInitial || domain.isInitial))
          .map((domain) => ({ domainName: domain.id, initial: domain.isInitial, verified: domain.isVerified, default: domain.isDefault })),
      };
    }
    default:
      throw new Error(`The sandbox does not emulate the invoke ${token}.`);
  }
}
