/** What every emulator handler shares: the directory, the signing key and where the server listens. */
import { createSigningKey, type SigningKey } from "./signingKeys";
import { loadSnapshot, readSnapshot } from "./snapshot/restore";
import { DirectoryStore, type Clock } from "./store";

export interface EmulatorContext {
  store: DirectoryStore;
  /** The emulator-wide token signing key (Entra's tenant-independent keys play this role). */
  signingKey: SigningKey;
  /** `https://localhost:<port>`, known once the server listens. */
  origin: string;
  tokenLifetimeSeconds: number;
}

export interface ContextInput {
  propagationDelayMs: number;
  tokenLifetimeSeconds: number;
  clock: Clock;
  /** A snapshot to continue from (checked here); absent: an empty directory and a new signing key. */
  snapshot?: unknown;
}

const DAY_MS = 86_400_000;
/** Long enough for a world that lives for years; far below the certificate format's limits. */
const SIGNING_KEY_LIFETIME_MS = 10 * 365 * DAY_MS;

/**
 * The emulator-wide signing key, on the directory's clock: valid from a day before `now` (a client
 * whose clock is a little behind still sees a valid certificate) for ten years, so a world whose
 * clock jumps years ahead keeps one key, and tokens issued in an earlier run still verify.
 */
export function createEmulatorSigningKey(now: number): SigningKey {
  return createSigningKey("accounts.accesscontrol.windows.net (emulator)", new Date(now - DAY_MS), new Date(now + SIGNING_KEY_LIFETIME_MS));
}

/** The directory on the given clock: a restored snapshot with its signing key, or empty with a new key. */
export function createContext(input: ContextInput): EmulatorContext {
  const store = new DirectoryStore(input.propagationDelayMs, input.clock);
  const restored = input.snapshot === undefined ? undefined : readSnapshot(input.snapshot);
  if (restored) loadSnapshot(store, restored);
  return {
    store,
    signingKey: restored?.signingKey ?? createEmulatorSigningKey(store.now()),
    origin: "",
    tokenLifetimeSeconds: input.tokenLifetimeSeconds,
  };
}
