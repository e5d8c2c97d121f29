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

  it('GIVEN answers in flight in both processes up to the cap THEN the next is refused as busy until one is released', async () => {
    // a cap of its own: other tests' leases are released at once, but count while they last
    const db = Db.create(inject('pgUrl'));
    const [a, b] = [limiter(100, 2), limiter(100, 2)];
    await a.tryAcquire(`warm-${randomUUID()}`).then((r) => r.ok && r.release());
    await db.query('DELETE FROM docent_answer_leases');
    const one = await a.tryAcquire(`u1-${randomUUID()}`);
    const two = await b.tryAcquire(`u2-${randomUUID()}`);
    expect(one.ok && two.ok).toBe(true);
    expect(await a.tryAcquire(`u3-${randomUUID()}`)).toEqual({ ok: false, code: 'BUSY' });
    if (one.ok) one.release();
    // the release is a statement of its own: wait until it has run
    for (let i = 0; i < 100 && Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM docent_answer_leases')).rows[0].n) > 1; i++);
    const three = await b.tryAcquire(`u3-${randomUUID()}`);
    expect(three.ok).toBe(true);
    if (three.ok) three.release();
    if (two.ok) two.release();
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
