/**
 * Per-step time limits and Ctrl-C for `npm run test:tenant` and the fleet's stacks (`npm run fleet`): every step gets an AbortSignal that
 * fires when --step-timeout passes or the user interrupts, and the step's promise is raced against
 * it so that nothing can hold the run (and with it the cleanup) forever.
 *
 * What the signal does depends on who receives it: the Automation API's up/preview/refresh/destroy
 * send the CLI SIGINT on abort (pulumi/pulumi sdk/nodejs/automation/cmd.ts: `proc.kill("SIGINT")`),
 * which the CLI treats as a graceful cancellation: operations in flight finish and the state is
 * saved; only a second signal terminates it at once (pulumi/pulumi, the CLI's cancellation scope:
 * "^C received; cancelling. If you would like to terminate immediately, press ^C again."). The
 * verify and drift children get SIGTERM. Workspace commands (`stack init`, `config set-all`,
 * `stack rm`) take no signal; they are only raced.
 */

export type StopReason = "timeout" | "interrupt";

/** The step was stopped: by its time limit or by Ctrl-C/SIGTERM. */
export class StepStopped extends Error {
  constructor(
    readonly reason: StopReason,
    /** False when the work still had not ended `graceMs` after the signal and was abandoned. */
    readonly ended: boolean,
  ) {
    super(reason === "timeout" ? "stopped by --step-timeout" : "interrupted");
    this.name = "StepStopped";
  }
}

/** How long a Pulumi CLI that got the user's Ctrl-C itself has to say so before it is signalled by us. */
export const OWN_SIGNAL_WAIT_MS = 2_000;

interface Tracked {
  controller: AbortController;
  /** True once the child has said it is cancelling (it received the terminal's signal itself). */
  cancelling?: () => boolean;
}

/**
 * Ctrl-C / SIGTERM for the whole run: the first signal stops the current step and the run goes on
 * to its cleanup, which a first signal never stops; a second signal ends the process at once.
 *
 * A Ctrl-C in a terminal reaches the whole foreground process group, the Pulumi CLI included, which
 * starts cancelling on its own; signalling it again would make it terminate at once, leaving
 * resources it was creating out of the state. So a step that can tell (its CLI printed "cancelling")
 * is signalled only if the CLI has not said so within {@link OWN_SIGNAL_WAIT_MS}: a `kill` aimed at
 * this process alone still stops the step.
 */
export class Interrupts {
  private readonly tracked = new Set<Tracked>();
  private signalled: NodeJS.Signals | null = null;
  private readonly onSignal = (signal: NodeJS.Signals) => this.interrupt(signal);

  constructor(
    private readonly notice: (text: string) => void,
    private readonly target: NodeJS.Process | null = process,
  ) {}

  get interrupted(): boolean {
    return this.signalled !== null;
  }

  listen(): void {
    this.target?.on("SIGINT", this.onSignal);
    this.target?.on("SIGTERM", this.onSignal);
  }

  dispose(): void {
    this.target?.off("SIGINT", this.onSignal);
    this.target?.off("SIGTERM", this.onSignal);
  }

  /** Abort `controller` on the next interrupt (until {@link release}). */
  track(entry: Tracked): void {
    this.tracked.add(entry);
  }

  release(entry: Tracked): void {
    this.tracked.delete(entry);
  }

  interrupt(signal: NodeJS.Signals): void {
    if (this.signalled) {
      // Second signal: the user wants out now, cleanup or not: die of it, as without a handler.
      this.notice(`${signal} again: stopping now, without cleanup.\n`);
      this.dispose();
      this.target?.kill(this.target.pid, signal);
      return;
    }
    this.signalled = signal;
    this.notice(`${signal}: stopping the current step, then cleaning up (send it again to stop at once and leave the stack).\n`);
    for (const { controller, cancelling } of this.tracked) {
      if (!cancelling) {
        controller.abort();
        continue;
      }
      setTimeout(() => {
        if (!cancelling()) controller.abort();
      }, OWN_SIGNAL_WAIT_MS).unref();
    }
  }
}

/**
 * What a step's Pulumi CLI printed, and whether it says it is cancelling: it then got the
 * terminal's Ctrl-C itself ("^C received; cancelling…"), which {@link BoundOptions.cancelling} reads.
 */
export class CommandOutput {
  text = "";
  cancelling = false;
  readonly append = (chunk: string): void => {
    this.text += chunk;
    if (/received; cancelling/.test(chunk)) this.cancelling = true;
  };
}

export interface BoundOptions {
  timeoutMs: number;
  /** How long to wait for the work to end after the signal before abandoning it. */
  graceMs: number;
  interrupts: Interrupts;
  /** See {@link Interrupts}: true once the step's CLI says it is cancelling on its own. */
  cancelling?: () => boolean;
  /** False for the cleanup: an interrupt must not stop it (only its time limit does). Default true. */
  interruptible?: boolean;
}

/**
 * Run `work` with a signal that aborts after `timeoutMs` or on interrupt. Resolves with its result
 * if it ends before the signal; otherwise rejects with {@link StepStopped} as soon as it ends, or
 * after `graceMs` if it does not (then it is abandoned: the process's exit ends what is left of it,
 * since execa kills its children when the parent exits).
 */
export async function runBounded<T>(work: (signal: AbortSignal) => Promise<T>, options: BoundOptions): Promise<T> {
  const controller = new AbortController();
  let reason: StopReason | null = null;
  const timer = setTimeout(() => {
    reason = "timeout";
    controller.abort();
  }, options.timeoutMs);
  const tracked: Tracked = { controller, cancelling: options.cancelling };
  if (options.interruptible !== false) options.interrupts.track(tracked);
  let graceTimer: NodeJS.Timeout | undefined;
  const abandoned = new Promise<never>((_resolve, reject) => {
    controller.signal.addEventListener("abort", () => {
      reason ??= "interrupt";
      graceTimer = setTimeout(() => reject(new StepStopped(reason ?? "interrupt", false)), options.graceMs);
    });
  });
  const running = work(controller.signal);
  // The loser of the race must not become an unhandled rejection.
  running.catch(() => undefined);
  abandoned.catch(() => undefined);
  try {
    const result = await Promise.race([running, abandoned]);
    return result;
  } catch (error) {
    if (controller.signal.aborted && !(error instanceof StepStopped)) throw new StepStopped(reason ?? "interrupt", true);
    throw error;
  } finally {
    clearTimeout(timer);
    clearTimeout(graceTimer);
    options.interrupts.release(tracked);
  }
}
