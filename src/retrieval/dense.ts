import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { HierarchicalNSW } from 'hnswlib-node';
import { DocentError } from '../errors.js';

/**
 * Dense retrieval on hnswlib-node, stored as LangChain's `HNSWLib` stores it (`args.json`,
 * `hnswlib.index`, `docstore.json`). The graph is built here with explicit construction
 * parameters (LangChain's `addVectors` always uses hnswlib's defaults and converts vector by
 * vector) and handed to `HNSWLib` to save. Its docstore holds only each vector's chunk position
 * (the chunk store has the text), so it stays small. Loading and searching read the same files
 * and call the same hnswlib-node methods `HNSWLib.load` and `similaritySearchVectorWithScore`
 * call, without importing LangChain's vector store: its module graph (runnables, callbacks,
 * tracing, zod; ~350 modules) cost ~0.4 s of every cold `ask`. `tests/unit/dense.test.ts`
 * proves both give the same hits. `ef` is set deliberately: LangChain never raises it above
 * hnswlib's default of 10, which costs recall (docs/BENCH.md: 0.52 → 0.985 recall@10 at 100k).
 */
export interface DenseHit {
  index: number;
  score: number;
}

export const HNSW_M = 16;
export const HNSW_EF_CONSTRUCTION = 100;

async function hnswlib() {
  try {
    const mod = (await import('hnswlib-node')) as typeof import('hnswlib-node') & { default?: typeof import('hnswlib-node') };
    return mod.default ?? mod;
  } catch (err) {
    throw new DocentError(
      'HNSWLIB_MISSING',
      'hnswlib-node (native addon) is not built. Run `npm ci` again (its install script is approved in package.json "allowScripts"); it needs python3, make and g++.',
      { cause: err },
    );
  }
}

async function langchain() {
  const [{ HNSWLib }, { Document }] = await Promise.all([import('@langchain/community/vectorstores/hnswlib'), import('@langchain/core/documents')]);
  return { HNSWLib, Document };
}

type Store = InstanceType<Awaited<ReturnType<typeof langchain>>['HNSWLib']>;

export class DenseIndex {
  private constructor(
    /** The hnswlib graph. */
    readonly index: HierarchicalNSW,
    /** Chunk position of each graph label (the docstore's `metadata.i`). */
    private readonly chunkOf: Int32Array,
    readonly size: number,
    private readonly dims: number,
    private readonly embeddings: EmbeddingsInterface,
  ) {}

  static async build(vectors: Float32Array[], dims: number, embeddings: EmbeddingsInterface, efSearch: number): Promise<DenseIndex> {
    const { HierarchicalNSW } = await hnswlib();
    const index = new HierarchicalNSW('cosine', dims);
    index.initIndex({ maxElements: Math.max(1, vectors.length), m: HNSW_M, efConstruction: HNSW_EF_CONSTRUCTION, randomSeed: 100 });
    // hnswlib-node takes plain arrays only; one reused array saves an allocation per vector
    const point = new Array<number>(dims);
    const chunkOf = new Int32Array(vectors.length);
    for (let i = 0; i < vectors.length; i++) {
      const v = vectors[i];
      for (let j = 0; j < dims; j++) point[j] = v[j];
      index.addPoint(point, i);
      chunkOf[i] = i;
    }
    const dense = new DenseIndex(index, chunkOf, vectors.length, dims, embeddings);
    dense.setEf(efSearch);
    return dense;
  }

  /** Reads what `save()` wrote, as `HNSWLib.load` does (the same files, the same hnswlib-node calls). */
  static async load(dir: string, embeddings: EmbeddingsInterface, efSearch: number): Promise<DenseIndex> {
    const [{ HierarchicalNSW }, args, docstore] = await Promise.all([
      hnswlib(),
      readJson(path.join(dir, 'args.json')) as Promise<{ space?: unknown; numDimensions?: unknown }>,
      readJson(path.join(dir, 'docstore.json')) as Promise<Array<[string, { metadata?: { i?: unknown } }]>>,
    ]);
    if (args.space !== 'cosine' || !Number.isInteger(args.numDimensions)) throw new Error(`${dir}/args.json does not describe a cosine index`);
    const dims = args.numDimensions as number;
    const index = new HierarchicalNSW('cosine', dims);
    await index.readIndex(path.join(dir, 'hnswlib.index'));
    const size = index.getCurrentCount();
    const chunkOf = new Int32Array(size).fill(-1);
    for (const [label, doc] of Array.isArray(docstore) ? docstore : []) {
      const l = Number(label);
      const i = doc?.metadata?.i;
      if (Number.isInteger(l) && l >= 0 && l < size && Number.isInteger(i)) chunkOf[l] = i as number;
    }
    if (chunkOf.includes(-1)) throw new Error(`${dir}/docstore.json does not give a chunk for every vector`);
    const dense = new DenseIndex(index, chunkOf, size, dims, embeddings);
    dense.setEf(efSearch);
    return dense;
  }

  /** Writes hnswlib.index, args.json and docstore.json (LangChain's `HNSWLib.save`). */
  async save(dir: string): Promise<void> {
    await (await this.toStore()).save(dir);
  }

  /** This graph as a LangChain `HNSWLib` store (docstore: one empty document per vector holding its chunk position). */
  async toStore(): Promise<Store> {
    const { HNSWLib, Document } = await langchain();
    const store = new HNSWLib(this.embeddings, { space: 'cosine', numDimensions: this.dims, index: this.index });
    const docs: Record<number, InstanceType<typeof Document>> = {};
    for (let label = 0; label < this.size; label++) docs[label] = new Document({ pageContent: '', metadata: { i: this.chunkOf[label] } });
    store.docstore.add(docs);
    return store;
  }

  setEf(ef: number): void {
    if (this.size > 0) this.index.setEf(ef);
  }

  async search(vector: number[], k: number): Promise<DenseHit[]> {
    const n = Math.min(k, this.size);
    if (n === 0) return [];
    if (vector.length !== this.dims) throw new Error(`Query vector must have the same length as the number of dimensions (${this.dims})`);
    // what HNSWLib.similaritySearchVectorWithScore does: searchKnn, then each label's document
    const res = this.index.searchKnn(vector, n);
    // cosine space: distance = 1 - cosine similarity
    return res.neighbors.map((label, j) => ({ index: this.chunkOf[label], score: 1 - res.distances[j] }));
  }
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await fs.readFile(file, 'utf8'));
}
