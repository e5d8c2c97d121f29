/**
 * The per-user rate limit and the cap on answers in flight, kept in Postgres when that store is
 * used (`DOCENT_STORE=postgres`): every process and machine serving the bot (shards, replicas)
 * counts against one limit. The same rules as `AnswerLimiter`: at most `perMinute` questions per
 * user in any 60 s, at most `maxInFlight` answers being computed at once.
 *
 * One transaction per question, serialised by a transaction-level advisory lock, reads and
 * writes the two tables of migration 002 with the database's clock (machines' clocks may
 * differ). An answer holds a lease until it is released; a process that dies holding one gives
 * it back when it expires. Never throws: a database that cannot be reached refuses with `BUSY`
 * (the member is told to ask again in a moment), and the bot keeps running.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../index/postgres/db.js';
import { migrate } from '../index/postgres/migrations.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { Acquired, AnswerLimits } from './limiter.js';

/** 'docent' + 2: the one lock every process takes to decide (a decision is a few statements). */
const LIMIT_LOCK = 7781002;
/** How long an answer's lease lasts unless released: longer than any answer takes. */
const LEASE_MS = 5 * 60_000;

export class PostgresLimiter implements AnswerLimits {
  private migrated: Promise<unknown> | null = null;
  private db: Db | null = null;

  /** A limiter on the database at `url` (the `pg` driver is loaded on the first question, not at start-up). */
  static fromUrl(url: string, perMinute: number, maxInFlight: number, logger?: Logger): PostgresLimiter {
    return new PostgresLimiter(async () => (await import('../index/postgres/db.js')).Db.create(url, { max: 2 }), perMinute, maxInFlight, logger);
  }

  constructor(
    private readonly connect: () => Promise<Db>,
    private readonly perMinute: number,
    private readonly maxInFlight: number,
    private readonly logger: Logger = silentLogger,
  ) {}

  async tryAcquire(userId: string): Promise<Acquired> {
    try {
      this.migrated ??= (async () => migrate((this.db ??= await this.connect())))().catch((err: unknown) => {
        this.migrated = null; // tried again on the next question
        throw err;
      });
      await this.migrated;
      const id = randomUUID();
      const db = this.db!;
      const decision = await db.tx(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock($1)', [LIMIT_LOCK]);
        await c.query("DELETE FROM docent_answer_requests WHERE user_id = $1 AND at <= clock_timestamp() - interval '60 seconds'", [userId]);
        const recent = await c.query<{ n: string; wait_ms: number | null }>(
          "SELECT count(*) AS n, extract(epoch FROM (min(at) + interval '60 seconds' - clock_timestamp())) * 1000 AS wait_ms FROM docent_answer_requests WHERE user_id = $1",
          [userId],
        );
        if (Number(recent.rows[0].n) >= this.perMinute) return { ok: false, code: 'RATE_LIMITED', retryAfterMs: Math.max(1, Math.ceil(Number(recent.rows[0].wait_ms ?? 0))) } as const;
        await c.query('DELETE FROM docent_answer_leases WHERE expires_at <= clock_timestamp()');
        const busy = await c.query<{ n: string }>('SELECT count(*) AS n FROM docent_answer_leases');
        if (Number(busy.rows[0].n) >= this.maxInFlight) return { ok: false, code: 'BUSY' } as const;
        await c.query('INSERT INTO docent_answer_requests (user_id, at) VALUES ($1, clock_timestamp())', [userId]);
        await c.query(`INSERT INTO docent_answer_leases (id, user_id, expires_at) VALUES ($1, $2, clock_timestamp() + interval '${LEASE_MS / 1000} seconds')`, [id, userId]);
        return null;
      });
      if (decision) return decision;
      let released = false;
      return {
        ok: true,
        release: () => {
          if (released) return;
          released = true;
          // not awaited by the answer; a lease that cannot be deleted now expires instead
          db.query('DELETE FROM docent_answer_leases WHERE id = $1', [id]).catch((err: unknown) => this.logger.warn('an answer lease could not be released; it expires on its own', { error: (err as Error).message }));
        },
      };
    } catch (err) {
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
