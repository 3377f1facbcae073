/**
 * The local Entra ID + Microsoft Graph emulator: an HTTPS server on loopback that answers the
 * login.microsoftonline.com and graph.microsoft.com calls this project makes, with Entra's shapes,
 * error codes and replication lag. Contract: docs/ARCHITECTURE.md.
 *
 * This file only wires the parts: context.ts (directory, clock, signing key; a snapshot restored),
 * server.ts (HTTPS, request log, faults, change notification), seed.ts (tenants, domains),
 * snapshot/ (the world as JSON), graph/ and oidc/ (the two services' route tables).
 */
import { ChangeNotifier } from "./changes";
import { createContext } from "./context";
import { FaultInjector, type Faults } from "./faults";
import { RequestLog, type BatchedRequestLogEntry, type RequestLogEntry } from "./requestLog";
import {
  addDomain,
  addTenant,
  grantAdminConsent,
  listTenants,
  setGraphRoles,
  setPremiumLicense,
  type AddTenantInput,
  type EmulatorTenant,
} from "./seed";
import { startServer } from "./server";
import type { EmulatorSnapshot } from "./snapshot/format";
import { takeSnapshot } from "./snapshot/take";
import type { Clock } from "./store";
import { ensureTlsMaterial } from "./tls";

export { EMULATOR_CLOUDS, type EmulatorCloud } from "./clouds";
export type { Faults } from "./faults";
export { BATCH_LIMIT } from "./graph";
export type { BatchedRequestLogEntry, RequestLogEntry } from "./requestLog";
export type { AddTenantInput, EmulatorTenant } from "./seed";
export { EmulatorSnapshotError, SNAPSHOT_FORMAT, type EmulatorSnapshot } from "./snapshot/format";
export { GRAPH_APP_ID, GRAPH_RESOURCE, type Clock } from "./store";

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 0: how long new credentials / service principals / policy assignments take to replicate. */
  propagationDelayMs?: number;
  /** Default 3600. */
  tokenLifetimeSeconds?: number;
  /** Default: emulatorHome()/tls (CMIC_EMULATOR_HOME or <project>/.emulator). */
  tlsDir?: string;
  /**
   * The directory's time in epoch ms (default Date.now): token times, credential validity, creation
   * dates, replication, error time stamps, the request log. TLS keeps the host's clock (the OS checks
   * it), and a client assertion's own lifetime may hold at either (oidc/clientAssertion.ts).
   */
  clock?: Clock;
  /** What `snapshot()` returned (here or in another process, JSON round trip allowed): continue that world. */
  snapshot?: unknown;
}

export interface Emulator {
  /** "https://localhost:<port>": authority host AND Graph origin. */
  url: string;
  /** PEM of the CA that signed the server certificate. */
  caCertFile: string;
  addTenant(input: AddTenantInput): EmulatorTenant;
  /** Add a domain to a tenant; unverified unless `verified` is true. */
  addDomain(tenantId: string, domain: string, options?: { verified?: boolean }): void;
  /** Give a tenant Microsoft Entra ID P1/P2 (true) or take it away: Graph's sign-in reports need it. */
  setPremiumLicense(tenantId: string, premium: boolean): void;
  /** Replace the Graph application permissions (token `roles`) of an app of the tenant, e.g. the deployer's. */
  setGraphRoles(tenantId: string, clientId: string, roles: readonly string[]): void;
  /**
   * An admin of `tenantId` consents to a multi-tenant app of another tenant with these Graph
   * application permissions: the app gets a service principal there, and its Graph tokens there
   * carry `roles` (replacing an earlier grant).
   */
  grantAdminConsent(tenantId: string, clientId: string, roles: readonly string[]): void;
  /** Every tenant as `addTenant` returned it (deployer secret included), restored ones too; verified domains as of now. */
  tenants(): EmulatorTenant[];
  /** Replace the directory's clock (see `EmulatorOptions.clock`). */
  setClock(clock: Clock): void;
  /** The directory and the signing key as a detached, versioned JSON value: give it to `startEmulator({ snapshot })`. */
  snapshot(): EmulatorSnapshot;
  /**
   * Call `listener` after each change to what `snapshot()` returns: a Graph write that succeeded (each
   * request, a `$batch` once), `addTenant`, `addDomain`, `setPremiumLicense`, `setGraphRoles`, `grantAdminConsent`,
   * `completePropagation`. Token requests are not directory changes: the sign-ins they record for
   * Graph's credential sign-in report (oidc/signIns.ts) are in the next snapshot taken, and saved
   * with whatever saves next. Synchronous, before the response is written; returns the unsubscribe
   * function.
   */
  onChange(listener: () => void): () => void;
  setPropagationDelay(ms: number): void;
  /** Finish the replication of everything still pending (credentials, service principals, policy assignments) now. */
  completePropagation(): void;
  setFaults(faults: Faults): void;
  /** Every HTTP request the server answered (a `$batch` counts once), faults included. */
  readonly requests: ReadonlyArray<RequestLogEntry>;
  /** The requests carried inside `$batch` calls. */
  readonly batchedRequests: ReadonlyArray<BatchedRequestLogEntry>;
  clearRequestLog(): void;
  close(): Promise<void>;
}

