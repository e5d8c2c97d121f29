import { once } from 'node:events';
import { readlinkSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import {
  FORMAT_VERSION,
  acquireLock,
  cleanupLeftovers,
  commitBuild,
  createBuildDir,
  listGenerations,
  pruneGenerations,
  readCurrentName,
  readLock,
  setCurrent,
  verifyGeneration,
  type LockHandle,
  type LockInfo,
  type Manifest,
} from '../../../src/index/store.js';
import { deadPid } from '../../support/lifecycle-helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-store-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const META: Omit<Manifest, 'files' | 'generation'> = {
  formatVersion: FORMAT_VERSION,
  chunkerVersion: 1,
  builtAt: '2026-01-01T00:00:00.000Z',
  buildMs: 1,
  embedder: { id: 'hash:256', dimensions: 256 },
  chunkCount: 0,
  docs: [],
  skipped: [],
  hnsw: { m: 16, efConstruction: 100 },
};

async function fakeGeneration(content = 'x'): Promise<string> {
  const b = await createBuildDir(dir);
  await fs.writeFile(path.join(b, 'chunks.json'), '[]');
  await fs.writeFile(path.join(b, 'lexical.json'), JSON.stringify({ content }));
  await fs.mkdir(path.join(b, 'hnsw'));
  await fs.writeFile(path.join(b, 'hnsw', 'hnswlib.index'), Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]));
  return (await commitBuild(dir, b, META)).generation;
}

function lockedError(err: unknown): UserError {
  expect(err).toBeInstanceOf(UserError);
  expect((err as UserError).code).toBe('INDEX_LOCKED');
  return err as UserError;
}

const PID_NS = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
})();
const HOUR = 3_600_000;

