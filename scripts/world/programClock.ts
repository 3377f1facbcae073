/**
 * The program reads the clock once, synchronously, while it loads (components/stack.ts judges a
 * certificate's expiry against `new Date()`). Under `--at`, a real `pulumi up` at that instant
 * would see that instant: the sandbox shifts `Date` for exactly the duration of the load, and
 * nothing else in the process (the emulator and verify take the world's clock explicitly; TLS
 * must keep the real one).
 */
import type { WorldClock } from "./clock";

export function atWorldTime<T>(clock: WorldClock, load: () => T): T {
  const RealDate = globalThis.Date;
  const offsetMs = clock.now().getTime() - RealDate.now();
  // Within a second of real time there is nothing to shift.
  if (Math.abs(offsetMs) < 1_000) return load();
  const now = (): number => RealDate.now() + offsetMs;
  const ShiftedDate = new Proxy(RealDate, {
    // `new Date()` is now in the world; `new Date(value)` is that value.
    construct: (target, args: unknown[], newTarget: (...a: unknown[]) => unknown) =>
      args.length === 0 ? new target(now()) : (Reflect.construct(target, args, newTarget) as object),
    // `Date()` without `new` is the current time as text.
    apply: (target) => new target(now()).toString(),
    get: (target, property, receiver: unknown) => (property === "now" ? now : (Reflect.get(target, property, receiver) as unknown)),
  });
  globalThis.Date = ShiftedDate;
  try {
    return load();
  } finally {
    globalThis.Date = RealDate;
  }
}
