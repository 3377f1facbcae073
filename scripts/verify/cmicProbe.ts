/**
 * `--cmic-url`: call a CMiC API endpoint with the token and read CMiC's answer the way the
 * troubleshooting table of CMiC's guide does, naming the registration field to correct.
 */
import type { CheckResult } from "./report";

/** The registered values the messages point to (all public). */
export interface CmicProbeContext {
  issuerUrl: string;
  clientId: string;
  jwksUri: string;
  claimName: string;
  expectedCmicUser: string | null;
}

interface Rule {
  status: (status: number) => boolean;
  text: RegExp;
  detail: string;
  fix: (ctx: CmicProbeContext) => string;
}

const RULES: Rule[] = [
  {
    status: (s) => s === 401,
    text: /missing required claim/i,
    detail: 'CMiC answered 401 "Missing required claim": it found no service-user claim in the token',
    fix: (ctx) =>
      `Make the token carry ${ctx.claimName}${ctx.expectedCmicUser ? ` = "${ctx.expectedCmicUser}"` : ""} (claims-mapping policy assigned, acceptMappedClaims true), ` +
      `check that cmic.oauth2.user.claim.name is "${ctx.claimName}", or (after Patch 22) enter the Service User in CMiC's Application Registration.`,
  },
  {
    status: (s) => s === 401,
    text: /ip ?check/i,
    detail: "CMiC answered 401 \"Client validation failed (ip check)\": the token's ipaddr differs from the caller's IP",
    fix: () =>
      "Request the token from the same egress IP that calls CMiC, or set cmic.oauth2.ipcheck.enabled=false in cmicapp.properties and restart CMiC.",
  },
  {
    status: (s) => s === 401,
    text: /token expired|expired/i,
    detail: 'CMiC answered 401 "Token expired"',
    fix: () => "Request a new token (the connector must refresh before exp) and make sure the CMiC server's clock is right (NTP).",
  },
  {
    status: (s) => s === 401,
    text: /unable to validate signature|signature/i,
    detail: 'CMiC answered 401 "Unable to validate signature": the signing key is not in the JWKS CMiC loads',
    fix: (ctx) =>
      `Set the registration's Keyset ID to ${ctx.jwksUri} (for an app-specific signing key: ${ctx.jwksUri}?appid=${ctx.clientId}) and send the token unmodified.`,
  },
  {
    // CMiC documents the check ("The user of the token is valid in CMiC", 001_…) but not its text;
    // the stand-in assumes "User not found" (cmic/README.md), so any "user … not found/invalid" matches.
    status: (s) => s === 401,
    text: /user (is )?(not found|unknown|invalid|not valid)|unknown user|invalid user/i,
    detail: 'CMiC answered 401 "User not found": no CMiC user has the name the token (or the registration) gives',
    fix: (ctx) =>
      (ctx.expectedCmicUser
        ? `Create the CMiC user the token names (${ctx.claimName} = "${ctx.expectedCmicUser}"), or correct the stack's serviceUser/cmicTenant and run \`pulumi up\`. `
        : "Enter an existing CMiC user as the registration's Service User. ") +
      "CMiC Cloud reads tenant||username (two pipes) or the email-format username; a single pipe is not split. " +
      "An email-format claim is looked up as it stands unless cmic.oauth2.remove.domainFromUser is true.",
  },
  {
    status: (s) => s >= 500,
    text: /application is not registered|not registered/i,
    detail: 'CMiC answered "Application is not registered": no registration matches the token\'s iss and app id',
    fix: (ctx) =>
      `In CMiC API Security → Application Registration set Issuer URL = ${ctx.issuerUrl} and Application ID = ${ctx.clientId} exactly (byte for byte, no trailing slash added).`,
  },
  {
    status: (s) => s >= 500,
    text: /json web key set|jwks|key ?set/i,
    detail: 'CMiC answered "Failed to load JSON web key set": the CMiC server cannot fetch the Keyset ID',
    fix: (ctx) =>
      `Set Keyset ID to ${ctx.jwksUri} and let the CMiC server reach ${hostOf(ctx.jwksUri)} over HTTPS (firewall, proxy, outbound TLS trust).`,
  },
];

/** The host of a registered URL, or the URL itself when it is none (a value given by hand). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Read a CMiC response (status + body text) into the `cmic-endpoint` check. Pure. */
export function interpretCmicResponse(url: string, status: number, body: string, ctx: CmicProbeContext): CheckResult {
  if (status >= 200 && status < 300) {
    return { id: "cmic-endpoint", ok: true, detail: `GET ${url} answered ${status}: CMiC accepted the token` };
  }
  const rule = RULES.find((candidate) => candidate.status(status) && candidate.text.test(body));
  if (rule) return { id: "cmic-endpoint", ok: false, detail: `GET ${url}: ${rule.detail}`, fix: rule.fix(ctx) };
  const excerpt = body.replace(/\s+/g, " ").trim().slice(0, 200);
  if (status === 401) {
    return {
      id: "cmic-endpoint",
      ok: false,
      detail: `GET ${url} answered 401${excerpt ? `: ${excerpt}` : ""}`,
      fix: "CMiC refused the token: compare its registration (Issuer URL, Application ID, Keyset ID, service user) with the stack outputs and enable FINE logging of cmic.oauth2.filter for the exact reason.",
    };
  }
  if (status === 403) {
    return {
      id: "cmic-endpoint",
      ok: false,
      detail: `GET ${url} answered 403: authenticated, but the service user may not call this endpoint${excerpt ? ` (${excerpt})` : ""}`,
      fix: "Grant the service user (and the registered application) this endpoint in CMiC API Security (roles / RBAC).",
    };
  }
  return {
    id: "cmic-endpoint",
    ok: false,
    detail: `GET ${url} answered ${status}${excerpt ? `: ${excerpt}` : ""}`,
    fix: "Check the URL (a CMiC REST endpoint the service user may read) and CMiC's server log (cmic.oauth2.filter at FINE).",
  };
}

/** GET the endpoint with the token as bearer. The token goes only to this URL, never to output. */
export async function probeCmic(
  url: string,
  token: string,
  ctx: CmicProbeContext,
  options: { timeoutMs?: number } = {},
): Promise<CheckResult> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      redirect: "manual",
    });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    return {
      id: "cmic-endpoint",
      ok: false,
      detail: `GET ${url} failed: ${cause?.message ?? (error as Error).message}`,
      fix: "Check the --cmic-url value and that this machine can reach the CMiC server (VPN, firewall, TLS trust via NODE_EXTRA_CA_CERTS).",
    };
  }
  const body = await response.text().catch(() => "");
  return interpretCmicResponse(url, response.status, body, ctx);
}
