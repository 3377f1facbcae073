/**
 * Issue #11, proved in a local world through the real program (index.ts), the engine and provider
 * models, the emulator and the real client (@azure/identity, as a connector requests tokens):
 * two simulated years of weekly scheduled `pulumi up` runs, with connectors that paste a new secret
 * only N days after it is issued, for N from 0 to the handover window. Every day, every connector
 * requests a token with the secret it holds: none may ever fail. A connector slower than the
 * scheme promises (N beyond handoverDays + the 30-day run allowance) is caught failing, which is
 * what shows the daily checks can see an outage at all.
 */
import type { StackOutputs } from "../../contract/stackOutputs";
import { findingsOf } from "../../scripts/drift/report";
import { handoffCommand } from "../../scripts/handoff/cli";
import { changeInPortal } from "../../scripts/sandbox/portalRun";
import { runCaptured } from "../../scripts/shared/cli";
import { deployerGraph } from "../../scripts/world/deployerGraph";
import { openWorld, openWorldForReading, tenantOf, type WorldSession } from "../../scripts/world/session";
import { generateTestCertificate } from "../support/certificates";
import { requestToken } from "../support/connectorToken";
import { newWorldDir, runDrift, upInWorld as up, worldDriftOptions, type Settings } from "../support/world";

/** A stack whose secret rotates every 30 days with a 10-day handover: README's timeline. */
const TIMELINE: Settings = {
  deployment: "enterprise",
  serviceUser: "ARCORO_SVC",
  verifiedDomain: "contoso.com",
  secretLifetimeDays: "30",
  handoverDays: "10",
};

const DAY_MS = 86_400_000;
const LIFETIME_DAYS = 60;
const HANDOVER_DAYS = 21;
const WEEKS = 104;
/** The connectors that keep to the handover window: they paste a new secret N days after it is issued. */
const LAGS = [0, 1, 7, 14, 20, HANDOVER_DAYS];
/** A connector slower than handoverDays + the run allowance (30 days) + a week: the scheme does not cover it. */
const TOO_LATE = HANDOVER_DAYS + 30 + 7;

/** A secret as the stack handed it over: its value, and when the connector admin received it. */
interface IssuedSecret {
  keyId: string;
  value: string;
  issuedAt: number;
}

/** The secret a connector holds at `now` when it pastes each new one `lag` days after its issue. */
function heldSecret(issued: IssuedSecret[], lag: number, now: number): IssuedSecret {
  const pasted = issued.filter((secret) => secret.issuedAt + lag * DAY_MS <= now);
  return pasted[pasted.length - 1] ?? issued[0];
}

interface GraphPassword {
  keyId: string;
  displayName: string | null;
  endDateTime: string;
}

interface Failure {
  lag: number;
  day: number;
  keyId: string;
  error: string;
}

/**
 * The days between one run and the next: the world opened for reading, the app's secrets read
 * through Graph, then its emulator's clock set to each day in turn and every connector's token
 * request made (one per distinct secret held that day).
 */
async function connectorsThroughTheWeek(
  dir: string,
  outputs: StackOutputs,
  runAt: number,
  start: number,
  issued: IssuedSecret[],
  lags: number[],
): Promise<{ failures: Failure[]; passwords: GraphPassword[] }> {
  const session = await openWorldForReading(dir, undefined);
  const failures: Failure[] = [];
  try {
    const app = (await deployerGraph(session.emulator.url, tenantOf(session.world))
      .api(`/applications/${outputs.applicationObjectId}`)
      .select("passwordCredentials")
      .get()) as { passwordCredentials: GraphPassword[] };
    for (let day = 0; day < 7; day += 1) {
      const now = runAt + day * DAY_MS + 3_600_000;
      const realAtStart = Date.now();
      session.emulator.setClock(() => now + (Date.now() - realAtStart));
      const results = new Map<string, string | null>();
      for (const lag of lags) {
        const secret = heldSecret(issued, lag, now);
        if (!results.has(secret.keyId)) {
          results.set(
            secret.keyId,
            await requestToken(session.emulator.url, outputs.tenantId, outputs.clientId, outputs.scope, secret.value),
          );
        }
        const error = results.get(secret.keyId);
        if (error) failures.push({ lag, day: Math.round((now - start) / DAY_MS), keyId: secret.keyId, error });
      }
    }
    return { failures, passwords: app.passwordCredentials };
  } finally {
    await session.close();
  }
}

