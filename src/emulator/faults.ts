// Fault injection: seeded, so a failing test can be replayed with the same seed.
// Faults apply to the /api routes only, never to the admin hooks.

import { createSeededRandom } from "./random.js";

export interface FaultSettings {
  /** Delay before every reply, in ms. */
  latencyMs: number;
  /** Chance of a 503 before the server acts. */
  errorRate: number;
  /** Requests allowed per second before 429s; 0 = unlimited. */
  rateLimit: number;
  /** Chance of dropping the connection: half before the server acted, half after. */
  resetRate: number;
  seed: number;
}

export type ScriptedFaultKind = "error" | "reset-before" | "reset-after" | "rate-limit";

/** A one-shot fault for a matching request: "the next create of job X fails". */
export interface ScriptedFault {
  method: string;
  /** Substring of the request path. */
  path: string;
  /** Text the request body must contain (as UTF-8), e.g. a job name. */
  bodyIncludes?: string;
  kind: ScriptedFaultKind;
  /** How many matching requests it hits; default 1. */
  times?: number;
}

export type FaultDecision = { kind: "none" } | { kind: ScriptedFaultKind; retryAfterSeconds?: number };

export const NO_FAULTS: FaultSettings = { latencyMs: 0, errorRate: 0, rateLimit: 0, resetRate: 0, seed: 1 };

export class FaultInjector {
  private settings: FaultSettings;
  private random: () => number;
  private scripted: (ScriptedFault & { left: number })[] = [];
  private windowStart = 0;
  private windowCount = 0;

  constructor(settings: Partial<FaultSettings> = {}) {
    this.settings = { ...NO_FAULTS, ...settings };
    this.random = createSeededRandom(this.settings.seed);
  }

  get latencyMs(): number {
    return this.settings.latencyMs;
  }

  current(): FaultSettings & { scripted: ScriptedFault[] } {
    return { ...this.settings, scripted: this.scripted.map(({ left, ...f }) => ({ ...f, times: left })) };
  }

  /** Change the settings; a new seed restarts the random sequence. */
  configure(settings: Partial<FaultSettings>, scripted?: ScriptedFault[]): void {
    const reseed = settings.seed !== undefined;
    this.settings = { ...this.settings, ...settings };
    if (reseed) this.random = createSeededRandom(this.settings.seed);
    if (scripted !== undefined) this.scripted = scripted.map((f) => ({ ...f, left: f.times ?? 1 }));
  }

  /** Decide what happens to one request. Always draws the same number of randoms. */
  decide(method: string, path: string, body: Buffer, nowMs: number): FaultDecision {
    const scripted = this.scripted.find(
      (f) =>
        f.left > 0 &&
        f.method.toUpperCase() === method &&
        path.includes(f.path) &&
        (f.bodyIncludes === undefined || body.includes(f.bodyIncludes)),
    );
    const errorDraw = this.random();
    const resetDraw = this.random();
    const halfDraw = this.random();
    if (scripted !== undefined) {
      scripted.left -= 1;
      return scripted.kind === "rate-limit" ? { kind: "rate-limit", retryAfterSeconds: 1 } : { kind: scripted.kind };
    }
    if (this.settings.rateLimit > 0) {
      if (nowMs - this.windowStart >= 1000) {
        this.windowStart = nowMs;
        this.windowCount = 0;
      }
      this.windowCount += 1;
      if (this.windowCount > this.settings.rateLimit) {
        return { kind: "rate-limit", retryAfterSeconds: Math.max(1, Math.ceil((this.windowStart + 1000 - nowMs) / 1000)) };
      }
    }
    if (errorDraw < this.settings.errorRate) return { kind: "error" };
    if (resetDraw < this.settings.resetRate) return { kind: halfDraw < 0.5 ? "reset-before" : "reset-after" };
    return { kind: "none" };
  }
}
