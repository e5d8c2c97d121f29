/**
 * Index lifecycle: incremental builds, removal, the ingest CLI, generations and rollback,
 * one writer at a time, hot swap (also of generations built by another process) and
 * validation on load. Hash embedder throughout (fast, deterministic).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { UserError } from '../../src/errors.js';
import { buildIndex, embeddingText } from '../../src/ingest/build.js';
import { acquireLock, listGenerations, readCurrentName, readLock, setCurrent } from '../../src/index/store.js';
import { createLogger } from '../../src/log.js';
import { Docent } from '../../src/pipeline.js';
import { LoadedIndex } from '../../src/index/loaded-index.js';
import {
  DocumentGate,
  GatedEmbeddings,
  RecordingEmbeddings,
  copyDir,
  deadPid,
  holdLockInChild,
  makeWorkspace,
  runIngest,
  runNpm,
  shapeOf,
  snapshot,
  testConfig,
  writeFiller,
} from '../support/lifecycle-helpers.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const afterAllCleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  while (afterAllCleanups.length) await afterAllCleanups.pop()!();
});

async function workspace(fillers = 3) {
  const ws = await makeWorkspace();
  cleanups.push(ws.cleanup);
  await writeFiller(ws.corpus, fillers, 10);
  const config = testConfig(ws.corpus, ws.index);
  return { ...ws, config };
}

async function open(config: Config, embeddings = new RecordingEmbeddings(), logger = createLogger({ write: () => {} })): Promise<Docent> {
  const d = await Docent.open(config, { autoBuild: false, embeddings, refreshMs: 0, logger });
  cleanups.push(() => d.close());
  return d;
}

const ZANZIBAR = '# Zanzibar protocol\n\nThe Zanzibar protocol listens on port 7781 and was designed by Orla Finnegan.\n';
const ZANZIBAR_Q = 'Which port does the Zanzibar protocol listen on?';

/** Every chunk source that lexical or dense retrieval returns for `q`, over the whole index. */
async function retrievedSources(index: LoadedIndex, embeddings: RecordingEmbeddings, q: string): Promise<Set<string>> {
  const lex = await index.lexical.search(q, index.chunks.length);
  const dense = await index.dense.search(await embeddings.embedQuery(q), index.chunks.length);
  return new Set([...lex, ...dense].map((h) => index.chunks[h.index].source));
}

