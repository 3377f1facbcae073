/**
 * The credential models against the emulator: ApplicationPassword, ApplicationCertificate, and the
 * time.Rotating anchor that dates the secret.
 */
import { randomUUID } from "node:crypto";
import { applicationModel } from "../../../scripts/sandbox/provider/application";
import { applicationCertificateModel } from "../../../scripts/sandbox/provider/applicationCertificate";
import { applicationPasswordModel } from "../../../scripts/sandbox/provider/applicationPassword";
import { ResourceApplyError } from "../../../scripts/sandbox/provider/errors";
import { rotatingModel, diffRotating } from "../../../scripts/sandbox/provider/rotating";
import type { Properties } from "../../../scripts/sandbox/provider/types";
import { generateTestCertificate } from "../../support/certificates";
import { uniqueName, useHarness, writes, type Harness, PLAN_CLOCK } from "./harness";

const harness = useHarness();
const DAY_MS = 86_400_000;

async function newApplication(h: Harness): Promise<{ id: string; objectId: string }> {
  const { id, state } = await applicationModel.create({ displayName: uniqueName("cmic-credentials") }, h.ctx);
  h.calls.length = 0; // the calls a test looks at are the credential's own
  return { id, objectId: String(state.objectId) };
}

describe("ApplicationPassword", () => {
  it("addPassword, an id without a leading slash, the secret in state; read equals create; every input replaces", async () => {
    const h = harness();
    const app = await newApplication(h);
    const rotation = await rotatingModel.create({ rotationDays: 90 }, h.ctx);
    const inputs = {
      applicationId: app.id,
      displayName: "CMiC connector (managed by Pulumi)",
      endDate: rotation.state.rotationRfc3339,
      rotateWhenChanged: { rotation: rotation.id },
    };
    await applicationPasswordModel.check?.(inputs, h.ctx, null);
    h.calls.length = 0;
    const { id, state } = await applicationPasswordModel.create(inputs, h.ctx);

    const keyId = String(state.keyId);
    expect(id).toBe(`${app.objectId}/password/${keyId}`);
    expect(h.calls.find((call) => call.method === "POST")).toEqual({
      method: "POST",
      path: `/applications/${app.objectId}/addPassword`,
      body: { passwordCredential: { displayName: inputs.displayName, endDateTime: inputs.endDate } },
    });
    expect(state).toMatchObject({
      applicationId: app.id,
      displayName: inputs.displayName,
      endDate: inputs.endDate,
      startDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
      rotateWhenChanged: inputs.rotateWhenChanged,
      value: expect.stringMatching(/^.{3}8Q~/),
    });

    expect(await applicationPasswordModel.read(id, state, h.ctx)).toEqual(state);
    expect(applicationPasswordModel.diff(state, inputs, PLAN_CLOCK)).toEqual([]);
    const changes: [string, unknown][] = [
      ["applicationId", `/applications/${randomUUID()}`],
      ["displayName", "another name"],
      ["endDate", "2031-01-01T00:00:00Z"],
      ["startDate", "2030-01-01T00:00:00Z"],
      ["rotateWhenChanged", { rotation: "2030-01-01T00:00:00Z" }],
      ["endDateRelative", "240h"],
    ];
    for (const [property, value] of changes) {
      expect(applicationPasswordModel.diff(state, { ...inputs, [property]: value }, PLAN_CLOCK)).toEqual([{ property, replace: true }]);
    }
    // Optional+Computed and left out: no difference.
    expect(
      applicationPasswordModel.diff(state, { applicationId: app.id, rotateWhenChanged: inputs.rotateWhenChanged }, PLAN_CLOCK),
    ).toEqual([]);

    await applicationPasswordModel.delete(id, state, h.ctx);
    expect(h.calls.at(-2)).toEqual({ method: "POST", path: `/applications/${app.objectId}/removePassword`, body: { keyId } });
    expect(await applicationPasswordModel.read(id, state, h.ctx)).toBeNull();
  });

  it("an end date with milliseconds: sent without them, stored as Graph returns it, so the same inputs replace", async () => {
    const h = harness();
    const app = await newApplication(h);
    const inputs = { applicationId: app.id, endDate: "2030-06-01T12:00:00.000Z" };
    const { state } = await applicationPasswordModel.create(inputs, h.ctx);
    expect((h.calls.find((call) => call.method === "POST")?.body as Properties).passwordCredential).toEqual({
      endDateTime: "2030-06-01T12:00:00Z",
    });
    expect(state.endDate).toBe("2030-06-01T12:00:00Z");
    expect(applicationPasswordModel.diff(state, inputs, PLAN_CLOCK)).toEqual([{ property: "endDate", replace: true }]);
  });

  it("--break secret hands out a value Entra never issued; read is null once the application is gone", async () => {
    const h = harness({ breakName: "secret" });
    const app = await newApplication(h);
    const { id, state } = await applicationPasswordModel.create({ applicationId: app.id }, h.ctx);
    expect(String(state.value)).toMatch(/XXXX$/);
    await applicationModel.delete(app.id, {}, h.ctx);
    expect(await applicationPasswordModel.read(id, state, h.ctx)).toBeNull();
  });
});

