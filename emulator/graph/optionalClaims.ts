/**
 * An application's `optionalClaims` as Graph v1.0 takes and returns them: the optionalClaims
 * resource (https://learn.microsoft.com/graph/api/resources/optionalclaims: `accessToken`,
 * `idToken`, `saml2Token`, each an optionalClaim collection) and its optionalClaim items
 * (https://learn.microsoft.com/graph/api/resources/optionalclaim: `name`, `source`, `essential`,
 * `additionalProperties`).
 *
 * What Graph answers:
 * - a new app has `optionalClaims: null` (the application-post-applications and application-get
 *   response examples, https://learn.microsoft.com/graph/api/application-post-applications);
 * - once set, an object with all three collections, empty ones as `[]`, and every claim with all
 *   four properties, `source: null` and `additionalProperties: []` when not given (the Graph output
 *   quoted in Azure/azure-cli#16288 and #16739).
 *
 * What terraform-provider-azuread v3.8.0 sends (applications.go expandApplicationOptionalClaims):
 * all three collections, each claim with name, essential and additionalProperties, `source` only
 * when non-empty; and `{}` when the optional_claims block is absent, on create and when it is
 * removed (expand returns an empty OptionalClaims, whose nil collections `omitempty` drops). Its
 * Read (flattenApplicationOptionalClaims) turns null into no block and an object into one block;
 * the diff suppression of `optional_claims.#` 1→0 when every list is empty
 * (application_resource.go) exists because Graph answers `{}` with three empty lists, not null.
 */
import type { OptionalClaim, OptionalClaims } from "../store";

/** The token kinds of the optionalClaims resource, in the order Graph's resource page lists them. */
export const OPTIONAL_CLAIM_TOKEN_KINDS = ["accessToken", "idToken", "saml2Token"] as const;
const CLAIM_PROPERTIES = ["name", "source", "essential", "additionalProperties"];

/** A JSON object (not an array, not null). Its own copy: objects.ts imports this module. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** How a caller refuses a value: Graph with a 400, the snapshot reader with the field at fault. */
export type Reject = (message: string) => never;

/**
 * Graph refuses a property its type does not define, in the OData wording the directory used for
 * optionalClaims (Azure/azure-sdk-for-go#9714: "The property 'samlToken' does not exist on type
 * 'Microsoft.DirectoryServices.OptionalClaims'. Make sure to only use property names that are
 * defined by the type."). `@odata.type` annotations are allowed, as in any Graph body.
 */
function rejectUnknownProperties(value: Record<string, unknown>, known: readonly string[], type: string, reject: Reject): void {
  for (const name of Object.keys(value)) {
    if (known.includes(name) || name.startsWith("@odata.")) continue;
    reject(`The property '${name}' does not exist on type '${type}'. Make sure to only use property names that are defined by the type.`);
  }
}

/**
 * A collection-valued property is never null: "For a collection-valued property the value will
 * always be a collection that MAY be empty" (OData CSDL JSON v4.01, Nullable). So `null` is refused
 * where Graph's type is a collection, and an absent collection is the empty one.
 */
function collection(value: unknown, property: string, reject: Reject): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) reject(`Property '${property}' must be a collection (an array); null is not a collection.`);
  return value;
}

function parseOptionalClaim(value: unknown, path: string, reject: Reject): OptionalClaim {
  if (!isObject(value)) return reject(`Property '${path}' must be an optionalClaim object.`);
  rejectUnknownProperties(value, CLAIM_PROPERTIES, "microsoft.graph.optionalClaim", reject);
  const { name, source, essential, additionalProperties } = value;
  // The claim is named by `name` (optionalClaim resource); a claim without one names nothing.
  if (typeof name !== "string" || name.trim() === "") {
    return reject(`Property '${path}.name' is required: the name of the optional claim (a non-empty string).`);
  }
  // "If the source value is null, the claim is a predefined optional claim. If the source value is
  // user, the value in the name property is the extension property from the user object."
  // (optionalClaim resource): those two are the values it defines.
  if (source !== undefined && source !== null && source !== "user") {
    return reject(
      `Invalid value specified for property '${path}.source' of resource 'OptionalClaim': ${JSON.stringify(source)}. ` +
        "Use null for a predefined optional claim, or 'user' for an extension property of the user object.",
    );
  }
  // "The default value is false." (optionalClaim resource, essential).
  if (essential !== undefined && essential !== null && typeof essential !== "boolean") {
    return reject(`Property '${path}.essential' must be a boolean.`);
  }
  const properties = collection(additionalProperties, `${path}.additionalProperties`, reject);
  if (properties.some((property) => typeof property !== "string")) {
    return reject(`Property '${path}.additionalProperties' must be a collection of strings.`);
  }
  return {
    name,
    source: source ?? null,
    essential: essential ?? false,
    additionalProperties: [...(properties as string[])],
  };
}

/**
 * The `optionalClaims` of a POST or PATCH body: null clears them (the property is nullable: a new
 * app has null); an object REPLACES the stored one as a whole, a collection it leaves out being
 * empty. (Assumption, not sourced: Graph replaces a complex property sent in a PATCH rather than
 * merging it. The provider always sends all three collections or `{}`, which means the same
 * either way.)
 */
export function parseOptionalClaims(value: unknown, reject: Reject): OptionalClaims | null {
  if (value === null) return null;
  if (!isObject(value)) return reject("Property 'optionalClaims' must be an optionalClaims object or null.");
  rejectUnknownProperties(value, OPTIONAL_CLAIM_TOKEN_KINDS, "microsoft.graph.optionalClaims", reject);
  const parsed: OptionalClaims = { accessToken: [], idToken: [], saml2Token: [] };
  for (const kind of OPTIONAL_CLAIM_TOKEN_KINDS) {
    parsed[kind] = collection(value[kind], `optionalClaims.${kind}`, reject).map((claim, index) =>
      parseOptionalClaim(claim, `optionalClaims.${kind}[${index}]`, reject),
    );
  }
  return parsed;
}

/** A copy of one collection, each claim with its four properties in the order Graph writes them. */
function claimsView(claims: OptionalClaim[]): Array<Record<string, unknown>> {
  return claims.map((claim) => ({
    additionalProperties: [...claim.additionalProperties],
    essential: claim.essential,
    name: claim.name,
    source: claim.source,
  }));
}

/** What GET returns: null for an app that never set them, else all three collections. */
export function optionalClaimsView(claims: OptionalClaims | null): Record<string, unknown> | null {
  if (claims === null) return null;
  return {
    accessToken: claimsView(claims.accessToken),
    idToken: claimsView(claims.idToken),
    saml2Token: claimsView(claims.saml2Token),
  };
}
