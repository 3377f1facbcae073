/**
 * The local Entra ID + Microsoft Graph emulator: an HTTPS server on loopback that answers the
 * login.microsoftonline.com and graph.microsoft.com calls this project makes, with Entra's shapes,
 * error codes and replication lag. Contract: docs/ARCHITECTURE.md.
 */
import crypto from "node:crypto";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorContext } from "./context";
import { HttpError } from "./errors";
import { FaultInjector, faultResponse, type Faults } from "./faults";
import { handleGraph, type BatchedRequestRecord } from "./graph";
import { graphServicePrincipal, generateSecretText } from "./graphObjects";
import { header, type EmulatorRequest, type EmulatorResponse } from "./http";
import { handleLogin } from "./oidc";
import { createSigningKey } from "./signingKeys";
import { DEPLOYER_GRAPH_ROLES, DirectoryStore, hashSecret, type Application, type Domain, type ServicePrincipal, type Tenant } from "./store";
import { ensureTlsMaterial } from "./tls";

export type { Faults } from "./faults";
export { BATCH_LIMIT } from "./graph";
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

export interface RequestLogEntry {
  method: string;
  /** Path without the query string. */
  path: string;
  status: number;
  /** Epoch milliseconds when the request arrived. */
  at: number;
}

/** A request inside a `$batch`: logged apart so `requests` counts HTTP round trips. */
export interface BatchedRequestLogEntry extends RequestLogEntry {
  /** Index in `requests` of the `$batch` that carried it. */
  batchIndex: number;
}

export interface AddTenantInput {
  tenantId?: string;
  /** `<name>.onmicrosoft.com`: verified, initial and default. */
  initialDomain: string;
  /** Further verified (custom) domains. */
  verifiedDomains?: string[];
  displayName?: string;
}

export interface EmulatorTenant {
  tenantId: string;
  initialDomain: string;
  verifiedDomains: string[];
  /** An app that may call Graph in this tenant; its secret works at once, whatever the delay. */
  deployer: { clientId: string; clientSecret: string };
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
  setFaults(faults: Faults): void;
  /** Every HTTP request the server answered (a `$batch` counts once), faults included. */
  readonly requests: ReadonlyArray<RequestLogEntry>;
  /** The requests carried inside `$batch` calls. */
  readonly batchedRequests: ReadonlyArray<BatchedRequestLogEntry>;
  clearRequestLog(): void;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const DOMAIN_PATTERN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const GUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, { error: "request_too_large", error_description: `Request bodies are limited to ${MAX_BODY_BYTES} bytes.` }));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => resolve(Buffer.concat(chunks)));
    request.on("error", reject);
  });
}

