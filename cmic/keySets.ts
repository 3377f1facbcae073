/**
 * Loading the JSON web key set a registration names, as CMiC does on a call.
 *
 * Source: 000_78a7e1c56f2dc7af.txt, Phase 3: "CMiC will use the Keyset ID to fetch the IdP's public
 * keys and validate the JWT signature on every API call." Its error table: "500 – Failed to load
 * JSON web key set | CMiC cannot reach the JWKS URI | Check network connectivity and the Keyset ID
 * value". Only the registered URI is read: no document says CMiC falls back to Entra's
 * `?appid=` set for app-specific signing keys (entra-facts.md mentions that fallback for a
 * validator, not for CMiC), so the stand-in does not.
 *
 * Caching: CMiC's documents do not say whether CMiC caches the set. The stand-in keeps a set that
 * loaded for KEY_SET_CACHE_MS of its own clock (`now()`), and reloads once, bypassing the cache,
 * when a token's `kid` is not in a cached set (a rotated key). Failed loads are never cached.
 */
import { createLocalJWKSet, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput, type KeyLike } from "jose";

export const KEY_SET_CACHE_MS = 60_000;
/** How long one JWKS request may take before it counts as unreachable. */
export const KEY_SET_TIMEOUT_MS = 5_000;

export type KeyResolver = (protectedHeader?: JWSHeaderParameters, token?: FlattenedJWSInput) => Promise<KeyLike>;

export interface LoadedKeySet {
  resolver: KeyResolver;
  /** True when the set came from the cache rather than a request made now. */
  cached: boolean;
}

/** Why a key set could not be loaded (the 500 "Failed to load JSON web key set"). */
export class KeySetLoadError extends Error {
  constructor(
    readonly uri: string,
    readonly detail: string,
  ) {
    super(`${uri}: ${detail}`);
    this.name = "KeySetLoadError";
  }
}

interface CacheEntry {
  resolver: KeyResolver;
  loadedAt: number;
}

export class KeySetLoader {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(
    private readonly fetchImpl: typeof fetch,
    private readonly now: () => Date,
  ) {}

  /** The set at `uri`, from the cache while fresh unless `reload`. Throws KeySetLoadError. */
  async load(uri: string, options: { reload?: boolean } = {}): Promise<LoadedKeySet> {
    const at = this.now().getTime();
    const entry = this.cache.get(uri);
    if (!options.reload && entry && at >= entry.loadedAt && at - entry.loadedAt < KEY_SET_CACHE_MS) {
      return { resolver: entry.resolver, cached: true };
    }
    this.cache.delete(uri);
    const resolver = await this.fetchKeySet(uri);
    this.cache.set(uri, { resolver, loadedAt: at });
    return { resolver, cached: false };
  }

  clear(): void {
    this.cache.clear();
  }

  private async fetchKeySet(uri: string): Promise<KeyResolver> {
    let response: Response;
    try {
      response = await this.fetchImpl(uri, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(KEY_SET_TIMEOUT_MS) });
    } catch (error) {
      throw new KeySetLoadError(uri, `unreachable (${describe(error)})`);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new KeySetLoadError(uri, `answered HTTP ${response.status}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new KeySetLoadError(uri, `did not answer JSON (${describe(error)})`);
    }
    if (!isKeySet(body)) throw new KeySetLoadError(uri, 'did not answer a JSON web key set ({"keys": [...]})');
    try {
      return createLocalJWKSet(body);
    } catch (error) {
      throw new KeySetLoadError(uri, `not a usable JSON web key set (${describe(error)})`);
    }
  }
}

function isKeySet(value: unknown): value is JSONWebKeySet {
  if (typeof value !== "object" || value === null) return false;
  const keys = (value as { keys?: unknown }).keys;
  return Array.isArray(keys) && keys.every((key) => typeof key === "object" && key !== null && !Array.isArray(key));
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
