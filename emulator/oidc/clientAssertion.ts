/**
 * Client authentication with a signed JWT (`client_assertion`, a certificate credential). Every
 * failure is AADSTS700027, with the reason in the text, as in Entra.
 */
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { loginHost } from "../clouds";
import type { EmulatorContext } from "../context";
import { aadstsError, type HttpError } from "../errors";
import type { Application, KeyCredential, Tenant } from "../store";
import type { Correlation } from "./call";
import { replicatedKey } from "./replication";

/** Entra tolerates about five minutes of clock skew on client assertions. */
const ASSERTION_CLOCK_TOLERANCE_SECONDS = 300;

function assertionFailure(reason: string, correlation: Correlation): HttpError {
  return aadstsError({ status: 401, error: "invalid_client", code: 700027, message: reason, ...correlation });
}

/**
 * Every token URL a client may put in its assertion's `aud` for this tenant: on the emulator's
 * origin (where the client really sends it) or on the login host of the tenant's own cloud
 * (clouds.ts), as Entra expects. Another cloud's login host is not this tenant's token endpoint.
 */
function acceptedAssertionAudiences(context: EmulatorContext, tenant: Tenant): string[] {
  const names = [tenant.id, ...tenant.domains.map((domain) => domain.name)];
  const origins = [context.origin, loginHost(tenant.cloud)];
  return origins.flatMap((origin) => names.flatMap((name) => [`${origin}/${name}/oauth2/v2.0/token`, `${origin}/${name}/oauth2/token`]));
}

function findKeyCredential(app: Application, protectedHeader: Record<string, unknown>): { key?: KeyCredential; thumbprint: string } {
  const x5t = protectedHeader.x5t;
  const x5tS256 = protectedHeader["x5t#S256"];
  if (typeof x5tS256 === "string") {
    const wanted = Buffer.from(x5tS256, "base64url");
    return { key: app.keyCredentials.find((k) => k.thumbprintSha256.equals(wanted)), thumbprint: wanted.toString("hex").toUpperCase() };
  }
  if (typeof x5t === "string") {
    const wanted = Buffer.from(x5t, "base64url");
    return { key: app.keyCredentials.find((k) => k.thumbprintSha1.equals(wanted)), thumbprint: wanted.toString("hex").toUpperCase() };
  }
  return { thumbprint: "" };
}

/** The app's key credential the assertion's `x5t` / `x5t#S256` names, replicated. */
function signingCredential(
  context: EmulatorContext,
  app: Application,
  assertion: string,
  correlation: Correlation,
): { key: KeyCredential; thumbprint: string } {
  let protectedHeader: Record<string, unknown>;
  try {
    protectedHeader = decodeProtectedHeader(assertion) as Record<string, unknown>;
  } catch {
    throw assertionFailure("Client assertion failed signature validation. The client assertion is not a well-formed JWT.", correlation);
  }
  const { key: named, thumbprint } = findKeyCredential(app, protectedHeader);
  const notFoundReason =
    `Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', ` +
    `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.appId}'.]`;
  // A key that has not replicated yet is "not found", as in Entra.
  const key = replicatedKey(context.store, named);
  if (!key) throw assertionFailure(notFoundReason, correlation);
  return { key, thumbprint };
}

/** The key must be valid now. */
function requireValidKey(key: KeyCredential, thumbprint: string, now: number, correlation: Correlation): void {
  if (Date.parse(key.endDateTime) <= now || Date.parse(key.startDateTime) > now) {
    throw assertionFailure(
      `Client assertion contains an invalid signature. [Reason - The key used is expired or not yet valid., Thumbprint of key used by client: '${thumbprint}']`,
      correlation,
    );
  }
}

/** A failure of the assertion's own lifetime (`exp`, `nbf`), as opposed to its signature or other claims. */
function isLifetimeFailure(error: unknown): boolean {
  return error instanceof joseErrors.JWTExpired || (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === "nbf");
}

/**
 * Verify signature and claims: `iss` = `sub` = client id, `aud` a token URL of this tenant, `exp` set.
 *
 * The assertion's `nbf` and `exp` come from the client's clock, which Entra expects to agree with its
 * own. Here the directory's clock may be a simulated one that jumped years ahead, while a real client
 * (MSAL signs with the host's time) cannot follow it: an assertion whose lifetime holds at the
 * directory's time or at the host's is accepted, one that holds at neither is refused as Entra would.
 */
async function verifyAssertion(
  context: EmulatorContext,
  tenant: Tenant,
  app: Application,
  key: KeyCredential,
  assertion: string,
  now: number,
  correlation: Correlation,
): Promise<void> {
  const verifyAt = (instant: number) =>
    jwtVerify(assertion, key.publicKey, {
      algorithms: ["RS256", "PS256"],
      issuer: app.appId,
      subject: app.appId,
      audience: acceptedAssertionAudiences(context, tenant),
      clockTolerance: ASSERTION_CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(instant),
      requiredClaims: ["exp", "aud", "iss", "sub"],
    });
  try {
    try {
      await verifyAt(now);
    } catch (error) {
      // The host's clock: the one a client outside the simulation signs with.
      if (isLifetimeFailure(error)) await verifyAt(Date.now());
      else throw error;
    }
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) {
      throw assertionFailure(
        "Client assertion failed signature validation. [Reason - The client assertion is expired (exp is in the past).]",
        correlation,
      );
    }
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      throw assertionFailure(
        `Client assertion failed signature validation. [Reason - claim '${error.claim}' is invalid: ${error.reason}; ` +
          `aud must be the token endpoint (${loginHost(tenant.cloud)}/${tenant.id}/oauth2/v2.0/token), iss and sub the client id.]`,
        correlation,
      );
    }
    throw assertionFailure("Client assertion failed signature validation.", correlation);
  }
}

/**
 * The certificate the assertion was signed with, once the assertion holds. A failure after the key
 * was found (expired, a bad signature or claim) is that credential's failed attempt: `onFailedAttempt`
 * is told before the error is thrown.
 */
export async function authenticateWithAssertion(
  context: EmulatorContext,
  tenant: Tenant,
  app: Application,
  assertion: string,
  correlation: Correlation,
  onFailedAttempt: (credential: KeyCredential) => void,
): Promise<KeyCredential> {
  const now = context.store.now();
  const { key, thumbprint } = signingCredential(context, app, assertion, correlation);
  try {
    requireValidKey(key, thumbprint, now, correlation);
    await verifyAssertion(context, tenant, app, key, assertion, now, correlation);
  } catch (error) {
    onFailedAttempt(key);
    throw error;
  }
  return key;
}