describe("two years of weekly scheduled runs", () => {
  it("never leaves a connector that switches within the handover window without a working secret, and issues one secret per rotation period", async () => {
    const dir = newWorldDir();
    const settings: Settings = {
      deployment: "enterprise",
      serviceUser: "ARCORO_SVC",
      verifiedDomain: "contoso.com",
      secretLifetimeDays: String(LIFETIME_DAYS),
      handoverDays: String(HANDOVER_DAYS),
    };
    const start = Date.parse("2027-01-04T09:00:00Z");
    const issued: IssuedSecret[] = [];
    const failures: Failure[] = [];
    const replacedOn: number[] = [];
    for (let week = 0; week <= WEEKS; week += 1) {
      const result = await up(dir, settings, week === 0 ? new Date(start).toISOString() : "+7d");
      const runAt = start + week * 7 * DAY_MS;
      const { secretKeyId, clientSecret, secretCreatedAt, connectorSwitchBy } = result.outputs;
      if (!secretKeyId || !clientSecret || !secretCreatedAt || !connectorSwitchBy) {
        throw new Error(`week ${week}: the stack outputs lack the secret's rotation values`);
      }
      const previous = issued[issued.length - 1];
      const rotated = previous !== undefined && previous.keyId !== secretKeyId;
      if (rotated) {
        replacedOn.push(week);
        expect(result.steps.find((step) => step.name === "cmic-secret")?.op).toBe("replace");
      } else if (week > 0) {
        // Every other run changes nothing.
        expect(result.steps.filter((step) => step.op !== "same").map((step) => step.name)).toEqual([]);
      }
      if (previous?.keyId !== secretKeyId) issued.push({ keyId: secretKeyId, value: clientSecret, issuedAt: Date.parse(secretCreatedAt) });
      const week7 = await connectorsThroughTheWeek(dir, result.outputs, runAt, start, issued, [...LAGS, TOO_LATE]);
      failures.push(...week7.failures);
      // Nothing is deleted: every secret ever issued is still listed (Entra ends them by date).
      expect(new Set(week7.passwords.map((password) => password.keyId))).toEqual(new Set(issued.map((secret) => secret.keyId)));
      if (rotated) {
        // The replaced secret, retained, works at least until the switch-by date the outputs give.
        const replaced = week7.passwords.find((password) => password.keyId === previous.keyId);
        expect(Date.parse(replaced?.endDateTime ?? "")).toBeGreaterThanOrEqual(Date.parse(connectorSwitchBy));
      }
    }

    const period = Math.ceil(LIFETIME_DAYS / 7);
    // The first weekly run after each rotation date issues the next secret: every ceil(60/7) = 9 weeks.
    expect(replacedOn).toEqual(Array.from({ length: Math.floor(WEEKS / period) }, (_, index) => (index + 1) * period));
    expect(issued).toHaveLength(1 + Math.floor(WEEKS / period));
    expect(failures.filter((failure) => failure.lag !== TOO_LATE)).toEqual([]);
    // The control: a connector slower than the scheme covers is seen failing, with Entra's "expired" answer.
    const late = failures.filter((failure) => failure.lag === TOO_LATE);
    expect(late.length).toBeGreaterThan(0);
    expect(new Set(late.map((failure) => failure.error))).toEqual(new Set(["AADSTS7000222"]));
  }, 900_000);
});

