/**
 * `npm run emulator`: run the local Entra ID + Graph emulator with one tenant until Ctrl-C, and
 * print how to point the project's scripts at it. The deployer secret goes into a 0600 file, never
 * to the terminal.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { CmicError, UsageError } from "../../contract/errors";
import { emulatorHome, writeFileAtomic } from "../../emulator/home";
import { defineCommand, numberOption, parseCommandLine, runWhenMain, type OptionSpecs, type ParsedOptions } from "../shared/cli";
import { EMULATOR_CLOUDS, type Emulator, type EmulatorCloud, type EmulatorTenant } from "../../emulator";

// `scripts/emulator` resolves to this file before the folder: re-export the library so
// `import { startEmulator } from "…/scripts/emulator"` works either way.
export * from "../../emulator";
// Tests and callers catch the one UsageError of the project from here too.
export { UsageError } from "../../contract/errors";

export const USAGE = `Usage: npm run emulator -- [options]

Serves a local stand-in for Entra ID and Microsoft Graph over HTTPS with one tenant, until Ctrl-C.

  --port N                     port on localhost (default 0: any free port)
  --propagation-delay SECONDS  replication lag for new secrets, certificates, service principals
                               and policy assignments (default 0)
  --tenant-id GUID             tenant id (default: random)
  --domain NAME                initial domain (default contoso.onmicrosoft.com)
  --verified-domain NAME       an extra verified domain (repeatable)
  --cloud NAME                 the tenant's Entra cloud, whose issuers its tokens carry:
                               public (default), usgovernment or china
  --state DIR                  serve the local world of \`npm run sandbox -- --state DIR\` (its tenant,
                               apps and clock) instead of a new tenant; changes made through it
                               are saved to DIR. Not with --tenant-id / --domain / --verified-domain
                               / --cloud.
  --at WHEN                    with --state: the world's clock (ISO date or +Nd after its last run)
`;

const OPTIONS = {
  port: { type: "string" },
  "propagation-delay": { type: "string" },
  "tenant-id": { type: "string" },
  domain: { type: "string" },
  "verified-domain": { type: "string", multiple: true },
  cloud: { type: "string" },
  state: { type: "string" },
  at: { type: "string" },
} as const satisfies OptionSpecs;

export interface EmulatorCliOptions {
  port: number;
  propagationDelayMs: number;
  tenantId?: string;
  domain: string;
  verifiedDomains: string[];
  /** `--cloud`; absent: the emulator's default (public). */
  cloud?: EmulatorCloud;
  /** Serve this local world (`--state DIR`) at its clock or `at`. */
  world?: { dir: string; at?: string };
  help: boolean;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

function emulatorOptionsFrom(values: ParsedOptions<typeof OPTIONS>, help: boolean): EmulatorCliOptions {
  const options: EmulatorCliOptions = { port: 0, propagationDelayMs: 0, domain: "contoso.onmicrosoft.com", verifiedDomains: [], help };
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) {
      throw new UsageError(
        `--port must be an integer from 0 to 65535 (got "${values.port}").`,
        "pass a free port, or 0 for any free port.",
      );
    }
    options.port = Number(values.port);
  }
  const delaySeconds = numberOption("propagation-delay", values["propagation-delay"], { min: 0, max: 3600, unit: "seconds" });
  if (delaySeconds !== undefined) options.propagationDelayMs = Math.round(delaySeconds * 1000);
  if (values["tenant-id"] !== undefined) {
    const raw = values["tenant-id"];
    if (!GUID.test(raw)) throw new UsageError(`--tenant-id must be a GUID such as 00000000-0000-0000-0000-000000000001 (got "${raw}").`);
    options.tenantId = raw.toLowerCase();
  }
  if (values.domain !== undefined) {
    if (!DOMAIN.test(values.domain))
      throw new UsageError(`--domain must be a domain name such as contoso.onmicrosoft.com (got "${values.domain}").`);
    options.domain = values.domain.toLowerCase();
  }
  for (const raw of values["verified-domain"] ?? []) {
    if (!DOMAIN.test(raw)) throw new UsageError(`--verified-domain must be a domain name such as contoso.com (got "${raw}").`);
    options.verifiedDomains.push(raw.toLowerCase());
  }
  if (values.cloud !== undefined) {
    const raw = values.cloud;
    const cloud = EMULATOR_CLOUDS.find((name) => name === raw.toLowerCase());
    if (!cloud) throw new UsageError(`--cloud must be one of ${EMULATOR_CLOUDS.join(", ")} (got "${raw}").`);
    options.cloud = cloud;
  }
  if (values.state !== undefined) {
    for (const flag of ["tenant-id", "domain", "verified-domain", "cloud"] as const) {
      if (values[flag] !== undefined) throw new UsageError(`--${flag} does not go with --state: the world already has its tenant.`);
    }
    options.world = { dir: values.state, ...(values.at !== undefined ? { at: values.at } : {}) };
  } else if (values.at !== undefined) {
    throw new UsageError("--at sets a local world's clock: give --state DIR with it.");
  }
  return options;
}

/** Parse the CLI flags (`--flag value` or `--flag=value`); throws UsageError naming the fix. */
export function parseEmulatorArgs(argv: readonly string[]): EmulatorCliOptions {
  const parsed = parseCommandLine(emulatorCommand, argv);
  return emulatorOptionsFrom(parsed.options, parsed.help);
}

