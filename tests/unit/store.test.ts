import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
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
  type Manifest,
} from '../../src/ingest/store.js';
import { deadPid } from '../support/lifecycle-helpers.js';

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

describe('index lock', () => {
  it('GIVEN many writers in one process racing for the lock THEN exactly one holds it at any time', async () => {
    for (let round = 0; round < 40; round++) {
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => acquireLock(dir, `writer ${i}`)));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') lockedError(r.reason);
      await (won[0] as PromiseFulfilledResult<() => Promise<void>>).value();
    }
    expect(await readLock(dir)).toBeNull();
  });

  it('GIVEN a held lock THEN a second writer is refused with INDEX_LOCKED naming the holder', async () => {
    const release = await acquireLock(dir, 'npm run ingest');
    const err = lockedError(await acquireLock(dir, 'reindex').catch((e) => e));
    expect(err.message).toMatch(/Another re-index is running \(npm run ingest, pid \d+, started .+\)\. Try again when it has finished\./);
    await release();
    const again = await acquireLock(dir, 'reindex');
    await again();
  });

  it('GIVEN a lock held by another live process on this host THEN INDEX_LOCKED', async () => {
    await fs.writeFile(path.join(dir, '.lock'), JSON.stringify({ pid: process.ppid, host: os.hostname(), startedAt: new Date().toISOString(), purpose: 'other' }));
    lockedError(await acquireLock(dir, 'me').catch((e) => e));
    expect((await readLock(dir))?.pid).toBe(process.ppid);
  });

  it('GIVEN a stale lock of a dead pid THEN it is cleared and the lock is taken', async () => {
    const pid = await deadPid();
    await fs.writeFile(path.join(dir, '.lock'), JSON.stringify({ pid, host: os.hostname(), startedAt: '2020-01-01T00:00:00Z', purpose: 'killed build' }));
    const release = await acquireLock(dir, 'me');
    expect((await readLock(dir))?.pid).toBe(process.pid);
    await release();
  });

  it('GIVEN a stale lock and several writers clearing it at once THEN only one of them gets the lock', async () => {
    for (let round = 0; round < 20; round++) {
      const pid = await deadPid();
      await fs.writeFile(path.join(dir, '.lock'), JSON.stringify({ pid, host: os.hostname(), startedAt: '2020-01-01T00:00:00Z', purpose: 'killed build' }));
      const results = await Promise.allSettled(Array.from({ length: 4 }, (_, i) => acquireLock(dir, `w${i}`)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      await (results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<() => Promise<void>>).value();
    }
  });

  it('GIVEN an empty or garbled lock file (writer died mid-write) THEN it is treated as stale', async () => {
    for (const junk of ['', '{"pid": 12', 'null']) {
      await fs.writeFile(path.join(dir, '.lock'), junk);
      const release = await acquireLock(dir, 'me');
      await release();
    }
  });

  it('GIVEN a lock with our own pid from before this process started (pid reused after a crash) THEN it is stale', async () => {
    await fs.writeFile(path.join(dir, '.lock'), JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: '2020-01-01T00:00:00Z', purpose: 'previous run' }));
    const release = await acquireLock(dir, 'me');
    await release();
  });

  it('GIVEN a lock of a pid on another host THEN it is never cleared', async () => {
    await fs.writeFile(path.join(dir, '.lock'), JSON.stringify({ pid: await deadPid(), host: 'other-host', startedAt: new Date().toISOString(), purpose: 'remote' }));
    lockedError(await acquireLock(dir, 'me').catch((e) => e));
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
