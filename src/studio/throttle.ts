// How many of the client's tries are out at once, and when Studio has asked the client to
// wait: shared by all its calls, so that a 429 slows the whole command and not only the
// call it answered (see docs/architecture.md, "Rate limits").

import { pauseUnlessStopped } from "./retry.js";

/** Which window a try was sent in: a 429 to a try of an older one does not cut it again. */
export type Ticket = number;

/**
 * Unbounded until Studio answers 429. Then no try is sent until the wait it asked for is
 * over, and at most half of what was out goes out at once; each try that gets through
 * widens that by one over the window (additive increase, multiplicative decrease, as TCP
 * does). Every 429 of one burst cuts the window once. Tries that wait are sent oldest call
 * first.
 */
export class Throttle {
  private limit = Number.POSITIVE_INFINITY;
  private out = 0;
  private window = 0;
  /** The wait Studio asked for, as a time on the client's clock; undefined when none is under way. */
  private until: number | undefined = undefined;
  /** When Studio first answered 429 since a try last got through; undefined when one got through since. */
  private refusingSince: number | undefined = undefined;
  /** Tries waiting for their turn, oldest call first. */
  private readonly waiting: Array<{ call: number; turn: (ticket: Ticket | "stopped") => void }> = [];

  constructor(
    private readonly now: () => number,
    private readonly sleep: ((ms: number) => Promise<void>) | undefined,
    private readonly stop: AbortSignal | undefined,
  ) {}

  /** A ticket at once when a try may go out now (nearly always); undefined when it must wait. */
  enterNow(): Ticket | undefined {
    if (this.until !== undefined || this.out + 1 > this.limit || this.waiting.length > 0) return undefined;
    this.out += 1;
    return this.window;
  }

  /**
   * Waits for a turn: a ticket, or "stopped" when the command is stopped first. `call` says
   * how old the call is (lower is older): a call turned away goes before calls that started
   * after it, so that no call is turned away window after window while newer ones get through.
   */
  enter(call: number): Promise<Ticket | "stopped"> {
    const now = this.enterNow();
    if (now !== undefined) return Promise.resolve(now);
    const stop = this.stop;
    if (stop?.aborted === true) return Promise.resolve("stopped");
    return new Promise((resolve) => {
      const stopped = () => {
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
        resolve("stopped");
      };
      const waiter = {
        call,
        turn: (ticket: Ticket | "stopped") => {
          stop?.removeEventListener("abort", stopped);
          resolve(ticket);
        },
      };
      stop?.addEventListener("abort", stopped, { once: true });
      // As many wait as calls are under way (--parallelism): a linear search is enough.
      const after = this.waiting.findIndex((other) => other.call > call);
      this.waiting.splice(after < 0 ? this.waiting.length : after, 0, waiter);
    });
  }

  /** A try got through: the window widens. */
  passed(): void {
    this.out -= 1;
    this.refusingSince = undefined;
    if (this.limit !== Number.POSITIVE_INFINITY) {
      this.limit += 1 / this.limit;
      // Wide enough to be no limit at all: a burst has passed.
      if (this.limit > 1024) this.limit = Number.POSITIVE_INFINITY;
    }
    this.next();
  }

  /** A try ended otherwise, for a reason that says nothing about the rate. */
  ended(): void {
    this.out -= 1;
    this.next();
  }

  /**
   * The try of `ticket` was answered 429: the window narrows, and when its call tries again
   * after `delayMs` every try waits that long (undefined: it does not try again). Says
   * whether that wait began now, or joined one already under way (made longer if need be).
   */
  throttled(ticket: Ticket, delayMs: number | undefined): "began" | "joined" | "none" {
    this.refusingSince ??= this.now();
    if (ticket === this.window) {
      this.limit = Math.max(1, Math.floor(Math.min(this.limit, this.out) / 2));
      this.window += 1;
    }
    this.out -= 1;
    if (delayMs === undefined) {
      this.next();
      return "none";
    }
    const until = this.now() + delayMs;
    if (this.until === undefined) {
      this.until = until;
      void this.pause(delayMs);
      return "began";
    }
    this.until = Math.max(this.until, until);
    return "joined";
  }

  /** What is left of the wait Studio asked for: 0 when none is under way. */
  pauseLeft(): number {
    return this.until === undefined ? 0 : Math.max(0, this.until - this.now());
  }

  /** How long Studio has answered 429 and let no try through: 0 when one got through since its last 429. */
  refusingFor(): number {
    return this.refusingSince === undefined ? 0 : this.now() - this.refusingSince;
  }

  /**
   * Waits out the pause, and then what a later 429 added to it meanwhile: each wait runs
   * from where the one before ended, not from the clock, so an injected sleep is waited once.
   */
  private async pause(delayMs: number): Promise<void> {
    let reached = (this.until ?? 0) - delayMs;
    for (let end = this.until ?? reached; end > reached; end = this.until ?? reached) {
      if ((await pauseUnlessStopped(end - reached, this.stop, this.sleep)) === "stopped") return;
      reached = end;
    }
    this.until = undefined;
    this.next();
  }

  /** Lets waiting tries out, oldest first, while the window has room. */
  private next(): void {
    while (this.until === undefined && this.out + 1 <= this.limit && this.waiting.length > 0) {
      this.out += 1;
      this.waiting.shift()?.turn(this.window);
    }
  }
}
