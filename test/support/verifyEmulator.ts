/**
 * Starts the project's Entra emulator for a test file (contract: docs/ARCHITECTURE.md). Tests run
 * under `npm test`, which sets NODE_EXTRA_CA_CERTS so the real clients trust it.
 */
import crypto from "node:crypto";
import { startEmulator } from "../../emulator";

export type Emulator = Awaited<ReturnType<typeof startEmulator>>;
export type EmulatorTenant = ReturnType<Emulator["addTenant"]>;

export { startEmulator };

export function uniqueDomain(prefix: string): string {
  return `${prefix}${crypto.randomBytes(4).toString("hex")}.onmicrosoft.com`;
}

export function tokenRequests(emulator: Emulator): number {
  return emulator.requests.filter((entry) => entry.method === "POST" && /\/oauth2\/(v2\.0\/)?token/.test(entry.path)).length;
}
