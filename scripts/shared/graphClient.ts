/**
 * Microsoft Graph client factory, for Graph itself or the local emulator.
 *
 * The Graph client attaches the bearer token only for hosts it knows. For any other host it sends
 * the request *without* a token and says nothing, so a private host must be listed in
 * `customHosts` by hostname alone (no port, no scheme).
 */
import { Client } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import type { TokenCredential } from "@azure/identity";

import { GRAPH_URL } from "../../contract/entraEndpoints";

export { GRAPH_URL };

export interface GraphClientOptions {
  credential: TokenCredential;
  /** Graph's origin; defaults to the public cloud. The emulator passes its own https://localhost:PORT. */
  graphUrl?: string;
}

export function createGraphClient({ credential, graphUrl = GRAPH_URL }: GraphClientOptions): Client {
  const origin = new URL(graphUrl);
  const isPublicGraph = origin.hostname === new URL(GRAPH_URL).hostname;
  return Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, {
      // Graph tokens are requested for the real Graph resource even against the emulator,
      // which issues them under that audience.
      scopes: [`${GRAPH_URL}/.default`],
    }),
    baseUrl: `${origin.origin}/`,
    defaultVersion: "v1.0",
    customHosts: isPublicGraph ? undefined : new Set([origin.hostname]),
  });
}