/** A lock in the current layout as another writer left it: `.lock/holder-<token>.json`, its mtime `ageMs` ago. */
async function plantLock(info: Partial<LockInfo> & { pid: number }, ageMs = 0, content?: string): Promise<void> {
  const lock = path.join(dir, '.lock');
  await fs.mkdir(lock);
  const file = path.join(lock, `holder-${info.token ?? 'planted'}.json`);
  await fs.writeFile(file, content ?? JSON.stringify({ purpose: 'planted', host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', ...(PID_NS ? { pidNs: PID_NS } : {}), ...info }));
  await age(file, ageMs);
}

/** A lock file of the earlier pid-lock Docent. */
async function plantLegacy(content: string, ageMs = 0): Promise<void> {
  await fs.writeFile(path.join(dir, '.lock'), content);
  await age(path.join(dir, '.lock'), ageMs);
}

async function age(file: string, ageMs: number): Promise<void> {
  const t = new Date(Date.now() - ageMs);
  await fs.utimes(file, t, t);
}

async function takeAndRelease(purpose = 'me'): Promise<void> {
  const lock = await acquireLock(dir, purpose);
  expect((await readLock(dir))?.pid).toBe(process.pid);
  await lock.release();
  expect(await readLock(dir)).toBeNull();
  expect(await fs.readdir(dir)).toEqual([]);
}

describe('index lock', () => {
  it('GIVEN many writers in one process racing for the lock THEN exactly one holds it at any time', async () => {
    for (let round = 0; round < 40; round++) {
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => acquireLock(dir, `writer ${i}`)));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') lockedError(r.reason);
      await (won[0] as PromiseFulfilledResult<LockHandle>).value.release();
    }
    expect(await readLock(dir)).toBeNull();
  });

  it('GIVEN a held lock THEN a second writer is refused with INDEX_LOCKED naming purpose, pid, host and since when', async () => {
    const lock = await acquireLock(dir, 'npm run ingest');
    expect(lock.purpose).toBe('npm run ingest');
    expect(lock.info).toMatchObject({ purpose: 'npm run ingest', pid: process.pid, host: os.hostname() });
    const err = lockedError(await acquireLock(dir, 'reindex').catch((e) => e));
    expect(err.message).toBe(`Another re-index is running (npm run ingest, pid ${process.pid} on ${os.hostname()}, since ${lock.info.startedAt}). Try again when it has finished.`);
    expect(await readLock(dir)).toMatchObject({ purpose: 'npm run ingest', pid: process.pid });
    await lock.ensureHeld();
    await lock.release();
    await lock.release(); // idempotent
    await takeAndRelease('reindex');
  });

  it('GIVEN a lock of another live process on this host THEN INDEX_LOCKED, however old its heartbeat', async () => {
    await plantLock({ pid: process.ppid, purpose: 'other', startedAt: new Date().toISOString() }, HOUR);
    lockedError(await acquireLock(dir, 'me').catch((e) => e));
    expect((await readLock(dir))?.pid).toBe(process.ppid);
  });

  it('GIVEN a lock with no start time recorded whose pid now names a live process started after the lock was taken (a reused pid) THEN it is stale, however fresh its heartbeat', async () => {
    await plantLock({ pid: process.ppid, purpose: 'killed build', startedAt: '2020-01-01T00:00:00.000Z' });
    await takeAndRelease();
    await plantLegacy(JSON.stringify({ pid: process.ppid, host: os.hostname(), startedAt: '2020-01-01T00:00:00.000Z', purpose: 'old docent, killed' }));
    await takeAndRelease();
  });

  it('GIVEN a lock of a dead pid on this host THEN it is cleared at once and the lock is taken', async () => {
    await plantLock({ pid: await deadPid(), purpose: 'killed build' });
    await takeAndRelease();
  });

  it('GIVEN a lock whose pid was reused by another process (start time differs) THEN it is stale', async () => {
    await plantLock({ pid: process.ppid, pidStart: '1', purpose: 'killed build' });
    await takeAndRelease();
  });

  it('GIVEN a stale lock and several writers clearing it at once THEN only one of them gets the lock', async () => {
    const dead = await deadPid();
    for (let round = 0; round < 30; round++) {
      if (round % 2) await plantLock({ pid: dead, token: `r${round}` });
      else await plantLock({ pid: 1, host: 'gone-host', token: `r${round}` }, HOUR);
      const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => acquireLock(dir, `w${i}`)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') lockedError(r.reason);
      await (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<LockHandle>).value.release();
    }
  });

  it('GIVEN a lock of another host THEN it is refused while its heartbeat is fresh, and taken once it is older than the stale period', async () => {
    await plantLock({ pid: 4242, host: 'other-host', purpose: 'remote build', startedAt: '2026-05-01T10:00:00.000Z' });
    const err = lockedError(await acquireLock(dir, 'me').catch((e) => e));
    expect(err.message).toBe(
      'Another re-index is running (remote build, pid 4242 on other-host, since 2026-05-01T10:00:00.000Z). Try again when it has finished. If that host or container is gone, its lock is cleared 30 s after its last heartbeat.',
    );
    // the stale period is the contender's setting
    await age(path.join(dir, '.lock', 'holder-planted.json'), 5000);
    lockedError(await acquireLock(dir, 'me').catch((e) => e));
    lockedError(await acquireLock(dir, 'me', { staleMs: 10_000 }).catch((e) => e));
    const lock = await acquireLock(dir, 'me', { staleMs: 2000 });
    await lock.release();
  });

  it('GIVEN a lock of this hostname but another pid namespace (another container) THEN only its heartbeat counts, never its pid', async () => {
    await plantLock({ pid: await deadPid(), pidNs: 'pid:[1]', purpose: 'in a container' });
    lockedError(await acquireLock(dir, 'me').catch((e) => e));
    await age(path.join(dir, '.lock', 'holder-planted.json'), HOUR);
    await takeAndRelease();
  });

  it('GIVEN an unreadable holder file THEN it is refused while fresh and taken once stale', async () => {
    await plantLock({ pid: 0 }, 0, '{"pid": 12');
    const err = lockedError(await acquireLock(dir, 'me').catch((e) => e));
    expect(err.message).toMatch(/its lock cannot be read; it is cleared 30 s after its last change/);
    await age(path.join(dir, '.lock', 'holder-planted.json'), HOUR);
    await takeAndRelease();
  });

  it('GIVEN a lock with our own pid but not one this process holds (a previous incarnation; containers reuse pids) THEN it is stale', async () => {
    await plantLock({ pid: process.pid, token: 'previous', purpose: 'previous run' });
    await takeAndRelease();
    await plantLegacy(JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: '2020-01-01T00:00:00Z', purpose: 'previous run' }));
    await takeAndRelease();
  });

  it('GIVEN a lock file of the earlier pid-lock Docent THEN it is honoured: live pid refused, dead pid or old garbage cleared', async () => {
    await plantLegacy(JSON.stringify({ pid: process.ppid, host: os.hostname(), startedAt: new Date().toISOString(), purpose: 'old docent' }), HOUR);
    lockedError(await acquireLock(dir, 'me').catch((e) => e));
    await fs.rm(path.join(dir, '.lock'));
    await plantLegacy(JSON.stringify({ pid: await deadPid(), host: os.hostname(), startedAt: new Date().toISOString(), purpose: 'killed' }));
    await takeAndRelease();
    for (const junk of ['', '{"pid": 12', 'null']) {
      await plantLegacy(junk);
      lockedError(await acquireLock(dir, 'me').catch((e) => e));
      await age(path.join(dir, '.lock'), HOUR);
      await takeAndRelease();
    }
  });

  it('GIVEN the lock is taken away from a holder (another container cleared it) THEN ensureHeld says so at once, the heartbeat aborts its signal without crashing, and release is harmless', async () => {
    const lock = await acquireLock(dir, 'build', { staleMs: 2000 });
    await fs.rm(path.join(dir, '.lock'), { recursive: true });
    await expect(lock.ensureHeld()).rejects.toMatchObject({ code: 'INDEX_LOCK_LOST' });
    const again = await acquireLock(dir, 'build', { staleMs: 2000 });
    expect(again.signal.aborted).toBe(false);
    await again.release();

    const lock2 = await acquireLock(dir, 'second build', { staleMs: 2000 });
    await fs.rm(path.join(dir, '.lock'), { recursive: true });
    await once(lock2.signal, 'abort'); // the next heartbeat (within a second) finds the lock gone
    expect(lock2.signal.reason).toMatchObject({ code: 'INDEX_LOCK_LOST' });
    expect((lock2.signal.reason as Error).message).toMatch(/^The index lock \(second build\) was lost .*, so nothing was switched\. Try again\.$/);
    await expect(lock2.ensureHeld()).rejects.toMatchObject({ code: 'INDEX_LOCK_LOST' });
    await lock2.release();
    await lock.release();
    await takeAndRelease();
  });
});