/** The instructions printed once the emulator listens (no secret in them: only the file path). */
export function connectionInstructions(
  emulator: Pick<Emulator, "url" | "caCertFile">,
  // `cloud` optional: a local world's tenant is described from its saved data, and absent means public.
  tenant: Omit<EmulatorTenant, "cloud"> & { cloud?: EmulatorCloud },
  secretFile: string,
  propagationDelayMs: number,
): string {
  return [
    `Entra ID + Graph emulator listening on ${emulator.url}`,
    `Tenant ${tenant.tenantId} (domains: ${tenant.verifiedDomains.join(", ")}; cloud ${tenant.cloud ?? "public"}); propagation delay ${propagationDelayMs / 1000} s.`,
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

/** Resolves with the first SIGINT or SIGTERM; the emulator runs until then. */
function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export const emulatorCommand = defineCommand({
  name: "emulator",
  summary: "Run the local Entra ID + Graph emulator until Ctrl-C.",
  help: USAGE,
  options: OPTIONS,
  async run(values, io) {
    const options = emulatorOptionsFrom(values, false);
    if (options.world) return serveWorld(options, options.world, io.stdout);
    const { startEmulator } = await import("../../emulator");
    let emulator: Emulator;
    try {
      emulator = await startEmulator({ port: options.port, propagationDelayMs: options.propagationDelayMs });
    } catch (error) {
      const inUse = (error as NodeJS.ErrnoException).code === "EADDRINUSE";
      throw new CmicError("ERR_EMULATOR_START", `cannot start: ${(error as Error).message}.`, {
        fix: inUse
          ? `port ${options.port} is in use: pick another --port, or 0 for any free port.`
          : "check the port and the emulator's home directory (.emulator/).",
        cause: error,
      });
    }
    let tenant: EmulatorTenant;
    try {
      tenant = emulator.addTenant({
        tenantId: options.tenantId,
        initialDomain: options.domain,
        verifiedDomains: options.verifiedDomains,
        ...(options.cloud !== undefined ? { cloud: options.cloud } : {}),
      });
    } catch (error) {
      await emulator.close();
      throw new UsageError((error as Error).message, "change --tenant-id, --domain or --verified-domain as the message says.");
    }
    // Listen for Ctrl-C before the secret file exists and before the instructions are printed: a
    // pipe write is synchronous on Linux, so a reader may answer them before the next line runs.
    const stopped = stopSignal();
    const secretFile = path.join(emulatorHome(), `deployer-secret-${tenant.tenantId}`);
    // The secret file lives as long as the emulator: a restarted emulator mints a new deployer.
    try {
      writeFileAtomic(secretFile, tenant.deployer.clientSecret, 0o600);
      io.stdout(`${connectionInstructions(emulator, tenant, secretFile, options.propagationDelayMs)}\n`);
      const signal = await stopped;
      io.stdout(`\n${signal}: stopping the emulator.\n`);
    } finally {
      rmSync(secretFile, { force: true });
      await emulator.close();
    }
    return 0;
  },
});

/** `--state DIR`: the world's emulator until Ctrl-C, saving what is changed through it. */
async function serveWorld(
  options: EmulatorCliOptions,
  world: { dir: string; at?: string },
  print: (text: string) => void,
): Promise<number> {
  const { openWorld, tenantOf } = await import("../world/session");
  const session = await openWorld(world.dir, {
    at: world.at,
    write: true,
    port: options.port,
    propagationDelayMs: options.propagationDelayMs,
  });
  const saved = session.world;
  if (!saved) {
    await session.close();
    throw new CmicError("ERR_WORLD_MISSING", `${world.dir} holds no local world yet.`, {
      fix: `create it with \`npm run sandbox -- --state ${world.dir}\`.`,
    });
  }
  const tenant = tenantOf(saved);
  const save = () => session.save(tenant, saved.stacks);
  let pending: NodeJS.Timeout | undefined;
  // Saved a moment after a change, not on every request of a burst; and once more at the end.
  const unsubscribe = session.emulator.onChange(() => {
    clearTimeout(pending);
    pending = setTimeout(save, 200);
  });
  const stopped = stopSignal();
  const secretFile = path.join(emulatorHome(), `deployer-secret-${tenant.tenantId}`);
  try {
    writeFileAtomic(secretFile, tenant.deployer.clientSecret, 0o600);
    const { deployerGraph } = await import("../world/deployerGraph");
    const listed = (await deployerGraph(session.emulator.url, tenant).api("/domains").get()) as { value: { id: string }[] };
    const domains = listed.value.map((domain) => domain.id);
    // The world's tenant as the emulator restored it: its cloud comes from the snapshot.
    const cloud = session.emulator.tenants().find((restored) => restored.tenantId === tenant.tenantId)?.cloud;
    print(
      `${connectionInstructions(session.emulator, { ...tenant, initialDomain: domains[0] ?? "", verifiedDomains: domains, cloud }, secretFile, options.propagationDelayMs)}\n` +
        `World ${world.dir} at ${session.clock.at.toISOString()}; its stacks: ${Object.keys(saved.stacks).join(", ") || "none"}.\n`,
    );
    const signal = await stopped;
    print(`\n${signal}: stopping the emulator and saving the world.\n`);
  } finally {
    unsubscribe();
    clearTimeout(pending);
    rmSync(secretFile, { force: true });
    try {
      save();
    } finally {
      await session.close();
    }
  }
  return 0;
}

runWhenMain(module, emulatorCommand);
