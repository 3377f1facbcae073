/**
 * The AADSTS errors a client-credentials integration meets, each with the cause and the fix in
 * words an Azure admin can act on, and whether waiting can fix it (pure: no I/O).
 *
 * @azure/identity wraps Entra's JSON error in prose (`… AADSTS7000215: Invalid client secret …`),
 * so the code is parsed out of the text with {@link AADSTS_CODE}. An unknown tenant fails during
 * MSAL's authority discovery instead, where the text carries `invalid_tenant` / "endpoints
 * resolution" but no code: {@link diagnoseEntraError} still reports it as AADSTS90002.
 */

import type { DiscoveryProbe } from "./discoveryProbe";
import { NETWORK_FAILURE } from "../shared/networkFailure";

/** How the verify runner treats an error. */
export type RetryClass =
  /** Entra is still replicating a just-created object (secret, certificate, service principal): retry inside the propagation window. */
  | "propagation"
  /** Throttling, a 5xx or a network hiccup: retry a few times whatever the window. */
  | "transient"
  /** No amount of waiting fixes it: report at once. */
  | "permanent";

/** What the messages may name: every value is public (ids, URIs), never a secret. */
export interface DiagnosisContext {
  tenantId: string;
  clientId: string;
  /** The scope requested, e.g. `api://<client-id>/.default`. */
  scope: string;
  credentialKind?: "secret" | "certificate";
  /** Where the token was requested (public cloud unless set); named in network diagnoses. */
  authorityHost?: string;
  /** The run follows a deployment (`--just-deployed`): some misconfiguration codes may be replication lag. */
  justDeployed?: boolean;
}

export interface AadstsEntry {
  code: string;
  /** A few words for progress lines: "secret not active yet". */
  short: string;
  retry: RetryClass;
  /**
   * Retried inside the propagation window when the run follows a deployment (`--just-deployed`),
   * permanent otherwise: the error names a misconfiguration that replication lag can fake for a
   * while right after the settings were written.
   */
  propagationWhenJustDeployed?: boolean;
  cause(ctx: DiagnosisContext): string;
  fix(ctx: DiagnosisContext): string;
}

export interface EntraDiagnosis {
  /** The AADSTS code without prefix ("7000215"), "429" for throttling without a code, or null. */
  code: string | null;
  short: string;
  retry: RetryClass;
  cause: string;
  fix: string;
  /** Entra's own text, secrets and tokens removed by the caller's redactor, first line only. */
  message: string;
  /** From a Retry-After hint, when the error carried one. */
  retryAfterMs?: number;
}

export const AADSTS_CODE = /AADSTS(\d+)/;

function identifierUriOf(scope: string): string {
  return scope.replace(/\/\.default$/, "");
}

