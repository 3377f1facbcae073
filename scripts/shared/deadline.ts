/**
 * Deadlines that hold whatever the callee does with an abort signal.
 *
 * @azure/identity 4.x drops the abort signal of client-secret token requests, and its pipeline
 * honours any Retry-After without a cap: passing a signal alone cannot bound a call. Racing the call
 * against a timer can. The losing call is abandoned (its socket may stay open: CLIs end the process
 * explicitly once their report is written).
 */
import { CmicError } from "../../contract/errors";

export class DeadlineError extends CmicError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super("ERR_DEADLINE", `${what} did not finish within ${(timeoutMs / 1000).toFixed(1)} s`, {
      fix: "Check the network path to the host (proxy, firewall) and retry; raise --timeout if the service is known to be slow.",
    });
  }
}

/**
 * `work`, or a {@link DeadlineError} once `timeoutMs` has passed, whichever comes first. The error
 * names `statedMs` (default `timeoutMs`): the whole deadline when only its rest was left to wait.
 */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, what: string, statedMs: number = timeoutMs): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(what, statedMs)), Math.max(0, timeoutMs));
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
