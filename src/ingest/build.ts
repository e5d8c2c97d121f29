import path from 'node:path';
import type { Config } from '../config.js';
import type { DocentEmbeddings } from '../embeddings/types.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { TIME_SLICE, TimeSlice } from '../time-slice.js';
import type { ReindexReport } from '../pipeline.js';
import { HNSW_EF_CONSTRUCTION, HNSW_M } from '../index/dense.js';
import { findServingGeneration } from '../index/generations.js';
import type { IndexStore } from '../index/index-store.js';
import { openStore } from '../index/open-store.js';
import type { Chunk } from '../types.js';
import { chunkDocument } from './chunker.js';
import { loadCorpus } from './corpus.js';
import { httpUrl } from './loaders/markdown.js';
import { sameContent } from './freshness.js';
import { CHUNKER_VERSION, FORMAT_VERSION, type DocRecord, type LockHandle } from '../index/store.js';

export type BuildStage = 'load' | 'chunk' | 'embed' | 'index' | 'write';
export interface BuildProgress {
  stage: BuildStage;
  done: number;
  total: number;
  detail?: string;
}

export interface BuildOptions {
  config: Config;
  /** Where the generations are written (the collection's store); without one, the config's store is opened and closed. */
  store?: IndexStore;
  embeddings: DocentEmbeddings;
  logger?: Logger;
  onProgress?: (p: BuildProgress) => void;
  /** Write a new generation even when nothing changed. */
  force?: boolean;
  /** Shown to a second writer that is refused ("ingest (shell)", "/reindex by …"). */
  purpose?: string;
  /** Embedding batch size (default 256). */
  batchSize?: number;
  /**
   * The index lock, when the caller already holds it (it changed the corpus under it); the build
   * uses it and leaves it held. Without one the build takes its own and releases it. It must be `store`'s.
   */
  lock?: LockHandle;
  /** Called when a worker starts reading a document's content (PDFs), with its source. */
  onParseStart?: (source: string) => void;
}

/**
 * Incremental, atomic (re)build of the index from the corpus folder.
 *
 * Documents are compared by content hash with the serving generation. Vectors of unchanged
 * chunks are reused from it, only new chunks are embedded, and the HNSW graph and BM25 index
 * are rebuilt from the full set into a new generation, which the store switches in whole (an
 * atomic rename locally, one transaction in Postgres). When nothing changed, no generation is
 * written.
 */
export async function buildIndex(opts: BuildOptions): Promise<ReindexReport> {
  if (opts.store) return buildInto(opts.store, opts);
  const store = await openStore(opts.config);
  try {
    return await buildInto(store, opts);
  } finally {
    await store.close();
  }
}

