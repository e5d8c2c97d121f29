/**
 * One contract, both stores: the same cases run through `Docent` against the local folder store
 * and the Postgres store (PGlite with pgvector over the wire, tests/support/pglite-global-setup.ts;
 * each test its own collection). build → answer → re-index of one changed document (only its
 * chunks embedded) → rollback (the corpus files put back) → listing → pruning, and the same
 * citations (source, lines, quote) from both stores for the same questions.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import { Docent } from '../../../src/pipeline.js';
import { HashEmbeddings } from '../../../src/embeddings/hash.js';
import { GatedEmbeddings, makeWorkspace, RecordingEmbeddings, testConfig } from '../../support/lifecycle-helpers.js';

const STORES = ['local', 'postgres'] as const;
type Kind = (typeof STORES)[number];

const ORCHARD = '# Orchard guide\n\nThe Bramley orchard is pruned every February by Ines Calloway.\n\n## Harvest\n\nApples are picked in late September and stored at 3 degrees.\n';
const ORCHARD_V2 = '# Orchard guide\n\nThe Bramley orchard is pruned every March by Tobias Renn.\n\n## Harvest\n\nApples are picked in late September and stored at 3 degrees.\n';
const BEES = '# Bee keeping\n\nThe hives stand on the south slope.\n\n## Honey\n\nHoney is extracted twice a year, in June and in August.\n';
const QUESTIONS = ['Who prunes the Bramley orchard?', 'When is honey extracted?', 'At what temperature are apples stored?'];

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function project(kind: Kind, env: Record<string, string> = {}): Promise<{ corpus: string; config: Config }> {
  const ws = await makeWorkspace('docent-contract-');
  cleanups.push(ws.cleanup);
  await fs.rm(path.join(ws.corpus, 'alibaba.md'));
  await fs.writeFile(path.join(ws.corpus, 'orchard.md'), ORCHARD);
  await fs.writeFile(path.join(ws.corpus, 'bees.md'), BEES);
  const store: Record<string, string> = kind === 'postgres' ? { DOCENT_STORE: 'postgres', DATABASE_URL: inject('pgUrl'), DOCENT_DEFAULT_COLLECTION: `c_${randomBytes(5).toString('hex')}` } : {};
  return { corpus: ws.corpus, config: testConfig(ws.corpus, ws.index, { ...store, ...env }) };
}

async function open(config: Config, embeddings = new RecordingEmbeddings()): Promise<Docent> {
  const d = await Docent.open(config, { embeddings, refreshMs: 0 });
  cleanups.push(() => d.close());
  return d;
}

/** What a user sees of an answer's citations. */
async function cited(d: Docent, q: string) {
  const a = await d.answer(q);
  return { answered: a.answered, citations: a.citations.map((c) => ({ source: c.source, lines: c.lines, quote: c.quote })) };
}