describe('generations', () => {
  it('GIVEN commitBuild THEN the build dir becomes gen-NNNNNN, CURRENT points at it and it verifies', async () => {
    const g1 = await fakeGeneration('a');
    const g2 = await fakeGeneration('b');
    expect([g1, g2]).toEqual(['gen-000001', 'gen-000002']);
    expect(await readCurrentName(dir)).toBe('gen-000002');
    const m = await verifyGeneration(path.join(dir, g2));
    expect(Object.keys(m.files).sort()).toEqual(['chunks.json', 'hnsw/hnswlib.index', 'lexical.json']);
    expect((await fs.readdir(dir)).filter((n) => n.startsWith('.build-'))).toEqual([]);
  });

  const damage: Array<[string, (g: string) => Promise<void>, string]> = [
    ['a flipped byte in a binary file', async (g) => {
      const f = path.join(g, 'hnsw', 'hnswlib.index');
      const b = await fs.readFile(f);
      b[3] ^= 0xff;
      await fs.writeFile(f, b);
    }, 'INDEX_CORRUPT'],
    ['a truncated file', async (g) => fs.truncate(path.join(g, 'lexical.json'), 5), 'INDEX_CORRUPT'],
    ['a deleted file', async (g) => fs.rm(path.join(g, 'chunks.json')), 'INDEX_CORRUPT'],
    ['a deleted manifest', async (g) => fs.rm(path.join(g, 'manifest.json')), 'INDEX_CORRUPT'],
    ['a garbled manifest', async (g) => fs.writeFile(path.join(g, 'manifest.json'), '{"formatVersion": 1,'), 'INDEX_CORRUPT'],
    ['another format version', async (g) => {
      const f = path.join(g, 'manifest.json');
      await fs.writeFile(f, JSON.stringify({ ...JSON.parse(await fs.readFile(f, 'utf8')), formatVersion: FORMAT_VERSION + 1 }));
    }, 'INDEX_FORMAT'],
  ];
  for (const [what, hurt, code] of damage) {
    it(`GIVEN ${what} THEN verifyGeneration throws ${code}`, async () => {
      const g = path.join(dir, await fakeGeneration());
      await hurt(g);
      await expect(verifyGeneration(g)).rejects.toMatchObject({ code });
    });
  }

  it('GIVEN more generations than keep THEN prune deletes the oldest but never the current one', async () => {
    for (let i = 0; i < 5; i++) await fakeGeneration(String(i));
    await setCurrent(dir, 'gen-000001');
    expect(await pruneGenerations(dir, 2)).toEqual(['gen-000002', 'gen-000003']);
    expect(await listGenerations(dir)).toEqual(['gen-000001', 'gen-000004', 'gen-000005']);
  });

  it('GIVEN leftovers of dead writers and of live ones THEN cleanup removes only the dead ones', async () => {
    const dead = await deadPid();
    const live = process.ppid;
    const names = [`.build-${dead}-aaaa`, `CURRENT.${dead}.abcd.tmp`, `.lock.${dead}.abcd.tmp`, `.lock.${dead}.abcd.stale`, `.build-${live}-bbbb`, `CURRENT.${live}.abcd.tmp`];
    await fs.mkdir(path.join(dir, names[0]));
    for (const n of names.slice(1, 4)) await fs.writeFile(path.join(dir, n), 'x');
    await fs.mkdir(path.join(dir, names[4]));
    await fs.writeFile(path.join(dir, names[5]), 'x');
    expect((await cleanupLeftovers(dir)).sort()).toEqual(names.slice(0, 4).sort());
    expect((await fs.readdir(dir)).sort()).toEqual(names.slice(4).sort());
  });
});
