/** What every emulator handler shares: the directory, the signing key and where the server listens. */
import type { SigningKey } from "./signingKeys";
import type { DirectoryStore } from "./store";

export interface EmulatorContext {
  store: DirectoryStore;
  /** The emulator-wide token signing key (Entra's tenant-independent keys play this role). */
  signingKey: SigningKey;
  /** `https://localhost:<port>`, known once the server listens. */
  origin: string;
  tokenLifetimeSeconds: number;
}
