/** onChange: told after every change to what a snapshot holds (Graph writes, seeding), before the client hears of it; never for reads or tokens. */
import { addSecret, createApplicationWithServicePrincipal, useEmulatorFixture } from "../support/emulatorFixture";
import { tokenWithSecret } from "./helpers";

const fixture = useEmulatorFixture();

/** Count the notifications while `action` runs. */
async function changesDuring(action: () => Promise<unknown> | unknown): Promise<number> {
  let count = 0;
  const stop = fixture().emulator.onChange(() => {
    count += 1;
  });
  try {
    await action();
  } finally {
    stop();
  }
  return count;
}

describe("onChange", () => {
  it("is told once per successful Graph write, before the client has the answer, with the change already in a snapshot", async () => {
    const { emulator, graph } = fixture();
    let answered = false;
    const seen: Array<{ answered: boolean; displayNames: string[] }> = [];
    const stop = emulator.onChange(() => {
      seen.push({ answered, displayNames: emulator.snapshot().applications.map((app) => app.displayName) });
    });
    try {
      await graph.api("/applications").post({ displayName: "noticed" });
      answered = true;
    } finally {
      stop();
    }
    expect(seen).toHaveLength(1);
    expect(seen[0].answered).toBe(false);
    expect(seen[0].displayNames).toContain("noticed");
  });

  it("counts PATCH, DELETE and the POST actions (addPassword, $ref), one notification each", async () => {
    const { graph } = fixture();
    const app = await createApplicationWithServicePrincipal(graph, { displayName: "written" });
    expect(await changesDuring(() => graph.api(`/applications/${app.id}`).patch({ notes: "changed" }))).toBe(1);
    expect(await changesDuring(() => addSecret(graph, app.id))).toBe(1);
    const policy = (await graph.api("/policies/claimsMappingPolicies").post({
      displayName: "p",
      definition: [JSON.stringify({ ClaimsMappingPolicy: { Version: 1, IncludeBasicClaimSet: "true", ClaimsSchema: [] } })],
    })) as { id: string };
    expect(
      await changesDuring(() =>
        graph.api(`/servicePrincipals/${app.servicePrincipalId}/claimsMappingPolicies/$ref`).post({
          "@odata.id": `https://graph.microsoft.com/v1.0/policies/claimsMappingPolicies/${policy.id}`,
        }),
      ),
    ).toBe(1);
    expect(await changesDuring(() => graph.api(`/applications/${app.id}`).delete())).toBe(1);
  });

  it("is not told about reads, refused writes or token requests", async () => {
    const f = fixture();
    const app = await createApplicationWithServicePrincipal(f.graph, { displayName: "read-only" });
    const secret = await addSecret(f.graph, app.id);
    const count = await changesDuring(async () => {
      await f.graph.api("/applications").get();
      await f.graph
        .api("/applications")
        .post({ displayName: "" })
        .catch(() => undefined);
      await tokenWithSecret(f, app.appId, secret, "https://graph.microsoft.com/.default");
    });
    expect(count).toBe(0);
  });

  it("is told once for a $batch that wrote, never for one that only read", async () => {
    const { graph } = fixture();
    const json = { "content-type": "application/json" };
    const writes = {
      requests: [
        { id: "1", method: "POST", url: "/applications", headers: json, body: { displayName: "batched-1" } },
        { id: "2", method: "POST", url: "/applications", headers: json, body: { displayName: "batched-2" } },
      ],
    };
    expect(await changesDuring(() => graph.api("/$batch").post(writes))).toBe(1);
    const reads = { requests: [{ id: "1", method: "GET", url: "/organization" }] };
    expect(await changesDuring(() => graph.api("/$batch").post(reads))).toBe(0);
  });

  it("is told about seeding (addTenant, addDomain, completePropagation), and no more once unsubscribed", async () => {
    const { emulator } = fixture();
    expect(await changesDuring(() => emulator.addTenant({ initialDomain: "seeded.onmicrosoft.com" }))).toBe(1);
    expect(await changesDuring(() => emulator.addDomain(fixture().tenant.tenantId, "seeded.example.com"))).toBe(1);
    expect(await changesDuring(() => emulator.completePropagation())).toBe(1);
    let count = 0;
    const stop = emulator.onChange(() => {
      count += 1;
    });
    stop();
    emulator.addDomain(fixture().tenant.tenantId, "unheard.example.com");
    expect(count).toBe(0);
  });

  it("reports a listener that throws as a process warning; the client still gets its answer and other listeners run", async () => {
    const { emulator, graph } = fixture();
    const warnings = jest.spyOn(process, "emitWarning").mockImplementation(() => undefined);
    const stopFailing = emulator.onChange(() => {
      throw new Error("disk full");
    });
    try {
      const count = await changesDuring(() => graph.api("/applications").post({ displayName: "still-created" }));
      expect(count).toBe(1);
      expect(warnings).toHaveBeenCalledWith(expect.objectContaining({ message: "disk full" }), { code: "CMIC_EMULATOR_ON_CHANGE" });
    } finally {
      stopFailing();
      warnings.mockRestore();
    }
  });
});
