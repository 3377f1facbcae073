/** What every emulator handler shares: the directory, the signing key and where the server listens. */
import { createSigningKey, type SigningKey } from "./signingKeys";
import { DirectoryStore } from "./store";

export interface EmulatorContext {
  store: DirectoryStore;
  /** The emulator-wide token signing key (Entra's tenant-independent keys play this role). */
  signingKey: SigningKey;
  /** `https://localhost:<port>`, known once the server listens. */
  origin: string;
  tokenLifetimeSeconds: number;
}

const DAY_MS = 86_400_000;

/** An empty directory and a fresh signing key, valid from yesterday for two years. */
export function createContext(propagationDelayMs: number, tokenLifetimeSeconds: number): EmulatorContext {
  const now = Date.now();
  return {
    store: new DirectoryStore(propagationDelayMs),
    signingKey: createSigningKey("accounts.accesscontrol.windows.net (emulator)", new Date(now - DAY_MS), new Date(now + 2 * 365 * DAY_MS)),
    origin: "",
    tokenLifetimeSeconds,
  };
}