async function buildInto(store: IndexStore, opts: BuildOptions): Promise<ReindexReport> {
  const { config, embeddings } = opts;
  const logger = opts.logger ?? silentLogger;
  const progress = opts.onProgress ?? (() => {});
  const t0 = performance.now();
  const lock = opts.lock ?? (await store.acquireLock(opts.purpose ?? 'ingest'));
  try {
    await store.cleanup();
    const prev = await findServingGeneration(store, logger);
    const { docs, skipped, snapshot, warnings } = await loadCorpus(config.corpusDir, {
      maxFileBytes: config.maxFileBytes,
      limits: config.parseLimits,
      onParseStart: opts.onParseStart,
      onProgress: (done, total, source) => progress({ stage: 'load', done, total, detail: source }),
      // of two files with one content, the one already indexed stays (a copy never pushes it out)
      indexed: new Map((prev?.manifest.docs ?? []).map((d) => [d.contentHash, d.source])),
    });
    for (const w of warnings) logger.warn('a document was loaded with a problem', { source: w.source, problem: w.message });
    const prevDocs = new Map((prev?.manifest.docs ?? []).map((d) => [d.source, d]));
    const added: string[] = [];
    const changed: string[] = [];
    const unchanged: string[] = [];
    for (const d of docs) {
      const p = prevDocs.get(d.source);
      if (!p) added.push(d.source);
      else if (p.contentHash !== d.contentHash) changed.push(d.source);
      else unchanged.push(d.source);
    }
    const current = new Set(docs.map((d) => d.source));
    const removed = [...prevDocs.keys()].filter((s) => !current.has(s));
    const sameSetup =
      prev !== null &&
      prev.manifest.embedder.id === embeddings.id &&
      prev.manifest.embedder.dimensions === embeddings.dimensions &&
      prev.manifest.chunkerVersion === CHUNKER_VERSION;
    const base = { added, changed, removed, unchanged, skipped };
    // the recorded corpus (skipped files too) must match as well, or the staleness check, which
    // compares files, would keep asking for a build that writes nothing
    const sameCorpus = prev?.manifest.corpus !== undefined && sameContent(prev.manifest.corpus, snapshot);
    if (sameSetup && sameCorpus && !opts.force && added.length === 0 && changed.length === 0 && removed.length === 0) {
      logger.info('index is up to date', { generation: prev!.manifest.generation, documents: docs.length });
      // a build that succeeds ends any pin left by a rollback: it was asked for (npm run ingest,
      // /reindex, an upload), or the corpus changed after the rollback
      await store.clearPin();
      await store.keepOriginals(config.corpusDir, snapshot); // an index from before originals were kept gets them now
      return { ...base, generation: prev!.manifest.generation, chunks: prev!.manifest.chunkCount, embedded: 0, noChange: true, ms: Math.round(performance.now() - t0) };
    }

    // the build runs on the thread that answers questions: every loop below gives the event loop
    // a turn at least every TIME_SLICE.ms (a 25k-chunk re-index stalled it 4.4 s in one piece)
    const slice = new TimeSlice();
    const chunks: Chunk[] = [];
    const perDoc = new Map<string, number>();
    for (const [i, d] of docs.entries()) {
      if (slice.due()) await slice.pause();
      const cs = await chunkDocument(d, { slice });
      perDoc.set(d.source, cs.length);
      chunks.push(...cs);
      progress({ stage: 'chunk', done: i + 1, total: docs.length, detail: d.source });
    }

    const reuse = prev && prev.manifest.embedder.id === embeddings.id ? await store.previousVectors(prev.manifest) : new Map<string, Float32Array>();
    const vectors: Float32Array[] = new Array(chunks.length);
    const todo: number[] = [];
    chunks.forEach((c, i) => {
      const v = reuse.get(c.id);
      if (v && v.length === embeddings.dimensions) vectors[i] = v;
      else todo.push(i);
    });
    const maxBatch = opts.batchSize ?? 256;
    let batch = Math.min(maxBatch, 32);
    progress({ stage: 'embed', done: 0, total: todo.length });
    for (let s = 0; s < todo.length; ) {
      lock.signal.throwIfAborted(); // lost the lock: stop embedding for a build that cannot switch
      const idx = todo.slice(s, s + batch);
      let waited = false; // did the embedder let the event loop run (a server), or compute here?
      const turn = setImmediate(() => (waited = true));
      const t = performance.now();
      const out = await embeddings.embedDocuments(idx.map((i) => embeddingText(chunks[i])));
      const took = performance.now() - t;
      clearImmediate(turn);
      idx.forEach((i, j) => (vectors[i] = Float32Array.from(out[j])));
      s += idx.length;
      // an embedder computing on this thread (GloVe, hash) holds it for the whole batch: its batch
      // is sized to hold it about one slice; a remote one, which lets the loop run, gets full batches
      batch = waited ? maxBatch : Math.max(8, Math.min(maxBatch, 2 * batch, Math.floor((batch * TIME_SLICE.ms) / Math.max(took, 1))));
      progress({ stage: 'embed', done: s, total: todo.length });
      if (slice.due()) await slice.pause();
    }

    const now = new Date().toISOString();
    const docRecords: DocRecord[] = docs.map((d) => {
      const p = prevDocs.get(d.source);
      // checked at load (Markdown front matter); again here for any loader that sets it
      const url = d.meta.url === undefined ? null : httpUrl(d.meta.url);
      return {
        source: d.source,
        title: d.title,
        format: d.format,
        contentHash: d.contentHash,
        bytes: d.bytes,
        chunks: perDoc.get(d.source) ?? 0,
        indexedAt: p && p.contentHash === d.contentHash ? p.indexedAt : now,
        meta: d.meta,
        ...(url?.ok ? { url: url.value } : {}),
      };
    });
    const manifest = await store.writeGeneration(
      {
        manifest: {
          formatVersion: FORMAT_VERSION,
          chunkerVersion: CHUNKER_VERSION,
          builtAt: now,
          buildMs: Math.round(performance.now() - t0),
          embedder: { id: embeddings.id, dimensions: embeddings.dimensions },
          chunkCount: chunks.length,
          docs: docRecords,
          skipped,
          hnsw: { m: HNSW_M, efConstruction: HNSW_EF_CONSTRUCTION },
          corpusDir: path.resolve(config.corpusDir),
          corpus: snapshot,
        },
        chunks,
        vectors,
        docTexts: new Map(docs.map((d) => [d.source, d.text])),
        corpusDir: config.corpusDir,
        snapshot,
        efSearch: config.efSearch,
        keep: config.keepGenerations,
      },
      { lock, slice, onProgress: progress },
    );
    const report: ReindexReport = {
      ...base,
      generation: manifest.generation,
      chunks: chunks.length,
      embedded: todo.length,
      noChange: false,
      ms: Math.round(performance.now() - t0),
    };
    logger.info('index built', { generation: report.generation, chunks: report.chunks, embedded: report.embedded, ms: report.ms });
    return report;
  } finally {
    if (!opts.lock) await lock.release();
  }
}

/** What a chunk is embedded as: its section path gives short chunks their context. */
export function embeddingText(c: Chunk): string {
  const section = c.headings.length ? c.headings[c.headings.length - 1] : '';
  return section ? `${section}\n${c.text}` : c.text;
}
