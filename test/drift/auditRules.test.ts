/**
 * The Graph audit's rule table and the rules whose reach is easy to get wrong, driven with
 * hand-built `$batch` answers (no emulator): the order checks are reported in, which checks apply
 * when an object is gone, and which credentials each credential rule looks at.
 */
import fs from "node:fs";
import path from "node:path";
import { parseStackOutputs, type StackOutputs } from "../../contract/stackOutputs";
import { claimsMappingDefinition } from "../../components/claimsMapping";
import { evaluateAudit } from "../../scripts/drift/graphAudit";
import type { BatchResponse } from "../../scripts/drift/audit/graphValues";
import { acceptMappedClaimsRule } from "../../scripts/drift/audit/applicationRules";
import { policyClaimRule } from "../../scripts/drift/audit/claimsPolicyRules";
import {
  credentialsExpiryRule,
  credentialsPresentRule,
  credentialsPreviousRule,
  credentialsUnknownRule,
  rotationOverdueRule,
} from "../../scripts/drift/audit/credentialRules";
import { MANAGED_SECRET_DISPLAY_NAME } from "../../contract/appCredentials";
import { readAuditSubject } from "../../scripts/drift/audit/subject";
import { readSignInActivity, signInActivityFailure, type SignInActivity } from "../../scripts/drift/audit/signInActivity";
import { FIXTURE_STACKS } from "../support/drift";

const NOW = new Date("2026-11-23T12:00:00Z");
const outputs = parseStackOutputs(JSON.parse(fs.readFileSync(path.join(FIXTURE_STACKS, "acme-clean", "outputs.json"), "utf8")));
const STACK_KEY = outputs.credentialKeyIds[0];

interface Answers {
  appPasswords?: unknown[];
  appCertificates?: unknown[];
  spPasswords?: unknown[];
  app?: BatchResponse;
  sp?: BatchResponse;
}

/** The answers of a clean tenant, with what a test overrides. */
function answers(overrides: Answers = {}): Map<string, BatchResponse> {
  const app: BatchResponse = overrides.app ?? {
    id: "app",
    status: 200,
    body: {
      appId: outputs.clientId,
      api: { requestedAccessTokenVersion: 2, acceptMappedClaims: true },
      identifierUris: [outputs.identifierUri],
      passwordCredentials: overrides.appPasswords ?? [{ keyId: STACK_KEY, endDateTime: "2027-06-01T00:00:00Z" }],
      keyCredentials: overrides.appCertificates ?? [],
    },
  };
  const sp: BatchResponse = overrides.sp ?? {
    id: "sp",
    status: 200,
    body: { passwordCredentials: overrides.spPasswords ?? [], keyCredentials: [] },
  };
  const policy = { id: outputs.claimsMappingPolicyId, definition: [claimsMappingDefinition(outputs.cmicUserClaim ?? "")] };
  return new Map<string, BatchResponse>([
    ["app", app],
    ["sp", sp],
    ["policies", { id: "policies", status: 200, body: { value: [policy] } }],
    ["domains", { id: "domains", status: 200, body: { value: [{ id: "contoso.onmicrosoft.com", isVerified: true }] } }],
  ]);
}

function subjectOf(responses: Map<string, BatchResponse>, changed: Partial<StackOutputs> = {}, signInActivity?: SignInActivity) {
  return readAuditSubject(
    { stack: "acme-clean", outputs: { ...outputs, ...changed }, expiryDays: 30, now: NOW, signInActivity },
    responses,
  );
}

const GONE = (id: string): BatchResponse => ({ id, status: 404, body: { error: { code: "Request_ResourceNotFound" } } });

describe("the audit's rule table", () => {
  it("reports every check of a clean, readable app in the documented order", () => {
    const checks = evaluateAudit({ stack: "acme-clean", outputs, expiryDays: 30, now: NOW }, answers());
    expect(checks.map((check) => check.id)).toEqual([
      "graph.scope",
      "graph.app.exists",
      "graph.app.tokenVersion",
      "graph.app.acceptMappedClaims",
      "graph.app.identifierUri",
      "graph.app.identifierUriDomain",
      "graph.credentials.present",
      "graph.sp.exists",
      "graph.policy.assignment",
      "graph.policy.claim",
      "graph.credentials.unknown",
      "graph.credentials.expiry",
    ]);
    expect(checks.flatMap((check) => check.findings)).toEqual([]);
  });

  it("judges nothing about objects that are gone beyond their deletion", () => {
    const checks = evaluateAudit({ stack: "acme-clean", outputs, expiryDays: 30, now: NOW }, answers({ app: GONE("app"), sp: GONE("sp") }));
    expect(checks.map((check) => [check.id, check.findings.map((finding) => finding.id)])).toEqual([
      ["graph.scope", []],
      ["graph.app.exists", ["graph.app.deleted"]],
      ["graph.sp.exists", ["graph.sp.deleted"]],
      ["graph.policy.assignment", []],
    ]);
  });

  it("leaves out the checks a registration-sourced claim makes moot", () => {
    const subject = subjectOf(answers(), { claimSource: "registration", cmicUserClaim: null });
    expect(acceptMappedClaimsRule(subject)).toBeNull();
    expect(policyClaimRule(subject)).toBeNull();
  });
});

