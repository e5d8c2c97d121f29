/**
 * Per-user rate limit (sliding minute) and a global cap on answers in flight.
 * `tryAcquire` is a value, not an exception: callers turn a refusal into a friendly message.
 */
export type Acquired =
  | { ok: true; release: () => void }
  | { ok: false; code: 'RATE_LIMITED'; retryAfterMs: number }
  | { ok: false; code: 'BUSY' };

/**
 * What the bot asks before it computes an answer. One process uses an `AnswerLimiter` directly;
 * shards under the sharding manager ask the manager's one limiter (`src/discord/shard-limiter.ts`),
 * so a user's limit holds across shards. With the Postgres store, every process and machine asks
 * the database (`src/discord/postgres-limiter.ts`). Never throws: an implementation that cannot decide refuses
 * with `BUSY`.
 */
export interface AnswerLimits {
  tryAcquire(userId: string): Acquired | Promise<Acquired>;
  /** Releases what it holds (a database connection) when the bot stops. */
  close?(): void | Promise<void>;
}

export class AnswerLimiter implements AnswerLimits {
  private readonly recent = new Map<string, number[]>();
  private inFlight = 0;
  constructor(
    private readonly perMinute: number,
    private readonly maxInFlight: number,
    private readonly now: () => number = Date.now,
  ) {}

  tryAcquire(userId: string): Acquired {
    const t = this.now();
    const times = (this.recent.get(userId) ?? []).filter((x) => t - x < 60_000);
    if (times.length >= this.perMinute) {
      this.recent.set(userId, times);
      return { ok: false, code: 'RATE_LIMITED', retryAfterMs: 60_000 - (t - times[0]) };
    }
    if (this.inFlight >= this.maxInFlight) return { ok: false, code: 'BUSY' };
    times.push(t);
    this.recent.set(userId, times);
    if (this.recent.size > 10_000) this.prune(t);
    this.inFlight++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (!released) this.inFlight--;
        released = true;
      },
    };
  }

  private prune(t: number): void {
    for (const [k, v] of this.recent) if (v.every((x) => t - x >= 60_000)) this.recent.delete(k);
  }
}

export function refusalMessage(r: Exclude<Acquired, { ok: true }>): string {
  if (r.code === 'RATE_LIMITED') {
    return `You're asking faster than I can keep up — please wait ${Math.ceil(r.retryAfterMs / 1000)} s and ask again.`;
  }
  return "I'm answering several questions right now — please ask again in a moment.";
}
