/**
 * The `cmicapp.properties` settings CMiC's OAuth filter reads, with CMiC's defaults.
 *
 * Sources:
 * - `cmic.oauth2.ipcheck.enabled`: 001_a1d8c07974acf98e.txt, check point 4: "Token IP matches client
 *   IP. The default is enabled. To disable IP check, set the cmic.oauth2.ipcheck.enabled property to
 *   "false" in cmicapp.properties."
 * - `cmic.oauth2.user.claim.name`, `cmic.oauth2.remove.domainFromUser`: entra-facts.md, "Tokens":
 *   "The claim name is configurable in CMiC (`cmic.oauth2.user.claim.name`);
 *   `cmic.oauth2.remove.domainFromUser` strips a domain." The default claim name is `cmicuser`
 *   (002_5daa6092bff03785.txt: "extracting the cmicuser claim from the JWT token"). No document
 *   states the default of `remove.domainFromUser`; false (keep the value as the token carries it) is
 *   the stand-in's assumption (README).
 */
export interface CmicProperties {
  /** `cmic.oauth2.ipcheck.enabled`, default true. */
  ipCheckEnabled: boolean;
  /** `cmic.oauth2.user.claim.name`, default "cmicuser". */
  userClaimName: string;
  /** `cmic.oauth2.remove.domainFromUser`, default false. */
  removeDomainFromUser: boolean;
}

export const DEFAULT_PROPERTIES: Readonly<CmicProperties> = Object.freeze({
  ipCheckEnabled: true,
  userClaimName: "cmicuser",
  removeDomainFromUser: false,
});

/** `base` with the given properties applied; throws TypeError on a value of the wrong type. */
export function mergeProperties(base: Readonly<CmicProperties>, update: Partial<CmicProperties> = {}): CmicProperties {
  const merged: CmicProperties = { ...base };
  if (update.ipCheckEnabled !== undefined) merged.ipCheckEnabled = requireBoolean("ipCheckEnabled", update.ipCheckEnabled);
  if (update.removeDomainFromUser !== undefined) {
    merged.removeDomainFromUser = requireBoolean("removeDomainFromUser", update.removeDomainFromUser);
  }
  if (update.userClaimName !== undefined) {
    if (typeof update.userClaimName !== "string" || update.userClaimName.trim() === "") {
      throw new TypeError("userClaimName (cmic.oauth2.user.claim.name) must be a non-empty string");
    }
    merged.userClaimName = update.userClaimName;
  }
  return merged;
}

function requireBoolean(name: string, value: unknown): boolean {
  if (typeof value !== "boolean") throw new TypeError(`${name} must be a boolean`);
  return value;
}
