import fs from 'node:fs/promises';
import path from 'node:path';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { HierarchicalNSW } from 'hnswlib-node';
import { DocentError } from '../errors.js';

/**
 * Dense retrieval on an hnswlib graph saved in LangChain's `HNSWLib` layout (hnswlib.index,
 * args.json, docstore.json), so LangChain can open a Docent index and the other way round. The
 * graph is built here with explicit construction parameters (LangChain's `addVectors` always
 * uses hnswlib's defaults). The docstore holds only each vector's chunk position, which is also
 * its hnswlib label, so loading and searching go to hnswlib directly: parsing docstore.json and
 * one docstore lookup per hit cost more than the search itself at 100k chunks (docs/BENCH.md).
 * `ef` is set deliberately: LangChain never raises it above hnswlib's default of 10, which
 * costs recall.
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
  private constructor(
    readonly index: HierarchicalNSW,
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
    for (let i = 0; i < vectors.length; i++) {
      const v = vectors[i];
      for (let j = 0; j < dims; j++) point[j] = v[j];
      index.addPoint(point, i);
    }
    const dense = new DenseIndex(index, vectors.length, dims, embeddings);
    dense.setEf(efSearch);
    return dense;
  }

  static async load(dir: string, embeddings: EmbeddingsInterface, efSearch: number): Promise<DenseIndex> {
    const { HierarchicalNSW } = await hnswlib();
    const args = JSON.parse(await fs.readFile(path.join(dir, 'args.json'), 'utf8')) as { space?: string; numDimensions?: number };
    if (args.space !== 'cosine' || !Number.isInteger(args.numDimensions)) throw new Error(`${path.join(dir, 'args.json')} does not describe a cosine index`);
    const index = new HierarchicalNSW('cosine', args.numDimensions!);
    await index.readIndex(path.join(dir, 'hnswlib.index'));
    const dense = new DenseIndex(index, index.getCurrentCount(), args.numDimensions!, embeddings);
    dense.setEf(efSearch);
    return dense;
  }

  /** Writes the graph as LangChain's `HNSWLib.save` does (the docstore maps label i to `{ i }`). */
  async save(dir: string): Promise<void> {
    const { Document } = await import('@langchain/core/documents');
    const { HNSWLib } = await import('@langchain/community/vectorstores/hnswlib');
    const store = new HNSWLib(this.embeddings, { space: 'cosine', numDimensions: this.dims, index: this.index });
    const docs: Record<number, InstanceType<typeof Document>> = {};
    for (let i = 0; i < this.size; i++) docs[i] = new Document({ pageContent: '', metadata: { i } });
    store.docstore.add(docs);
    await store.save(dir);
  }

  setEf(ef: number): void {
    if (this.size > 0) this.index.setEf(ef);
  }

  async search(vector: number[], k: number): Promise<DenseHit[]> {
    const n = Math.min(k, this.size);
    if (n === 0) return [];
    if (vector.length !== this.dims) throw new Error(`Query vector must have the same length as the number of dimensions (${this.dims})`);
    const { neighbors, distances } = this.index.searchKnn(vector, n);
    // cosine space: distance = 1 - cosine similarity
    return neighbors.map((label, j) => ({ index: label, score: 1 - distances[j] }));
  }
}
