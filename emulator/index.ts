/**
 * The local Entra ID + Microsoft Graph emulator: an HTTPS server on loopback that answers the
 * login.microsoftonline.com and graph.microsoft.com calls this project makes, with Entra's shapes,
 * error codes and replication lag. Contract: docs/ARCHITECTURE.md.
 *
 * This file only wires the parts: server.ts (HTTPS, request log, faults), seed.ts (tenants,
 * domains), graph/ and oidc/ (the two services' route tables).
 */
import { createContext } from "./context";
import { FaultInjector, type Faults } from "./faults";
import { RequestLog, type BatchedRequestLogEntry, type RequestLogEntry } from "./requestLog";
import { addDomain, addTenant, type AddTenantInput, type EmulatorTenant } from "./seed";
import { startServer } from "./server";
import { ensureTlsMaterial } from "./tls";

export type { Faults } from "./faults";
export { BATCH_LIMIT } from "./graph";
export type { BatchedRequestLogEntry, RequestLogEntry } from "./requestLog";
export type { AddTenantInput, EmulatorTenant } from "./seed";
export { GRAPH_APP_ID, GRAPH_RESOURCE } from "./store";

export interface EmulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 0: how long new credentials / service principals / policy assignments take to replicate. */
  propagationDelayMs?: number;
  /** Default 3600. */
  tokenLifetimeSeconds?: number;
  /** Default: emulatorHome()/tls (CMIC_EMULATOR_HOME or <project>/.emulator). */
  tlsDir?: string;
}

export interface Emulator {
  /** "https://localhost:<port>": authority host AND Graph origin. */
  url: string;
  /** PEM of the CA that signed the server certificate. */
  caCertFile: string;
  addTenant(input: AddTenantInput): EmulatorTenant;
  /** Add a domain to a tenant; unverified unless `verified` is true. */
  addDomain(tenantId: string, domain: string, options?: { verified?: boolean }): void;
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

function checkOptions(options: EmulatorOptions): Required<Omit<EmulatorOptions, "tlsDir">> {
  const { port = 0, propagationDelayMs = 0, tokenLifetimeSeconds = 3600 } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be an integer from 0 to 65535 (got ${port}).`);
  if (!(propagationDelayMs >= 0)) throw new Error(`propagationDelayMs must be >= 0 (got ${propagationDelayMs}).`);
  if (!Number.isInteger(tokenLifetimeSeconds) || tokenLifetimeSeconds < 60) {
    throw new Error(`tokenLifetimeSeconds must be an integer >= 60 (got ${tokenLifetimeSeconds}).`);
  }
  return { port, propagationDelayMs, tokenLifetimeSeconds };
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const { port, propagationDelayMs, tokenLifetimeSeconds } = checkOptions(options);
  const tls = await ensureTlsMaterial(options.tlsDir);
  const context = createContext(propagationDelayMs, tokenLifetimeSeconds);
  const faults = new FaultInjector();
  const log = new RequestLog();
  const server = await startServer(port, { context, tls, faults, log });
  const { store } = context;
  return {
    url: context.origin,
    caCertFile: tls.caCertFile,
    addTenant: (input) => addTenant(store, input),
    addDomain: (tenantId, domain, domainOptions) => addDomain(store, tenantId, domain, domainOptions),
    setPropagationDelay(ms) {
      if (!(ms >= 0)) throw new Error(`setPropagationDelay: ms must be >= 0 (got ${ms}).`);
      store.propagationDelayMs = ms;
    },
    completePropagation: () => store.completePropagation(),
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
