/**
 * The Graph reads of a fleet's stacks, packed per tenant: every stack of one tenant asks the same
 * `/domains`, so it is read once per tenant and run, and the reads of several stacks of the tenant
 * travel in one `$batch` (at most 20 requests each, Graph's limit:
 * https://learn.microsoft.com/en-us/graph/json-batching#batch-size-limitations). A fleet of 1,000
 * stacks in 50 tenants thus costs about 200 round trips instead of 1,000.
 *
 * One reader per tenant (its Graph client is signed in to that tenant; a batch never mixes
 * tenants, since Graph answers 404 for another tenant's objects). The POSTs of all readers share
 * one concurrency limit. A stack's reads never split across batches, and each stack still gets
 * exactly the answers a batch of its own would have given it, under the ids it asked with.
 */
import type { Client } from "@microsoft/microsoft-graph-client";
import type { BatchResponse } from "./audit/graphValues";
import type { Limiter } from "../shared/limiter";
import { sendAuditBatch, type AuditReader, type BatchOptions, type BatchRequest } from "./graphAudit";

/** Graph's `$batch` limit on inner requests. */
export const MAX_BATCH_REQUESTS = 20;
/**
 * How long a partly filled batch waits for more stacks of its tenant. Short next to a Graph round
 * trip: stacks whose outputs are read together (a world, a backend answering quickly) share
 * batches, and a lone stack is held back only this long.
 */
export const BATCH_LINGER_MS = 10;

/** A read every stack of the tenant needs; only a 2xx answer is kept for later stacks. */
interface SharedRead {
  request: BatchRequest;
  /** Settles when the batch carrying the read is answered: undefined when that batch failed. */
  answer: Promise<BatchResponse | undefined>;
  settle(response: BatchResponse | undefined): void;
}

function sharedRead(request: BatchRequest): SharedRead {
  let settle: (response: BatchResponse | undefined) => void = () => undefined;
  const answer = new Promise<BatchResponse | undefined>((resolve) => (settle = resolve));
  return { request, answer, settle };
}

interface Entry {
  own: readonly BatchRequest[];
  /** Shared reads this entry carries because no batch had asked them yet. */
  carried: SharedRead[];
  resolve(responses: Map<string, BatchResponse>): void;
  reject(error: unknown): void;
}

export interface TenantBatchOptions extends BatchOptions {
  /** Bounds the `$batch` POSTs at once, across every tenant's reader. */
  limit: Limiter;
  lingerMs?: number;
}

/** A reader that packs the stacks of the tenant `client` is signed in to into shared batches. */
export function tenantBatchReader(client: Client, options: TenantBatchOptions): AuditReader {
  const lingerMs = options.lingerMs ?? BATCH_LINGER_MS;
  const shared = new Map<string, SharedRead>();
  let queue: Entry[] = [];
  let queuedRequests = 0;
  let timer: NodeJS.Timeout | undefined;
  let sequence = 0;

  /** A shared read that brought no usable answer: the next stack that needs it asks again. */
  function forget(read: SharedRead): void {
    if (shared.get(read.request.url) === read) shared.delete(read.request.url);
  }

  function send(batch: Entry[]): void {
    const requests: BatchRequest[] = [];
    const owners: Array<{ entry: Entry; ids: Map<string, string> }> = [];
    const carried: Array<{ read: SharedRead; id: string }> = [];
    for (const entry of batch) {
      const ids = new Map<string, string>();
      for (const request of entry.own) {
        const id = `${(sequence += 1)}`;
        ids.set(id, request.id);
        requests.push({ ...request, id });
      }
      owners.push({ entry, ids });
      for (const read of entry.carried) {
        const id = `${(sequence += 1)}`;
        carried.push({ read, id });
        requests.push({ ...read.request, id });
      }
    }
    void options
      .limit(() => sendAuditBatch(client, requests, options))
      .then(
        (responses) => {
          for (const { read, id } of carried) {
            const response = responses.get(id);
            // A shared read that failed (403, 500, throttled past its retries) is asked again by the
            // next stack; the stacks already waiting for this answer get it as it is.
            if (response === undefined || response.status < 200 || response.status >= 300) forget(read);
            read.settle(response);
          }
          for (const { entry, ids } of owners) {
            const own = new Map<string, BatchResponse>();
            for (const [id, original] of ids) {
              const response = responses.get(id);
              if (response !== undefined) own.set(original, { ...response, id: original });
            }
            entry.resolve(own);
          }
        },
        (error: unknown) => {
          for (const { read } of carried) {
            forget(read);
            read.settle(undefined);
          }
          for (const { entry } of owners) entry.reject(error);
        },
      );
  }

  const size = (entry: Entry) => entry.own.length + entry.carried.length;

  /** Send the queue as batches of at most 20 requests; with `onlyFull`, keep a partly filled tail. */
  function flush(onlyFull: boolean): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    while (queue.length > 0) {
      const batch: Entry[] = [];
      let count = 0;
      // An entry larger than a batch still goes, alone: Graph then says why, for that stack only.
      while (queue.length > 0 && (batch.length === 0 || count + size(queue[0]) <= MAX_BATCH_REQUESTS)) {
        const entry = queue.shift()!;
        count += size(entry);
        batch.push(entry);
      }
      const full = queue.length > 0 || count >= MAX_BATCH_REQUESTS;
      if (onlyFull && !full) {
        queue = [...batch, ...queue];
        break;
      }
      queuedRequests -= count;
      send(batch);
    }
    if (queue.length > 0) timer = setTimeout(() => flush(false), lingerMs);
  }

  /** Queue reads; a full batch goes at once, a partly filled one after the linger. */
  function enqueue(entry: Entry): void {
    queue.push(entry);
    queuedRequests += size(entry);
    if (queuedRequests >= MAX_BATCH_REQUESTS) flush(true);
    else timer ??= setTimeout(() => flush(false), lingerMs);
  }

  /** The pending or kept answer to a shared read; the first to ask carries it in `carried`. */
  function sharedAnswer(request: BatchRequest, carried: SharedRead[]): Promise<BatchResponse | undefined> {
    let read = shared.get(request.url);
    if (read === undefined) {
      read = sharedRead(request);
      shared.set(request.url, read);
      carried.push(read);
    }
    return read.answer;
  }

  /**
   * A shared read whose batch failed as a whole, asked once more on its own: one failed POST must
   * not leave every stack that waited for it without its tenant's domains.
   */
  function askAgain(request: BatchRequest): Promise<BatchResponse | undefined> {
    const carried: SharedRead[] = [];
    const answer = sharedAnswer(request, carried);
    if (carried.length > 0) enqueue({ own: [], carried, resolve: () => undefined, reject: () => undefined });
    return answer;
  }

  return {
    read(own, sharedRequests) {
      const carried: SharedRead[] = [];
      const answers = sharedRequests.map((request) => ({ request, answer: sharedAnswer(request, carried) }));
      const ownAnswers = new Promise<Map<string, BatchResponse>>((resolve, reject) => enqueue({ own, carried, resolve, reject }));
      return ownAnswers.then(async (responses) => {
        for (const { request, answer } of answers) {
          const response = (await answer) ?? (await askAgain(request));
          // Still missing (that batch failed too): the checks that need it say "could not read".
          if (response !== undefined) responses.set(request.id, { ...response, id: request.id });
        }
        return responses;
      });
    },
  };
}
