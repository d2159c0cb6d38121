// The emulator's notion of time. Tests and the admin API move it forward by hand.

export interface Clock {
  now(): number;
}

export interface AdjustableClock extends Clock {
  advance(ms: number): void;
  set(epochMs: number): void;
}

/** Wall-clock time plus an offset that the admin API can move forward. */
export function createSystemClock(): AdjustableClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      offset += ms;
    },
    set(epochMs) {
      offset = epochMs - Date.now();
    },
  };
}

/** A clock that moves only when told: for reproducible tests. */
export function createManualClock(startMs: number): AdjustableClock {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
    set(epochMs) {
      current = epochMs;
    },
  };
}
