/**
 * The in-process verify API: acquire a token with @azure/identity (retrying only what waiting can
 * fix, inside the propagation window), run CMiC's checks on it, optionally call CMiC with it, and
 * return a {@link VerifyReport}. Used by `npm run verify`, the post-deploy check of `pulumi up` and
 * `npm run sandbox`.
 *
 * ```ts
 * const report = await runVerification(verifyInputFromOutputs(outputs, { credential }), {
 *   onProgress: (line) => process.stderr.write(`${line}\n`),
 * });
 * if (!report.ok) console.error(renderChecklist(report));
 * ```
 *
 * It never throws for a verification failure (those are failed checks); it throws only for a bug.
 * Nothing it returns or reports through `onProgress` contains the token or the secret.
 */
import type { AccessToken, TokenCredential } from "@azure/identity";
import { CLOUD_HOSTS, ENTRA_AUTHORITY_HOST } from "../../contract/entraEndpoints";
import type { AzureCloud } from "../../contract/kinds";
import type { StackOutputs } from "../../contract/stackOutputs";
import type { Deployment } from "../../contract/cmicUser";
import { createClientCredential, type ClientCredentialSecret } from "../shared/credentials";
import { describeDiagnosis, diagnoseDiscovery, diagnoseEntraError, isDiscoveryFailure, type EntraDiagnosis } from "./aadsts";
import { probeDiscovery, type DiscoveryProbe } from "./discoveryProbe";
import { DeadlineError, withDeadline } from "../shared/deadline";
import { checkToken, createJwksFetcher, DEFAULT_CLAIM_NAME, DEFAULT_CLOCK_SKEW_SECONDS, type JwksFetcher } from "./tokenChecks";
import { probeCmic } from "./cmicProbe";
import { redactorFor, reportOk, sortChecks, type CheckResult, type DecodedToken, type VerifyReport } from "./report";

export const DEFAULT_PROPAGATION_WINDOW_MS = 300_000;
/** Backoff between tries: starts small so a short propagation delay costs little, capped so the
 *  first success after propagation is seen within ~1 s (time-to-green ≤ 1.1 × delay at 10 s). */
export const BACKOFF = { initialMs: 250, factor: 1.5, maxMs: 1_000 } as const;
/** Throttling / 5xx / network errors are retried this many times even outside the window. */
export const TRANSIENT_RETRIES_OUTSIDE_WINDOW = 3;
/** Headroom beyond the propagation window for the default overall timeout. */
const DEFAULT_TIMEOUT_HEADROOM_MS = 60_000;
/** Repeat the same waiting line at most this often. */
const PROGRESS_INTERVAL_MS = 5_000;

export interface VerifyInput {
  tenantId: string;
  clientId: string;
  /** `<Application ID URI>/.default`: the stack output `scope`. */
  scope: string;
  /** The Application ID URI (v1 audience); default: `scope` without `/.default`. */
  identifierUri?: string;
  /** CMiC's registered Issuer URL (compared byte for byte with `iss`). */
  issuerUrl: string;
  /** The token version the stack's app asks for; default: the registered issuer's (tokenChecks.ts `expectedVersion`). */
  accessTokenVersion?: 1 | 2;
  /** CMiC's registered Keyset ID (JWKS URI), as Entra publishes it. */
  jwksUri: string;
  /** The tenant's cloud; default: the cloud of the registered issuer (tokenChecks.ts `expectedCloud`). */
  azureCloud?: AzureCloud;
  /** The access-token optional claims the app asks for; `ipaddr` makes its absence worth saying. */
  optionalClaims?: readonly string[];
  /** Expected `cmicuser`; null when the claim is not expected in the token (claimSource=registration). */
  expectedCmicUser: string | null;
  /** Explains claim-format mismatches (Enterprise: username; Cloud: tenant||username). */
  deployment?: Deployment;
  /** CMiC's `cmic.oauth2.user.claim.name`; default `cmicuser`. */
  claimName?: string;
  /** How to authenticate; null in token mode (or to report the missing credential as a failed check). */
  credential: ClientCredentialSecret | null;
  /** Token mode: validate this token offline (only the JWKS is fetched), acquire nothing. */
  token?: string;
  /** Network origin for token and JWKS requests (e.g. the emulator); default Entra's public cloud. */
  authorityHost?: string;
  /**
   * Start of the propagation window: the stack output `secretCreatedAt`, or now for a check right
   * after `pulumi up` (`--just-deployed`). Unset: no window, nothing is retried as propagation.
   */
  propagationWindowStart?: Date;
  /**
   * The run follows a deployment (`--just-deployed`, the post-deploy check): besides the usual
   * propagation errors, AADSTS50146/501461 are retried inside the window, since the app's
   * acceptMappedClaims and the policy assignment replicate separately for a moment.
   */
  justDeployed?: boolean;
  /** Length of the window in which propagation errors (and a missing cmicuser) are retried; default 5 min. */
  propagationWindowMs?: number;
  /** Overall cap in ms; default: the rest of the window + 60 s. */
  timeoutMs?: number;
  /** A CMiC REST URL to GET with the token. */
  cmicUrl?: string;
  /** Allowed clock difference for nbf/exp; default 60 s (see DEFAULT_CLOCK_SKEW_SECONDS). */
  clockSkewSeconds?: number;
}

