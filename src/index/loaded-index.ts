import fs from 'node:fs/promises';
import path from 'node:path';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { Chunk } from '../types.js';
import { DocentError, UserError } from '../errors.js';
import { verifyGeneration, type Manifest } from './store.js';
import { DenseIndex } from './dense.js';
import { LexicalIndex } from './lexical.js';
import { lineOf, lineStarts } from '../text/lines.js';
import type { SearchHit } from './search-index.js';

/** The lexical side of a loaded generation: BM25 search, and the term statistics the reader weighs words by. */
export interface LexicalSearcher {
  readonly size: number;
  /** Document frequency of each term over chunk texts. */
  readonly df: Map<string, number>;
  idf(term: string): number;
  search(query: string, k: number, weights?: Map<string, number>): SearchHit[] | Promise<SearchHit[]>;
}

/** The dense side of a loaded generation: nearest chunks to a query vector by cosine similarity. */
export interface DenseSearcher {
  readonly size: number;
  search(vector: number[], k: number): Promise<SearchHit[]>;
  setEf(ef: number): void;
}

/** One generation, loaded and verified: what a question is answered from. Immutable. */
export class LoadedIndex {
  private constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    readonly chunks: Chunk[],
    readonly docTexts: Map<string, string>,
    readonly lexical: LexicalSearcher,
    readonly dense: DenseSearcher,
  ) {}

  /** A generation whose search runs elsewhere (the Postgres store): chunks stored without their text get it from their document. */
  static fromParts(where: string, manifest: Manifest, chunks: Chunk[], docTexts: Map<string, string>, lexical: LexicalSearcher, dense: DenseSearcher): LoadedIndex {
    shareTexts(chunks, docTexts);
    return new LoadedIndex(where, manifest, chunks, docTexts, lexical, dense);
  }

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
    checkEmbedder(manifest, embeddings);
    // the graph is read by hnswlib on a worker thread while the JSON files are parsed here
    const denseLoad = manifest.chunkCount > 0 ? DenseIndex.load(path.join(dir, 'hnsw'), embeddings, efSearch) : null;
    denseLoad?.catch(() => {});
    try {
      // one file at a time, each text dropped once parsed: at 100k chunks the three JSON texts
      // held together (~200 MB) set the process's peak memory
      const read = (f: string) => fs.readFile(path.join(dir, f), 'utf8');
      const chunks = JSON.parse(await read('chunks.json')) as Chunk[];
      if (chunks.length !== manifest.chunkCount) throw new Error(`chunks.json has ${chunks.length} chunks, the manifest says ${manifest.chunkCount}`);
      const docTexts = new Map(Object.entries(JSON.parse(await read('docs.json')) as Record<string, string>));
      shareTexts(chunks, docTexts);
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

/** Throws `INDEX_EMBEDDER_MISMATCH` (a UserError that says to re-index) when the generation was built with another embedder or dimension. */
export function checkEmbedder(manifest: Manifest, embeddings: { id: string; dimensions: number }): void {
  if (manifest.embedder.id !== embeddings.id || manifest.embedder.dimensions !== embeddings.dimensions) {
    throw new UserError(
      'INDEX_EMBEDDER_MISMATCH',
      `The index ${manifest.generation} was built with the embedder ${manifest.embedder.id} (${manifest.embedder.dimensions} dimensions), ` +
        `but DOCENT_EMBEDDER is ${embeddings.id} (${embeddings.dimensions} dimensions). Re-index with \`npm run ingest\` (or /reindex).`,
    );
  }
}

/**
 * A chunk's text is a slice of its document's text (except table rows, which carry the header
 * row): point it at the document string instead of keeping a second copy (V8 keeps a slice as a
 * view of its parent), which halves the memory the texts take.
 */
function shareTexts(chunks: Chunk[], docTexts: Map<string, string>): void {
  for (const c of chunks) {
    const doc = docTexts.get(c.source);
    if (c.text === undefined) {
      // stored without its text (build.ts): it is exactly this slice of the document
      if (doc === undefined || c.end > doc.length) throw new Error(`chunk ${c.id} points outside ${c.source}`);
      c.text = doc.slice(c.start, c.end);
      continue;
    }
    if (doc === undefined || c.end - c.start !== c.text.length || c.end > doc.length) continue;
    if (doc.startsWith(c.text, c.start)) c.text = doc.slice(c.start, c.end);
  }
}
