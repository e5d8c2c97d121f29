/**
 * One contract, both search indexes (src/index/search-index.ts): build → search → save → load →
 * the same hits (ids and scores); an empty index; a query of words no chunk has; k larger than
 * the index. Each implementation supplies only how it is built, loaded and queried.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HashEmbeddings } from '../../../src/embeddings/hash.js';
import { DenseIndex } from '../../../src/index/dense.js';
import { LexicalIndex } from '../../../src/index/lexical.js';
import type { SearchHit, SearchIndex } from '../../../src/index/search-index.js';
import type { Chunk } from '../../../src/types.js';

const TEXTS = [
  'Tomatoes need six hours of sun and steady watering.',
  'Compost is ready after three months of turning.',
  'Oil the bicycle chain every 300 kilometres.',
  'Basil grows well beside tomatoes in warm weather.',
  'A compost heap needs green and brown material.',
];
const CHUNKS: Chunk[] = TEXTS.map((text, i) => ({ id: `c${i}`, source: 'garden.md', title: 'Garden', headings: [], kind: 'paragraph', text, start: 0, end: text.length, lineStart: i + 1, lineEnd: i + 1 }));
const QUERIES = ['tomatoes sun', 'compost', 'bicycle chain oil', 'warm basil'];
const UNKNOWN = 'zorblax quuxification';

interface Implementation<Q> {
  name: string;
  build(chunks: Chunk[]): Promise<SearchIndex<Q>>;
  load(dir: string): Promise<SearchIndex<Q>>;
  query(text: string): Promise<Q>;
  /** The dense index ranks every chunk by similarity; the lexical one only chunks that share a term. */
  ranksEverything: boolean;
}

const embeddings = new HashEmbeddings({ dimensions: 64 });
const vectorOf = async (text: string) => Float32Array.from(await embeddings.embedQuery(text));

const implementations: Array<Implementation<string> | Implementation<number[]>> = [
  {
    name: 'LexicalIndex (BM25)',
    build: async (chunks) => LexicalIndex.build(chunks),
    load: (dir) => LexicalIndex.load(dir),
    query: async (text) => text,
    ranksEverything: false,
  } satisfies Implementation<string>,
  {
    name: 'DenseIndex (HNSW)',
    build: async (chunks) => DenseIndex.build(await Promise.all(chunks.map((c) => vectorOf(c.text))), embeddings.dimensions, embeddings, 50),
    load: (dir) => DenseIndex.load(dir, embeddings, 50),
    query: (text) => embeddings.embedQuery(text),
    ranksEverything: true,
  } satisfies Implementation<number[]>,
];

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const d = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-search-index-'));
  dirs.push(d);
  return d;
}

function expectRanked(hits: SearchHit[], size: number, k: number): void {
  expect(hits.length).toBeLessThanOrEqual(Math.min(k, size));
  expect(new Set(hits.map((h) => h.index)).size).toBe(hits.length);
  for (const h of hits) {
    expect(Number.isInteger(h.index) && h.index >= 0 && h.index < size).toBe(true);
    expect(Number.isFinite(h.score)).toBe(true);
  }
  for (let i = 1; i < hits.length; i++) expect(hits[i - 1].score).toBeGreaterThanOrEqual(hits[i].score);
}

describe.each(implementations as Array<Implementation<unknown>>)('SearchIndex contract: $name', (impl) => {
  const search = async (index: SearchIndex<unknown>, text: string, k: number) => index.search(await impl.query(text), k);

  it('GIVEN an index built, saved and loaded THEN every query returns the same hits, ids and scores', async () => {
    const built = await impl.build(CHUNKS);
    expect(built.size).toBe(CHUNKS.length);
    const dir = await tempDir();
    await built.save(dir);
    const loaded = await impl.load(dir);
    expect(loaded.size).toBe(CHUNKS.length);
    for (const q of QUERIES) {
      const before = await search(built, q, 3);
      expectRanked(before, CHUNKS.length, 3);
      expect(before.length).toBeGreaterThan(0);
      expect(await search(loaded, q, 3)).toEqual(before);
    }
    // the chunk that says it best ranks first
    expect((await search(built, 'bicycle chain oil', 1))[0].index).toBe(2);
  });

  it('GIVEN an empty index THEN a search returns nothing', async () => {
    const empty = await impl.build([]);
    expect(empty.size).toBe(0);
    expect(await search(empty, 'tomatoes', 5)).toEqual([]);
  });

  it('GIVEN a query of words no chunk has THEN the search does not fail (the lexical index finds nothing)', async () => {
    const index = await impl.build(CHUNKS);
    const hits = await search(index, UNKNOWN, 3);
    expectRanked(hits, CHUNKS.length, 3);
    if (!impl.ranksEverything) expect(hits).toEqual([]);
  });

  it('GIVEN k larger than the index THEN each chunk is returned at most once, ranked', async () => {
    const index = await impl.build(CHUNKS);
    const hits = await search(index, 'tomatoes compost', CHUNKS.length + 10);
    expectRanked(hits, CHUNKS.length, CHUNKS.length + 10);
    if (impl.ranksEverything) expect(hits.length).toBe(CHUNKS.length);
    else expect(hits.map((h) => h.index).sort()).toEqual([0, 1, 3, 4]);
  });
});
