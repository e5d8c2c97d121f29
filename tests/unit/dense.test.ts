/**
 * The dense index reads and searches what LangChain's `HNSWLib` saved without importing it
 * (a cold `ask` would pay ~0.4 s for LangChain's module graph): it must give exactly the hits
 * `HNSWLib.load` + `similaritySearchVectorWithScore` give on the same files.
 */
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { HNSWLib } from '@langchain/community/vectorstores/hnswlib';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/embeddings/vector.js';
import { DenseIndex } from '../../src/retrieval/dense.js';

const DIMS = 24;
const EF = 64;
const noEmbeddings = { embedQuery: async () => [], embedDocuments: async () => [] } as unknown as EmbeddingsInterface;

function randomVectors(n: number, seed: number): Float32Array[] {
  const rand = mulberry32(seed);
  return Array.from({ length: n }, () => Float32Array.from({ length: DIMS }, () => rand() * 2 - 1));
}

/** LangChain's own reading of the directory, with our ef. */
async function langchainHits(dir: string, query: number[], k: number) {
  const store = await HNSWLib.load(dir, noEmbeddings);
  store.index.setEf(EF);
  const res = await store.similaritySearchVectorWithScore(query, k);
  return res.map(([doc, distance]) => ({ index: doc.metadata.i as number, score: 1 - distance }));
}

describe('DenseIndex on LangChain HNSWLib files', () => {
  let dir: string;
  let built: DenseIndex;
  const queries = randomVectors(30, 7).map((v) => Array.from(v));
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-dense-'));
    built = await DenseIndex.build(randomVectors(500, 42), DIMS, noEmbeddings, EF);
    await built.save(dir);
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  it('GIVEN the saved files THEN it writes LangChain’s three files and loads them back with every vector', async () => {
    expect((await fs.readdir(dir)).sort()).toEqual(['args.json', 'docstore.json', 'hnswlib.index']);
    const loaded = await DenseIndex.load(dir, noEmbeddings, EF);
    expect(loaded.size).toBe(500);
  });

  it('GIVEN the same queries THEN the loaded index, the built one and LangChain’s HNSWLib give the same hits and scores', async () => {
    const loaded = await DenseIndex.load(dir, noEmbeddings, EF);
    for (const q of queries) {
      const ours = await loaded.search(q, 10);
      expect(ours).toHaveLength(10);
      expect(ours).toEqual(await langchainHits(dir, q, 10));
      expect(await built.search(q, 10)).toEqual(ours);
    }
  });

  it('GIVEN a docstore that maps vectors to other chunk positions THEN hits follow the docstore, as in LangChain', async () => {
    const other = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-dense-'));
    try {
      await fs.cp(dir, other, { recursive: true });
      const entries = JSON.parse(await fs.readFile(path.join(other, 'docstore.json'), 'utf8')) as Array<[string, { metadata: { i: number } }]>;
      for (const [, doc] of entries) doc.metadata.i += 1000;
      await fs.writeFile(path.join(other, 'docstore.json'), JSON.stringify(entries));
      const loaded = await DenseIndex.load(other, noEmbeddings, EF);
      const hits = await loaded.search(queries[0], 5);
      expect(hits.every((h) => h.index >= 1000)).toBe(true);
      expect(hits).toEqual(await langchainHits(other, queries[0], 5));

      // a docstore without an entry for every vector is refused, not searched into undefined
      await fs.writeFile(path.join(other, 'docstore.json'), JSON.stringify(entries.slice(1)));
      await expect(DenseIndex.load(other, noEmbeddings, EF)).rejects.toThrow(/docstore\.json does not give a chunk for every vector/);
    } finally {
      await fs.rm(other, { recursive: true, force: true });
    }
  });
});
