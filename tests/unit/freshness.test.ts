/**
 * The staleness check's comparison (sizes and mtimes first, hashes only of what differs) and the
 * corpus watcher's scheduling (polling mode, so no file-system timing is involved).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCorpus } from '../../src/ingest/corpus.js';
import { Hasher, RACY_MS, diffCorpus, sameContent, scanCorpus, snapshotCorpus, type CorpusSnapshot } from '../../src/ingest/freshness.js';
import { parseGenerationName } from '../../src/index/generations.js';
import { watchCorpus } from '../../src/ingest/watch.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-fresh-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const put = (name: string, text: string) => fs.mkdir(path.dirname(path.join(dir, name)), { recursive: true }).then(() => fs.writeFile(path.join(dir, name), text));
/** Sets a file's mtime to `secondsAgo` before now (so its snapshot entry is not racy). */
const age = (name: string, secondsAgo = 3600) => {
  const t = new Date(Date.now() - secondsAgo * 1000);
  return fs.utimes(path.join(dir, name), t, t);
};

async function snapshot(): Promise<CorpusSnapshot> {
  return (await loadCorpus(dir, { maxFileBytes: 1 << 20 })).snapshot;
}

describe('diffCorpus', () => {
  it('GIVEN an untouched corpus THEN it is fresh and nothing is hashed', async () => {
    await put('a.md', '# A\n\nAlpha.\n');
    await put('sub/b.txt', 'Beta\n');
    await put('skip.bin', 'binary?');
    for (const f of ['a.md', 'sub/b.txt', 'skip.bin']) await age(f);
    const snap = await snapshot();
    expect(Object.keys(snap.files)).toEqual(['a.md', 'skip.bin', 'sub/b.txt']);
    const hasher = new Hasher();
    expect(await diffCorpus((await scanCorpus(dir))!, snap, hasher)).toEqual({ added: [], changed: [], removed: [] });
    expect(hasher.count).toBe(0);
  });

  it('GIVEN a touched file (new mtime, same bytes) THEN only it is hashed and it is not a change', async () => {
    await put('a.md', '# A\n\nAlpha.\n');
    await put('b.md', '# B\n\nBeta.\n');
    await age('a.md');
    await age('b.md');
    const snap = await snapshot();
    await age('a.md', 10);
    const hasher = new Hasher();
    expect(await diffCorpus((await scanCorpus(dir))!, snap, hasher)).toEqual({ added: [], changed: [], removed: [] });
    expect(hasher.count).toBe(1);
  });

  it('GIVEN an added, a removed, a rewritten (same size) and a skipped file that changed THEN each is reported once, sorted', async () => {
    await put('keep.md', '# Keep\n\nSame.\n');
    await put('gone.md', '# Gone\n\nBye.\n');
    await put('edit.md', '# Edit\n\naaaa\n');
    await put('skip.bin', 'one');
    for (const f of ['keep.md', 'gone.md', 'edit.md', 'skip.bin']) await age(f);
    const snap = await snapshot();
    await fs.rm(path.join(dir, 'gone.md'));
    await put('edit.md', '# Edit\n\nbbbb\n');
    await age('edit.md', 100);
    await put('skip.bin', 'two');
    await put('new/x.md', '# X\n\nNew.\n');
    await put('.hidden.md', 'ignored like the build ignores it');
    expect(await diffCorpus((await scanCorpus(dir))!, snap)).toEqual({ added: ['new/x.md'], changed: ['edit.md', 'skip.bin'], removed: ['gone.md'] });
  });

  it('GIVEN a file rewritten with the same size within the mtime granularity of the build (a racy entry) THEN it is compared by content', async () => {
    await put('a.md', '# A\n\naaaa\n');
    const t = new Date(Date.now() - 1000);
    await fs.utimes(path.join(dir, 'a.md'), t, t);
    const snap = await snapshot();
    expect(snap.files['a.md'].mtimeMs).toBeGreaterThan(snap.takenAt - RACY_MS);
    await put('a.md', '# A\n\nbbbb\n');
    await fs.utimes(path.join(dir, 'a.md'), t, t); // same size, same mtime: only the content tells
    expect((await diffCorpus((await scanCorpus(dir))!, snap)).changed).toEqual(['a.md']);
  });

  it('GIVEN a missing corpus folder THEN the scan says so instead of reporting every file removed', async () => {
    expect(await scanCorpus(path.join(dir, 'nope'))).toBeNull();
  });

  it('snapshotCorpus hashes only what the reused snapshot does not vouch for; sameContent compares by hash', async () => {
    await put('a.md', '# A\n\nAlpha.\n');
    await put('b.md', '# B\n\nBeta.\n');
    await age('a.md');
    await age('b.md');
    const snap = await snapshot();
    await put('b.md', '# B\n\nBeta!\n');
    const hasher = new Hasher();
    const now = await snapshotCorpus((await scanCorpus(dir))!, snap, hasher);
    expect(hasher.count).toBe(1);
    expect(now.files['a.md'].sha256).toBe(snap.files['a.md'].sha256);
    expect(sameContent(now, snap)).toBe(false);
    expect(sameContent(snap, { ...snap, files: { ...snap.files, 'a.md': { ...snap.files['a.md'], mtimeMs: 1 } } })).toBe(true);
  });
});

describe('generation names', () => {
  it('accepts gen-000007, gen-7 and 7; refuses anything else', () => {
    expect(parseGenerationName('gen-000007')).toBe('gen-000007');
    expect(parseGenerationName('gen-7')).toBe('gen-000007');
    expect(parseGenerationName(' 7 ')).toBe('gen-000007');
    expect(() => parseGenerationName('../gen-1')).toThrow(/not a generation name/);
  });
});

describe('watchCorpus (polling)', () => {
  it('checks once at start, never runs two checks at once, and retry() runs the check again', async () => {
    let calls = 0;
    let release!: () => void;
    let arrived!: () => void;
    const firstArrived = new Promise<void>((r) => (arrived = r));
    const held = new Promise<void>((r) => (release = r));
    const w = watchCorpus(
      dir,
      async () => {
        calls++;
        if (calls === 1) {
          arrived();
          await held;
          w.retry(0); // asked for from inside a check: runs once the check is over
        }
      },
      { mode: 'poll', debounceMs: 0, pollMs: 3_600_000 },
    );
    expect(w.mode).toBe('poll');
    await firstArrived;
    const settled = w.settled();
    let done = false;
    void settled.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    release();
    await settled;
    expect(calls).toBe(2);
    await w.close();
  });
});
