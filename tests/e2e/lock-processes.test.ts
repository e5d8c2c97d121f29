/**
 * The index lock across processes: several writer processes (tests/fixtures/lock-worker.ts)
 * contend for one index lock, on this host and on a pretended other host (another container),
 * with stale locks of dead, remote and earlier-version writers in the way and holders SIGKILLed
 * while they hold it. Every holder logs `enter`/`leave` and bumps a shared counter while it
 * holds; no two may ever overlap.
 *
 * No sleeps order anything: workers act only when told to and say when they have (acquired,
 * contending, released); the test releases or kills a holder only once every other worker is
 * already contending. Default 4 rounds, each start state once (a few seconds); `DOCENT_STRESS=1` runs 200.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { readlinkSync, unwatchFile, watchFile } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireLock, readLock, type LockInfo } from '../../src/index/store.js';
import { REPO, deadPid } from '../support/lifecycle-helpers.js';

const WORKER = path.join(REPO, 'tests', 'fixtures', 'lock-worker.ts');
const STRESS = process.env.DOCENT_STRESS === '1';
const ROUNDS = STRESS ? 200 : 4;
const OTHER_HOST = 'container-b';
const PID_NS = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
})();

interface Msg {
  ev: 'ready' | 'acquired' | 'locked' | 'contending' | 'done' | 'released' | 'error';
  message?: string;
}

/** A writer process; its messages are read one by one, in order. */
class Worker {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
  private readonly inbox: Msg[] = [];
  private wake: (() => void) | null = null;
  private stderr = '';
  private dead = false;

