/**
 * `npm run emulator`: run the local Entra ID + Graph emulator with one tenant until Ctrl-C, and
 * print how to point the project's scripts at it. The deployer secret goes into a 0600 file, never
 * to the terminal.
 */
import path from "node:path";
import { emulatorHome, writeFileAtomic } from "../../emulator/home";
import { startEmulator, type Emulator, type EmulatorTenant } from "../../emulator";

// `scripts/emulator` resolves to this file before the folder: re-export the library so
// `import { startEmulator } from "…/scripts/emulator"` works either way.
export * from "../../emulator";

export const USAGE = `Usage: npm run emulator -- [options]

  --port N                     port on localhost (default 0: any free port)
  --propagation-delay SECONDS  replication lag for new secrets, certificates, service principals
                               and policy assignments (default 0)
  --tenant-id GUID             tenant id (default: random)
  --domain NAME                initial domain (default contoso.onmicrosoft.com)
  --verified-domain NAME       an extra verified domain (repeatable)
  --help                       show this text`;

export interface EmulatorCliOptions {
  port: number;
  propagationDelayMs: number;
  tenantId?: string;
  domain: string;
  verifiedDomains: string[];
  help: boolean;
}

export class UsageError extends Error {}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

/** Parse the CLI flags (`--flag value` or `--flag=value`); throws UsageError naming the fix. */
export function parseEmulatorArgs(argv: readonly string[]): EmulatorCliOptions {
  const options: EmulatorCliOptions = { port: 0, propagationDelayMs: 0, domain: "contoso.onmicrosoft.com", verifiedDomains: [], help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      options.help = true;
      continue;
    }
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) throw new UsageError(`${flag} needs a value.`);
      i += 1;
      return next;
    };
    switch (flag) {
      case "--port": {
        const raw = value();
        const port = Number(raw);
        if (!/^\d+$/.test(raw) || port > 65535) throw new UsageError(`--port must be an integer from 0 to 65535 (got "${raw}").`);
        options.port = port;
        break;
      }
      case "--propagation-delay": {
        const raw = value();
        const seconds = Number(raw);
        if (raw.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
          throw new UsageError(`--propagation-delay takes seconds, a number >= 0 (got "${raw}").`);
        }
        options.propagationDelayMs = Math.round(seconds * 1000);
        break;
      }
      case "--tenant-id": {
        const raw = value();
        if (!GUID.test(raw)) throw new UsageError(`--tenant-id must be a GUID such as 00000000-0000-0000-0000-000000000001 (got "${raw}").`);
        options.tenantId = raw.toLowerCase();
        break;
      }
      case "--domain": {
        const raw = value();
        if (!DOMAIN.test(raw)) throw new UsageError(`--domain must be a domain name such as contoso.onmicrosoft.com (got "${raw}").`);
        options.domain = raw.toLowerCase();
        break;
      }
      case "--verified-domain": {
        const raw = value();
        if (!DOMAIN.test(raw)) throw new UsageError(`--verified-domain must be a domain name such as contoso.com (got "${raw}").`);
        options.verifiedDomains.push(raw.toLowerCase());
        break;
      }
      default:
        throw new UsageError(`Unknown option "${arg}".`);
    }
  }
  return options;
}

/** The instructions printed once the emulator listens (no secret in them: only the file path). */
export function connectionInstructions(emulator: Pick<Emulator, "url" | "caCertFile">, tenant: EmulatorTenant, secretFile: string, propagationDelayMs: number): string {
  return [
    `Entra ID + Graph emulator listening on ${emulator.url}`,
    `Tenant ${tenant.tenantId} (domains: ${tenant.verifiedDomains.join(", ")}); propagation delay ${propagationDelayMs / 1000} s.`,
    "",
    "Point the scripts at it (in another shell):",
    `  export NODE_EXTRA_CA_CERTS=${emulator.caCertFile}`,
    `  export AZURE_AUTHORITY_HOST=${emulator.url}`,
    `  export AZURE_TENANT_ID=${tenant.tenantId}`,
    `  export AZURE_CLIENT_ID=${tenant.deployer.clientId}`,
    `  export AZURE_CLIENT_SECRET="$(cat ${secretFile})"`,
    `  export CMIC_GRAPH_URL=${emulator.url}`,
    "",
    "The deployer above may call Graph (applications, service principals, claims-mapping policies).",
    "Verify a client against it, for example:",
    `  npm run verify -- --authority-host ${emulator.url} …`,
    "",
    "Press Ctrl-C to stop.",
  ].join("\n");
}

async function main(): Promise<void> {
  let options: EmulatorCliOptions;
  try {
    options = parseEmulatorArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`emulator: ${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let emulator: Emulator;
  try {
    emulator = await startEmulator({ port: options.port, propagationDelayMs: options.propagationDelayMs });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = code === "EADDRINUSE" ? ` Port ${options.port} is in use: pick another --port, or 0 for any free port.` : "";
    process.stderr.write(`emulator: cannot start: ${(error as Error).message}.${hint}\n`);
    process.exit(1);
  }
  let tenant: EmulatorTenant;
  try {
    tenant = emulator.addTenant({ tenantId: options.tenantId, initialDomain: options.domain, verifiedDomains: options.verifiedDomains });
  } catch (error) {
    await emulator.close();
    process.stderr.write(`emulator: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const secretFile = path.join(emulatorHome(), `deployer-secret-${tenant.tenantId}`);
  writeFileAtomic(secretFile, tenant.deployer.clientSecret, 0o600);
  process.stdout.write(`${connectionInstructions(emulator, tenant, secretFile, options.propagationDelayMs)}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the emulator.\n`);
    void emulator.close().then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`emulator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
