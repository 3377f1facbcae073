/** The ClaimsMappingPolicy and ServicePrincipalClaimsMappingPolicyAssignment models against the emulator. */
import { randomUUID } from "node:crypto";
import { claimsMappingDefinition } from "../../../components/claimsMapping";
import { applicationModel } from "../../../scripts/sandbox/provider/application";
import { claimsMappingPolicyModel } from "../../../scripts/sandbox/provider/claimsMappingPolicy";
import { claimsMappingPolicyAssignmentModel } from "../../../scripts/sandbox/provider/claimsMappingPolicyAssignment";
import { servicePrincipalModel } from "../../../scripts/sandbox/provider/servicePrincipal";
import type { Properties } from "../../../scripts/sandbox/provider/types";
import { PLAN_CLOCK, uniqueName, useHarness, writes, type Harness } from "./harness";

const harness = useHarness();

const policyInputs = (value = "ARCORO_SVC"): Properties => ({
  displayName: "cmic-app cmicuser",
  definitions: [claimsMappingDefinition(value, "cmicuser")],
});

async function servicePrincipal(h: Harness): Promise<{ id: string; objectId: string }> {
  const app = await applicationModel.create({ displayName: uniqueName("cmic-claims") }, h.ctx);
  const sp = await servicePrincipalModel.create({ clientId: app.state.clientId }, h.ctx);
  return { id: sp.id, objectId: String(sp.state.objectId) };
}

describe("ClaimsMappingPolicy", () => {
  it("POSTs definition and displayName; both update in place; delete removes it", async () => {
    const h = harness();
    const inputs = policyInputs();
    await claimsMappingPolicyModel.check?.(inputs, h.ctx, null);
    const { id, state } = await claimsMappingPolicyModel.create(inputs, h.ctx);
    expect(id).toMatch(/^\/policies\/claimsMappingPolicies\/[0-9a-f-]{36}$/);
    expect(h.calls[0]).toEqual({
      method: "POST",
      path: "/policies/claimsMappingPolicies",
      body: { definition: inputs.definitions, displayName: inputs.displayName },
    });
    expect(state).toEqual(inputs);
    expect(await claimsMappingPolicyModel.read(id, state, h.ctx)).toEqual(state);
    expect(claimsMappingPolicyModel.diff(state, inputs, PLAN_CLOCK)).toEqual([]);

    const changed = policyInputs("OTHER_SVC");
    expect(claimsMappingPolicyModel.diff(state, changed, PLAN_CLOCK)).toEqual([{ property: "definitions", replace: false }]);
    expect(claimsMappingPolicyModel.diff(state, { ...inputs, displayName: "renamed" }, PLAN_CLOCK)).toEqual([
      { property: "displayName", replace: false },
    ]);
    const updated = await claimsMappingPolicyModel.update(id, state, changed, h.ctx);
    expect(updated).toEqual(changed);
    const graphPolicy = (await h.graph.api(id).get()) as { definition: string[] };
    expect(graphPolicy.definition).toEqual(changed.definitions);

    await claimsMappingPolicyModel.delete(id, updated, h.ctx);
    expect(writes(h.calls).at(-1)).toBe(`DELETE ${id}`);
    expect(await claimsMappingPolicyModel.read(id, updated, h.ctx)).toBeNull();
  });
});

describe("ServicePrincipalClaimsMappingPolicyAssignment", () => {
  it("references the policy as a directoryObject, has the plural-path id, and both inputs replace", async () => {
    const h = harness();
    const sp = await servicePrincipal(h);
    const policy = await claimsMappingPolicyModel.create(policyInputs(), h.ctx);
    const policyObjectId = policy.id.split("/").pop() ?? "";
    const inputs = { servicePrincipalId: sp.id, claimsMappingPolicyId: policy.id };
    await claimsMappingPolicyAssignmentModel.check?.(inputs, h.ctx, null);
    h.calls.length = 0;
    const { id, state } = await claimsMappingPolicyAssignmentModel.create(inputs, h.ctx);

    expect(id).toBe(`/servicePrincipals/${sp.objectId}/claimsMappingPolicies/${policyObjectId}`);
    expect(h.calls[0]).toEqual({
      method: "POST",
      path: `/servicePrincipals/${sp.objectId}/claimsMappingPolicies/$ref`,
      body: { "@odata.id": `https://graph.microsoft.com/v1.0/directoryObjects/${policyObjectId}` },
    });
    expect(state).toEqual(inputs);
    const assigned = (await h.graph.api(`/servicePrincipals/${sp.objectId}/claimsMappingPolicies`).get()) as { value: { id: string }[] };
    expect(assigned.value.map((p) => p.id)).toEqual([policyObjectId]);

    expect(await claimsMappingPolicyAssignmentModel.read(id, state, h.ctx)).toEqual(state);
    expect(claimsMappingPolicyAssignmentModel.diff(state, inputs, PLAN_CLOCK)).toEqual([]);
    expect(
      claimsMappingPolicyAssignmentModel.diff(
        state,
        {
          ...inputs,
          claimsMappingPolicyId: `/policies/claimsMappingPolicies/${randomUUID()}`,
        },
        PLAN_CLOCK,
      ),
    ).toEqual([{ property: "claimsMappingPolicyId", replace: true }]);
    expect(
      claimsMappingPolicyAssignmentModel.diff(state, { ...inputs, servicePrincipalId: `/servicePrincipals/${randomUUID()}` }, PLAN_CLOCK),
    ).toEqual([{ property: "servicePrincipalId", replace: true }]);

    await claimsMappingPolicyAssignmentModel.delete(id, state, h.ctx);
    expect(writes(h.calls).at(-1)).toBe(`DELETE /servicePrincipals/${sp.objectId}/claimsMappingPolicies/${policyObjectId}/$ref`);
    expect(await claimsMappingPolicyAssignmentModel.read(id, state, h.ctx)).toBeNull();
  });

  it("read is null when the assignment is removed out of band or the service principal is gone", async () => {
    const h = harness();
    const sp = await servicePrincipal(h);
    const policy = await claimsMappingPolicyModel.create(policyInputs(), h.ctx);
    const { id, state } = await claimsMappingPolicyAssignmentModel.create(
      { servicePrincipalId: sp.id, claimsMappingPolicyId: policy.id },
      h.ctx,
    );
    await h.graph.api(`${id}/$ref`).delete();
    expect(await claimsMappingPolicyAssignmentModel.read(id, state, h.ctx)).toBeNull();
    await h.graph.api(sp.id).delete();
    expect(await claimsMappingPolicyAssignmentModel.read(id, state, h.ctx)).toBeNull();
  });

  it("--break claim assigns nothing; check refuses bare GUIDs (the inputs are resource ids)", async () => {
    const h = harness({ breakName: "claim" });
    const sp = await servicePrincipal(h);
    const policy = await claimsMappingPolicyModel.create(policyInputs(), h.ctx);
    h.calls.length = 0;
    const { state } = await claimsMappingPolicyAssignmentModel.create(
      { servicePrincipalId: sp.id, claimsMappingPolicyId: policy.id },
      h.ctx,
    );
    expect(writes(h.calls)).toEqual([]);
    expect(state).toEqual({ servicePrincipalId: sp.id, claimsMappingPolicyId: policy.id });
    await expect(
      claimsMappingPolicyAssignmentModel.check?.({ servicePrincipalId: sp.objectId, claimsMappingPolicyId: policy.id }, h.ctx, null),
    ).rejects.toThrow(/is not a service principal ID/);
  });
});
