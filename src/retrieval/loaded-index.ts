import fs from 'node:fs/promises';
import path from 'node:path';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Chunk } from '../types.js';
import { DocentError, UserError } from '../errors.js';
import { verifyGeneration, type Manifest } from '../ingest/store.js';
import { DenseIndex } from './dense.js';
import { LexicalIndex } from './lexical.js';

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

  get generation(): string {
    return this.manifest.generation;
  }

  /**
   * Loads a generation after checking every file against the manifest. Throws
   * `INDEX_EMBEDDER_MISMATCH` (a UserError that says to re-index) when the index was built with
   * another embedder or dimension, `INDEX_CORRUPT` when a file is damaged.
   */
  static async load(dir: string, embeddings: EmbeddingsInterface & { id: string; dimensions: number }, efSearch: number): Promise<LoadedIndex> {
    const manifest = await verifyGeneration(dir);
    if (manifest.embedder.id !== embeddings.id || manifest.embedder.dimensions !== embeddings.dimensions) {
      throw new UserError(
        'INDEX_EMBEDDER_MISMATCH',
        `The index ${manifest.generation} was built with the embedder ${manifest.embedder.id} (${manifest.embedder.dimensions} dimensions), ` +
          `but DOCENT_EMBEDDER is ${embeddings.id} (${embeddings.dimensions} dimensions). Re-index with \`npm run ingest\` (or /reindex).`,
      );
    }
    try {
      const [chunksJson, docsJson, lexJson] = await Promise.all([
        fs.readFile(path.join(dir, 'chunks.json'), 'utf8'),
        fs.readFile(path.join(dir, 'docs.json'), 'utf8'),
        fs.readFile(path.join(dir, 'lexical.json'), 'utf8'),
      ]);
      const chunks = JSON.parse(chunksJson) as Chunk[];
      if (chunks.length !== manifest.chunkCount) throw new Error(`chunks.json has ${chunks.length} chunks, the manifest says ${manifest.chunkCount}`);
      const docTexts = new Map(Object.entries(JSON.parse(docsJson) as Record<string, string>));
      const lexical = LexicalIndex.fromJSON(lexJson);
      const dense = chunks.length ? await DenseIndex.load(path.join(dir, 'hnsw'), embeddings, efSearch) : await DenseIndex.build([], embeddings.dimensions, embeddings, efSearch);
      if (dense.size !== chunks.length) throw new Error(`the vector index has ${dense.size} vectors for ${chunks.length} chunks`);
      return new LoadedIndex(dir, manifest, chunks, docTexts, lexical, dense);
    } catch (err) {
      if (err instanceof DocentError) throw err;
      throw new DocentError('INDEX_CORRUPT', `${manifest.generation}: ${(err as Error).message}`, { cause: err });
    }
  }
}
