import { Document } from '@langchain/core/documents';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { HNSWLib } from '@langchain/community/vectorstores/hnswlib';
import { DocentError } from '../errors.js';

/**
 * Dense retrieval on LangChain's `HNSWLib` store. The graph is built here with explicit
 * construction parameters (LangChain's `addVectors` always uses hnswlib's defaults), then handed
 * to `HNSWLib` for search, save and load. The docstore holds only each vector's chunk position,
 * not the text (the chunk store has that), so it stays small. `ef` is set deliberately: LangChain
 * never raises it above hnswlib's default of 10, which costs recall.
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

export class DenseIndex {
  private constructor(readonly store: HNSWLib, readonly size: number) {}

  static async build(vectors: Float32Array[], dims: number, embeddings: EmbeddingsInterface, efSearch: number): Promise<DenseIndex> {
    const { HierarchicalNSW } = await hnswlib();
    const index = new HierarchicalNSW('cosine', dims);
    index.initIndex({ maxElements: Math.max(1, vectors.length), m: HNSW_M, efConstruction: HNSW_EF_CONSTRUCTION, randomSeed: 100 });
    const docs: Record<number, Document> = {};
    for (let i = 0; i < vectors.length; i++) {
      index.addPoint(Array.from(vectors[i]), i);
      docs[i] = new Document({ pageContent: '', metadata: { i } });
    }
    const store = new HNSWLib(embeddings, { space: 'cosine', numDimensions: dims, index });
    store.docstore.add(docs);
    const dense = new DenseIndex(store, vectors.length);
    dense.setEf(efSearch);
    return dense;
  }

  static async load(dir: string, embeddings: EmbeddingsInterface, efSearch: number): Promise<DenseIndex> {
    await hnswlib();
    const store = await HNSWLib.load(dir, embeddings);
    const dense = new DenseIndex(store, store.index.getCurrentCount());
    dense.setEf(efSearch);
    return dense;
  }

  async save(dir: string): Promise<void> {
    await this.store.save(dir);
  }

  setEf(ef: number): void {
    if (this.size > 0) this.store.index.setEf(ef);
  }

  async search(vector: number[], k: number): Promise<DenseHit[]> {
    const n = Math.min(k, this.size);
    if (n === 0) return [];
    const res = await this.store.similaritySearchVectorWithScore(vector, n);
    // cosine space: distance = 1 - cosine similarity
    return res.map(([doc, distance]) => ({ index: doc.metadata.i as number, score: 1 - distance }));
  }
}