describe("changing secretLifetimeDays and handoverDays", () => {
  it("takes effect at the next rotation and never moves or removes the secret the connector holds", async () => {
    const dir = newWorldDir();
    const before: Settings = {
      deployment: "enterprise",
      serviceUser: "ARCORO_SVC",
      verifiedDomain: "contoso.com",
      secretLifetimeDays: "60",
      handoverDays: "21",
    };
    const first = await up(dir, before, "2027-01-04T09:00:00Z");
    const after = { ...before, secretLifetimeDays: "30", handoverDays: "7" };
    // The change itself: nothing in Entra, the current secret and its dates stay.
    const changed = await up(dir, after, "+14d");
    expect(changed.steps.filter((step) => step.op !== "same")).toEqual([]);
    expect(changed.outputs).toMatchObject({
      secretKeyId: first.outputs.secretKeyId,
      secretExpiresAt: first.outputs.secretExpiresAt,
      secretRotatesAt: first.outputs.secretRotatesAt,
      secretHandoverDays: 21,
    });
    // Still the old schedule: no new secret before the old rotation date (day 60)...
    expect((await up(dir, after, "+42d")).outputs.secretKeyId).toBe(first.outputs.secretKeyId);
    // ...and the first run after it issues one with the new lifetime and handover window.
    const rotated = await up(dir, after, "+7d");
    expect(rotated.outputs.secretKeyId).not.toBe(first.outputs.secretKeyId);
    expect(rotated.outputs.secretHandoverDays).toBe(7);
    const issuedAt = Date.parse(rotated.outputs.secretCreatedAt ?? "");
    expect(Math.round((Date.parse(rotated.outputs.secretRotatesAt ?? "") - issuedAt) / DAY_MS)).toBe(30);
    expect(Math.round((Date.parse(rotated.outputs.connectorSwitchBy ?? "") - issuedAt) / DAY_MS)).toBe(7);
    expect(Date.parse(rotated.outputs.secretExpiresAt ?? "") - Date.parse(rotated.outputs.secretRotatesAt ?? "")).toBe((7 + 30) * DAY_MS);
    // The replaced secret kept the end date it was issued with (its rotation date + 21 + 30 days): it still works.
    const session = await openWorldForReading(dir, undefined);
    try {
      const error = await requestToken(
        session.emulator.url,
        first.outputs.tenantId,
        first.outputs.clientId,
        first.outputs.scope,
        first.outputs.clientSecret ?? "",
      );
      expect(error).toBeNull();
      const app = (await deployerGraph(session.emulator.url, tenantOf(session.world))
        .api(`/applications/${first.outputs.applicationObjectId}`)
        .select("passwordCredentials")
        .get()) as { passwordCredentials: GraphPassword[] };
      const old = app.passwordCredentials.find((password) => password.keyId === first.outputs.secretKeyId);
      expect(old?.endDateTime).toBe(first.outputs.secretExpiresAt);
    } finally {
      await session.close();
    }
  }, 120_000);
});

/** `npm run handoff -- --state DIR [--at WHEN]`, in this process. */
async function handoff(dir: string, ...extra: string[]): Promise<string> {
  const run = await runCaptured(handoffCommand, ["--state", dir, ...extra], { env: { ...process.env, CMIC_STACK_OUTPUTS: "" } });
  expect(run.code).toBe(0);
  return run.stdout;
}

