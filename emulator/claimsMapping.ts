/**
 * Claims-mapping policy definitions, read as Entra documents them:
 * `{"ClaimsMappingPolicy":{"Version":1,"IncludeBasicClaimSet":"true","ClaimsSchema":[{"Value":"x","JwtClaimType":"y"}]}}`.
 * Only constant-value entries are emitted; entries sourced from user/app attributes are ignored
 * because app-only tokens have no user to read them from (and CMiC uses a constant).
 */

/** Claims a policy cannot change (Entra's restricted claim set, the part that matters here). */
const RESTRICTED_CLAIMS = new Set([
  "aud",
  "iss",
  "exp",
  "nbf",
  "iat",
  "tid",
  "oid",
  "sub",
  "azp",
  "azpacr",
  "appid",
  "appidacr",
  "ver",
  "idp",
  "uti",
  "rh",
  "aio",
  "roles",
  "scp",
  "idtyp",
]);

export interface ParsedClaimsMappingPolicy {
  constantClaims: Record<string, string>;
}

/** Throws with a reason when the definition string is not a claims-mapping policy. */
export function parseClaimsMappingDefinition(definition: string): ParsedClaimsMappingPolicy {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch (error) {
    throw new Error(`definition is not JSON (${(error as Error).message})`, { cause: error });
  }
  const policy = (parsed as { ClaimsMappingPolicy?: unknown } | null)?.ClaimsMappingPolicy;
  if (typeof policy !== "object" || policy === null) {
    throw new Error("definition has no ClaimsMappingPolicy object");
  }
  const schema = (policy as { ClaimsSchema?: unknown }).ClaimsSchema ?? [];
  if (!Array.isArray(schema)) throw new Error("ClaimsMappingPolicy.ClaimsSchema must be an array");
  const constantClaims: Record<string, string> = {};
  for (const entry of schema) {
    if (typeof entry !== "object" || entry === null) throw new Error("each ClaimsSchema entry must be an object");
    const { Value, JwtClaimType } = entry as { Value?: unknown; JwtClaimType?: unknown };
    if (typeof Value !== "string" || typeof JwtClaimType !== "string" || JwtClaimType === "") continue;
    if (RESTRICTED_CLAIMS.has(JwtClaimType)) continue;
    constantClaims[JwtClaimType] = Value;
  }
  return { constantClaims };
}
