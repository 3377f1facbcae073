/**
 * Microsoft Graph client factory, for Graph itself or the local emulator.
 *
 * The Graph client attaches the bearer token only for hosts it knows. For any other host it sends
 * the request *without* a token and says nothing, so a private host must be listed in
 * `customHosts` by hostname alone (no port, no scheme).
 */
import { Client, HTTPMessageHandler, MiddlewareFactory, type Context, type Middleware } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import type { TokenCredential } from "@azure/identity";

import { CLOUD_HOSTS, GRAPH_URL } from "../../contract/entraEndpoints";
import type { AzureCloud } from "../../contract/kinds";
import { createDeployerCredential } from "./credentials";
import { describeFetchFailure } from "./networkFailure";
import { shareTokens } from "./sharedTokens";

export { GRAPH_URL };

export interface GraphClientOptions {
  credential: TokenCredential;
  /** Graph's origin; defaults to the public cloud. The emulator passes its own https://localhost:PORT. */
  graphUrl?: string;
  /**
   * The Graph resource tokens are requested for: the tenant's cloud's Graph (graph.microsoft.us in
   * Azure Government), whatever origin is reached. Default the public cloud's.
   */
  graphResource?: string;
}

/**
 * The Graph client's last middleware, sending the request with node's fetch like the stock
 * HTTPMessageHandler, except that a request with no HTTP answer keeps its cause in the message:
 * the stock chain turns every network failure into a GraphError reading only "fetch failed"
 * (@microsoft/microsoft-graph-client 3.0.7, GraphErrorHandler), so a reset socket, a refused
 * connection and a DNS failure would look the same in drift's report.
 */
class CauseKeepingHttpHandler implements Middleware {
  async execute(context: Context): Promise<void> {
    try {
      context.response = await fetch(context.request as string | Request, context.options as RequestInit);
    } catch (error) {
      throw new Error(describeFetchFailure(error), { cause: error });
    }
  }
}

/** The client's default middleware chain, with {@link CauseKeepingHttpHandler} in place of the plain fetch. */
function middlewareChain(authProvider: TokenCredentialAuthenticationProvider): Middleware {
  const chain = MiddlewareFactory.getDefaultMiddlewareChain(authProvider).map((middleware): Middleware =>
    middleware instanceof HTTPMessageHandler ? new CauseKeepingHttpHandler() : middleware,
  );
  for (let index = 0; index < chain.length - 1; index += 1) chain[index].setNext?.(chain[index + 1]);
  return chain[0];
}

export function createGraphClient({ credential, graphUrl = GRAPH_URL, graphResource = GRAPH_URL }: GraphClientOptions): Client {
  const origin = new URL(graphUrl);
  const isPublicGraph = origin.hostname === new URL(GRAPH_URL).hostname;
  // Concurrent requests (a fleet's batches) share one token request.
  const authProvider = new TokenCredentialAuthenticationProvider(shareTokens(credential), {
    // Graph tokens are requested for the real Graph resource even against the emulator,
    // which issues them under that audience.
    scopes: [`${graphResource}/.default`],
  });
  return Client.initWithMiddleware({
    middleware: middlewareChain(authProvider),
    baseUrl: `${origin.origin}/`,
    defaultVersion: "v1.0",
    customHosts: isPublicGraph ? undefined : new Set([origin.hostname]),
  });
}

/**
 * Graph for a customer's tenant in its cloud, as the deployer (createDeployerCredential): the
 * cloud's Graph and login host, unless `graphUrl` (--graph-url / CMIC_GRAPH_URL: the emulator)
 * says where Graph is reached; tokens are still for the cloud's Graph resource.
 */
export function tenantGraphClient(env: NodeJS.ProcessEnv, tenantId: string, cloud: AzureCloud, graphUrl?: string | null): Client {
  const graphResource = CLOUD_HOSTS[cloud].graphUrl;
  return createGraphClient({
    credential: createDeployerCredential(env, tenantId, cloud),
    graphUrl: graphUrl || graphResource,
    graphResource,
  });
}