const entries: AadstsEntry[] = [
  {
    code: "50146",
    short: "application-specific signing key required",
    retry: "permanent",
    // The real Application PATCHes acceptMappedClaims after creating the app, and the policy
    // assignment replicates on its own: for a moment after `pulumi up` either can look missing.
    propagationWhenJustDeployed: true,
    cause: () =>
      "The app has a claims-mapping policy (the cmicuser claim) but does not accept mapped claims, so Entra insists on an application-specific signing key.",
    fix: () =>
      "Set acceptMappedClaims = true on the app registration (Manifest → acceptMappedClaims, or this project's setting) and run `pulumi up`; " +
      "alternatively configure an app-specific signing key and register CMiC's Keyset ID with `?appid=<client-id>`.",
  },
  {
    code: "501461",
    short: "Application ID URI not on a verified domain",
    retry: "permanent",
    // The real Application PATCHes acceptMappedClaims after creating the app, and the policy
    // assignment replicates on its own: for a moment after `pulumi up` either can look missing.
    propagationWhenJustDeployed: true,
    cause: (ctx) =>
      `acceptMappedClaims is only allowed when the token audience is the app's GUID or an Application ID URI on one of the tenant's verified domains; the scope asks for ${identifierUriOf(ctx.scope)}.`,
    fix: (ctx) =>
      `Use an Application ID URI on a verified domain, e.g. api://${ctx.clientId}.<your verified domain> ` +
      "(set this project's `verifiedDomain` setting and run `pulumi up`), then request the scope <that URI>/.default.",
  },
  {
    code: "1002012",
    short: "scope must end with /.default",
    retry: "permanent",
    cause: (ctx) =>
      `The client-credentials flow only accepts a scope of the form <Application ID URI>/.default; the request used "${ctx.scope}".`,
    fix: (ctx) =>
      `Request the scope ${identifierUriOf(ctx.scope).replace(/\/+$/, "")}/.default (the stack output \`scope\`), and set the same value as Scope in the connector.`,
  },
  {
    code: "7000215",
    short: "secret not active yet or wrong",
    retry: "propagation",
    cause: () =>
      "Entra rejected the client secret. Right after it is created a secret takes a few seconds to replicate; after that, this means the value is wrong — most often the secret's ID (a GUID) was copied instead of its Value.",
    fix: () =>
      "Use the secret Value shown once at creation (the stack output `clientSecret`, read with `pulumi stack output --show-secrets`), not the Secret ID; " +
      "the stack keeps it, so it is not lost: `npm run handoff -- --stack <stack> --reveal` prints it again.",
  },
  {
    code: "7000222",
    short: "client secret expired",
    retry: "permanent",
    cause: () => "The client secret has expired.",
    fix: () =>
      "Run `pulumi up`: this project refreshes first, finds the rotation date passed and issues a new secret; " +
      "then give it to the connector admin (`npm run handoff -- --stack <stack> --reveal`).",
  },
  {
    code: "700016",
    short: "application not found in the tenant yet",
    retry: "propagation",
    cause: (ctx) =>
      `No application with client id ${ctx.clientId} was found in tenant ${ctx.tenantId}: either it was just created and has not replicated yet, or the client id or tenant id is wrong.`,
    fix: (ctx) =>
      `Check that the Application (client) ID ${ctx.clientId} is registered in directory ${ctx.tenantId} (stack outputs \`clientId\` / \`tenantId\`); the app must be single-tenant in that directory.`,
  },
  {
    code: "7000229",
    short: "no service principal for the client yet",
    retry: "propagation",
    // Seen right after creation: the app exists, its enterprise application has not replicated.
    cause: (ctx) =>
      `Application ${ctx.clientId} has no service principal (enterprise application) in tenant ${ctx.tenantId} yet: it was just created and is still replicating, or it was deleted.`,
    fix: () =>
      "Wait a minute after `pulumi up`; if it persists, check Entra ID → Enterprise applications for the app (`pulumi up --refresh` recreates a deleted service principal).",
  },
  {
    code: "90009",
    short: "token requested for itself with a non-GUID resource",
    retry: "permanent",
    // Microsoft documents 90009 for an app requesting a token for itself by a non-GUID identifier
    // (seen in delegated flows). Whether client credentials with an api://<guid>.<domain> resource
    // meet it is unverified: the CMiC and Arcoro guides request exactly that and report it working.
    cause: (ctx) =>
      `Entra refused a token that application ${ctx.clientId} requested for itself by the identifier "${identifierUriOf(ctx.scope)}" instead of its GUID.`,
    fix: (ctx) =>
      `Request scope ${ctx.clientId}/.default (the app id itself) to confirm; keep the stack output \`scope\` for the connector if that works too.`,
  },
  {
    code: "90011",
    short: "unexpected client assertion type",
    retry: "permanent",
    cause: () => "The token request carried a client_assertion whose client_assertion_type is not the JWT bearer type Entra accepts.",
    fix: () =>
      "Send client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer with the signed certificate assertion (@azure/identity and MSAL do this; check a hand-written client).",
  },
  {
    code: "700025",
    short: "public client presented a credential",
    retry: "permanent",
    cause: (ctx) =>
      `Application ${ctx.clientId} is registered as a public client ("Allow public client flows" on), and a public client may not present a secret or certificate.`,
    fix: () =>
      "In Entra ID → App registrations → the app → Authentication, set 'Allow public client flows' to No (this project's app is a confidential client), then request the token again.",
  },
  {
    code: "90002",
    short: "tenant not found",
    retry: "permanent",
    cause: (ctx) => `Entra has no tenant "${ctx.tenantId}" (or the authority host is not the cloud the tenant lives in).`,
    fix: () =>
      "Use the Directory (tenant) ID from Entra ID → Overview (the stack output `tenantId`) and the right cloud; check `azuread:tenantId` in the stack config.",
  },
  {
    code: "500011",
    short: "resource service principal not found yet",
    retry: "propagation",
    cause: (ctx) =>
      `The resource "${identifierUriOf(ctx.scope)}" has no service principal in tenant ${ctx.tenantId}: it was just created and is still replicating, or the scope names a URI that is not the app's Application ID URI.`,
    fix: () =>
      "Request the stack output `scope` exactly (the app's Application ID URI + /.default) and make sure the enterprise application (service principal) exists: `pulumi up` creates it.",
  },
  {
    code: "700027",
    short: "certificate not active yet or not registered",
    retry: "propagation",
    cause: () =>
      "Entra could not validate the client assertion: the certificate that signed it is not (yet) registered on the app, or the private key does not match the uploaded certificate.",
    fix: () =>
      "Sign with the certificate whose thumbprint is the stack output `certificateThumbprint` (PEM with certificate and private key); if you replaced the certificate, run `pulumi up` so the app has the new one.",
  },
  {
    code: "7000216",
    short: "no client credential sent",
    retry: "permanent",
    cause: () => "The token request carried neither a client secret nor a client assertion (certificate).",
    fix: () =>
      "Provide a credential: set CMIC_CLIENT_SECRET (or --client-secret), or --certificate FILE with the PEM certificate and private key.",
  },
  {
    code: "700024",
    short: "client assertion outside its valid time range",
    retry: "permanent",
    cause: () => "The signed client assertion is expired or not yet valid, usually because this machine's clock is wrong.",
    fix: () => "Synchronise the clock of the machine that requests the token (NTP) and try again.",
  },
  {
    code: "7000112",
    short: "application disabled",
    retry: "permanent",
    cause: () => "The application (or its enterprise application) is disabled in the tenant.",
    fix: () => "In Entra ID → Enterprise applications → the app → Properties, set 'Enabled for users to sign in' to Yes.",
  },
  {
    code: "90033",
    short: "transient Entra error",
    retry: "transient",
    cause: () => "Entra reported a transient error while issuing the token.",
    fix: () => "Retry in a few minutes; check https://status.azure.com if it persists.",
  },
  {
    code: "50000",
    short: "Entra server error",
    retry: "transient",
    cause: () => "Entra had an internal error issuing the token.",
    fix: () => "Retry in a few minutes; check https://status.azure.com if it persists.",
  },
  {
    code: "50196",
    short: "throttled by Entra (request loop detected)",
    retry: "transient",
    cause: () => "Entra detected too many identical token requests in a short time and throttled the client.",
    fix: () => "Cache the token until shortly before it expires instead of requesting one per call; wait a minute and try again.",
  },
];