describe("credential rules", () => {
  it("counts only the application's credentials as present: the stack's key found on the service principal alone is missing (not unknown)", () => {
    const subject = subjectOf(
      answers({ appPasswords: [], spPasswords: [{ keyId: STACK_KEY.toUpperCase(), endDateTime: "2027-06-01T00:00:00Z" }] }),
    );
    expect(credentialsPresentRule(subject)?.findings).toEqual([
      expect.objectContaining({ id: "graph.credentials.missing", expected: STACK_KEY }),
    ]);
    // Known by key id, wherever it sits: the stack's key id is not "added by hand".
    expect(credentialsUnknownRule(subject)?.findings).toEqual([]);
  });

  it("names the service principal's removal command for a credential added there", () => {
    const subject = subjectOf(answers({ spPasswords: [{ keyId: "a1b2", displayName: "test" }] }));
    const [finding] = credentialsUnknownRule(subject)?.findings ?? [];
    expect(finding).toMatchObject({
      id: "graph.credentials.unknown",
      property: "passwordCredentials",
      actual: 'client secret a1b2 ("test")',
    });
    expect(finding.fix).toContain(`az ad sp credential delete --id ${outputs.servicePrincipalObjectId} --key-id a1b2`);
  });

  it("reports expiry only for the stack's own credentials; one added by hand is an unknown credential, whatever its date", () => {
    const subject = subjectOf(
      answers({
        appPasswords: [
          { keyId: STACK_KEY, endDateTime: "2026-12-01T00:00:00.5Z" },
          { keyId: "by-hand", endDateTime: "2026-11-24T00:00:00Z" },
        ],
      }),
    );
    expect(credentialsExpiryRule(subject)?.findings).toEqual([
      expect.objectContaining({
        id: "graph.credentials.expiring",
        severity: "expiry",
        actual: `client secret ${STACK_KEY} ends 2026-12-01T00:00:00Z`,
        message: `the client secret ${STACK_KEY} expires in 8 day(s)`,
      }),
    ]);
    expect(credentialsUnknownRule(subject)?.findings.map((finding) => finding.actual)).toEqual(["client secret by-hand"]);
  });

  it("reports an ended credential as expired", () => {
    const subject = subjectOf(answers({ appPasswords: [{ keyId: STACK_KEY, endDateTime: "2026-11-01T00:00:00Z" }] }));
    expect(credentialsExpiryRule(subject)?.findings.map((finding) => finding.message)).toEqual([
      `the client secret ${STACK_KEY} has expired: the connector cannot sign in`,
    ]);
  });
});