/** A clock must be a function answering epoch milliseconds. */
function checkClock(clock: Clock, where: string): Clock {
  const now: unknown = typeof clock === "function" ? clock() : undefined;
  if (typeof now !== "number" || !Number.isFinite(now))
    throw new Error(`${where} must be a function returning epoch milliseconds (got ${String(now)}).`);
  return clock;
}

function checkOptions(options: EmulatorOptions): Required<Omit<EmulatorOptions, "tlsDir" | "snapshot">> {
  const { port = 0, propagationDelayMs = 0, tokenLifetimeSeconds = 3600, clock = Date.now } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be an integer from 0 to 65535 (got ${port}).`);
  if (!(propagationDelayMs >= 0)) throw new Error(`propagationDelayMs must be >= 0 (got ${propagationDelayMs}).`);
  if (!Number.isInteger(tokenLifetimeSeconds) || tokenLifetimeSeconds < 60) {
    throw new Error(`tokenLifetimeSeconds must be an integer >= 60 (got ${tokenLifetimeSeconds}).`);
  }
  return { port, propagationDelayMs, tokenLifetimeSeconds, clock: checkClock(clock, "clock") };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const { port, propagationDelayMs, tokenLifetimeSeconds, clock } = checkOptions(options);
  // Before anything is started: a snapshot that cannot be restored leaves nothing to close.
  const context = createContext({ propagationDelayMs, tokenLifetimeSeconds, clock, snapshot: options.snapshot });
  const tls = await ensureTlsMaterial(options.tlsDir);
  const faults = new FaultInjector();
  const log = new RequestLog();
  const changes = new ChangeNotifier();
  const server = await startServer(port, { context, tls, faults, log, changes });
  const { store } = context;
  return {
    url: context.origin,
    caCertFile: tls.caCertFile,
    addTenant(input) {
      const tenant = addTenant(store, input);
      changes.notify();
      return tenant;
    },
    addDomain(tenantId, domain, domainOptions) {
      addDomain(store, tenantId, domain, domainOptions);
      changes.notify();
    },
    setPremiumLicense(tenantId, premium) {
      setPremiumLicense(store, tenantId, premium);
      changes.notify();
    },
    setGraphRoles(tenantId, clientId, roles) {
      setGraphRoles(store, tenantId, clientId, roles);
      changes.notify();
    },
    grantAdminConsent(tenantId, clientId, roles) {
      grantAdminConsent(store, tenantId, clientId, roles);
      changes.notify();
    },
    tenants: () => listTenants(store),
    setClock: (next) => store.setClock(checkClock(next, "setClock: clock")),
    snapshot: () => takeSnapshot(store, context.signingKey),
    onChange: (listener) => changes.subscribe(listener),
    setPropagationDelay(ms) {
      if (!(ms >= 0)) throw new Error(`setPropagationDelay: ms must be >= 0 (got ${ms}).`);
      store.propagationDelayMs = ms;
    },
    completePropagation() {
      store.completePropagation();
      changes.notify();
    },
    setFaults: (next) => faults.set(next),
    get requests() {
      return log.requests;
    },
    get batchedRequests() {
      return log.batchedRequests;
    },
    clearRequestLog: () => log.clear(),
    close: () => server.close(),
  };
}