export const AADSTS_CATALOGUE: ReadonlyMap<string, AadstsEntry> = new Map(entries.map((entry) => [entry.code, entry]));

const throttled: AadstsEntry = {
  code: "429",
  short: "throttled by Entra",
  retry: "transient",
  cause: () => "Entra answered 429 Too Many Requests.",
  fix: () => "Wait and retry; request tokens less often (cache them until shortly before expiry).",
};

const serverError: AadstsEntry = {
  code: "5xx",
  short: "Entra server error",
  retry: "transient",
  cause: () => "Entra answered with a server error or the service is temporarily unavailable.",
  fix: () => "Retry in a few minutes; check https://status.azure.com if it persists.",
};

function authorityHostName(ctx: DiagnosisContext): string {
  return new URL(ctx.authorityHost ?? "https://login.microsoftonline.com").host;
}

const networkError: AadstsEntry = {
  code: "network",
  short: "cannot reach Entra",
  retry: "transient",
  cause: (ctx) => `${authorityHostName(ctx)} could not be reached (connection refused, reset, timed out or DNS failure).`,
  fix: (ctx) =>
    `Check the network path to ${authorityHostName(ctx)} (proxy: set HTTPS_PROXY; firewall allow-list) or the --authority-host value.`,
};

const tlsError: AadstsEntry = {
  code: "tls",
  short: "TLS certificate not trusted",
  retry: "permanent",
  cause: () => "The authority host's TLS certificate is not trusted by this node process.",
  fix: () =>
    "Behind a TLS-inspecting proxy set NODE_EXTRA_CA_CERTS to its CA; for the local emulator run through `node dist/scripts/shared/withEmulatorCa.js -- …`.",
};