describe("ApplicationCertificate", () => {
  const certificate = generateTestCertificate({
    commonName: "cmic-connector",
    notBefore: new Date("2026-01-01T00:00:00Z"),
    notAfter: new Date("2027-01-01T00:00:00Z"),
  });
  const inputsFor = (applicationId: string, dates: { startDate: string; endDate: string }): Properties => ({
    applicationId,
    type: "AsymmetricX509Cert",
    encoding: "pem",
    value: certificate.certPem,
    ...dates,
  });

  it("dates written by toISOString() (….000Z) differ from Graph's after read: a replacement on every run", async () => {
    const h = harness();
    const app = await newApplication(h);
    const inputs = inputsFor(app.id, { startDate: "2026-01-01T00:00:00.000Z", endDate: "2027-01-01T00:00:00.000Z" });
    const { id, state } = await applicationCertificateModel.create(inputs, h.ctx);
    const patch = h.calls.find((call) => call.method === "PATCH" && call.path === `/applications/${app.objectId}`)?.body as {
      keyCredentials: Properties[];
    };
    expect(patch.keyCredentials).toEqual([
      {
        keyId: state.keyId,
        type: "AsymmetricX509Cert",
        usage: "Verify",
        key: Buffer.from(certificate.certPem).toString("base64"),
        startDateTime: "2026-01-01T00:00:00Z",
        endDateTime: "2027-01-01T00:00:00Z",
      },
    ]);
    expect(state).toMatchObject({ startDate: "2026-01-01T00:00:00Z", endDate: "2027-01-01T00:00:00Z" });
    expect(await applicationCertificateModel.read(id, state, h.ctx)).toEqual(state);
    expect(applicationCertificateModel.diff(state, inputs, PLAN_CLOCK)).toEqual([
      { property: "endDate", replace: true },
      { property: "startDate", replace: true },
    ]);
  });

  it("whole-second dates: no difference; each input change replaces; the id is <oid>/certificate/<keyId>", async () => {
    const h = harness();
    const app = await newApplication(h);
    const inputs = inputsFor(app.id, { startDate: "2026-01-01T00:00:00Z", endDate: "2027-01-01T00:00:00Z" });
    await applicationCertificateModel.check?.(inputs, h.ctx, null);
    const { id, state } = await applicationCertificateModel.create(inputs, h.ctx);
    expect(id).toBe(`${app.objectId}/certificate/${String(state.keyId)}`);
    expect(state).toEqual({ ...inputs, keyId: state.keyId, applicationId: app.id });
    expect(applicationCertificateModel.diff(state, inputs, PLAN_CLOCK)).toEqual([]);
    // keyId is Optional+Computed: left out, it is no difference.
    expect(applicationCertificateModel.diff(state, { ...inputs, keyId: undefined }, PLAN_CLOCK)).toEqual([]);
    const other = generateTestCertificate({ commonName: "other" });
    expect(applicationCertificateModel.diff(state, { ...inputs, value: other.certPem }, PLAN_CLOCK)).toEqual([
      { property: "value", replace: true },
    ]);
    // type is Optional but not Computed: once Read stored it, leaving it out is a replacement.
    const { type: _type, ...withoutType } = inputs;
    expect(applicationCertificateModel.diff(state, withoutType, PLAN_CLOCK)).toEqual([{ property: "type", replace: true }]);
    expect(applicationCertificateModel.diff(state, { ...inputs, encoding: undefined }, PLAN_CLOCK)).toEqual([]);
  });

  it("a replacement's create keeps the old certificate (sent back with key null) and its delete keeps the new one", async () => {
    const h = harness();
    const app = await newApplication(h);
    const dates = { startDate: "2026-01-01T00:00:00Z", endDate: "2027-01-01T00:00:00Z" };
    const old = await applicationCertificateModel.create(inputsFor(app.id, dates), h.ctx);
    const next = await applicationCertificateModel.create(inputsFor(app.id, { ...dates, endDate: "2026-12-31T00:00:00Z" }), h.ctx);
    const sentBack = (h.calls.filter((call) => call.method === "PATCH").at(-1)?.body as { keyCredentials: Properties[] }).keyCredentials[0];
    expect(sentBack).toMatchObject({ keyId: old.state.keyId, key: null });
    expect(await applicationCertificateModel.read(old.id, old.state, h.ctx)).toEqual(old.state);

    await applicationCertificateModel.delete(old.id, old.state, h.ctx);
    expect(await applicationCertificateModel.read(old.id, old.state, h.ctx)).toBeNull();
    expect(await applicationCertificateModel.read(next.id, next.state, h.ctx)).toEqual(next.state);
    const graphApp = (await h.graph.api(`/applications/${app.objectId}`).select("keyCredentials").get()) as {
      keyCredentials: { key: string }[];
    };
    expect(graphApp.keyCredentials.map((credential) => credential.key)).toEqual([certificate.certDerBase64]);

    // A keyId already on the application "requires import".
    await expect(applicationCertificateModel.create({ ...inputsFor(app.id, dates), keyId: next.state.keyId }, h.ctx)).rejects.toThrow(
      `A resource with the ID "${next.id}" already exists`,
    );
  });

  it("read fails, rather than forgetting the certificate, when the application is gone (no 404 branch in v3.8.0)", async () => {
    const h = harness();
    const app = await newApplication(h);
    const { id, state } = await applicationCertificateModel.create(
      inputsFor(app.id, { startDate: "2026-01-01T00:00:00Z", endDate: "2027-01-01T00:00:00Z" }),
      h.ctx,
    );
    await applicationModel.delete(app.id, {}, h.ctx);
    const failure = await applicationCertificateModel.read(id, state, h.ctx).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ResourceApplyError);
    expect((failure as ResourceApplyError).message).toContain("Graph answered 404");
    expect(writes(h.calls)).toContain(`DELETE /applications/${app.objectId}`);
  });
});

