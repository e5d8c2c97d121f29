import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.js';
import type { DocentEmbeddings } from '../embeddings/types.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { TIME_SLICE, TimeSlice } from '../time-slice.js';
import type { ReindexReport } from '../pipeline.js';
import { DenseIndex, HNSW_EF_CONSTRUCTION, HNSW_M } from '../index/dense.js';
import { LexicalIndex } from '../index/lexical.js';
import type { Chunk } from '../types.js';
import type { DocentError } from '../errors.js';
import { chunkDocument } from './chunker.js';
import { loadCorpus } from './corpus.js';
import { httpUrl } from './loaders/markdown.js';
import { keepOriginals, pruneOriginals } from '../index/originals.js';
import { sameContent } from './freshness.js';
import {
  CHUNKER_VERSION,
  FORMAT_VERSION,
  acquireLock,
  activeBuilds,
  bufferToVectors,
  cleanupLeftovers,
  clearPin,
  commitBuild,
  createBuildDir,
  listGenerations,
  pruneGenerations,
  readCurrentName,
  vectorsToBuffer,
  verifyGeneration,
  type DocRecord,
  type LockHandle,
  type Manifest,
} from '../index/store.js';
import { writeFileSynced } from '../index/atomic-file.js';
import { readChunkIds, writeChunkTable } from '../index/chunk-table.js';

export type BuildStage = 'load' | 'chunk' | 'embed' | 'index' | 'write';
export interface BuildProgress {
  stage: BuildStage;
  done: number;
  total: number;
  detail?: string;
}

export interface BuildOptions {
  config: Config;
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
   * uses it and leaves it held. Without one the build takes its own and releases it.
   */
  lock?: LockHandle;
  /** Called when a worker starts reading a document's content (PDFs), with its source. */
  onParseStart?: (source: string) => void;
}

/** The newest generation that verifies, starting at CURRENT (null when there is none). */
export async function findServingGeneration(indexDir: string, logger: Logger = silentLogger): Promise<{ dir: string; manifest: Manifest } | null> {
  const current = await readCurrentName(indexDir);
  const gens = await listGenerations(indexDir);
  const order = current ? [current, ...gens.filter((g) => g !== current).reverse()] : gens.reverse();
  for (const g of order) {
    const dir = path.join(indexDir, g);
    try {
      return { dir, manifest: await verifyGeneration(dir) };
    } catch (err) {
      if ((err as DocentError).code === 'INDEX_FORMAT') logger.warn('skipping an index generation of another format (a new one is built from the corpus)', { generation: g, error: (err as Error).message });
      else logger.warn('skipping a damaged index generation', { generation: g, error: (err as Error).message });
    }
  }
  return null;
}

async function previousVectors(prev: { dir: string; manifest: Manifest } | null, embedderId: string): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  if (!prev || prev.manifest.embedder.id !== embedderId) return out;
  const ids = await readChunkIds(prev.dir);
  const vectors = bufferToVectors(await fs.readFile(path.join(prev.dir, 'vectors.f32')), prev.manifest.embedder.dimensions);
  ids.forEach((id, i) => out.set(id, vectors[i]));
  return out;
}

/**
 * Incremental, atomic (re)build of the index from the corpus folder.
 *
 * Documents are compared by content hash with the serving generation. Vectors of unchanged
 * chunks are reused from it, only new chunks are embedded, and the HNSW graph and BM25 index
 * are rebuilt from the full set into a new generation directory, which is switched in by an
 * atomic rename. When nothing changed, no generation is written.
 */
export async function buildIndex(opts: BuildOptions): Promise<ReindexReport> {
  const { config, embeddings } = opts;
  const logger = opts.logger ?? silentLogger;
  const progress = opts.onProgress ?? (() => {});
  const t0 = performance.now();
  const indexDir = config.indexDir;
  const lock = opts.lock ?? (await acquireLock(indexDir, opts.purpose ?? 'ingest'));
  let buildDir: string | undefined;
  try {
    await cleanupLeftovers(indexDir);
    const prev = await findServingGeneration(indexDir, logger);
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
      await clearPin(indexDir);
      await keepOriginals(indexDir, config.corpusDir, snapshot); // an index from before originals were kept gets them now
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

    const reuse = await previousVectors(prev, embeddings.id);
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

    progress({ stage: 'index', done: 0, total: 2 });
    const dense = await DenseIndex.build(vectors, embeddings.dimensions, embeddings, config.efSearch);
    progress({ stage: 'index', done: 1, total: 2 });
    const lexical = await LexicalIndex.buildSliced(chunks, slice);
    progress({ stage: 'index', done: 2, total: 2 });

    await lock.ensureHeld();
    // the corpus files as read, so that a rollback to this generation can put them back
    await keepOriginals(indexDir, config.corpusDir, snapshot);
    buildDir = await createBuildDir(indexDir);
    activeBuilds.add(buildDir);
    const steps = 5;
    const written: Manifest['files'] = {};
    progress({ stage: 'write', done: 0, total: steps });
    // chunks as typed columns, each text once (texts.bin): the compact layout of chunk-table.ts
    Object.assign(written, await writeChunkTable(buildDir, chunks, docs, slice));
    progress({ stage: 'write', done: 2, total: steps });
    written['vectors.f32'] = await writeFileSynced(path.join(buildDir, 'vectors.f32'), vectorsToBuffer(vectors, embeddings.dimensions));
    progress({ stage: 'write', done: 3, total: steps });
    Object.assign(written, await lexical.save(buildDir));
    progress({ stage: 'write', done: 4, total: steps });
    if (chunks.length) await dense.save(path.join(buildDir, 'hnsw'));
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
    // the one step another writer must never see twice: switch only while the lock is still ours
    await lock.ensureHeld();
    const manifest = await commitBuild(indexDir, buildDir, {
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
    }, written);
    activeBuilds.delete(buildDir);
    buildDir = undefined;
    await clearPin(indexDir);
    progress({ stage: 'write', done: steps, total: steps });
    await pruneGenerations(indexDir, config.keepGenerations);
    await pruneOriginals(indexDir);
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
    if (buildDir) {
      activeBuilds.delete(buildDir);
      await fs.rm(buildDir, { recursive: true, force: true }).catch(() => {});
    }
    if (!opts.lock) await lock.release();
  }
}

/**
 * `JSON.stringify(value)` of an array or a plain object, one element at a time with turns for the
 * event loop between slices (25k chunks are ~0.3 s of stringifying). The same text.
 */
export async function jsonSliced(value: unknown[] | Record<string, unknown>, slice: TimeSlice): Promise<string> {
  const array = Array.isArray(value);
  const parts: string[] = [];
  for (const [k, v] of array ? value.entries() : Object.entries(value)) {
    const json = JSON.stringify(v);
    // as JSON.stringify: an array keeps a hole for an unserialisable element, an object drops its key
    if (array) parts.push(json ?? 'null');
    else if (json !== undefined) parts.push(`${JSON.stringify(k)}:${json}`);
    if (slice.due()) await slice.pause();
  }
  return array ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}

/** What a chunk is embedded as: its section path gives short chunks their context. */
export function embeddingText(c: Chunk): string {
  const section = c.headings.length ? c.headings[c.headings.length - 1] : '';
  return section ? `${section}\n${c.text}` : c.text;
}
