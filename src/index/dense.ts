import fs from 'node:fs/promises';
import path from 'node:path';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { HierarchicalNSW } from 'hnswlib-node';
import { DocentError } from '../errors.js';
import { TimeSlice } from '../time-slice.js';
import type { SavedFiles, SearchHit, SearchIndex } from './search-index.js';

/**
 * Dense retrieval through LangChain's `HNSWLib` store (on hnswlib-node): it loads, saves and
 * searches the index. The graph itself is built here with explicit construction parameters
 * (LangChain's `addVectors` always uses hnswlib's defaults and converts vector by vector) and
 * handed to `HNSWLib`. Its docstore holds only each vector's chunk position (the chunk store has
 * the text), so it stays small. `ef` is set deliberately: LangChain never raises it above
 * hnswlib's default of 10, which costs recall (docs/BENCH.md: 0.52 → 0.985 recall@10 at 100k).
 * LangChain is imported on first use, off the import path of modules that never search.
 */
export type DenseHit = SearchHit;

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
  const { HNSWLib, Document } = await import('../vendor/langchain.js');
  return { HNSWLib, Document };
}

type Store = InstanceType<Awaited<ReturnType<typeof langchain>>['HNSWLib']>;

export class DenseIndex implements SearchIndex<number[]> {
  private constructor(
    readonly store: Store,
    readonly size: number,
    private readonly dims: number,
  ) {}

  /** The hnswlib graph under the store. */
  get index(): HierarchicalNSW {
    return this.store.index;
  }

  static async build(vectors: Float32Array[], dims: number, embeddings: EmbeddingsInterface, efSearch: number): Promise<DenseIndex> {
    const [{ HierarchicalNSW }, { HNSWLib, Document }] = await Promise.all([hnswlib(), langchain()]);
    const index = new HierarchicalNSW('cosine', dims);
    index.initIndex({ maxElements: Math.max(1, vectors.length), m: HNSW_M, efConstruction: HNSW_EF_CONSTRUCTION, randomSeed: 100 });
    // hnswlib-node takes plain arrays only; one reused array saves an allocation per vector
    const point = new Array<number>(dims);
    const docs: Record<number, InstanceType<typeof Document>> = {};
    // 25k insertions take seconds of native work: the thread answering questions gets turns
    const slice = new TimeSlice();
    for (let i = 0; i < vectors.length; i++) {
      if (slice.due()) await slice.pause();
      const v = vectors[i];
      for (let j = 0; j < dims; j++) point[j] = v[j];
      index.addPoint(point, i);
      docs[i] = new Document({ pageContent: '', metadata: { i } });
    }
    const store = new HNSWLib(embeddings, { space: 'cosine', numDimensions: dims, index });
    store.docstore.add(docs);
    const dense = new DenseIndex(store, vectors.length, dims);
    dense.setEf(efSearch);
    return dense;
  }

  /**
   * Reads what `save()` wrote. As `HNSWLib.load`, except that docstore.json, whose entries are
   * only each label's own position (`{ i }`), is not parsed into a Map of a `Document` per vector
   * (~200 MB of heap at 1M chunks): a docstore that makes that `Document` when a search asks for it
   * stands in (the file stays, for LangChain's own `HNSWLib.load`).
   */
  static async load(dir: string, embeddings: EmbeddingsInterface, efSearch: number): Promise<DenseIndex> {
    const [{ HierarchicalNSW }, { HNSWLib, Document }] = await Promise.all([hnswlib(), langchain()]);
    const args = JSON.parse(await fs.readFile(path.join(dir, 'args.json'), 'utf8')) as { space?: unknown; numDimensions?: unknown };
    if (args.space !== 'cosine' || !Number.isInteger(args.numDimensions)) throw new Error(`${dir}/args.json does not describe a cosine index`);
    const dims = args.numDimensions as number;
    const index = new HierarchicalNSW('cosine', dims);
    await index.readIndex(path.join(dir, 'hnswlib.index'));
    const size = index.getCurrentCount();
    const docstore = {
      search: (id: string) => {
        const i = Number(id);
        if (!Number.isInteger(i) || i < 0 || i >= size) throw new Error(`ID ${id} not found.`);
        return new Document({ pageContent: '', metadata: { i } });
      },
    } as unknown as Store['docstore'];
    const store = new HNSWLib(embeddings, { space: 'cosine', numDimensions: dims, index, docstore });
    const dense = new DenseIndex(store, size, dims);
    dense.setEf(efSearch);
    return dense;
  }

  /** Writes hnswlib.index, args.json and docstore.json (LangChain's `HNSWLib.save`). */
  async save(dir: string): Promise<SavedFiles> {
    await this.store.save(dir);
    return {};
  }

  setEf(ef: number): void {
    if (this.size > 0) this.store.index.setEf(ef);
  }

  async search(vector: number[], k: number): Promise<DenseHit[]> {
    const n = Math.min(k, this.size);
    if (n === 0) return [];
    if (vector.length !== this.dims) throw new Error(`Query vector must have the same length as the number of dimensions (${this.dims})`);
    const res = await this.store.similaritySearchVectorWithScore(vector, n);
    // cosine space: distance = 1 - cosine similarity
    return res.map(([doc, distance]) => ({ index: doc.metadata.i as number, score: 1 - distance }));
  }
}