describe("time.Rotating", () => {
  const created = new Date("2026-03-10T08:15:30.456Z");

  it("id and rfc3339 are the base without fractions; the rotation is rotationDays later", async () => {
    const h = harness({ now: created });
    await rotatingModel.check?.({ rotationDays: 90 }, h.ctx, null);
    const { id, state } = await rotatingModel.create({ rotationDays: 90 }, h.ctx);
    expect(id).toBe("2026-03-10T08:15:30Z");
    expect(state).toEqual({
      rotationDays: 90,
      rfc3339: "2026-03-10T08:15:30Z",
      rotationRfc3339: "2026-06-08T08:15:30Z",
      year: 2026,
      month: 6,
      day: 8,
      hour: 8,
      minute: 15,
      second: 30,
      unix: Math.floor(Date.parse("2026-06-08T08:15:30Z") / 1000),
    });
    expect(rotatingModel.diff(state, { rotationDays: 90 }, PLAN_CLOCK)).toEqual([]);
    expect(await rotatingModel.read(id, state, h.ctx)).toEqual(state);
  });

  it("read returns null once now is past the rotation: that is how the engine rotates it", async () => {
    const h = harness({ now: created });
    const { id, state } = await rotatingModel.create({ rotationDays: 30 }, h.ctx);
    h.clock.now = new Date(created.getTime() + 30 * DAY_MS - 1000);
    expect(await rotatingModel.read(id, state, h.ctx)).toEqual(state);
    h.clock.now = new Date(created.getTime() + 31 * DAY_MS);
    expect(await rotatingModel.read(id, state, h.ctx)).toBeNull();
  });

  it("a new rotationDays is an update from the same base (same id) unless the rotation has passed; triggers replace", async () => {
    const h = harness({ now: created });
    const { id, state } = await rotatingModel.create({ rotationDays: 90 }, h.ctx);
    const before = new Date(created.getTime() + DAY_MS);
    expect(diffRotating(state, { rotationDays: 30 }, before)).toEqual([{ property: "rotationDays", replace: false }]);
    const after = new Date(created.getTime() + 91 * DAY_MS);
    expect(diffRotating(state, { rotationDays: 30 }, after)).toEqual([
      { property: "rotationDays", replace: false },
      { property: "rotationRfc3339", replace: true },
    ]);
    // Nothing else changed: the stale rotation time is not even looked at (no refresh, no rotation).
    expect(diffRotating(state, { rotationDays: 90 }, after)).toEqual([]);
    expect(diffRotating(state, { rotationDays: 90, triggers: { secret: "v2" } }, before)).toEqual([
      { property: "triggers", replace: true },
    ]);

    const updated = await rotatingModel.update(id, state, { rotationDays: 30 }, h.ctx);
    expect(updated).toMatchObject({ rotationDays: 30, rfc3339: id, rotationRfc3339: "2026-04-09T08:15:30Z" });
  });

  it("months are calendar months, normalised like Go's AddDate (Jan 31 + 1 month = Mar 3)", async () => {
    const h = harness({ now: new Date("2026-01-31T00:00:00Z") });
    const { state } = await rotatingModel.create({ rotationMonths: 1 }, h.ctx);
    expect(state.rotationRfc3339).toBe("2026-03-03T00:00:00Z");
    await expect(rotatingModel.check?.({}, h.ctx, null)).rejects.toThrow(/At least one attribute/);
  });
});