export interface VerifyHooks {
  /** One human line per waiting state (already redacted); the CLI writes it to stderr. */
  onProgress?(line: string): void;
  /** Clock in ms (default Date.now); also the validation time of nbf/exp. */
  now?(): number;
  sleep?(ms: number): Promise<void>;
}

/** Values that override or complete what the outputs give (credential, emulator host, …). */
export type VerifyOverrides = Partial<VerifyInput>;

/**
 * Build the input from the stack outputs, as CMiC is registered from them: issuer and Keyset ID
 * are the `cmicRegistration` values; the secret (when the outputs carry it) is the credential; the
 * propagation window starts when the secret was created.
 */
export function verifyInputFromOutputs(outputs: StackOutputs, overrides: VerifyOverrides = {}): VerifyInput {
  const base: VerifyInput = {
    tenantId: outputs.tenantId,
    clientId: outputs.clientId,
    scope: outputs.scope,
    identifierUri: outputs.identifierUri,
    issuerUrl: outputs.cmicRegistration.issuerUrl || outputs.issuerUrl,
    accessTokenVersion: outputs.accessTokenVersion,
    jwksUri: outputs.cmicRegistration.keysetUri || outputs.jwksUri,
    azureCloud: outputs.azureCloud,
    optionalClaims: outputs.optionalClaims,
    // A sovereign cloud's tenant signs in at its own login host; --authority-host (the emulator) still wins.
    ...(outputs.azureCloud !== "public" ? { authorityHost: CLOUD_HOSTS[outputs.azureCloud].authorityHost } : {}),
    expectedCmicUser: outputs.cmicUserClaim,
    claimName: outputs.claimName,
    deployment: outputs.deployment,
    credential: outputs.clientSecret ? { kind: "secret", clientSecret: outputs.clientSecret } : null,
    ...(outputs.secretCreatedAt && !Number.isNaN(Date.parse(outputs.secretCreatedAt))
      ? { propagationWindowStart: new Date(outputs.secretCreatedAt) }
      : {}),
  };
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined)) as VerifyOverrides;
  return { ...base, ...defined };
}

type Acquisition = { ok: true; token: string; requests: number; check: CheckResult } | { ok: false; requests: number; check: CheckResult };