function send(response: ServerResponse, result: EmulatorResponse, extraHeaders: Record<string, string>): void {
  const headers: Record<string, string> = { ...extraHeaders, ...(result.headers ?? {}) };
  if (result.body === undefined) {
    response.writeHead(result.status, headers);
    response.end();
    return;
  }
  const payload = JSON.stringify(result.body);
  headers["content-type"] = "application/json; charset=utf-8";
  headers["content-length"] = String(Buffer.byteLength(payload));
  response.writeHead(result.status, headers);
  response.end(payload);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function validateDomain(domain: string, what: string): string {
  if (!DOMAIN_PATTERN.test(domain)) throw new Error(`${what} '${domain}' is not a valid domain name (e.g. contoso.onmicrosoft.com).`);
  return domain.toLowerCase();
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const { port = 0, propagationDelayMs = 0, tokenLifetimeSeconds = 3600 } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`port must be an integer from 0 to 65535 (got ${port}).`);
  if (!(propagationDelayMs >= 0)) throw new Error(`propagationDelayMs must be >= 0 (got ${propagationDelayMs}).`);
  if (!Number.isInteger(tokenLifetimeSeconds) || tokenLifetimeSeconds < 60) {
    throw new Error(`tokenLifetimeSeconds must be an integer >= 60 (got ${tokenLifetimeSeconds}).`);
  }
  const tls = await ensureTlsMaterial(options.tlsDir);
  const now = Date.now();
  const context: EmulatorContext = {
    store: new DirectoryStore(propagationDelayMs),
    signingKey: createSigningKey("accounts.accesscontrol.windows.net (emulator)", new Date(now - 86_400_000), new Date(now + 2 * 365 * 86_400_000)),
    origin: "",
    tokenLifetimeSeconds,
  };
  const faults = new FaultInjector();
  const requests: RequestLogEntry[] = [];
  const batchedRequests: BatchedRequestLogEntry[] = [];

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = Date.now();
    const url = new URL(incoming.url ?? "/", context.origin);
    const path = url.pathname;
    const isGraph = path === "/v1.0" || path.startsWith("/v1.0/");
    const method = (incoming.method ?? "GET").toUpperCase();
    const clientRequestId = header(incoming, "client-request-id") ?? url.searchParams.get("client-request-id") ?? undefined;
    const baseHeaders: Record<string, string> = isGraph
      ? { "request-id": crypto.randomUUID(), "client-request-id": clientRequestId ?? crypto.randomUUID() }
      : {};
    let result: EmulatorResponse;
    // Reserve the log slot now so batched entries can point at their batch.
    const logEntry: RequestLogEntry = { method, path, status: 0, at };
    requests.push(logEntry);
    const logIndex = requests.length - 1;
    try {
      const body = await readBody(incoming);
      const decision = faults.next(path);
      if (decision.latencyMs > 0) await sleep(decision.latencyMs);
      if (decision.kind !== "none") {
        result = faultResponse(decision, isGraph, clientRequestId);
      } else {
        let decodedPath: string;
        try {
          decodedPath = decodeURIComponent(path);
        } catch {
          decodedPath = path;
        }
        const request: EmulatorRequest = { method, path: decodedPath, query: url.searchParams, headers: incoming.headers, body };
        if (isGraph) {
          const onBatched = (record: BatchedRequestRecord) => batchedRequests.push({ ...record, at, batchIndex: logIndex });
          result = await handleGraph(context, request, onBatched);
        } else {
          result = (await handleLogin(context, request)) ?? {
            status: 404,
            body: { error: "not_found", error_description: `The emulator has no endpoint ${method} ${path}.` },
          };
        }
      }
    } catch (error) {
      result =
        error instanceof HttpError
          ? { status: error.status, body: error.body, headers: error.headers }
          : { status: 500, body: { error: "server_error", error_description: `Emulator bug: ${(error as Error).message}` } };
    }
    logEntry.status = result.status;
    if (!response.destroyed) send(response, result, baseHeaders);
  }

  const servers: https.Server[] = [];
  const createServer = () => {
    const server = https.createServer({ key: tls.serverKeyPem, cert: tls.serverCertPem }, (req, res) => {
      void handle(req, res);
    });
    servers.push(server);
    return server;
  };
  const listen = (server: https.Server, host: string, wantedPort: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(wantedPort, host, () => {
        server.off("error", reject);
        resolve((server.address() as AddressInfo).port);
      });
    });

  // `localhost` resolves to 127.0.0.1 or ::1 depending on the machine: answer on both.
  const boundPort = await listen(createServer(), "127.0.0.1", port);
  const ipv6 = createServer();
  try {
    await listen(ipv6, "::1", boundPort);
  } catch {
    servers.pop(); // no IPv6 loopback here: IPv4 alone serves "localhost"
  }
  context.origin = `https://localhost:${boundPort}`;

  const { store } = context;

  function addTenant(input: AddTenantInput): EmulatorTenant {
    const tenantId = (input.tenantId ?? crypto.randomUUID()).toLowerCase();
    if (!GUID_PATTERN.test(tenantId)) throw new Error(`tenantId '${input.tenantId}' must be a GUID.`);
    if (store.tenants.has(tenantId)) throw new Error(`Tenant ${tenantId} already exists in this emulator.`);
    const initialDomain = validateDomain(input.initialDomain, "initialDomain");
    const verified = (input.verifiedDomains ?? []).map((domain) => validateDomain(domain, "verifiedDomain"));
    const names = [initialDomain, ...verified.filter((domain) => domain !== initialDomain)];
    for (const name of names) {
      if (store.findTenant(name)) throw new Error(`Domain ${name} already belongs to another emulator tenant: domain names are global.`);
    }
    const domains: Domain[] = names.map((name) => ({ name, isVerified: true, isInitial: name === initialDomain, isDefault: name === initialDomain }));
    const tenant: Tenant = {
      id: tenantId,
      displayName: input.displayName ?? initialDomain.split(".")[0],
      domains,
      createdAt: Date.now(),
    };
    store.tenants.set(tenant.id, tenant);
    const graph = graphServicePrincipal(tenant.id, 0);
    store.servicePrincipals.set(graph.id, graph);

    // The deployer exists "from before": usable at once, whatever the propagation delay.
    const secret = generateSecretText();
    const created = new Date();
    const deployer: Application = {
      tenantId: tenant.id,
      id: crypto.randomUUID(),
      appId: crypto.randomUUID(),
      displayName: "emulator-deployer",
      signInAudience: "AzureADMyOrg",
      identifierUris: [],
      api: { requestedAccessTokenVersion: null, acceptMappedClaims: null, oauth2PermissionScopes: [] },
      keyCredentials: [],
      passwordCredentials: [
        {
          keyId: crypto.randomUUID(),
          displayName: "emulator deployer secret",
          hint: secret.slice(0, 3),
          startDateTime: created.toISOString(),
          endDateTime: new Date(created.getTime() + 2 * 365 * 86_400_000).toISOString(),
          secretHash: hashSecret(secret),
          readyAt: 0,
        },
      ],
      createdDateTime: created.toISOString(),
      other: {},
      graphRoles: [...DEPLOYER_GRAPH_ROLES],
    };
    store.applications.set(deployer.id, deployer);
    const deployerSp: ServicePrincipal = {
      tenantId: tenant.id,
      id: crypto.randomUUID(),
      appId: deployer.appId,
      displayName: deployer.displayName,
      createdDateTime: created.toISOString(),
      readyAt: 0,
      claimsMappingPolicies: [],
      tokenSigningKeys: [],
      preferredTokenSigningKeyThumbprint: null,
    };
    store.servicePrincipals.set(deployerSp.id, deployerSp);
    return {
      tenantId: tenant.id,
      initialDomain,
      verifiedDomains: names,
      deployer: { clientId: deployer.appId, clientSecret: secret },
    };
  }

  return {
    url: context.origin,
    caCertFile: tls.caCertFile,
    addTenant,
    addDomain(tenantId, domain, domainOptions = {}) {
      const tenant = store.tenants.get(tenantId.toLowerCase());
      if (!tenant) throw new Error(`addDomain: no tenant ${tenantId} in this emulator; call addTenant first.`);
      const name = validateDomain(domain, "domain");
      if (store.findTenant(name)) throw new Error(`addDomain: domain ${name} is already in use.`);
      tenant.domains.push({ name, isVerified: domainOptions.verified === true, isInitial: false, isDefault: false });
    },
    setPropagationDelay(ms) {
      if (!(ms >= 0)) throw new Error(`setPropagationDelay: ms must be >= 0 (got ${ms}).`);
      store.propagationDelayMs = ms;
    },
    setFaults(next) {
      faults.set(next);
    },
    get requests() {
      return requests;
    },
    get batchedRequests() {
      return batchedRequests;
    },
    clearRequestLog() {
      requests.length = 0;
      batchedRequests.length = 0;
    },
    async close() {
      await Promise.all(
        servers.map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
