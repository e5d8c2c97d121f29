/**
 * Where a collection's index generations live, behind one interface that the pipeline
 * (src/pipeline.ts), the build (src/ingest/build.ts) and the generation commands
 * (src/index/generations.ts) use, so the store is chosen in one place (`openStore` in
 * src/index/open-store.ts) like the embedder:
 *
 * - `local` (src/index/local-store.ts): one folder per index, a directory per generation and the
 *   CURRENT pointer file, under a lock file;
 * - `postgres` (src/index/postgres/): rows per generation and a per-collection pointer row, the
 *   switch in one transaction, search in SQL.
 *
 * Both pass one contract suite (tests/unit/index/index-store-contract.test.ts): build → search →
 * answer → re-index → rollback, with the same citations.
 *
 * A generation is described by its `Manifest` in both stores (what it was built from, its
 * documents and embedder); `load()` turns one into the `LoadedIndex` a question is answered from.
 */
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { CorpusSnapshot, Pin } from '../ingest/freshness.js';
import type { TimeSlice } from '../time-slice.js';
import type { Chunk } from '../types.js';
import type { LoadedIndex } from './loaded-index.js';
import type { LockHandle, LockInfo } from './lock.js';
import type { CorpusRestore } from './originals.js';
import type { Manifest } from './store.js';

export type StoreKind = 'local' | 'postgres';

/** A new generation, as the build made it: its chunks (in order, with their texts), their vectors and the documents' texts. */
export interface GenerationWrite {
  /** The manifest without what the store assigns (the generation's name, its files). */
  manifest: Omit<Manifest, 'files' | 'generation'>;
  chunks: Chunk[];
  /** One per chunk, in chunk order (`manifest.embedder.dimensions` long). */
  vectors: Float32Array[];
  /** Each document's full text, by source (quotes and line numbers are computed from it). */
  docTexts: Map<string, string>;
  /** The corpus files the build read, so a rollback to this generation can put them back. */
  corpusDir: string;
  snapshot: CorpusSnapshot;
  /** efSearch for the vector index the store builds (local) or sets (postgres). */
  efSearch: number;
  /** Generations to keep (older ones are pruned once this one serves; never the serving one). */
  keep: number;
}

/** Progress of `writeGeneration`: building the search indexes, then writing them. */
export interface WriteProgress {
  stage: 'index' | 'write';
  done: number;
  total: number;
}

export interface IndexStore {
  readonly kind: StoreKind;
  /** The collection this store holds (one folder each locally, a column in Postgres). */
  readonly collection: string;
  /** Where the index is, for messages: the index folder, or `postgres://host/db (collection x)` (never a password). */
  readonly where: string;

  /** Takes the collection's index lock (one writer at a time, across processes); `INDEX_LOCKED` when another holds it. */
  acquireLock(purpose: string): Promise<LockHandle>;
  /** Who holds the lock, or null. */
  readLock(): Promise<LockInfo | null>;
  /** Removes what a crashed build left behind (the caller checked that no one holds the lock, or holds it). */
  cleanup(): Promise<void>;

  /** The generation the collection's pointer names (cheap: every process checks it often), or null. */
  currentName(): Promise<string | null>;
  /** Names of the kept generations, oldest first. */
  listGenerations(): Promise<string[]>;
  /** A generation's manifest without checking its data (cheap; for listing). Throws when it cannot be read. */
  readManifest(generation: string): Promise<Manifest>;
  /** A generation's manifest after checking its data is whole (`INDEX_CORRUPT`, `INDEX_FORMAT` otherwise). */
  verify(generation: string): Promise<Manifest>;
  /** A cheap fingerprint of a generation's stored data: changes when it is repaired or replaced (a failed load is not retried until then). */
  look(generation: string): Promise<string>;
  /** Loads a generation to answer from (`verified`: its manifest was just verified, do not check it again). */
  load(generation: string, embeddings: EmbeddingsInterface & { id: string; dimensions: number }, efSearch: number, opts?: { verified?: Manifest }): Promise<LoadedIndex>;

  /** The vectors of `prev`'s chunks by chunk id (reused for unchanged chunks). */
  previousVectors(prev: Manifest): Promise<Map<string, Float32Array>>;
  /**
   * Writes a new generation and makes it the serving one (and ends any pin) in one step that
   * other processes see whole or not at all, while `lock` is still held; then prunes to `keep`.
   * Returns its manifest.
   */
  writeGeneration(write: GenerationWrite, opts: { lock: LockHandle; slice: TimeSlice; onProgress?: (p: WriteProgress) => void }): Promise<Manifest>;
  /** Makes an existing generation serve, with `pin` (a rollback or switch), in one step. */
  switchTo(generation: string, pin: Pin, lock: LockHandle): Promise<void>;

  /** The pin left by a rollback or switch (the serving generation is kept despite corpus changes), or null. */
  readPin(): Promise<Pin | null>;
  /** Ends a pin (a build that changed nothing still ends it). */
  clearPin(): Promise<void>;

  /** Keeps the bytes of the snapshot's corpus files that are not kept yet (for a rollback to put them back). */
  keepOriginals(corpusDir: string, snapshot: CorpusSnapshot): Promise<void>;
  /** Puts the corpus files back to what `manifest` was built from; files it did not have are set aside. */
  restoreCorpus(corpusDir: string, manifest: Manifest): Promise<CorpusRestore>;

  /** Releases connections (postgres); the local store has nothing to close. */
  close(): Promise<void>;
}
