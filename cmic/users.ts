/**
 * CMiC's users and how a token's user value is resolved to one of them (check 5).
 *
 * Sources:
 * - 001_a1d8c07974acf98e.txt, check point 5: "The user of the token is valid in CMiC."
 * - 002_5daa6092bff03785.txt, "Enterprise vs Cloud": "Enterprise: The claim is set to the username
 *   of the service user. Cloud: The claim is set to "tenant||username", or the service user's
 *   unique username in email format." /work/shared/README.md: where documents disagree CMiC's own
 *   win, "the Cloud claim value is `tenant||username`, with two pipes" (the Arcoro guide 000_… shows
 *   `tenant| username`, one pipe: a single pipe is NOT split, so `acme|svc` is looked up as the
 *   username `acme|svc` and, normally, not found).
 * - entra-facts.md, "Tokens": "`cmic.oauth2.remove.domainFromUser` strips a domain."
 */

/** The Cloud separator, two pipes (002_5daa6092bff03785.txt: "tenant||username"). */
export const CLOUD_SEPARATOR = "||";

export interface CmicUser {
  name: string;
  /** Set for CMiC Cloud users: the tenant part of `tenant||username`. */
  cmicTenant?: string;
}

export interface UserValue {
  /** The user name as looked up (after the Cloud split and any domain removal). */
  name: string;
  /** The tenant of a `tenant||username` value. */
  cmicTenant?: string;
}

/**
 * Split a user value: `tenant||username` → tenant + username (at the first `||`); anything else is
 * a username as it stands. With `removeDomain`, `user@domain` → `user` (the part before the last
 * `@`; assumption: the documents do not say which `@`, and a username holds at most one).
 */
export function parseUserValue(value: string, removeDomain: boolean): UserValue {
  const separator = value.indexOf(CLOUD_SEPARATOR);
  const cmicTenant = separator >= 0 ? value.slice(0, separator) : undefined;
  let name = separator >= 0 ? value.slice(separator + CLOUD_SEPARATOR.length) : value;
  if (removeDomain) {
    const at = name.lastIndexOf("@");
    if (at > 0) name = name.slice(0, at);
  }
  return cmicTenant === undefined ? { name } : { name, cmicTenant };
}

/** CMiC's user table, as far as the filter needs it. Names and tenants compare exactly (assumption). */
export class UserDirectory {
  private readonly users: CmicUser[] = [];

  add(name: string, cmicTenant?: string): void {
    if (typeof name !== "string" || name === "") throw new TypeError("addUser: the user name must be a non-empty string");
    if (cmicTenant !== undefined && (typeof cmicTenant !== "string" || cmicTenant === "")) {
      throw new TypeError("addUser: cmicTenant must be a non-empty string when given");
    }
    if (this.users.some((user) => user.name === name && user.cmicTenant === cmicTenant)) return;
    this.users.push(cmicTenant === undefined ? { name } : { name, cmicTenant });
  }

  /** A CMiC admin deletes a user (or it was never created): tokens naming it are refused from then on. */
  remove(name: string, cmicTenant?: string): void {
    const index = this.users.findIndex((user) => user.name === name && user.cmicTenant === cmicTenant);
    if (index >= 0) this.users.splice(index, 1);
  }

  /**
   * The user a value names, or undefined. `tenant||username` must match a Cloud user of that tenant.
   * A plain value matches an Enterprise user (no tenant) of that name; failing that, it matches a
   * Cloud user whose name is unique across tenants (002_…: "or the service user's unique username in
   * email format"). An ambiguous plain name matches nobody.
   */
  find(value: UserValue): CmicUser | undefined {
    if (value.cmicTenant !== undefined) {
      return this.users.find((user) => user.cmicTenant === value.cmicTenant && user.name === value.name);
    }
    const enterprise = this.users.find((user) => user.cmicTenant === undefined && user.name === value.name);
    if (enterprise) return enterprise;
    const cloud = this.users.filter((user) => user.cmicTenant !== undefined && user.name === value.name);
    return cloud.length === 1 ? cloud[0] : undefined;
  }
}
