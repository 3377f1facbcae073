/**
 * Change notification: whoever serves a persistent world saves it when the directory changed.
 * Listeners run synchronously, after the change and before the response that reports it is
 * written, so a listener that saves at once has saved before the client learns of the success.
 */

/** Graph methods that write; every Graph POST in the route table writes (create, addPassword, $ref…) except `$batch`. */
const WRITE_METHODS = new Set(["POST", "PATCH", "PUT", "DELETE"]);

/** A Graph request (not `$batch` itself, whose inner requests count one by one) that wrote to the directory. */
export function isDirectoryWrite(method: string, status: number): boolean {
  return WRITE_METHODS.has(method) && status >= 200 && status < 300;
}

export class ChangeNotifier {
  /** One entry per subscription, so a function added twice is called twice and removed one at a time. */
  private readonly subscriptions = new Set<{ listener: () => void }>();

  /** Call `listener` after every change; the returned function stops that. */
  subscribe(listener: () => void): () => void {
    if (typeof listener !== "function") throw new Error("onChange: listener must be a function.");
    const subscription = { listener };
    this.subscriptions.add(subscription);
    return () => {
      this.subscriptions.delete(subscription);
    };
  }

  /**
   * Tell every listener. A listener that throws does not stop the others nor change the answer the
   * client gets (the directory did change): its error becomes a process warning, where it is seen.
   */
  notify(): void {
    for (const { listener } of [...this.subscriptions]) {
      try {
        listener();
      } catch (error) {
        process.emitWarning(error instanceof Error ? error : new Error(String(error)), { code: "CMIC_EMULATOR_ON_CHANGE" });
      }
    }
  }
}
