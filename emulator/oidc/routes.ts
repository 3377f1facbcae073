/**
 * The login route table: every path outside `/v1.0` this emulator answers, as
 * `/{tenant}/{endpoint}` on login.microsoftonline.com. Anything else is 404.
 */
import type { LoginHandler } from "./call";
import { openIdConfigurationV1, openIdConfigurationV2 } from "./discovery";
import { jwksV1, jwksV2 } from "./jwks";
import { tokenEndpointV1, tokenEndpointV2 } from "./tokenEndpoint";

export interface LoginRoute {
  method: "GET" | "POST";
  /** The path after `/{tenant}/`. */
  endpoint: string;
  /**
   * Under `/common`, `/organizations` or `/consumers`: "handled" passes the request to the handler
   * (JWKS serves tenant-less keys, the token endpoint refuses with AADSTS50059); "notFound" is 404.
   */
  commonTenant: "handled" | "notFound";
  handler: LoginHandler;
}

export const LOGIN_ROUTES: readonly LoginRoute[] = [
  { method: "GET", endpoint: "discovery/v2.0/keys", commonTenant: "handled", handler: jwksV2 },
  { method: "GET", endpoint: "discovery/keys", commonTenant: "handled", handler: jwksV1 },
  { method: "GET", endpoint: "v2.0/.well-known/openid-configuration", commonTenant: "notFound", handler: openIdConfigurationV2 },
  { method: "GET", endpoint: ".well-known/openid-configuration", commonTenant: "notFound", handler: openIdConfigurationV1 },
  { method: "POST", endpoint: "oauth2/v2.0/token", commonTenant: "handled", handler: tokenEndpointV2 },
  { method: "POST", endpoint: "oauth2/token", commonTenant: "handled", handler: tokenEndpointV1 },
];
