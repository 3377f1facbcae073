/** The record of every request the server answered, for tests and benchmarks to count round trips. */

export interface RequestLogEntry {
  method: string;
  /** Path without the query string. */
  path: string;
  status: number;
  /** Epoch milliseconds when the request arrived. */
  at: number;
}

/** A request inside a `$batch`: logged apart so `requests` counts HTTP round trips. */
export interface BatchedRequestLogEntry extends RequestLogEntry {
  /** Index in `requests` of the `$batch` that carried it. */
  batchIndex: number;
}

export class RequestLog {
  /** Every HTTP request the server answered (a `$batch` counts once), faults included. */
  readonly requests: RequestLogEntry[] = [];
  /** The requests carried inside `$batch` calls. */
  readonly batchedRequests: BatchedRequestLogEntry[] = [];

  /**
   * Log a request as it arrives, its status still 0: the slot is reserved before the request is
   * handled so the requests a `$batch` carries can point at it. Set `status` once answered.
   */
  arrived(method: string, path: string, at: number): { entry: RequestLogEntry; index: number } {
    const entry: RequestLogEntry = { method, path, status: 0, at };
    this.requests.push(entry);
    return { entry, index: this.requests.length - 1 };
  }

  batched(record: { method: string; path: string; status: number }, at: number, batchIndex: number): void {
    this.batchedRequests.push({ ...record, at, batchIndex });
  }

  /** Empty both lists in place: callers holding `requests` or `batchedRequests` see them cleared. */
  clear(): void {
    this.requests.length = 0;
    this.batchedRequests.length = 0;
  }
}
