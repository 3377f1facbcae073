/** A token request as a connector makes it, against a world's emulator: the real client, a fresh instance each time. */
import { createClientCredential } from "../../scripts/shared/credentials";
import { openWorldForReading } from "../../scripts/world/session";
import type { StackOutputs } from "../../contract/stackOutputs";

/** null when Entra issued a token; else the AADSTS code (or the error) it refused with. MSAL caches tokens per instance: a fresh one each call. */
export async function requestToken(
  authorityHost: string,
  tenantId: string,
  clientId: string,
  scope: string,
  secret: string,
): Promise<string | null> {
  const credential = createClientCredential({ tenantId, clientId, credential: { kind: "secret", clientSecret: secret }, authorityHost });
  try {
    await credential.getToken(scope);
    return null;
  } catch (error) {
    return /AADSTS\d+/.exec(String(error))?.[0] ?? String(error);
  }
}

/** The same, in a world at its current clock (or `at`). */
export async function requestTokenInWorld(dir: string, outputs: StackOutputs, secret: string, at?: string): Promise<string | null> {
  const session = await openWorldForReading(dir, at);
  try {
    return await requestToken(session.emulator.url, outputs.tenantId, outputs.clientId, outputs.scope, secret);
  } finally {
    await session.close();
  }
}