describe("the handoff sheet through a rotation (README's timeline)", () => {
  it("says when to hand a secret over, until when the previous one works, and plainly when there is nothing to hand over", async () => {
    const dir = newWorldDir();
    const settings = TIMELINE;
    const day0 = Date.parse("2027-01-04T09:00:00Z");
    const dayOf = (iso: string | null) => Math.floor((Date.parse(iso ?? "") - day0) / DAY_MS);
    // Day 0: S1, rotation date day 30, ends day 30 + 10 + 30 = 70; the only secret, to be handed over.
    const first = await up(dir, settings, new Date(day0).toISOString());
    expect([dayOf(first.outputs.secretRotatesAt), dayOf(first.outputs.secretExpiresAt)]).toEqual([30, 70]);
    expect(await handoff(dir)).toContain(
      `**Hand this secret over**: issued ${first.outputs.secretCreatedAt} (ID \`${first.outputs.secretKeyId}\`)`,
    );
    // Day 28: a run changes nothing; past S1's handover window there is nothing to hand over.
    const day28 = await up(dir, settings, "+28d");
    expect(day28.steps.filter((step) => step.op !== "same")).toEqual([]);
    const quiet = await handoff(dir);
    expect(quiet).toContain("**Nothing to hand over.**");
    expect(quiet).toContain(`the first \`pulumi up\` after ${first.outputs.secretRotatesAt} issues a new secret`);
    // Day 35, the first run after day 30: S2, rotation date day 65, ends day 105, switch by day 45; S1 retained.
    const rotated = await up(dir, settings, "+7d");
    expect(rotated.outputs.secretKeyId).not.toBe(first.outputs.secretKeyId);
    expect([
      dayOf(rotated.outputs.connectorSwitchBy),
      dayOf(rotated.outputs.secretRotatesAt),
      dayOf(rotated.outputs.secretExpiresAt),
    ]).toEqual([45, 65, 105]);
    const sheet = await handoff(dir);
    expect(sheet).toContain(`the connector must use it by **${rotated.outputs.connectorSwitchBy}**`);
    expect(sheet).toContain(
      `The secret it replaced (ID \`${first.outputs.secretKeyId}\`) keeps working until ${first.outputs.secretExpiresAt}`,
    );
    expect(sheet).toContain("npm run rotate -- --state");
    expect(sheet).not.toContain(rotated.outputs.clientSecret ?? "<none>");
    // Day 45: nothing to hand over, S1's end still named.
    const after = await handoff(dir, "--at", "+10d");
    expect(after).toContain("**Nothing to hand over.**");
    expect(after).toContain(`The previous secret still works until ${first.outputs.secretExpiresAt}`);
    // S1 works on day 69 and Entra refuses it on day 71.
    const { tenantId, clientId, scope } = first.outputs;
    for (const [day, expected] of [
      [69, null],
      [71, "AADSTS7000222"],
    ] as const) {
      const session = await openWorldForReading(dir, new Date(day0 + day * DAY_MS).toISOString());
      try {
        expect(await requestToken(session.emulator.url, tenantId, clientId, scope, first.outputs.clientSecret ?? "")).toBe(expected);
      } finally {
        await session.close();
      }
    }
  }, 120_000);

  it("names the thumbprint the connector must use, and the previous certificate kept beside it", async () => {
    const dir = newWorldDir();
    const base: Settings = { deployment: "enterprise", serviceUser: "ARCORO_SVC", verifiedDomain: "contoso.com", credential: "both" };
    const old = generateTestCertificate({ commonName: "arcoro-connector" });
    const renewed = generateTestCertificate({ commonName: "arcoro-connector-2027" });
    const first = await up(dir, { ...base, certificate: old.certPem }, "2027-01-04T09:00:00Z");
    const second = await up(dir, { ...base, certificate: renewed.certPem }, "+1d");
    expect(second.steps.find((step) => step.name === "cmic-certificate")?.op).toBe("replace");
    const sheet = await handoff(dir);
    expect(sheet).toContain(`sign with the certificate whose SHA-1 thumbprint is \`${second.outputs.certificateThumbprint}\``);
    // The replaced certificate stays registered (retained), so a connector still signing with it keeps working.
    const oldKeyId = first.outputs.credentialKeyIds[1];
    expect(sheet).toContain(`Also registered on the app: certificate \`${first.outputs.certificateThumbprint}\` (ID \`${oldKeyId}\`)`);
    expect(sheet).toContain(`--retire-previous --key-id ${oldKeyId}`);
  }, 120_000);
});