  constructor(
    dir: string,
    readonly host: string | null,
    staleMs: number,
  ) {
    const args = [path.join(dir, 'index'), path.join(dir, 'log'), path.join(dir, 'counter'), String(staleMs), ...(host ? [host] : [])];
    this.child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
    this.pid = this.child.pid!;
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.inbox.push(JSON.parse(line) as Msg);
      this.wake?.();
    });
    this.exited = new Promise((r) =>
      this.child.on('exit', () => {
        this.dead = true;
        this.wake?.();
        r();
      }),
    );
  }

  async next(): Promise<Msg> {
    for (;;) {
      const m = this.inbox.shift();
      if (m) {
        if (m.ev === 'error') throw new Error(`worker ${this.pid}: ${m.message}`);
        return m;
      }
      if (this.dead) throw new Error(`worker ${this.pid} exited: ${this.stderr}`);
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }

  async expect(ev: Msg['ev']): Promise<Msg> {
    const m = await this.next();
    expect(m.ev, `worker ${this.pid} (${m.message ?? ''})`).toBe(ev);
    return m;
  }

  send(op: 'try' | 'loop' | 'release'): void {
    this.child.stdin!.write(JSON.stringify({ op }) + '\n');
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    this.child.stdin!.end();
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

let dir: string;
let index: string;
const workers = new Set<Worker>();

async function startWorker(host: string | null, staleMs = 30_000): Promise<Worker> {
  const w = new Worker(dir, host, staleMs);
  workers.add(w);
  await w.expect('ready');
  return w;
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-lockp-'));
  index = path.join(dir, 'index');
  await fs.mkdir(index);
  await fs.writeFile(path.join(dir, 'log'), '');
  await fs.writeFile(path.join(dir, 'counter'), '0');
});
afterEach(async () => {
  await Promise.all([...workers].map((w) => w.stop()));
  workers.clear();
  await fs.rm(dir, { recursive: true, force: true });
});

/** A lock as a writer that is gone would have left it (the current layout: a directory with its holder file). */
async function plantLock(info: Omit<LockInfo, 'startedAt'>, ageMs = 0): Promise<void> {
  const lock = path.join(index, '.lock');
  await fs.mkdir(lock);
  const file = path.join(lock, `holder-${info.token}.json`);
  await fs.writeFile(file, JSON.stringify({ startedAt: new Date(Date.now() - ageMs).toISOString(), ...info }));
  const t = new Date(Date.now() - ageMs);
  await fs.utimes(file, t, t);
}

async function holderFile(): Promise<string> {
  const names = await fs.readdir(path.join(index, '.lock'));
  return path.join(index, '.lock', names.find((n) => n.startsWith('holder-'))!);
}

/** Enter/leave strictly alternate, each leave by the one that entered; a SIGKILLed holder never leaves. */
function checkLog(text: string, killed: Set<number>): number {
  let holder: number | null = null;
  let enters = 0;
  for (const [i, line] of text.trim().split('\n').entries()) {
    const [ev, p] = line.split(' ');
    const pid = Number(p);
    if (ev === 'enter') {
      if (holder !== null && !killed.has(holder)) throw new Error(`line ${i + 1}: ${pid} entered while ${holder} held the lock`);
      holder = pid;
      enters++;
    } else {
      if (holder !== pid) throw new Error(`line ${i + 1}: ${pid} left but ${holder} held the lock`);
      holder = null;
    }
  }
  return enters;
}

describe('index lock across processes', () => {
  it(`GIVEN ${ROUNDS} rounds of 4 writer processes (one on another host) racing, over stale locks and SIGKILLed holders THEN one holder at a time`, async () => {
    const t0 = performance.now();
    const pool = await Promise.all([startWorker(null), startWorker(null), startWorker(null), startWorker(OTHER_HOST)]);
    const killed = new Set<number>();
    const setups = ['free', 'dead writer here', 'old lock of another host', 'earlier version, dead writer'] as const;
    let kills = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const setup = setups[round % setups.length];
      if (setup === 'dead writer here') {
        await plantLock({ purpose: 'killed build', pid: await deadPid(), host: os.hostname(), token: `dead-${round}`, ...(PID_NS ? { pidNs: PID_NS } : {}) });
      } else if (setup === 'old lock of another host') {
        await plantLock({ purpose: 'build in a removed container', pid: 1, host: 'gone-host', token: `gone-${round}` }, 3_600_000);
      } else if (setup === 'earlier version, dead writer') {
        await fs.writeFile(path.join(index, '.lock'), JSON.stringify({ pid: await deadPid(), host: os.hostname(), startedAt: new Date().toISOString(), purpose: 'old docent' }));
      }

      // all at once: exactly one takes it (a stale lock is cleared by one of them, never twice)
      for (const w of pool) w.send('try');
      const replies = await Promise.all(pool.map((w) => w.next()));
      const winners = pool.filter((_, i) => replies[i].ev === 'acquired');
      expect(winners, `round ${round} (${setup}): ${JSON.stringify(replies)}`).toHaveLength(1);
      for (const r of replies) if (r.ev !== 'acquired') expect(r.ev, r.message).toBe('locked');
      const winner = winners[0];
      const losers = pool.filter((w) => w !== winner);

      // the others spin on the lock; only when all of them are at it does the holder let go (or die)
      for (const w of losers) w.send('loop');
      for (const w of losers) await w.expect('contending');
      // a holder on this host that is SIGKILLed is taken over at once (its pid is gone); one on
      // another host only after the stale period (tested below), so only local holders are killed
      // here, in every 5th round (a new worker takes ~0.5 s to start)
      if (round % 5 === 3 && winner.host === null) {
        killed.add(winner.pid);
        await winner.kill();
        workers.delete(winner);
        pool[pool.indexOf(winner)] = await startWorker(null);
        kills++;
      } else {
        winner.send('release');
        await winner.expect('released');
      }
      for (const w of losers) await w.expect('done');

      expect(await readLock(index), `round ${round}: lock left behind`).toBeNull();
      expect((await fs.readdir(index)).filter((n) => n.startsWith('.lock')), `round ${round}`).toEqual([]);
    }
    const enters = checkLog(await fs.readFile(path.join(dir, 'log'), 'utf8'), killed);
    expect(enters).toBe(ROUNDS * 4);
    expect(Number(await fs.readFile(path.join(dir, 'counter'), 'utf8'))).toBe(enters);
    if (STRESS) process.stderr.write(`lock stress: ${ROUNDS} rounds, 4 processes, ${enters} holds, ${kills} SIGKILLs, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  }, STRESS ? 600_000 : 60_000);

  it('GIVEN a holder on this host is SIGKILLed THEN its lock is taken over at once', async () => {
    const w = await startWorker(null);
    w.send('try');
    await w.expect('acquired');
    await w.kill();
    const lock = await acquireLock(index, 'after the kill');
    expect((await readLock(index))?.pid).toBe(process.pid);
    await lock.release();
  });

  it('GIVEN a holder in another container THEN its heartbeat keeps the lock past the stale period, and once it is SIGKILLed the lock is taken over only after the stale period', async () => {
    const staleMs = 2000; // the shortest proper-lockfile allows; heartbeat every second
    const w = await startWorker('container-a', staleMs);
    w.send('try');
    await w.expect('acquired');
    const holder = await holderFile();
    const acquiredAt = Date.parse((await readLock(index))!.startedAt);

    // alive: wait for a heartbeat that lands after the stale period has passed since it took the
    // lock; right then the lock is fresh, and a writer here is refused
    await new Promise<void>((resolve) => {
      watchFile(holder, { interval: 50 }, (cur) => {
        if (cur.mtimeMs - acquiredAt > staleMs) {
          unwatchFile(holder);
          resolve();
        }
      });
    });
    const refused = await acquireLock(index, 'too early', { staleMs }).catch((e) => e);
    expect(refused.code).toBe('INDEX_LOCKED');
    expect(refused.message).toMatch(/^Another re-index is running \(worker \d+, pid \d+ on container-a, since .+\)\. Try again when it has finished\. If that host or container is gone, its lock is cleared 2 s after its last heartbeat\.$/);

    // killed: nothing refreshes the lock any more; it is taken over once it is older than staleMs
    await w.kill();
    const lastBeat = (await fs.stat(holder)).mtimeMs;
    let lock;
    for (let attempts = 1; !lock; attempts++) {
      lock = await acquireLock(index, 'after the container died', { staleMs }).catch((e) => {
        expect(e.code).toBe('INDEX_LOCKED');
        return new Promise<undefined>((r) => setTimeout(r, 100)); // polling the clock: staleness is time passing
      });
      expect(attempts).toBeLessThan(600);
    }
    expect(Date.now() - lastBeat).toBeGreaterThan(staleMs);
    expect((await readLock(index))?.purpose).toBe('after the container died');
    await lock.release();
  });
});