interface RunContext {
  input: VerifyInput;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  progress: (line: string) => void;
  startedAt: number;
  windowStart: number;
  windowEnd: number;
  deadline: number;
  redact: (text: string) => string;
  /**
   * The credential of the current round of tries. One instance serves every request that failed
   * for propagation, so MSAL fetches the tenant's discovery document once instead of once per try
   * (it caches it per instance). It is dropped after a token *was* issued but must be requested
   * again (a claim still propagating: MSAL would hand the cached token back) and after a throttled
   * or failed-server answer (MSAL would refuse the next try itself).
   */
  credential: TokenCredential | null;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Acquire (unless in token mode), check, probe. Never throws for a failed verification. */
export async function runVerification(input: VerifyInput, hooks: VerifyHooks = {}): Promise<VerifyReport> {
  const now = hooks.now ?? Date.now;
  const startedAt = now();
  // Without a known creation time the app is taken as settled: waiting cannot fix a mistyped secret,
  // and a troubleshooting run must say so at once rather than after the whole window.
  const windowStart = input.propagationWindowStart?.getTime() ?? startedAt;
  const windowEnd = input.propagationWindowStart ? windowStart + (input.propagationWindowMs ?? DEFAULT_PROPAGATION_WINDOW_MS) : startedAt;
  const deadline = startedAt + (input.timeoutMs ?? Math.max(windowEnd - startedAt, 0) + DEFAULT_TIMEOUT_HEADROOM_MS);
  const secrets = [input.credential?.kind === "secret" ? input.credential.clientSecret : null, input.token ?? null];
  const redact = redactorFor(secrets);
  const ctx: RunContext = {
    input,
    now,
    sleep: hooks.sleep ?? defaultSleep,
    progress: (line) => hooks.onProgress?.(redact(line)),
    startedAt,
    windowStart,
    windowEnd,
    deadline,
    redact,
    credential: null,
  };
  const fetchJwks = createJwksFetcher({ timeoutMs: () => Math.max(1_000, Math.min(15_000, deadline - now())) });

  let checks: CheckResult[];
  let decoded: DecodedToken | null;
  let tokenRequests = 0;
  let token: string | null;

  if (input.token !== undefined) {
    token = input.token.trim();
    const outcome = await checkToken(token, expectationsOf(input), fetchJwks, Math.floor(now() / 1000));
    checks = outcome.decoded
      ? [
          {
            id: "token",
            ok: true,
            detail: input.cmicUrl
              ? `token given: validated here (only the JWKS is fetched), then sent to ${new URL(input.cmicUrl).host} as --cmic-url asks`
              : "token given: validated offline (only the JWKS is fetched; the token is sent nowhere)",
          },
          ...outcome.checks,
        ]
      : outcome.checks;
    decoded = outcome.decoded;
  } else {
    const result = await acquireAndCheck(ctx, fetchJwks);
    checks = result.checks;
    decoded = result.decoded;
    tokenRequests = result.requests;
    token = result.token;
  }

  if (input.cmicUrl && token && decoded) {
    checks.push(
      await probeCmic(
        input.cmicUrl,
        token,
        {
          issuerUrl: input.issuerUrl,
          clientId: input.clientId,
          jwksUri: input.jwksUri,
          claimName: input.claimName ?? DEFAULT_CLAIM_NAME,
          expectedCmicUser: input.expectedCmicUser,
        },
        { timeoutMs: Math.max(1_000, deadline - now()) },
      ),
    );
  }

  const safe = sortChecks(checks).map((check) => ({
    ...check,
    detail: redact(check.detail),
    ...(check.fix !== undefined ? { fix: redact(check.fix) } : {}),
  }));
  return { ok: reportOk(safe), checks: safe, token: decoded, tokenRequests, elapsedMs: now() - startedAt };
}

function expectationsOf(input: VerifyInput) {
  return {
    tenantId: input.tenantId,
    clientId: input.clientId,
    identifierUri: input.identifierUri ?? input.scope.replace(/\/\.default$/, ""),
    issuerUrl: input.issuerUrl,
    jwksUri: input.jwksUri,
    expectedCmicUser: input.expectedCmicUser,
    deployment: input.deployment,
    claimName: input.claimName ?? DEFAULT_CLAIM_NAME,
    clockSkewSeconds: input.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
    authorityHost: input.authorityHost,
    ...(input.accessTokenVersion !== undefined ? { accessTokenVersion: input.accessTokenVersion } : {}),
    ...(input.azureCloud !== undefined ? { azureCloud: input.azureCloud } : {}),
    ...(input.optionalClaims !== undefined ? { optionalClaims: input.optionalClaims } : {}),
  };
}

/** Whether the checks failed only because the claim has not reached the token yet. */
function missingClaimOnly(checks: CheckResult[], decoded: DecodedToken | null, input: VerifyInput): boolean {
  if (!decoded || input.expectedCmicUser === null) return false;
  return decoded.claims[input.claimName ?? DEFAULT_CLAIM_NAME] === undefined && checks.some((c) => c.id === "cmicuser" && !c.ok);
}

async function acquireAndCheck(
  ctx: RunContext,
  fetchJwks: JwksFetcher,
): Promise<{ checks: CheckResult[]; decoded: DecodedToken | null; requests: number; token: string | null }> {
  let delay: number = BACKOFF.initialMs;
  let requests = 0;
  const waiter = new ProgressThrottle(ctx);
  for (;;) {
    const acquisition = await acquireWithRetry(
      ctx,
      () => {
        const current = delay;
        delay = Math.min(delay * BACKOFF.factor, BACKOFF.maxMs);
        return current;
      },
      waiter,
    );
    requests += acquisition.requests;
    if (!acquisition.ok) {
      return { checks: [acquisition.check], decoded: null, requests, token: null };
    }
    const outcome = await checkToken(acquisition.token, expectationsOf(ctx.input), fetchJwks, Math.floor(ctx.now() / 1000));
    const tokenCheck: CheckResult = {
      ...acquisition.check,
      detail: `${acquisition.check.detail} (${requests} token request${requests === 1 ? "" : "s"}, ${seconds(ctx.now() - ctx.startedAt)})`,
    };
    const now = ctx.now();
    // A just-assigned claims-mapping policy reaches tokens some time after the credential works.
    if (missingClaimOnly(outcome.checks, outcome.decoded, ctx.input) && now < ctx.windowEnd && now + delay < ctx.deadline) {
      waiter.report(
        "cmicuser",
        `waiting for Entra to propagate: no ${ctx.input.claimName ?? DEFAULT_CLAIM_NAME} claim in the token yet (claims-mapping policy) — ` +
          `${seconds(now - ctx.windowStart)} elapsed, retrying for up to ${seconds(ctx.windowEnd - now)} more`,
      );
      const wait = delay;
      delay = Math.min(delay * BACKOFF.factor, BACKOFF.maxMs);
      ctx.credential = null;
      await ctx.sleep(wait);
      continue;
    }
    return { checks: [tokenCheck, ...outcome.checks], decoded: outcome.decoded, requests, token: acquisition.token };
  }
}

/** Prints a waiting line on the first try, when the reason changes, and then every few seconds. */
class ProgressThrottle {
  private lastKey: string | null = null;
  private lastAt = -Infinity;
  constructor(private readonly ctx: RunContext) {}
  report(key: string, line: string): void {
    const now = this.ctx.now();
    if (key !== this.lastKey || now - this.lastAt >= PROGRESS_INTERVAL_MS) {
      this.lastKey = key;
      this.lastAt = now;
      this.ctx.progress(line);
    }
  }
}

async function requestToken(ctx: RunContext): Promise<AccessToken> {
  const { input } = ctx;
  if (!input.credential) throw new Error("no credential");
  ctx.credential ??= createClientCredential({
    tenantId: input.tenantId,
    clientId: input.clientId,
    credential: input.credential,
    authorityHost: input.authorityHost,
  });
  const credential = ctx.credential;
  const remaining = Math.max(1, ctx.deadline - ctx.now());
  // The signal is passed on, but @azure/identity drops it for client secrets and waits out any
  // Retry-After: the race is what bounds the call.
  const token = await withDeadline(
    credential.getToken(input.scope, { abortSignal: AbortSignal.timeout(remaining) }),
    remaining,
    `the token request to ${new URL(input.authorityHost ?? ENTRA_AUTHORITY_HOST).host}`,
  );
  if (!token?.token) throw new Error("Entra returned no access token");
  return token;
}

function failedTokenCheck(ctx: RunContext, diagnosis: EntraDiagnosis, why: string): CheckResult {
  return {
    id: "token",
    ok: false,
    detail:
      `Entra refused the token request${why}: ${describeDiagnosis(diagnosis)}. ${diagnosis.cause}` +
      (diagnosis.message ? ` Entra said: ${ctx.redact(diagnosis.message)}` : ""),
    fix: diagnosis.fix,
  };
}

async function acquireWithRetry(ctx: RunContext, nextDelay: () => number, waiter: ProgressThrottle): Promise<Acquisition> {
  const { input } = ctx;
  if (!input.credential) {
    return {
      ok: false,
      requests: 0,
      check: {
        id: "token",
        ok: false,
        detail: "no client credential to request a token with (the outputs carry no secret)",
        fix: "Set CMIC_CLIENT_SECRET (or read the outputs with --show-secrets), pass --certificate FILE, or validate an existing token with --token.",
      },
    };
  }
  const diagnosisContext = {
    tenantId: input.tenantId,
    clientId: input.clientId,
    scope: input.scope,
    credentialKind: input.credential.kind,
    authorityHost: input.authorityHost,
    justDeployed: input.justDeployed === true,
  };
  // MSAL's discovery failure hides its cause; verify fetches the document itself, once per run.
  let discovery: DiscoveryProbe | null = null;
  let requests = 0;
  let transientOutsideWindow = 0;
  for (;;) {
    requests += 1;
    let accessToken: AccessToken;
    try {
      accessToken = await requestToken(ctx);
    } catch (error) {
      if (error instanceof DeadlineError) {
        // MSAL retries an unreachable host for seconds before it says anything: one probe of the
        // discovery document (its minimum time, past the deadline) tells "cannot reach" from "slow".
        discovery ??= await probeDiscovery(input.authorityHost ?? ENTRA_AUTHORITY_HOST, input.tenantId, 0);
        const unreachable = discovery.kind === "unreachable" || discovery.kind === "not-json";
        const cause = unreachable
          ? diagnoseDiscovery(discovery, diagnoseEntraError(error, diagnosisContext, ctx.redact), diagnosisContext)
          : null;
        return {
          ok: false,
          requests,
          check: {
            id: "token",
            ok: false,
            detail: `no answer: ${error.message} (the overall timeout, ${seconds(ctx.deadline - ctx.startedAt)}, ran out)${cause ? `: ${cause.short}. ${cause.cause}` : ""}`,
            fix: cause?.fix ?? error.fix,
          },
        };
      }
      let diagnosis = diagnoseEntraError(error, diagnosisContext, ctx.redact);
      if (isDiscoveryFailure(error)) {
        discovery ??= await probeDiscovery(input.authorityHost ?? ENTRA_AUTHORITY_HOST, input.tenantId, ctx.deadline - ctx.now());
        diagnosis = diagnoseDiscovery(discovery, diagnosis, diagnosisContext);
      }
      // After a 429 or 5xx, MSAL refuses the same request from the same instance for Retry-After or
      // 60 s (msal-common src/network/ThrottlingUtils.ts, DEFAULT_THROTTLE_TIME_SECONDS): the next
      // try needs a new instance. Propagation errors (400/401) are not throttled, so it is kept.
      if (diagnosis.retry === "transient") ctx.credential = null;
      const now = ctx.now();
      const inWindow = now < ctx.windowEnd;
      let retry = false;
      if (diagnosis.retry === "propagation") retry = inWindow;
      if (diagnosis.retry === "transient") retry = inWindow || transientOutsideWindow++ < TRANSIENT_RETRIES_OUTSIDE_WINDOW;
      const wait = Math.max(nextDelay(), diagnosis.retryAfterMs ?? 0);
      if (!retry) {
        const why =
          diagnosis.retry === "propagation"
            ? ` (still failing ${seconds(now - ctx.windowStart)} after the propagation window started, so waiting will not fix it)`
            : diagnosis.retry === "transient"
              ? ` after ${requests} tries`
              : "";
        return { ok: false, requests, check: failedTokenCheck(ctx, diagnosis, why) };
      }
      if (now + wait >= ctx.deadline) {
        return {
          ok: false,
          requests,
          check: failedTokenCheck(ctx, diagnosis, ` and the timeout (${seconds(ctx.deadline - ctx.startedAt)}) ran out while waiting`),
        };
      }
      waiter.report(
        diagnosis.code ?? diagnosis.short,
        diagnosis.retry === "propagation"
          ? `waiting for Entra to propagate: ${describeDiagnosis(diagnosis)} — ${seconds(now - ctx.windowStart)} elapsed, retrying for up to ${seconds(ctx.windowEnd - now)} more`
          : `Entra is not answering normally: ${describeDiagnosis(diagnosis)} — retrying in ${seconds(wait)}`,
      );
      await ctx.sleep(wait);
      continue;
    }
    return { ok: true, requests, token: accessToken.token, check: { id: "token", ok: true, detail: `token acquired for ${input.scope}` } };
  }
}