describe('incremental builds', () => {
  it('GIVEN an unchanged corpus THEN nothing is embedded and no generation is written', async () => {
    const { config } = await workspace();
    const emb = new RecordingEmbeddings();
    const first = await buildIndex({ config, embeddings: emb });
    expect(first.noChange).toBe(false);
    expect(first.embedded).toBe(first.chunks);
    expect(emb.embeddedTexts).toHaveLength(first.chunks);
    expect(first.added.sort()).toEqual(['alibaba.md', 'notes-00.md', 'notes-01.md', 'notes-02.md']);

    emb.reset();
    const second = await buildIndex({ config, embeddings: emb });
    expect(second).toMatchObject({ noChange: true, embedded: 0, generation: first.generation, added: [], changed: [], removed: [] });
    expect(emb.documentCalls).toEqual([]);
    expect(await listGenerations(config.indexDir)).toEqual([first.generation]);

    // --force writes a new generation but still reuses every vector
    const forced = await buildIndex({ config, embeddings: emb, force: true });
    expect(forced).toMatchObject({ noChange: false, embedded: 0, chunks: first.chunks });
    expect(emb.documentCalls).toEqual([]);
  });

  it('GIVEN one changed paragraph THEN only the changed chunks are embedded', async () => {
    const { config, corpus } = await workspace();
    const emb = new RecordingEmbeddings();
    const first = await buildIndex({ config, embeddings: emb });
    const before = await LoadedIndex.load(path.join(config.indexDir, first.generation), emb, config.efSearch);

    const file = path.join(corpus, 'notes-01.md');
    const text = await fs.readFile(file, 'utf8');
    await fs.writeFile(file, text.replace('near marker m1x4x2.', 'near marker m1x4x2, rewritten by the quartermaster.'));
    emb.reset();
    const second = await buildIndex({ config, embeddings: emb });
    const after = await LoadedIndex.load(path.join(config.indexDir, second.generation), emb, config.efSearch);

    const oldIds = new Set(before.chunks.map((c) => c.id));
    const fresh = after.chunks.filter((c) => !oldIds.has(c.id));
    expect(second).toMatchObject({ changed: ['notes-01.md'], added: [], removed: [] });
    expect(second.unchanged.sort()).toEqual(['alibaba.md', 'notes-00.md', 'notes-02.md']);
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.every((c) => c.source === 'notes-01.md')).toBe(true);
    expect(second.embedded).toBe(fresh.length);
    expect(emb.embeddedTexts).toHaveLength(fresh.length);
    expect(emb.embeddedTexts.sort()).toEqual(fresh.map(embeddingText).sort());
    const chunksInDoc = after.chunks.filter((c) => c.source === 'notes-01.md').length;
    expect(second.embedded).toBeLessThan(chunksInDoc);
  });

  it('GIVEN a removed document THEN its chunks leave both the lexical and the vector index and its question is refused', async () => {
    const { config, corpus } = await workspace();
    await fs.writeFile(path.join(corpus, 'zanzibar.md'), ZANZIBAR);
    await buildIndex({ config, embeddings: new RecordingEmbeddings() });
    const emb = new RecordingEmbeddings();
    const docent = await open(config, emb);

    const with_ = await docent.answer(ZANZIBAR_Q);
    expect(with_.answered).toBe(true);
    expect(with_.citations.map((c) => c.source)).toContain('zanzibar.md');
    expect(await retrievedSources(await docent.current(), emb, ZANZIBAR_Q)).toContain('zanzibar.md');

    emb.reset();
    const report = await docent.removeDocument('zanzibar.md');
    expect(report).toMatchObject({ removed: ['zanzibar.md'], added: [], changed: [], embedded: 0 });
    expect(emb.documentCalls).toEqual([]);
    await expect(fs.stat(path.join(corpus, 'zanzibar.md'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(docent.generation).toBe(report.generation);

    const index = await docent.current();
    expect(index.chunks.some((c) => c.source === 'zanzibar.md')).toBe(false);
    expect(index.dense.size).toBe(index.chunks.length);
    expect(docent.sources().map((s) => s.source)).not.toContain('zanzibar.md');
    for (const q of [ZANZIBAR_Q, 'Zanzibar protocol port 7781 Orla Finnegan']) {
      expect(await retrievedSources(index, emb, q)).not.toContain('zanzibar.md');
      for (const mode of ['hybrid', 'lexical', 'dense'] as const) {
        const r = await docent.answer(q, { mode });
        expect(r.retrieved.some((h) => h.chunk.source === 'zanzibar.md')).toBe(false);
        expect(r.citations.some((c) => c.source === 'zanzibar.md')).toBe(false);
      }
    }
    const refused = await docent.answer(ZANZIBAR_Q);
    expect(refused.answered).toBe(false);
    expect(refused.answer).not.toMatch(/7781/);
  });

  it('GIVEN `npm run ingest` twice on an unchanged corpus THEN the second run re-embeds nothing and says so', async () => {
    const { corpus, index } = await workspace(1);
    // the first run in one process, the second exactly as typed
    const first = await runIngest(['--corpus', corpus, '--index', index]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Built gen-000001: (\d+) chunks, \1 embedded, 0 reused\./m);
    const second = await runNpm(['run', 'ingest', '--', '--corpus', corpus, '--index', index]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('Index is up to date (gen-000001): nothing changed, nothing re-embedded.');
    expect(second.stdout).toContain('indexed 2: 0 added, 0 changed, 2 unchanged; 0 removed');
    expect(await listGenerations(index)).toEqual(['gen-000001']);
  });
});

describe('generations and rollback', () => {
  it('GIVEN more builds than keepGenerations THEN the newest are kept; --rollback and Docent.rollback() step back and a running Docent follows', async () => {
    const { config, corpus, index } = await workspace(1);
    const emb = new RecordingEmbeddings();
    const q = 'What is the Zanzibar protocol revision?';
    const snaps: Record<string, ReturnType<typeof shapeOf>> = {};
    let docent: Docent | undefined;
    for (let rev = 1; rev <= 4; rev++) {
      await fs.writeFile(path.join(corpus, 'zanzibar.md'), `# Zanzibar protocol\n\nThe Zanzibar protocol revision is ${rev}0${rev}.\n`);
      const r = await buildIndex({ config, embeddings: emb });
      docent ??= await open(config, emb);
      const a = await docent.answer(q);
      expect(a.generation).toBe(r.generation);
      expect(a.answer).toContain(`${rev}0${rev}`);
      snaps[r.generation] = shapeOf(a);
    }
    expect(config.keepGenerations).toBe(3);
    expect(await listGenerations(index)).toEqual(['gen-000002', 'gen-000003', 'gen-000004']);

    const cli = await runIngest(['--index', index, '--corpus', corpus, '--rollback']);
    expect(cli.code, cli.stderr).toBe(0);
    const [head, restored, status] = cli.stdout.trim().split('\n');
    expect(head).toBe('Rolled back: gen-000003 is serving now.');
    // the corpus (revision 4) is put back to what gen-000003 was built from; revision 4 is set aside
    expect(restored).toMatch(/^Restored the corpus to gen-000003: 1 put back \(zanzibar\.md\); 1 set aside \(zanzibar\.md\) in .*\/\.docent-rolled-back\/[\dT-]+Z-gen-000003\.$/);
    expect(status).toBe('The corpus matches gen-000003.');
    expect(await fs.readFile(path.join(corpus, 'zanzibar.md'), 'utf8')).toContain('revision is 303');
    expect(await readCurrentName(index)).toBe('gen-000003');
    // the running Docent picks up the rollback made by another process
    const a3 = await docent!.answer(q);
    expect(a3.generation).toBe('gen-000003');
    expect(shapeOf(a3)).toEqual(snaps['gen-000003']);

    expect(await docent!.rollback()).toMatchObject({ generation: 'gen-000002', restore: { restored: ['zanzibar.md'], notRestored: null } });
    expect(docent!.generation).toBe('gen-000002');
    expect(shapeOf(await docent!.answer(q))).toEqual(snaps['gen-000002']);

    const err = await docent!.rollback().catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.code).toBe('NO_PREVIOUS_GENERATION');
    const cliErr = await runIngest(['--index', index, '--corpus', corpus, '--rollback']);
    expect(cliErr.code).toBe(1);
    expect(cliErr.stderr).toContain('error: There is no earlier index generation to roll back to (current: gen-000002).');

    // building after a rollback starts from the rolled-back generation and numbers on
    await fs.writeFile(path.join(corpus, 'zanzibar.md'), `# Zanzibar protocol\n\nThe Zanzibar protocol revision is 505.\n`);
    const r5 = await buildIndex({ config, embeddings: emb });
    expect(r5.generation).toBe('gen-000005');
    expect(r5.changed).toEqual(['zanzibar.md']);
    expect(await readLock(index)).toBeNull();
  });
});

describe('one writer at a time', () => {
  it('GIVEN two re-indexes at once in one process THEN one builds and the other is refused with INDEX_LOCKED', async () => {
    const { config } = await workspace();
    const emb = new RecordingEmbeddings();
    await buildIndex({ config, embeddings: emb });
    const results = await Promise.allSettled([buildIndex({ config, embeddings: emb, force: true, purpose: 'first' }), buildIndex({ config, embeddings: emb, force: true, purpose: 'second' })]);
    const refused = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(refused).toHaveLength(1);
    expect(refused[0].reason).toBeInstanceOf(UserError);
    expect(refused[0].reason.code).toBe('INDEX_LOCKED');
    expect(refused[0].reason.message).toMatch(/^Another re-index is running \((first|second), pid \d+ on [^,]+, since /);

    const docent = await open(config, emb);
    const both = await Promise.allSettled([docent.reindex({ force: true }), docent.reindex({ force: true })]);
    expect(both.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['INDEX_LOCKED']);
    expect(await listGenerations(config.indexDir)).toEqual(['gen-000001', 'gen-000002', 'gen-000003']);
  });

  it('GIVEN another process holds the lock THEN the ingest CLI and an upload are refused with a clear message and write nothing', async () => {
    const { config, corpus, index } = await workspace(1);
    await buildIndex({ config, embeddings: new RecordingEmbeddings() });
    const docent = await open(config);
    const holder = await holdLockInChild(index);
    try {
      const r = await runIngest(['--corpus', corpus, '--index', index, '--force']);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(new RegExp(`^error: Another re-index is running \\(test holder, pid ${holder.pid} on ${os.hostname()}, since [^)]+\\)\\. Try again when it has finished\\.$`));
      expect(await listGenerations(index)).toEqual(['gen-000001']);
      // an upload is refused the same way, before the corpus is touched
      const listing = await fs.readdir(corpus);
      const err = await docent.addDocument('zanzibar.md', Buffer.from(ZANZIBAR)).catch((e) => e);
      expect(err).toBeInstanceOf(UserError);
      expect(err.code).toBe('INDEX_LOCKED');
      expect(await fs.readdir(corpus)).toEqual(listing);
      expect(docent.generation).toBe('gen-000001');
    } finally {
      await holder.stop();
    }
    // the holder was killed: its lock is stale now and the next build clears it
    const after = await runIngest(['--corpus', corpus, '--index', index, '--force']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/^Built gen-000002/m);
    expect(await readLock(index)).toBeNull();
  });

  it('GIVEN /add and /remove THEN the lock is held from the corpus change until the new generation serves, and every other writer is refused meanwhile', async () => {
    const { config, corpus, index } = await workspace(1);
    await buildIndex({ config, embeddings: new RecordingEmbeddings() });
    const emb = new DocumentGate();
    const docent = await open(config, emb);

    const arrived = emb.hold();
    const adding = docent.addDocument('zanzibar.md', Buffer.from(ZANZIBAR));
    await arrived; // the upload is in the corpus and its build is embedding it
    expect(await fs.readFile(path.join(corpus, 'zanzibar.md'), 'utf8')).toBe(ZANZIBAR);
    expect(await readLock(index)).toMatchObject({ purpose: 'upload of zanzibar.md', pid: process.pid });
    expect(await readCurrentName(index)).toBe('gen-000001');
    const other = await buildIndex({ config, embeddings: new RecordingEmbeddings(), force: true }).catch((e) => e);
    expect(other.code).toBe('INDEX_LOCKED');
    expect(other.message).toMatch(/^Another re-index is running \(upload of zanzibar\.md, pid /);
    emb.release();
    expect((await adding).generation).toBe('gen-000002');
    expect(docent.generation).toBe('gen-000002');
    expect(await readLock(index)).toBeNull();

    // a file dropped into the folder meanwhile is indexed by the removal's build too (and gives it something to embed)
    await fs.writeFile(path.join(corpus, 'quokka.md'), '# Quokka\n\nThe quokka is a small marsupial from Rottnest Island.\n');
    const arrived2 = emb.hold();
    const removing = docent.removeDocument('zanzibar.md');
    await arrived2;
    await expect(fs.access(path.join(corpus, 'zanzibar.md'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readLock(index)).toMatchObject({ purpose: 'removal of zanzibar.md' });
    expect(await readCurrentName(index)).toBe('gen-000002');
    expect(await docent.reindex().catch((e) => e.code)).toBe('INDEX_LOCKED');
    emb.release();
    expect((await removing).generation).toBe('gen-000003');
    expect(await readLock(index)).toBeNull();
  });

  it('GIVEN the lock is lost during a build (another container cleared it) THEN the build fails with INDEX_LOCK_LOST, switches nothing and leaves nothing behind', async () => {
    const { config, corpus, index } = await workspace(1);
    await buildIndex({ config, embeddings: new RecordingEmbeddings() });
    const lock = await acquireLock(index, 'upload of zanzibar.md');
    await fs.writeFile(path.join(corpus, 'zanzibar.md'), ZANZIBAR);
    const emb = new DocumentGate();
    const arrived = emb.hold();
    const building = buildIndex({ config, embeddings: emb, lock }).catch((e) => e);
    await arrived;
    await fs.rm(path.join(index, '.lock'), { recursive: true });
    emb.release();
    const err = await building;
    expect(err).toBeInstanceOf(UserError);
    expect(err.code).toBe('INDEX_LOCK_LOST');
    expect(err.message).toMatch(/^The index lock \(upload of zanzibar\.md\) was lost .*, so nothing was switched\. Try again\.$/);
    expect(await readCurrentName(index)).toBe('gen-000001');
    expect((await fs.readdir(index)).sort()).toEqual(['CURRENT', 'gen-000001', 'originals']);
    await lock.release();
    // the next build (with a lock of its own) goes ahead
    expect((await buildIndex({ config, embeddings: new RecordingEmbeddings() })).generation).toBe('gen-000002');
  });

  it('GIVEN a lock left by a dead process and leftover build dirs THEN the next build clears them and succeeds', async () => {
    const { config, index } = await workspace(1);
    await buildIndex({ config, embeddings: new RecordingEmbeddings() });
    const pid = await deadPid();
    await fs.writeFile(path.join(index, '.lock'), JSON.stringify({ pid, host: os.hostname(), startedAt: new Date().toISOString(), purpose: 'killed' }));
    await fs.mkdir(path.join(index, `.build-${pid}-deadbeef`));
    await fs.writeFile(path.join(index, `.build-${pid}-deadbeef`, 'chunks.json'), '[');
    await fs.writeFile(path.join(index, `CURRENT.${pid}.0badf00d.tmp`), 'gen-000009\n');
    const r = await runIngest(['--corpus', config.corpusDir, '--index', index, '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect((await fs.readdir(index)).sort()).toEqual(['CURRENT', 'gen-000001', 'gen-000002', 'originals']);
  });
});

describe('hot swap', () => {
  it('GIVEN a generation built by another process THEN a running Docent serves it without restart, and questions in flight finish on their own generation', async () => {
    const { config, corpus, index } = await workspace(1);
    await buildIndex({ config, embeddings: new RecordingEmbeddings() });
    const emb = new GatedEmbeddings();
    const docent = await open(config, emb);
    const before = shapeOf(await docent.answer(ZANZIBAR_Q));
    expect(before.answered).toBe(false);

    emb.hold();
    const inFlight = [docent.answer(ZANZIBAR_Q), docent.answer('What is Wukong?'), docent.answer(ZANZIBAR_Q)];
    await emb.arrived(3);

    await fs.writeFile(path.join(corpus, 'zanzibar.md'), ZANZIBAR);
    const r = await runIngest(['--corpus', corpus, '--index', index, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(await readCurrentName(index)).toBe('gen-000002');
    await docent.refresh(true);
    expect(docent.generation).toBe('gen-000002');

    emb.release();
    const done = await Promise.all(inFlight);
    expect(done.map((a) => a.generation)).toEqual(['gen-000001', 'gen-000001', 'gen-000001']);
    expect(shapeOf(done[0])).toEqual(before);
    expect(done[1].answered).toBe(true);

    const after = await docent.answer(ZANZIBAR_Q);
    expect(after.generation).toBe('gen-000002');
    expect(after.answered).toBe(true);
    expect(after.answer).toContain('7781');
  });
});

describe('validation on load', () => {
  const damage: Array<[string, (gen: string) => Promise<void>]> = [
    ['a flipped byte in vectors.f32', (g) => flip(path.join(g, 'vectors.f32'))],
    ['a flipped byte in chunks.json', (g) => flip(path.join(g, 'chunks.json'))],
    ['a flipped byte in hnsw/hnswlib.index', (g) => flip(path.join(g, 'hnsw', 'hnswlib.index'))],
    ['a truncated lexical.json', (g) => fs.truncate(path.join(g, 'lexical.json'), 100)],
    ['a deleted manifest.json', (g) => fs.rm(path.join(g, 'manifest.json'))],
    ['a deleted docs.json', (g) => fs.rm(path.join(g, 'docs.json'))],
    ['a wrong formatVersion', async (g) => {
      const f = path.join(g, 'manifest.json');
      await fs.writeFile(f, JSON.stringify({ ...JSON.parse(await fs.readFile(f, 'utf8')), formatVersion: 99 }));
    }],
  ];

  async function flip(file: string): Promise<void> {
    const b = await fs.readFile(file);
    const at = Math.floor(b.length / 2);
    b[at] ^= 0x5a;
    await fs.writeFile(file, b);
  }

  /** gen-000001 without, gen-000002 with the Zanzibar document: built once, copied for each case. */
  let built: Promise<{ corpus: string; index: string; good: Awaited<ReturnType<typeof snapshot>> }> | undefined;
  async function twoGenerations() {
    built ??= (async () => {
      const ws = await makeWorkspace();
      afterAllCleanups.push(ws.cleanup);
      await writeFiller(ws.corpus, 1, 10);
      const config = testConfig(ws.corpus, ws.index);
      await buildIndex({ config, embeddings: new RecordingEmbeddings() });
      const d1 = await Docent.open(config, { autoBuild: false, embeddings: new RecordingEmbeddings(), refreshMs: 0, logger: createLogger({ write: () => {} }) });
      const good = await snapshot(d1, [ZANZIBAR_Q, 'What is Wukong?']);
      await d1.close();
      await fs.writeFile(path.join(ws.corpus, 'zanzibar.md'), ZANZIBAR);
      await buildIndex({ config, embeddings: new RecordingEmbeddings() });
      return { corpus: ws.corpus, index: ws.index, good };
    })();
    const pristine = await built;
    const ws = await workspace(0);
    await fs.rm(ws.corpus, { recursive: true });
    await copyDir(pristine.corpus, ws.corpus);
    await copyDir(pristine.index, ws.index);
    return { ...ws, good: pristine.good };
  }

  it.each(damage)('GIVEN %s in the current generation THEN open reports it and serves the previous good one; refresh keeps serving it', async (_what, hurt) => {
    const { config, index, root, good } = await twoGenerations();
    const pristine = path.join(root, 'pristine');
    await copyDir(index, pristine);

    // Docent.open falls back
    await hurt(path.join(index, 'gen-000002'));
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => warnings.push(l) });
    const d = await open(config, new RecordingEmbeddings(), logger);
    expect(d.generation).toBe('gen-000001');
    expect(await snapshot(d, [ZANZIBAR_Q, 'What is Wukong?'])).toEqual(good);
    expect(warnings.join('\n')).toMatch(/gen-000002/);

    // refresh() on a running Docent keeps the old one when the new one is damaged
    await fs.rm(index, { recursive: true });
    await copyDir(pristine, index);
    await setCurrent(index, 'gen-000001');
    const warn2: string[] = [];
    const d2 = await open(config, new RecordingEmbeddings(), createLogger({ level: 'warn', write: (l) => warn2.push(l) }));
    expect(d2.generation).toBe('gen-000001');
    await hurt(path.join(index, 'gen-000002'));
    await setCurrent(index, 'gen-000002');
    await d2.refresh(true);
    expect(d2.generation).toBe('gen-000001');
    expect(await snapshot(d2, [ZANZIBAR_Q, 'What is Wukong?'])).toEqual(good);
    expect(warn2.join('\n')).toContain('new index generation did not load; still serving the previous one');

    // and the next build starts from the good generation and succeeds
    const r = await buildIndex({ config, embeddings: new RecordingEmbeddings(), force: true });
    expect(r.generation).toBe('gen-000003');
    await d2.refresh(true);
    expect(d2.generation).toBe('gen-000003');
    expect((await d2.answer(ZANZIBAR_Q)).answered).toBe(true);
  });
});
