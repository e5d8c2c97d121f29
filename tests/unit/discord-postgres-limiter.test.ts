/**
 * With the Postgres store, the rate limit and the in-flight cap hold across processes and
 * machines: two limiters on one database (two bot processes) count against one limit. Checked
 * against the run's PGlite server.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Db } from '../../src/index/postgres/db.js';
import { PostgresLimiter } from '../../src/discord/postgres-limiter.js';

const limiters: PostgresLimiter[] = [];
afterAll(async () => {
  for (const l of limiters) await l.close();
});

function limiter(perMinute: number, maxInFlight: number, url = inject('pgUrl')): PostgresLimiter {
  const l = PostgresLimiter.fromUrl(url, perMinute, maxInFlight);
  limiters.push(l);
  return l;
}

describe('PostgresLimiter', () => {
  it('GIVEN two processes sharing the database THEN a user limited in one is limited in the other, another user is not, and the wait is under a minute', async () => {
    const [a, b] = [limiter(2, 50), limiter(2, 50)];
    const alice = `alice-${randomUUID()}`;
    const first = await a.tryAcquire(alice);
    const second = await b.tryAcquire(alice);
    expect(first.ok && second.ok).toBe(true);
    if (first.ok) first.release();
    if (second.ok) second.release();
    const third = await a.tryAcquire(alice);
    expect(third).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    if (!third.ok && third.code === 'RATE_LIMITED') expect(third.retryAfterMs).toBeGreaterThan(0), expect(third.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(await b.tryAcquire(alice)).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    const bob = await b.tryAcquire(`bob-${randomUUID()}`);
    expect(bob.ok).toBe(true);
    if (bob.ok) bob.release();
  });

  it('GIVEN answers in flight up to the cap in one process THEN that process refuses as busy without asking the database, while the other still answers, and a release frees the slot', async () => {
    const [a, b] = [limiter(100, 1), limiter(100, 1)];
    const one = await a.tryAcquire(`u1-${randomUUID()}`);
    expect(one.ok).toBe(true);
    expect(await a.tryAcquire(`u2-${randomUUID()}`)).toEqual({ ok: false, code: 'BUSY' });
    // a process that dies holding a slot holds nobody else's: the other process is not blocked
    const other = await b.tryAcquire(`u3-${randomUUID()}`);
    expect(other.ok).toBe(true);
    if (one.ok) one.release();
    const again = await a.tryAcquire(`u4-${randomUUID()}`);
    expect(again.ok).toBe(true);
    if (again.ok) again.release();
    if (other.ok) other.release();
  });

  it('GIVEN questions older than a minute THEN any question forgets them, whoever asked them', async () => {
    const db = Db.create(inject('pgUrl'));
    const l = limiter(6, 4);
    await l.tryAcquire(`warm-${randomUUID()}`).then((r) => r.ok && r.release());
    const gone = `gone-${randomUUID()}`;
    await db.query("INSERT INTO docent_answer_requests (user_id, at) VALUES ($1, clock_timestamp() - interval '2 minutes')", [gone]);
    await l.tryAcquire(`someone-${randomUUID()}`).then((r) => r.ok && r.release());
    expect(Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM docent_answer_requests WHERE user_id = $1', [gone])).rows[0].n)).toBe(0);
    await db.end();
  });

  it('GIVEN the database cannot be reached THEN the question is refused as busy, never thrown, and the password is not in the log', async () => {
    const lines: string[] = [];
    const log = { warn: (msg: string, f?: object) => lines.push(`${msg} ${JSON.stringify(f)}`), info: () => {}, error: () => {}, debug: () => {} };
    const down = PostgresLimiter.fromUrl('postgres://docent:hunter2-secret@127.0.0.1:1/docent?connect_timeout=5', 6, 4, log as never);
    limiters.push(down);
    expect(await down.tryAcquire('alice')).toEqual({ ok: false, code: 'BUSY' });
    expect(lines.join('\n')).toContain('refused as busy');
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});
