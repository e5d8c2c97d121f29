/**
 * The per-user rate limit kept in Postgres when that store is used (`DOCENT_STORE=postgres`):
 * every process and machine serving the bot (shards, replicas) counts a user's questions against
 * one limit, at most `perMinute` in any 60 s, on the database's clock (machines' clocks may
 * differ). One short transaction per question, serialised by a transaction-level advisory lock,
 * also forgets every question older than a minute, so the table stays small.
 *
 * The cap on answers computed at once stays per process (`AnswerLimiter`): it protects the CPU
 * of the process that computes them, and a process that dies cannot hold other machines' slots.
 *
 * Never throws: a database that cannot be reached refuses with `BUSY` (the member is told to ask
 * again in a moment), and the bot keeps running.
 */
import type { Db } from '../index/postgres/db.js';
import { migrate } from '../index/postgres/migrations.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { AnswerLimiter, type Acquired, type AnswerLimits } from './limiter.js';

/** 'docent' + 2: the one lock every process takes to decide (a decision is a few statements). */
const LIMIT_LOCK = 7781002;

export class PostgresLimiter implements AnswerLimits {
  private migrated: Promise<unknown> | null = null;
  private db: Db | null = null;
  /** This process's answers in flight (the per-user minute is the database's). */
  private readonly local: AnswerLimiter;

  /** A limiter on the database at `url` (the `pg` driver is loaded on the first question, not at start-up). */
  static fromUrl(url: string, perMinute: number, maxInFlight: number, logger?: Logger): PostgresLimiter {
    return new PostgresLimiter(async () => (await import('../index/postgres/db.js')).Db.create(url, { max: 2 }), perMinute, maxInFlight, logger);
  }

  constructor(
    private readonly connect: () => Promise<Db>,
    private readonly perMinute: number,
    maxInFlight: number,
    private readonly logger: Logger = silentLogger,
  ) {
    // no per-minute limit of its own: only the in-flight cap
    this.local = new AnswerLimiter(Number.MAX_SAFE_INTEGER, maxInFlight);
  }

  async tryAcquire(userId: string): Promise<Acquired> {
    // the cheap local refusal first: a busy process asks the database nothing
    const slot = this.local.tryAcquire(userId);
    if (!slot.ok) return slot;
    try {
      this.migrated ??= (async () => migrate((this.db ??= await this.connect())))().catch((err: unknown) => {
        this.migrated = null; // tried again on the next question
        throw err;
      });
      await this.migrated;
      const limited = await this.db!.tx(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [LIMIT_LOCK]);
        await c.query("DELETE FROM docent_answer_requests WHERE at <= clock_timestamp() - interval '60 seconds'");
        const recent = await c.query<{ n: string; wait_ms: number | null }>(
          "SELECT count(*) AS n, extract(epoch FROM (min(at) + interval '60 seconds' - clock_timestamp())) * 1000 AS wait_ms FROM docent_answer_requests WHERE user_id = $1",
          [userId],
        );
        if (Number(recent.rows[0].n) >= this.perMinute) return { ok: false, code: 'RATE_LIMITED', retryAfterMs: Math.max(1, Math.ceil(Number(recent.rows[0].wait_ms ?? 0))) } as const;
        await c.query('INSERT INTO docent_answer_requests (user_id, at) VALUES ($1, clock_timestamp())', [userId]);
        return null;
      });
      if (limited) {
        slot.release();
        return limited;
      }
      return slot;
    } catch (err) {
      slot.release();
      this.logger.warn('the rate limit could not be checked in Postgres; the question is refused as busy', { error: (err as Error).message });
      return { ok: false, code: 'BUSY' };
    }
  }

  async close(): Promise<void> {
    await this.migrated?.catch(() => {});
    await this.db?.end();
    this.db = null;
  }
}
