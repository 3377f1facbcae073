/**
 * Issue #13: a fleet's Graph reads packed per tenant (scripts/drift/tenantBatches.ts), against the
 * emulator over real HTTPS with the real Graph client. Several stacks of one tenant share each
 * `$batch`, `/domains` is read once, and every stack is judged exactly as when it is audited
 * alone; a batch that fails as a whole costs only its own stacks.
 */
import crypto from "node:crypto";
import { deployAuditedApp, type DeployedApp } from "../../scripts/bench/driftBench";
import { auditStack, evaluateAudit, fetchAudit } from "../../scripts/drift/graphAudit";
import { MAX_BATCH_REQUESTS, tenantBatchReader } from "../../scripts/drift/tenantBatches";
import { createLimiter } from "../../scripts/shared/limiter";
import { useEmulatorFixture } from "../support/emulatorFixture";

const fixture = useEmulatorFixture({ tenant: { initialDomain: "contoso-fleet.onmicrosoft.com" } });
const NOW = new Date();
/** 14 stacks × 3 own reads + /domains once = 43 requests: batches of 19, 18 and 6. */
const STACK_COUNT = 14;

let stacks: DeployedApp[];
beforeAll(async () => {
  const { emulator, tenant } = fixture();
  stacks = [];
  for (let index = 0; index < STACK_COUNT; index += 1) {
    stacks.push(
      await deployAuditedApp(
        { emulatorUrl: emulator.url, tenant },
        { displayName: `CMiC fleet ${index} ${crypto.randomUUID().slice(0, 6)}`, domain: tenant.initialDomain },
      ),
    );
  }
});

afterEach(() => fixture().emulator.setFaults({}));

/** Every stack's audit through one tenant reader, all at once, as the engine runs a fleet. */
function auditTogether(limit = createLimiter(1)) {
  const { graph } = fixture();
  const reader = tenantBatchReader(graph, { limit });
  return Promise.all(stacks.map((stack, index) => fetchAudit(`stack-${index}`, stack.outputs, { client: graph, reader, now: NOW })));
}

const batchPosts = () => fixture().emulator.requests.filter((entry) => entry.path === "/v1.0/$batch");
const domainReads = () => fixture().emulator.batchedRequests.filter((entry) => /\/domains$/.test(entry.path));

test("stacks of one tenant share batches of at most 20 reads, /domains is read once, and each is judged as when alone", async () => {
  const { emulator, graph } = fixture();
  const alone = await Promise.all(
    stacks.map((stack, index) => auditStack(`stack-${index}`, stack.outputs, { client: graph, expiryDays: 30, now: NOW })),
  );
  expect(alone.flat().flatMap((check) => check.findings)).toEqual([]);

  emulator.clearRequestLog();
  const fetched = await auditTogether(createLimiter(4));
  expect(batchPosts()).toHaveLength(3);
  expect(domainReads()).toHaveLength(1);
  const perBatch = new Map<number, number>();
  for (const entry of emulator.batchedRequests) perBatch.set(entry.batchIndex, (perBatch.get(entry.batchIndex) ?? 0) + 1);
  expect([...perBatch.values()].sort((a, b) => b - a)).toEqual([19, 18, 6]);
  for (const count of perBatch.values()) expect(count).toBeLessThanOrEqual(MAX_BATCH_REQUESTS);

  fetched.forEach((result, index) => {
    if (!result.ok) throw new Error(`stack-${index} was not read: ${JSON.stringify(result.checks)}`);
    expect([...result.responses.keys()].sort()).toEqual(["app", "domains", "policies", "sp"]);
    const checks = evaluateAudit({ stack: `stack-${index}`, outputs: stacks[index].outputs, expiryDays: 30, now: NOW }, result.responses);
    expect(checks).toEqual(alone[index]);
  });
});

test("a deleted app is found among its tenant's shared batch, and only it", async () => {
  const { graph } = fixture();
  const victim = await deployAuditedApp(
    { emulatorUrl: fixture().emulator.url, tenant: fixture().tenant },
    { displayName: `CMiC fleet victim ${crypto.randomUUID().slice(0, 6)}`, domain: fixture().tenant.initialDomain },
  );
  await graph.api(`/applications/${victim.applicationObjectId}`).delete();
  const reader = tenantBatchReader(graph, { limit: createLimiter(2) });
  const all = [...stacks, victim];
  const fetched = await Promise.all(
    all.map((stack, index) => fetchAudit(`stack-${index}`, stack.outputs, { client: graph, reader, now: NOW })),
  );
  const findingIds = fetched.map((result, index) =>
    result.ok
      ? evaluateAudit({ stack: `stack-${index}`, outputs: all[index].outputs, expiryDays: 30, now: NOW }, result.responses)
          .flatMap((check) => check.findings)
          .map((finding) => finding.id)
      : ["not read"],
  );
  expect(findingIds.slice(0, STACK_COUNT).flat()).toEqual([]);
  expect(findingIds[STACK_COUNT]).toEqual(expect.arrayContaining(["graph.app.deleted"]));
});

test("a batch that fails as a whole makes only its own stacks 'could not check'; the others read /domains again and are clean", async () => {
  const { emulator } = fixture();
  emulator.clearRequestLog();
  // The first $batch (six stacks and /domains) gets a 500, which the Graph client does not retry.
  emulator.setFaults({ serverErrors: { count: 1, status: 500 }, pathPrefix: "/v1.0/$batch" });
  const fetched = await auditTogether(createLimiter(1));
  const failed = fetched.flatMap((result, index) => (result.ok ? [] : [index]));
  expect(failed).toEqual([0, 1, 2, 3, 4, 5]);
  for (const index of failed) {
    const result = fetched[index];
    if (result.ok) throw new Error("unreachable");
    expect(result.checks.map((check) => check.id)).toEqual(["graph.request"]);
    expect(result.checks[0].findings[0].message).toMatch(/HTTP 500/);
  }
  fetched.forEach((result, index) => {
    if (!result.ok) return;
    const checks = evaluateAudit({ stack: `stack-${index}`, outputs: stacks[index].outputs, expiryDays: 30, now: NOW }, result.responses);
    expect(checks.flatMap((check) => check.findings)).toEqual([]);
  });
  // The failed POST's reads never reached Graph: /domains was asked again, in a later batch.
  expect(domainReads().map((entry) => entry.status)).toEqual([200]);
  expect(batchPosts()[0].status).toBe(500);
});
