/**
 * The rate limiter across shards: each shard's `RemoteLimiter` asks the manager's `LimiterHost`
 * over an IPC channel (here an in-memory one that can hold or drop messages, in order, as
 * process IPC delivers them).
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnswerLimiter, type Acquired } from '../../src/discord/limiter.js';
import { LimiterHost, RemoteLimiter, type IpcChannel } from '../../src/discord/shard-limiter.js';

/** A shard's channel to the host: `hold()` keeps the host's replies until `flush()`; `close()` makes sends fail. */
function connect(host: LimiterHost, shard: number) {
  const toShard = new EventEmitter();
  const toHost = new EventEmitter();
  let holding = false;
  let closed = false;
  const held: unknown[] = [];
  const hostEnd: IpcChannel = {
    async send(m) {
      if (holding) held.push(m);
      else queueMicrotask(() => toShard.emit('message', structuredClone(m)));
    },
    onMessage: (l) => (toHost.on('message', l), () => toHost.off('message', l)),
  };
  const shardEnd: IpcChannel = {
    async send(m) {
      if (closed) throw new Error('Channel closed');
      queueMicrotask(() => toHost.emit('message', structuredClone(m)));
    },
    onMessage: (l) => (toShard.on('message', l), () => toShard.off('message', l)),
  };
  host.attach(shard, hostEnd);
  const sent: unknown[] = [];
  toHost.on('message', (m) => sent.push(m));
  return {
    limiter: new RemoteLimiter(shardEnd, { timeoutMs: 1000 }),
    /** Messages the shard sent the host. */
    sent,
    hold: () => (holding = true),
    flush() {
      holding = false;
      for (const m of held.splice(0)) toShard.emit('message', structuredClone(m));
    },
    close: () => (closed = true),
  };
}

/** Lets queued IPC messages (microtasks) be delivered and handled. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('RemoteLimiter + LimiterHost', () => {
  it('GIVEN a user at the per-minute limit on shard 0 WHEN they ask on shard 1 THEN shard 1 refuses them as rate limited; another user is served', async () => {
    const host = new LimiterHost(new AnswerLimiter(2, 10));
    const s0 = connect(host, 0);
    const s1 = connect(host, 1);
    const a = await s0.limiter.tryAcquire('carol');
    const b = await s0.limiter.tryAcquire('carol');
    expect([a.ok, b.ok]).toEqual([true, true]);
    const c = await s1.limiter.tryAcquire('carol');
    expect(c).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    expect((c as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(59_000);
    expect((await s1.limiter.tryAcquire('dave')).ok).toBe(true);
  });

  it('GIVEN the in-flight cap taken on shard 0 THEN shard 1 is refused as busy until shard 0 releases', async () => {
    const host = new LimiterHost(new AnswerLimiter(100, 1));
    const s0 = connect(host, 0);
    const s1 = connect(host, 1);
    const a = (await s0.limiter.tryAcquire('u1')) as Extract<Acquired, { ok: true }>;
    expect(a.ok).toBe(true);
    expect(await s1.limiter.tryAcquire('u2')).toEqual({ ok: false, code: 'BUSY' });
    a.release();
    a.release(); // twice counts once
    await settle();
    expect((await s1.limiter.tryAcquire('u2')).ok).toBe(true);
    expect(s0.sent.filter((m) => (m as Record<string, unknown>)._docentLimiter === 'release')).toHaveLength(1);
  });

  it('GIVEN the manager does not answer WHEN a shard asks THEN it is refused as busy after the bounded wait, and a grant that comes later is handed back', async () => {
    vi.useFakeTimers();
    const host = new LimiterHost(new AnswerLimiter(100, 1));
    const s0 = connect(host, 0);
    const s1 = connect(host, 1);
    s0.hold();
    const asked = s0.limiter.tryAcquire('u1');
    await vi.advanceTimersByTimeAsync(999);
    let result: Acquired | undefined;
    void asked.then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(0);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toEqual({ ok: false, code: 'BUSY' });
    // the host did grant it (the one in-flight slot is taken) ...
    vi.useRealTimers();
    expect(await s1.limiter.tryAcquire('u2')).toEqual({ ok: false, code: 'BUSY' });
    // ... and the late grant is released as soon as it arrives
    s0.flush();
    await settle();
    expect((await s1.limiter.tryAcquire('u2')).ok).toBe(true);
  });

  it('GIVEN a shard that dies holding answers in flight THEN the host releases them', async () => {
    const host = new LimiterHost(new AnswerLimiter(100, 2));
    const s0 = connect(host, 0);
    const s1 = connect(host, 1);
    expect((await s0.limiter.tryAcquire('u1')).ok).toBe(true);
    expect((await s0.limiter.tryAcquire('u2')).ok).toBe(true);
    expect(await s1.limiter.tryAcquire('u3')).toEqual({ ok: false, code: 'BUSY' });
    host.shardGone(0);
    expect((await s1.limiter.tryAcquire('u3')).ok).toBe(true);
  });

  it('GIVEN the channel to the manager is closed THEN the shard refuses as busy at once', async () => {
    const host = new LimiterHost(new AnswerLimiter(100, 2));
    const s0 = connect(host, 0);
    s0.close();
    expect(await s0.limiter.tryAcquire('u1')).toEqual({ ok: false, code: 'BUSY' });
  });

  it('GIVEN a limiter that throws THEN the host refuses as busy rather than leaving the shard waiting', async () => {
    const host = new LimiterHost({ tryAcquire: () => Promise.reject(new Error('store down')) });
    const s0 = connect(host, 0);
    expect(await s0.limiter.tryAcquire('u1')).toEqual({ ok: false, code: 'BUSY' });
  });
});