const unknownError: AadstsEntry = {
  code: "unknown",
  short: "token request failed",
  retry: "permanent",
  cause: () => "Entra refused the token request for a reason this tool does not recognise.",
  fix: () =>
    "Look the AADSTS code up at https://login.microsoftonline.com/error?code=<code> (or in Microsoft's AADSTS error list) and compare the app registration with the stack outputs.",
};

/** The AADSTS code in an error text, without its prefix; null when there is none. */
export function extractAadstsCode(text: string): string | null {
  const match = AADSTS_CODE.exec(text);
  return match ? match[1] : null;
}

/** Unknown tenant at discovery: MSAL reports it without an AADSTS code. */
const INVALID_TENANT =
  /invalid_tenant|endpoints?_resolution_error|tenant .{0,80} not found|unable to resolve endpoints|openid-configuration.*(400|404)/i;
/** OAuth's own "try again" signals, whatever the code. */
const TRANSIENT_TEXT = /temporarily_unavailable|server_error|transient error/i;
const TLS =
  /self[- ]signed certificate|unable to verify the first certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|CERT_HAS_EXPIRED|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|unable to get local issuer certificate/i;

export interface ErrorShape {
  message: string;
  name: string;
  statusCode?: number;
  retryAfterMs?: number;
}

function errorShape(error: unknown): ErrorShape {
  if (error instanceof Error) {
    const record = error as Error & Record<string, unknown>;
    const parts = [error.message];
    // @azure/identity keeps the parsed Entra response on AuthenticationError.errorResponse.
    const response = record.errorResponse as Record<string, unknown> | undefined;
    if (response && typeof response === "object") {
      for (const key of ["error", "errorDescription", "error_description"]) {
        if (typeof response[key] === "string") parts.push(response[key] as string);
      }
    }
    const cause = record.cause;
    if (cause instanceof Error) parts.push(cause.message, String((cause as NodeJS.ErrnoException).code ?? ""));
    if (typeof record.code === "string") parts.push(record.code);
    const statusCode = typeof record.statusCode === "number" ? record.statusCode : undefined;
    return { message: parts.join(" "), name: error.name, statusCode, retryAfterMs: retryAfterFrom(record) };
  }
  return { message: String(error), name: "Error" };
}

function retryAfterFrom(record: Record<string, unknown>): number | undefined {
  const value = record.retryAfterInMs ?? record.retryAfterMs;
  return typeof value === "number" && value > 0 ? value : undefined;
}

/** Pick the catalogue entry for an error thrown by @azure/identity's getToken (or by fetch). */
export function classifyEntraError(error: unknown): { entry: AadstsEntry; code: string | null; shape: ErrorShape } {
  const shape = errorShape(error);
  const code = extractAadstsCode(shape.message);
  if (code) {
    const known = AADSTS_CATALOGUE.get(code);
    if (known) return { entry: known, code, shape };
    if (shape.statusCode === 429) return { entry: throttled, code, shape };
    if ((shape.statusCode !== undefined && shape.statusCode >= 500) || TRANSIENT_TEXT.test(shape.message))
      return { entry: serverError, code, shape };
    return { entry: unknownError, code, shape };
  }
  // A network failure can carry MSAL's discovery wording too: the network is the cause to name.
  if (TLS.test(shape.message)) return { entry: tlsError, code: null, shape };
  if (NETWORK_FAILURE.test(shape.message)) return { entry: networkError, code: null, shape };
  if (INVALID_TENANT.test(shape.message)) return { entry: AADSTS_CATALOGUE.get("90002")!, code: "90002", shape };
  if (shape.statusCode === 429 || /\b429\b|too many requests|throttl/i.test(shape.message)) return { entry: throttled, code: "429", shape };
  if (
    (shape.statusCode !== undefined && shape.statusCode >= 500) ||
    TRANSIENT_TEXT.test(shape.message) ||
    /\b50[0234]\b/.test(shape.message)
  ) {
    return { entry: serverError, code: null, shape };
  }
  return { entry: unknownError, code: null, shape };
}

