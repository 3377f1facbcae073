/**
 * A local stand-in for CMiC's REST API OAuth filter (issue #14, "The CMiC side, simulated").
 *
 * Like emulator/, this is an independent judge: it imports nothing of the project (only node
 * built-ins and jose). Every rule cites its source in filter.ts / users.ts / keySets.ts /
 * properties.ts; README.md lists the checks in order with their status and text.
 *
 * It serves plain HTTP on 127.0.0.1. Every path and method is protected (CMiC's REST API, e.g.
 * `GET /cmictest/rest/system-data/...`); there is no admin path: registrations, users and
 * properties are set through this API, as an administrator sets them in CMiC API Security, User
 * Maintenance and cmicapp.properties.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { runFilter, normaliseIp, type CmicRegistration, type FilterOutcome } from "./filter";
import { KeySetLoader } from "./keySets";
import { DEFAULT_PROPERTIES, mergeProperties, type CmicProperties } from "./properties";
import { UserDirectory } from "./users";

export type { CmicProperties } from "./properties";
export type { CmicRegistration } from "./filter";
export { TEXTS } from "./filter";
export { KEY_SET_CACHE_MS } from "./keySets";
export { DEFAULT_PROPERTIES } from "./properties";

export interface CmicStandInOptions {
  /** cmicapp.properties; CMiC's defaults otherwise (properties.ts). */
  properties?: Partial<CmicProperties>;
  /** How the key sets are fetched; default the global fetch. */
  fetch?: typeof fetch;
  /** The filter's clock (nbf/exp and the key-set cache); default the host's. */
  now?: () => Date;
}

export interface CmicRequestRecord {
  method: string;
  path: string;
  status: number;
  /** Why the filter answered as it did (what CMiC's FINE log of `cmic.oauth2.filter` would say). */
  reason: string;
}

export interface CmicAddUserOptions {
  /** The CMiC Cloud tenant of the user (`tenant||username`); omitted for Enterprise. */
  cmicTenant?: string;
}

export interface CmicStandIn {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** CMiC API Security → Application Registration; replaces a registration with the same application id. */
  register(registration: CmicRegistration): void;
  unregister(applicationId: string): void;
  /** A CMiC user the token's user may resolve to. */
  addUser(name: string, options?: CmicAddUserOptions): void;
  /** Delete a CMiC user (same name and tenant as it was added with). */
  removeUser(name: string, options?: CmicAddUserOptions): void;
  /** Change cmicapp.properties (the rest keep their values). */
  setProperties(properties: Partial<CmicProperties>): void;
  readonly requests: ReadonlyArray<CmicRequestRecord>;
  close(): Promise<void>;
}

/** The 200 body: who the call runs as. */
export interface CmicSuccessBody {
  user: string;
  cmicTenant?: string;
  applicationId: string;
  path: string;
}

export async function startCmicStandIn(options: CmicStandInOptions = {}): Promise<CmicStandIn> {
  const now = options.now ?? (() => new Date());
  let properties = mergeProperties(DEFAULT_PROPERTIES, options.properties);
  const registrations: CmicRegistration[] = [];
  const users = new UserDirectory();
  const keySets = new KeySetLoader(options.fetch ?? ((input, init) => fetch(input, init)), now);
  const requests: CmicRequestRecord[] = [];

  const server = http.createServer((req, res) => {
    // The body is never read: drain it so the connection can be reused.
    req.resume();
    const path = req.url ?? "/";
    const method = req.method ?? "GET";
    const answer = (outcome: FilterOutcome) => {
      requests.push({ method, path, status: outcome.status, reason: outcome.reason });
      if (outcome.ok) {
        const body: CmicSuccessBody = {
          user: outcome.user.name,
          ...(outcome.user.cmicTenant === undefined ? {} : { cmicTenant: outcome.user.cmicTenant }),
          applicationId: outcome.registration.applicationId,
          path,
        };
        res.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
        res.end(JSON.stringify(body));
        return;
      }
      // Plain text: the documents quote CMiC's answers as bare strings ("500 – Failed to load JSON web
      // key set", 000_…; entra-facts.md), never as a JSON shape. RFC 6750 §3: a 401 to a bearer-token
      // request carries `WWW-Authenticate: Bearer` (assumption: CMiC's own headers are not documented).
      res.writeHead(outcome.status, {
        "content-type": "text/plain; charset=utf-8",
        "cache-control": "no-store",
        ...(outcome.status === 401 ? { "www-authenticate": "Bearer" } : {}),
      });
      res.end(outcome.text);
    };
    runFilter(
      { authorization: req.headers.authorization, clientIp: clientIpOf(req) },
      { registrations, users, properties, keySets, now },
    ).then(answer, (error: unknown) => {
      const reason = `unexpected: ${error instanceof Error ? error.message : String(error)}`;
      requests.push({ method, path, status: 500, reason });
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
      res.end("Internal Server Error");
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    register(registration) {
      const checked = checkRegistration(registration);
      const index = registrations.findIndex((r) => r.applicationId === checked.applicationId);
      if (index >= 0) registrations.splice(index, 1, checked);
      else registrations.push(checked);
    },
    unregister(applicationId) {
      const index = registrations.findIndex((r) => r.applicationId === applicationId);
      if (index >= 0) registrations.splice(index, 1);
    },
    addUser(name, userOptions = {}) {
      users.add(name, userOptions.cmicTenant);
    },
    removeUser(name, userOptions = {}) {
      users.remove(name, userOptions.cmicTenant);
    },
    setProperties(update) {
      properties = mergeProperties(properties, update);
    },
    get requests() {
      return requests.slice();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * The client IP. entra-facts.md "Tokens": "CMiC's IP check compares `ipaddr` with the caller's
 * `x-forwarded-for`". Its first entry (the original client of a proxy chain) is taken; without the
 * header, the socket's peer address (assumption: neither detail is documented).
 */
function clientIpOf(req: http.IncomingMessage): string | undefined {
  const forwarded = req.headers["x-forwarded-for"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
  if (first) return normaliseIp(first);
  return req.socket.remoteAddress === undefined ? undefined : normaliseIp(req.socket.remoteAddress);
}

function checkRegistration(registration: CmicRegistration): CmicRegistration {
  for (const field of ["applicationId", "issuerUrl", "keysetUri"] as const) {
    if (typeof registration[field] !== "string" || registration[field] === "")
      throw new TypeError(`register: ${field} must be a non-empty string`);
  }
  try {
    new URL(registration.keysetUri);
  } catch {
    throw new TypeError(`register: keysetUri ${JSON.stringify(registration.keysetUri)} is not a URL`);
  }
  if (registration.serviceUser !== undefined && (typeof registration.serviceUser !== "string" || registration.serviceUser === "")) {
    throw new TypeError("register: serviceUser must be a non-empty string when given");
  }
  const { applicationId, issuerUrl, keysetUri, serviceUser } = registration;
  return serviceUser === undefined ? { applicationId, issuerUrl, keysetUri } : { applicationId, issuerUrl, keysetUri, serviceUser };
}