describe.each(STORES)('IndexStore contract: %s', (kind) => {
  it('GIVEN a corpus THEN it builds and answers with exact citations; a changed document re-embeds only its chunks; a rollback puts its file back and answers from it again', async () => {
    const { corpus, config } = await project(kind);
    const emb = new RecordingEmbeddings();
    const d = await open(config, emb);
    expect(d.store.kind).toBe(kind);
    const first = await cited(d, QUESTIONS[0]);
    expect(first.answered).toBe(true);
    expect(first.citations[0]).toMatchObject({ source: 'orchard.md', lines: [3, 3] });
    expect(first.citations[0].quote).toContain('Ines Calloway');
    const gen1 = d.generation;

    await fs.writeFile(path.join(corpus, 'orchard.md'), ORCHARD_V2);
    emb.reset();
    const report = await d.reindex();
    expect(report).toMatchObject({ changed: ['orchard.md'], unchanged: ['bees.md'], noChange: false });
    // only the changed document's chunks were embedded (the bee chunks' vectors were reused)
    expect(emb.embeddedTexts.length).toBeGreaterThan(0);
    expect(emb.embeddedTexts.every((t) => !/hive|Honey/i.test(t))).toBe(true);
    expect((await cited(d, QUESTIONS[0])).citations[0].quote).toContain('Tobias Renn');

    const back = await d.rollback();
    expect(back.generation).toBe(gen1);
    expect(back.restore.restored).toEqual(['orchard.md']);
    expect(await fs.readFile(path.join(corpus, 'orchard.md'), 'utf8')).toBe(ORCHARD);
    expect(d.generation).toBe(gen1);
    expect((await cited(d, QUESTIONS[0])).citations[0].quote).toContain('Ines Calloway');
    expect((await d.corpusStatus()).fresh).toBe(true);

    const gens = await d.generations();
    expect(gens.map((g) => [g.generation, g.current, g.pinned])).toEqual([
      [gen1, true, true],
      [report.generation, false, false],
    ]);
    expect(gens[1].changes).toEqual({ added: [], changed: ['orchard.md'], removed: [] });
  });

  it('GIVEN DOCENT_KEEP_GENERATIONS=2 WHEN a third generation is built THEN the oldest is pruned and the rest still serve', async () => {
    const { corpus, config } = await project(kind, { DOCENT_KEEP_GENERATIONS: '2' });
    const d = await open(config);
    const gen1 = d.generation;
    await fs.writeFile(path.join(corpus, 'orchard.md'), ORCHARD_V2);
    const r2 = await d.reindex();
    await fs.appendFile(path.join(corpus, 'bees.md'), '\nThe queen is marked in blue.\n');
    const r3 = await d.reindex();
    expect((await d.generations()).map((g) => g.generation)).toEqual([r2.generation, r3.generation]);
    expect(await d.store.listGenerations()).not.toContain(gen1);
    expect((await d.rollback()).generation).toBe(r2.generation);
    expect((await cited(d, QUESTIONS[0])).citations[0].quote).toContain('Tobias Renn');
  });

  it('GIVEN a document with a 3000-letter word of 3-byte letters THEN it is indexed and its other words find it', async () => {
    const { corpus, config } = await project(kind);
    const long = 'あ'.repeat(3000); // cut into chunk-sized pieces of 900 letters: 2700 bytes each
    await fs.writeFile(path.join(corpus, 'odd.md'), `# Odd file\n\nThe checksum ${long} belongs to the Saffron release.\n`);
    const d = await open(config);
    expect(d.sources().map((s) => s.source)).toContain('odd.md');
    expect((await d.answer(QUESTIONS[0])).citations[0].source).toBe('orchard.md');
    expect((await d.answer('Which release does the checksum belong to?')).retrieved.map((h) => h.chunk.source)).toContain('odd.md');
  });

  it('GIVEN two re-indexes at once THEN one builds and the other is refused with INDEX_LOCKED naming the holder', async () => {
    const { config } = await project(kind);
    const d = await open(config);
    const both = await Promise.allSettled([d.reindex({ force: true, purpose: 'first' }), d.reindex({ force: true, purpose: 'second' })]);
    const refused = both.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as { code: string; message: string });
    expect(refused.map((e) => e.code)).toEqual(['INDEX_LOCKED']);
    expect(refused[0].message).toMatch(/^Another re-index is running \((first|second), pid \d+ on /);
    expect(await d.store.listGenerations()).toEqual(['gen-000001', 'gen-000002']);
    expect(await d.store.readLock()).toBeNull();
  });

  it('GIVEN a generation built by another process THEN a running Docent serves it, and questions in flight finish on their own generation', async () => {
    const { corpus, config } = await project(kind);
    const emb = new GatedEmbeddings();
    const serving = await open(config, emb);
    const gen1 = serving.generation;
    emb.hold();
    const inFlight = serving.answer(QUESTIONS[0]);
    await emb.arrived(1);
    // another process: its own store (its own connections) on the same collection
    await fs.writeFile(path.join(corpus, 'orchard.md'), ORCHARD_V2);
    const other = await open(config);
    const r = await other.reindex();
    await serving.refresh(true);
    expect(serving.generation).toBe(r.generation);
    emb.release();
    const old = await inFlight;
    expect(old.generation).toBe(gen1);
    expect(old.citations[0].quote).toContain('Ines Calloway');
    const now = await serving.answer(QUESTIONS[0]);
    expect(now.generation).toBe(r.generation);
    expect(now.citations[0].quote).toContain('Tobias Renn');
  });
});

describe('Postgres store limits', () => {
  it('GIVEN an embedder of more dimensions than pgvector HNSW holds THEN the build is refused with STORE_LIMIT saying what to do', async () => {
    const { config } = await project('postgres');
    const wide = new RecordingEmbeddings(new HashEmbeddings({ dimensions: 2048 }));
    const err = (await Docent.open(config, { embeddings: wide }).catch((e: unknown) => e)) as { code: string; message: string };
    expect(err.code).toBe('STORE_LIMIT');
    expect(err.message).toContain('at most 2000 dimensions');
  });
});

describe('IndexStore contract: local and postgres agree', () => {
  it('GIVEN the same corpus in both stores THEN the same questions get the same citations (source, lines, quote)', async () => {
    const answers: Record<string, unknown> = {};
    const ranked: Record<string, Array<Array<{ index: number; score: number }>>> = {};
    const emb = new RecordingEmbeddings();
    for (const kind of STORES) {
      const { config } = await project(kind);
      const d = await open(config, emb);
      answers[kind] = await Promise.all(QUESTIONS.map((q) => cited(d, q)));
      // each retriever on its own: BM25+ computed in SQL ranks and scores as the local index does
      const index = await d.current();
      const out: Array<Array<{ index: number; score: number }>> = [];
      for (const q of [...QUESTIONS, 'orchard honey', 'apples apples stored']) {
        out.push(await index.lexical.search(q, 10), await index.dense.search(await emb.embedQuery(q), 10));
      }
      ranked[kind] = out;
    }
    expect(answers.postgres).toEqual(answers.local);
    expect((answers.local as Array<{ answered: boolean }>).every((a) => a.answered)).toBe(true);
    ranked.postgres.forEach((hits, i) => {
      expect(hits.map((h) => h.index)).toEqual(ranked.local[i].map((h) => h.index));
      hits.forEach((h, j) => expect(h.score).toBeCloseTo(ranked.local[i][j].score, 5));
    });
  });
});
