/**
 * One token request per tenant and scope, however many Graph requests need it at once.
 *
 * The Graph client asks its credential for a token before every request
 * (TokenCredentialAuthenticationProvider, @microsoft/microsoft-graph-client 3.0.7). MSAL caches a
 * confidential client's token, but calls that arrive together, before the first token is back,
 * each go to the token endpoint; and AzureCliCredential (DefaultAzureCredential's `az login` leg)
 * caches nothing, so every request would start an `az account get-access-token` process. This
 * wrapper hands every caller the same pending request and keeps the token until shortly before
 * it expires.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";

/** A token this close to its expiry is renewed rather than handed out (a batch may take a minute). */
export const TOKEN_RENEWAL_MARGIN_MS = 5 * 60_000;

interface Held {
  pending?: Promise<AccessToken>;
  token?: AccessToken;
}

function fresh(token: AccessToken, now: number): boolean {
  if (token.refreshAfterTimestamp !== undefined && now >= token.refreshAfterTimestamp) return false;
  return token.expiresOnTimestamp - now > TOKEN_RENEWAL_MARGIN_MS;
}

export function shareTokens(credential: TokenCredential, clock: () => number = Date.now): TokenCredential {
  const held = new Map<string, Held>();
  return {
    async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
      // A claims challenge or proof-of-possession asks for a different token: never shared.
      if (options?.claims || options?.proofOfPossessionOptions) return credential.getToken(scopes, options);
      const key = `${options?.tenantId ?? ""} ${[scopes].flat().sort().join(" ")}`;
      const entry = held.get(key) ?? {};
      held.set(key, entry);
      if (entry.token && fresh(entry.token, clock())) return entry.token;
      entry.pending ??= (async () => {
        try {
          const token = await credential.getToken(scopes, options);
          if (token === null) throw new Error("the credential returned no token");
          entry.token = token;
          return token;
        } finally {
          entry.pending = undefined;
        }
      })();
      return entry.pending;
    },
  };
}
