/**
 * Step 1 of the token endpoint: the form's grant type and the client's identity and credential
 * (form fields or HTTP Basic). The resource is read later, so its errors come after the client's.
 */
import { aadstsError, type HttpError } from "../errors";
import { header, type EmulatorRequest } from "../http";
import type { Correlation } from "./call";

const CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** What the client presented to prove who it is. */
export interface ClientCredentials {
  secret?: string;
  assertion?: string;
}

export interface TokenForm {
  /** Every form field (the resource step reads `scope` or `resource`). */
  fields: URLSearchParams;
  /** Lower-cased. */
  clientId: string;
  credentials: ClientCredentials;
}

export function missingParameter(name: string, correlation: Correlation): HttpError {
  return aadstsError({
    status: 400,
    error: "invalid_request",
    code: 900144,
    message: `The request body must contain the following parameter: '${name}'.`,
    ...correlation,
  });
}

function checkGrantType(fields: URLSearchParams, correlation: Correlation): void {
  const grantType = fields.get("grant_type");
  if (!grantType) throw missingParameter("grant_type", correlation);
  if (grantType !== "client_credentials") {
    throw aadstsError({
      status: 400,
      error: "unsupported_grant_type",
      code: 70003,
      message: `The app requested an unsupported grant type '${grantType}'. The emulator implements client_credentials only.`,
      ...correlation,
    });
  }
}

/** `Authorization: Basic base64(urlencoded id ":" urlencoded secret)`, as client_secret_basic sends it. */
function basicCredentials(request: EmulatorRequest): { id: string; secret: string } | undefined {
  const authorization = header(request, "authorization");
  if (!authorization?.toLowerCase().startsWith("basic ")) return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon <= 0) return undefined;
  return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

export function parseTokenForm(request: EmulatorRequest, correlation: Correlation): TokenForm {
  const fields = new URLSearchParams(request.body.toString("utf8"));
  checkGrantType(fields, correlation);
  const basic = basicCredentials(request);
  const assertionType = fields.get("client_assertion_type");
  const assertion = fields.get("client_assertion") ?? undefined;
  if (assertion !== undefined && assertionType !== CLIENT_ASSERTION_TYPE) {
    // Entra: "AADSTS90011: Unexpected client assertion type." (invalid_request), as reported in
    // AzureAD/azure-activedirectory-library-for-ruby#53. 700025 is another error: a public client
    // that presented a credential.
    throw aadstsError({
      status: 400,
      error: "invalid_request",
      code: 90011,
      message: `Unexpected client assertion type '${assertionType ?? ""}'; use '${CLIENT_ASSERTION_TYPE}'.`,
      ...correlation,
    });
  }
  const clientId = (fields.get("client_id") ?? basic?.id)?.toLowerCase();
  if (!clientId) throw missingParameter("client_id", correlation);
  return { fields, clientId, credentials: { secret: fields.get("client_secret") ?? basic?.secret, assertion } };
}