describe("rotation without outage", () => {
  const MANAGED = MANAGED_SECRET_DISPLAY_NAME;
  const rotating: Partial<StackOutputs> = {
    secretKeyId: STACK_KEY,
    secretRotatesAt: "2027-01-01T00:00:00Z",
    secretHandoverDays: 10,
    connectorSwitchBy: "2026-11-20T00:00:00Z",
  };
  const passwords = (previousEnd: string) => [
    { keyId: STACK_KEY, displayName: MANAGED, endDateTime: "2027-02-10T00:00:00Z" },
    { keyId: "previous", displayName: MANAGED, endDateTime: previousEnd },
    { keyId: "by-hand", displayName: "Arcoro test", endDateTime: "2027-06-01T00:00:00Z" },
  ];

  it("does not take the retained previous secret for a credential added by hand; another name still is one", () => {
    const subject = subjectOf(answers({ appPasswords: passwords("2026-12-10T00:00:00Z") }), rotating);
    expect((credentialsUnknownRule(subject)?.findings ?? []).map((finding) => finding.actual)).toEqual([
      'client secret by-hand ("Arcoro test")',
    ]);
  });

  it("for a stack from before the scheme (no secretKeyId), a second managed-named secret is unknown, as before", () => {
    const subject = subjectOf(answers({ appPasswords: passwords("2026-12-10T00:00:00Z") }));
    expect((credentialsUnknownRule(subject)?.findings ?? []).map((finding) => finding.actual)).toHaveLength(2);
    expect(credentialsPreviousRule(subject)).toBeNull();
  });

  it("reports the previous secret only past the switch-by date and within the expiry window, never once it has ended", () => {
    const ending = (previousEnd: string, changed: Partial<StackOutputs> = {}) =>
      (
        credentialsPreviousRule(subjectOf(answers({ appPasswords: passwords(previousEnd) }), { ...rotating, ...changed }))?.findings ?? []
      ).map((finding) => finding.id);
    expect(ending("2026-12-10T00:00:00Z")).toEqual(["graph.credentials.previous-ending"]);
    // Still within the handover window: the scheme at work.
    expect(ending("2026-12-10T00:00:00Z", { connectorSwitchBy: "2026-11-30T00:00:00Z" })).toEqual([]);
    // Beyond --expiry-days (30) from now.
    expect(ending("2027-01-10T00:00:00Z")).toEqual([]);
    // Ended: Entra refuses it, nothing to say.
    expect(ending("2026-11-22T00:00:00Z")).toEqual([]);
  });

  it("names the retire command for a previous secret and says the judgement is by end dates", () => {
    const [finding] =
      credentialsPreviousRule(subjectOf(answers({ appPasswords: passwords("2026-12-10T00:00:00Z") }), rotating))?.findings ?? [];
    expect(finding.severity).toBe("expiry");
    expect(finding.message).toContain("stops working in 17 day(s)");
    expect(finding.message).toContain("judged by end dates");
    expect(finding.fix).toContain("npm run rotate -- --stack acme-clean --retire-previous");
  });

  describe("with Graph's credential sign-in activity", () => {
    // The current secret was issued on 2026-11-10 (switch-by 2026-11-20 with a 10-day handover).
    const issued: Partial<StackOutputs> = { ...rotating, secretCreatedAt: "2026-11-10T00:00:00Z" };
    const activity = (uses: Record<string, string>): SignInActivity => ({
      state: "read",
      byKeyId: new Map(
        Object.entries(uses).map(([keyId, at]) => [
          keyId.toLowerCase(),
          { keyId, lastAttemptAt: Date.parse(at), lastSuccessAt: Date.parse(at) },
        ]),
      ),
    });
    const judge = (previousEnd: string, signIns: SignInActivity, changed: Partial<StackOutputs> = {}) => {
      const check = credentialsPreviousRule(
        subjectOf(answers({ appPasswords: passwords(previousEnd) }), { ...issued, ...changed }, signIns),
      );
      return { findings: check?.findings ?? [], notes: check?.notes ?? [] };
    };

    it("reports a connector still signing in with the previous secret past the switch-by date, however far its end date", () => {
      const { findings } = judge(
        "2027-01-10T00:00:00Z",
        activity({ previous: "2026-11-22T08:00:00Z", [STACK_KEY]: "2026-11-12T00:00:00Z" }),
      );
      expect(findings.map((finding) => finding.id)).toEqual(["graph.credentials.previous-in-use"]);
      expect(findings[0].message).toContain("last 2026-11-22T08:00:00Z, by Graph's sign-in activity");
      expect(findings[0].fix).toContain("--reveal");
    });

    it("only notes a connector on the previous secret while it still has time to switch", () => {
      const { findings, notes } = judge("2026-12-10T00:00:00Z", activity({ previous: "2026-11-22T08:00:00Z" }), {
        connectorSwitchBy: "2026-11-30T00:00:00Z",
      });
      expect(findings).toEqual([]);
      expect(notes).toEqual([expect.stringContaining("it has until 2026-11-30T00:00:00Z to switch")]);
    });

    it("says the previous secret can be retired once only the current one signs in, and reports no ending", () => {
      const { findings, notes } = judge(
        "2026-12-10T00:00:00Z",
        activity({ previous: "2026-11-09T00:00:00Z", [STACK_KEY]: "2026-11-21T00:00:00Z" }),
      );
      expect(findings).toEqual([]);
      expect(notes).toEqual([expect.stringContaining("the connector has switched to the current secret")]);
      expect(notes[0]).toContain("--retire-previous");
      expect(notes[0]).toContain("its last sign-in: 2026-11-09T00:00:00Z");
    });

    it("reads a report that carries only lastSignInDateTime (as Graph's documented answers do)", () => {
      const attemptsOnly: SignInActivity = {
        state: "read",
        byKeyId: new Map([
          ["previous", { keyId: "previous", lastAttemptAt: Date.parse("2026-11-22T08:00:00Z"), lastSuccessAt: null }],
          [STACK_KEY.toLowerCase(), { keyId: STACK_KEY, lastAttemptAt: Date.parse("2026-11-12T00:00:00Z"), lastSuccessAt: null }],
        ]),
      };
      expect(judge("2027-01-10T00:00:00Z", attemptsOnly).findings.map((finding) => finding.id)).toEqual([
        "graph.credentials.previous-in-use",
      ]);
      const switched: SignInActivity = {
        state: "read",
        byKeyId: new Map([
          [STACK_KEY.toLowerCase(), { keyId: STACK_KEY, lastAttemptAt: Date.parse("2026-11-21T00:00:00Z"), lastSuccessAt: null }],
        ]),
      };
      expect(judge("2026-12-10T00:00:00Z", switched).notes).toEqual([expect.stringContaining("the connector has switched")]);
    });

    it("does not take the deployment's own token check with the current secret for the connector switching", () => {
      const { findings } = judge(
        "2026-12-10T00:00:00Z",
        activity({ previous: "2026-11-01T00:00:00Z", [STACK_KEY]: "2026-11-10T00:04:00Z" }),
      );
      expect(findings.map((finding) => finding.id)).toEqual(["graph.credentials.previous-ending"]);
      expect(findings[0].message).toContain("by the deployment's own token check");
    });

    it("falls back to end dates when neither secret signed in since the current one was issued", () => {
      const { findings } = judge("2026-12-10T00:00:00Z", activity({ previous: "2026-11-01T00:00:00Z" }));
      expect(findings.map((finding) => finding.id)).toEqual(["graph.credentials.previous-ending"]);
      expect(findings[0].message).toContain("no sign-in with either secret since 2026-11-10T00:00:00Z");
    });

    it("says when the tenant does not offer the report or drift may not read it, and judges by end dates", () => {
      const notOffered = judge(
        "2026-12-10T00:00:00Z",
        signInActivityFailure(403, "Authentication_RequestFromNonPremiumTenantOrB2CTenant", "403"),
      );
      expect(notOffered.findings.map((finding) => finding.id)).toEqual(["graph.credentials.previous-ending"]);
      expect(notOffered.notes).toEqual([expect.stringContaining("not offered in this tenant (it needs Microsoft Entra ID P1 or P2)")]);
      const notPermitted = judge("2026-12-10T00:00:00Z", signInActivityFailure(403, "Authorization_RequestDenied", "Graph answered 403"));
      expect(notPermitted.notes).toEqual([expect.stringContaining("grant it AuditLog.Read.All")]);
      expect(signInActivityFailure(undefined, undefined, "timeout").state).toBe("failed");
    });

    it("reads the report's answer, keeping a credential's latest sign-in across the resources it signed in to", () => {
      const read = readSignInActivity({
        value: [
          {
            keyId: "ABC",
            signInActivity: { lastSignInDateTime: "2026-11-02T00:00:00Z", lastSuccessfulSignInDateTime: "2026-11-01T00:00:00Z" },
          },
          {
            keyId: "abc",
            signInActivity: { lastSignInDateTime: "2026-11-01T00:00:00Z", lastSuccessfulSignInDateTime: "2026-11-03T00:00:00Z" },
          },
          { signInActivity: {} },
        ],
      });
      expect(read?.state === "read" ? [...read.byKeyId.values()] : read).toEqual([
        { keyId: "abc", lastAttemptAt: Date.parse("2026-11-02T00:00:00Z"), lastSuccessAt: Date.parse("2026-11-03T00:00:00Z") },
      ]);
      expect(readSignInActivity({ error: {} })).toBeNull();
    });
  });

  it("notices a rotation date passed by more than the 30-day run allowance", () => {
    const overdue = (rotatesAt: string) =>
      (rotationOverdueRule(subjectOf(answers(), { ...rotating, secretRotatesAt: rotatesAt }))?.findings ?? []).map((finding) => finding.id);
    expect(overdue("2026-10-01T00:00:00Z")).toEqual(["graph.credentials.rotation-overdue"]);
    expect(overdue("2026-10-30T00:00:00Z")).toEqual([]);
  });

  it("says an extra certificate may be the previous one kept for the handover, with the retire command", () => {
    const subject = subjectOf(answers({ appCertificates: [{ keyId: "old-cert", endDateTime: "2027-01-01T00:00:00Z" }] }), {
      certificateThumbprint: "52ED9B5038A47B9E2E2190715CC238359D4F8F73",
    });
    const [finding] = credentialsUnknownRule(subject)?.findings ?? [];
    expect(finding.message).toContain("a previous certificate kept while the connector switches");
    expect(finding.fix).toContain("--retire-previous --key-id old-cert");
  });
});
