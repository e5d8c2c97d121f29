import path from 'node:path';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Chunk } from '../types.js';
import { DocentError, UserError } from '../errors.js';
import { verifyGeneration, type Manifest } from './store.js';
import { DenseIndex } from './dense.js';
import { LexicalIndex } from './lexical.js';
import { loadChunkTable } from './chunk-table.js';
import { lineOf, lineStarts } from '../text/lines.js';

/** One generation, loaded and verified: what a question is answered from. Immutable. */
export class LoadedIndex {
  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    readonly chunks: Chunk[],
    readonly docTexts: Map<string, string>,
    readonly lexical: LexicalIndex,
    readonly dense: DenseIndex,
  ) {}

  private readonly lineStartCache = new Map<string, number[]>();

  /** 1-based line number of an offset in a document's text (line starts computed once per generation). */
  lineAt(source: string, offset: number): number {
    let starts = this.lineStartCache.get(source);
    if (!starts) this.lineStartCache.set(source, (starts = lineStarts(this.docTexts.get(source) ?? '')));
    return lineOf(starts, offset);
  }

  get generation(): string {
    return this.manifest.generation;
  }

  private urls: Map<string, string> | undefined;

  /** The document's link (front matter `url:`), if it has one. */
  urlOf(source: string): string | undefined {
    this.urls ??= new Map(this.manifest.docs.flatMap((d) => (d.url ? [[d.source, d.url] as const] : [])));
    return this.urls.get(source);
  }

  /**
   * Loads a generation after checking every file against the manifest. Throws
   * `INDEX_EMBEDDER_MISMATCH` (a UserError that says to re-index) when the index was built with
   * another embedder or dimension, `INDEX_CORRUPT` when a file is damaged.
   */
  static async load(
    dir: string,
    embeddings: EmbeddingsInterface & { id: string; dimensions: number },
    efSearch: number,
    opts: { verified?: Manifest } = {},
  ): Promise<LoadedIndex> {
    // a caller that has just verified the generation (findServingGeneration) need not hash it again
    const manifest = opts.verified && opts.verified.generation === path.basename(dir) ? opts.verified : await verifyGeneration(dir);
    if (manifest.embedder.id !== embeddings.id || manifest.embedder.dimensions !== embeddings.dimensions) {
      throw new UserError(
        'INDEX_EMBEDDER_MISMATCH',
        `The index ${manifest.generation} was built with the embedder ${manifest.embedder.id} (${manifest.embedder.dimensions} dimensions), ` +
          `but DOCENT_EMBEDDER is ${embeddings.id} (${embeddings.dimensions} dimensions). Re-index with \`npm run ingest\` (or /reindex).`,
      );
    }
    // the graph is read by hnswlib on a worker thread while the JSON files are parsed here
    const denseLoad = manifest.chunkCount > 0 ? DenseIndex.load(path.join(dir, 'hnsw'), embeddings, efSearch) : null;
    denseLoad?.catch(() => {});
    try {
      // chunk fields from typed columns, document texts read from texts.bin when asked for
      // (chunk-table.ts): what keeps a million chunks within one box's memory
      const { chunks, docTexts } = await loadChunkTable(dir);
      if (chunks.length !== manifest.chunkCount) throw new Error(`the chunk table has ${chunks.length} chunks, the manifest says ${manifest.chunkCount}`);
      const lexical = await LexicalIndex.load(dir);
      const dense = chunks.length && denseLoad ? await denseLoad : await DenseIndex.build([], embeddings.dimensions, embeddings, efSearch);
      if (dense.size !== chunks.length) throw new Error(`the vector index has ${dense.size} vectors for ${chunks.length} chunks`);
      return new LoadedIndex(dir, manifest, chunks, docTexts, lexical, dense);
    } catch (err) {
      if (err instanceof DocentError) throw err;
      throw new DocentError('INDEX_CORRUPT', `${manifest.generation}: ${(err as Error).message}`, { cause: err });
    }
  }
}
