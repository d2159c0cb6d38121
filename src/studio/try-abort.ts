// How a try of a request is stopped: by its deadline, or by the command's stop request
// (SIGINT/SIGTERM), which a write in flight hears only after a grace period; and what an
// error says when a stop came before a call was done.

import { describeInterruption, InterruptedError } from "../errors.js";

/**
 * The abort of one try, aborted by its deadline or by a stop request; the first reason
 * stays. An AbortController per try, with its AbortSignal (an EventTarget), cost more CPU
 * than the rest of the client's own work on a create. undici's request takes any signal
 * with `aborted`, `reason` and addEventListener/removeEventListener, and adds one listener;
 * the client tests abort tries in flight through it, before and after the headers.
 */
export class TryAbort {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | undefined = undefined;
  /** The client's own listener (`settledByAbort`), beside undici's. */
  onAbort: (() => void) | undefined = undefined;

  addEventListener(_type: "abort", listener: () => void): void {
    this.listener = listener;
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    if (this.listener === listener) this.listener = undefined;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    this.listener = undefined;
    listener?.();
    const own = this.onAbort;
    this.onAbort = undefined;
    own?.();
  }
}

/**
 * `pending` (a request's headers), or its try's end as soon as `abort` fires, with the
 * abort's reason. undici hears a request's abort only once the request has a connection:
 * a tunnel a proxy never opens, or one it opens wrong over and over, would hold the try
 * past its deadline and past a stop request. The request left behind is counted in
 * `abandoned` until it settles (undici aborts it once it has a connection), and `late`
 * gets a reply that came all the same. The try's caller tells the deadline from the stop
 * by the abort's reason. See docs/architecture.md, "Proxies".
 */
export function settledByAbort<T>(
  pending: Promise<T>,
  abort: TryAbort,
  abandoned: { count: number },
  late: (value: T) => void,
): Promise<T> {
  if (abort.aborted) return pending;
  return new Promise<T>((resolve, reject) => {
    abort.onAbort = () => {
      abandoned.count += 1;
      pending.then(late, () => undefined).finally(() => (abandoned.count -= 1));
      reject(new Error("the try was ended by its deadline or a stop request", { cause: abort.reason }));
    };
    pending.finally(() => (abort.onAbort = undefined)).then(resolve, reject);
  });
}

export function abortAll(tries: Set<TryAbort>, reason: unknown): void {
  for (const one of [...tries]) one.abort(reason);
}

/** A signal aborted `graceMs` after `signal` is. */
export function delayedSignal(signal: AbortSignal, graceMs: number): AbortSignal {
  const controller = new AbortController();
  const fire = () => setTimeout(() => controller.abort(signal.reason), graceMs).unref();
  if (signal.aborted) fire();
  else signal.addEventListener("abort", fire, { once: true });
  return controller.signal;
}

export function interrupted(reason: unknown, when: string, mayHaveActed: boolean): InterruptedError {
  const by = describeInterruption(reason);
  return new InterruptedError(
    `Interrupted${by === "" ? "" : ` ${by}`} ${when}${mayHaveActed ? "; Studio may or may not have acted on it, and a re-run finds out" : ""}.`,
    mayHaveActed,
  );
}