/**
 * The part of an error text worth showing: from `AADSTS<code>:` to before Entra's trace/correlation
 * ids and timestamps (which @azure/identity appends), else the first non-empty line.
 */
export function entraSentence(text: string): string {
  const start = text.search(/AADSTS\d+:/);
  const body = start >= 0 ? text.slice(start) : text;
  const firstLine = body.split(/\r?\n/).find((line) => line.trim() !== "") ?? "";
  return firstLine.split(/\s+(?:Trace ID|Correlation ID|Timestamp):/)[0].trim();
}

/**
 * Cause, fix and retry class for a failed token request. `redact` removes secrets and tokens from
 * Entra's text before it is kept (the secret can appear in a misconfigured URL or echo).
 */
export function diagnoseEntraError(
  error: unknown,
  ctx: DiagnosisContext,
  redact: (text: string) => string = (text) => text,
): EntraDiagnosis {
  const { entry, code, shape } = classifyEntraError(error);
  const firstLine = entraSentence(redact(shape.message));
  return {
    code,
    short: entry.short,
    retry: entry.propagationWhenJustDeployed && ctx.justDeployed ? "propagation" : entry.retry,
    cause: entry.cause(ctx),
    fix: entry.fix(ctx),
    message: firstLine.length > 400 ? `${firstLine.slice(0, 400)}…` : firstLine,
    ...(shape.retryAfterMs !== undefined ? { retryAfterMs: shape.retryAfterMs } : {}),
  };
}

/** Whether a diagnosis came from MSAL's discovery step, whose one text hides the real cause. */
export function isDiscoveryFailure(error: unknown): boolean {
  const { shape, code } = classifyEntraError(error);
  return code === "90002" && extractAadstsCode(shape.message) === null;
}

/**
 * The diagnosis once verify has fetched the discovery document itself ({@link DiscoveryProbe}):
 * an unreachable host or an HTML page is named as such, Entra's own error by its code.
 */
export function diagnoseDiscovery(probe: DiscoveryProbe, fallback: EntraDiagnosis, ctx: DiagnosisContext): EntraDiagnosis {
  switch (probe.kind) {
    case "unreachable":
      return {
        ...fallback,
        code: null,
        short: `cannot reach ${probe.host}`,
        retry: "transient",
        cause: `${probe.host} could not be reached (${probe.reason}) while reading the tenant's discovery document.`,
        fix: networkError.fix({ ...ctx, authorityHost: `https://${probe.host}` }),
      };
    case "not-json":
      return {
        ...fallback,
        code: null,
        short: `${probe.host} did not answer like Entra`,
        retry: "permanent",
        cause:
          `${probe.host} answered the discovery request with HTTP ${probe.status} and content type ${probe.contentType}, not Entra's JSON: ` +
          "a proxy's or captive portal's page, or an authority host that is not Entra.",
        fix: `Let ${probe.host} through the proxy unchanged (or set HTTPS_PROXY), or correct --authority-host / $CMIC_AUTHORITY_HOST.`,
      };
    case "entra-error": {
      const code = extractAadstsCode(probe.description);
      const entry = code ? AADSTS_CATALOGUE.get(code) : undefined;
      if (!entry || !code) return fallback;
      return {
        ...fallback,
        code,
        short: entry.short,
        retry: entry.retry,
        cause: entry.cause(ctx),
        fix: entry.fix(ctx),
        message: entraSentence(probe.description),
      };
    }
    case "ok":
      return fallback;
  }
}

/** "AADSTS7000215 (secret not active yet or wrong)" for progress lines and check details. */
export function describeDiagnosis(diagnosis: Pick<EntraDiagnosis, "code" | "short">): string {
  if (diagnosis.code && /^\d{5,}$/.test(diagnosis.code)) return `AADSTS${diagnosis.code} (${diagnosis.short})`;
  if (diagnosis.code === "429") return `HTTP 429 (${diagnosis.short})`;
  return diagnosis.short;
}