describe("drift through a rotation", () => {
  async function driftIds(dir: string, at: string): Promise<string[]> {
    const { results } = await runDrift(worldDriftOptions(dir, at));
    return findingsOf(results[0])
      .map((finding) => finding.id)
      .sort();
  }

  it("takes the previous secret for what it is, reports it when it is about to stop after the switch-by date, and notices when the runs stop", async () => {
    const dir = newWorldDir();
    const settings = TIMELINE;
    const day0 = Date.parse("2027-01-04T09:00:00Z");
    const day = (n: number) => new Date(day0 + n * DAY_MS + 3_600_000).toISOString();
    await up(dir, settings, new Date(day0).toISOString());
    await up(dir, settings, "+35d");
    // Day 36: within the handover window, the retained secret is neither drift nor unknown.
    expect(await driftIds(dir, day(36))).toEqual([]);
    // Day 50: past the switch-by date (45) and within 30 days of its end (70): a connector still on it stops then.
    expect(await driftIds(dir, day(50))).toEqual(["graph.credentials.previous-ending"]);
    // Day 64, before the next rotation date (65): still reported.
    expect(await driftIds(dir, day(64))).toEqual(["graph.credentials.previous-ending"]);
    // No run since day 35: past the rotation date (65) by more than the 30-day allowance, the runs have stopped.
    expect(await driftIds(dir, day(97))).toEqual(
      expect.arrayContaining(["graph.credentials.rotation-overdue", "graph.credentials.expiring", "pulumi.rotationDue"]),
    );
    expect(await driftIds(dir, day(97))).not.toContain("graph.credentials.unknown");
  }, 180_000);

  describe("in a tenant with Entra ID P1/P2, by Graph's credential sign-in activity", () => {
    /** Something done in the world at `at`, saved with it (what the emulator records of sign-ins too). */
    async function inWorld(dir: string, at: string, action: (session: WorldSession) => Promise<void> | void): Promise<void> {
      const session = await openWorld(dir, { write: true, at });
      try {
        const { world } = session;
        if (!world) throw new Error("no world");
        await action(session);
        session.save(tenantOf(world), world.stacks);
      } finally {
        await session.close();
      }
    }
    /** The connector requests a token with the secret it holds: it must get one. */
    const connectorSignsIn = (dir: string, outputs: StackOutputs, secret: string, at: string) =>
      inWorld(dir, at, async (session) => {
        expect(await requestToken(session.emulator.url, outputs.tenantId, outputs.clientId, outputs.scope, secret)).toBeNull();
      });
    /** Drift, ten minutes after what happened at `at` (a world's time never runs backwards). */
    async function driftOf(dir: string, at: string, expiryDays = 30): Promise<{ ids: string[]; notes: string[] }> {
      const { results } = await runDrift({ ...worldDriftOptions(dir, new Date(Date.parse(at) + 600_000).toISOString()), expiryDays });
      expect(results[0].error).toBeUndefined();
      return {
        ids: findingsOf(results[0])
          .map((finding) => finding.id)
          .sort(),
        notes: results[0].checks.flatMap((check) => check.notes ?? []),
      };
    }
    const day0 = Date.parse("2027-01-04T09:00:00Z");
    const day = (n: number) => new Date(day0 + n * DAY_MS + 3_600_000).toISOString();
    /** A premium world whose connector has used the first secret, rotated on day 35 (switch-by: day 45). */
    async function rotatedWorld(): Promise<{ dir: string; first: string; current: StackOutputs }> {
      const dir = newWorldDir();
      const first = await up(dir, TIMELINE, new Date(day0).toISOString());
      await changeInPortal({ stateDir: dir, change: "premium-license", at: day(0) });
      await connectorSignsIn(dir, first.outputs, first.outputs.clientSecret ?? "", day(10));
      const rotated = await up(dir, TIMELINE, new Date(day0 + 35 * DAY_MS).toISOString());
      expect(rotated.outputs.secretKeyId).not.toBe(first.outputs.secretKeyId);
      return { dir, first: first.outputs.clientSecret ?? "", current: rotated.outputs };
    }

    it("reports a connector still on the previous secret past the switch-by date, before end dates alone would", async () => {
      const { dir, first, current } = await rotatedWorld();
      await connectorSignsIn(dir, current, first, day(40));
      const early = await driftOf(dir, day(40));
      expect(early.ids).toEqual([]);
      expect(early.notes).toEqual(
        expect.arrayContaining([expect.stringContaining("the connector still signs in with the previous secret")]),
      );
      await connectorSignsIn(dir, current, first, day(46));
      // Day 46: past the switch-by date (45), 24 days before the previous secret ends (70): outside a
      // 14-day expiry window, where end dates alone say nothing.
      const late = await driftOf(dir, day(46), 14);
      expect(late.ids).toEqual(["graph.credentials.previous-in-use"]);
    }, 180_000);

    it("sees the connector switch: no finding, and a note that the previous secret can be retired", async () => {
      const { dir, current } = await rotatedWorld();
      await connectorSignsIn(dir, current, current.clientSecret ?? "", day(38));
      // Day 50: end dates alone report previous-ending here (the test above this block).
      const { ids, notes } = await driftOf(dir, day(50));
      expect(ids).toEqual([]);
      expect(notes).toEqual(
        expect.arrayContaining([expect.stringContaining(`the connector has switched to the current secret ${current.secretKeyId}`)]),
      );
    }, 180_000);

    it("without the licence, says the report is not offered and judges by end dates", async () => {
      const dir = newWorldDir();
      await up(dir, TIMELINE, new Date(day0).toISOString());
      await up(dir, TIMELINE, new Date(day0 + 35 * DAY_MS).toISOString());
      const { ids, notes } = await driftOf(dir, day(50));
      expect(ids).toEqual(["graph.credentials.previous-ending"]);
      expect(notes).toEqual(expect.arrayContaining([expect.stringContaining("not offered in this tenant")]));
    }, 180_000);
  });
});
