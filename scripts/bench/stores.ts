/**
 * The store comparison of the benchmark (`npm run bench -- --store postgres|both`, issue 11):
 * the same corpus ingested into each selected store through the real path (`openStore`,
 * `buildIndex`, `Docent.open`), then per store: ingest time, the full `search()` (both sides),
 * the dense side alone against exact search, and a re-index after one document changed. The
 * exact neighbours come from the vectors the store itself holds (`previousVectors`), so recall is
 * measured against what that store serves.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { createEmbeddings } from '../../src/embeddings/index.js';
import type { DocentEmbeddings } from '../../src/embeddings/types.js';
import type { IndexStore, StoreKind } from '../../src/index/index-store.js';
import { openStore } from '../../src/index/open-store.js';
import { buildIndex } from '../../src/ingest/build.js';
import { Docent } from '../../src/pipeline.js';
import { search } from '../../src/retrieval/search.js';
import { normalized } from '../../src/text/vector.js';
import { generateCorpus, gloveWords, sampleQueries, type BenchQuery, type CorpusInfo } from './corpus.js';
import { hnswlibNode, machineInfo, ROOT, type BenchReport } from './run.js';
import { overlap, round, summarize, timeWithin, type Latency } from './stats.js';

export interface StoreBenchOptions {
  sizes: number[];
  stores: StoreKind[];
  /** `postgres://…` for the postgres store (required when it is selected). */
  databaseUrl?: string;
  /** What the database is, for the report ("PGlite 0.5.14 (Postgres 17.5, WASM) in a child process"). */
  databaseLabel?: string;
  queries: number;
  warmup?: number;
  /**
   * Time budget of each timed measurement (hybrid, dense, lexical) per store, ms: it stops after
   * it once `minQueries` ran (default: no budget). PGlite answers a hybrid search at 100k in seconds.
   */
  queryBudgetMs?: number;
  /** Queries each measurement runs at least, budget or not (default 50). */
  minQueries?: number;
  seed?: number;
  efSearch?: number;
  workDir?: string;
  keep?: boolean;
  cacheDir?: string;
  /** Word shares of document topic and section subtopic (see corpus.ts). */
  topicShare?: [number, number];
  log?: (line: string) => void;
}

export interface StoreSizeReport {
  store: StoreKind;
  chunks: number;
  documents: number;
  /** Collection the run wrote (in the database: left there when the database is not the bench's own). */
  collection: string;
  ingest: { ms: number; chunksPerSec: number; embedded: number };
  noChangeReindexMs: number;
  /** `Docent.open` on the built index. */
  openMs: number;
  /** Full `search()`, k 10: both sides and the fusion. */
  retrieval: Latency;
  /** `search()` in dense mode, k 10 and depth 10: the vector index alone, through the store's path. */
  dense: { latency: Latency; recallAt10: number };
  /** `search()` in lexical mode, k 10 and depth 10: BM25 alone. */
  lexical: Latency;
  /** Share of queries whose source paragraph is in the hybrid top 10 (the same on both stores if they agree). */
  hitAt10: number;
  /** One document changed (one paragraph rewritten), re-indexed. */
  reindexOne: {
    /** Chunks embedded (the changed ones only when vectors are reused). */
    embedded: number;
    chunks: number;
    /** `buildIndex`, from start to the new generation serving. */
    ms: number;
    /** Until the open `Docent` serves the new generation (a local store loads it whole). */
    pickUpMs: number;
  };
}

export interface StoreBenchReport {
  date: string;
  machine: BenchReport['machine'];
  /** 1-, 5- and 15-minute load averages at the start and at the end of the run. */
  load: { start: number[]; end: number[] };
  database: string | null;
  /** Peak RSS of the database process, MB, when the bench started it. */
  databasePeakRssMB: number | null;
  /** Peak RSS of the bench process (it holds every store's open index), MB. */
  benchPeakRssMB: number;
  options: { queries: number; warmup: number; queryBudgetMs: number | null; minQueries: number; seed: number; embedder: string; efSearch: number };
  /** Per size, one entry per store, in `stores` order. */
  sizes: StoreSizeReport[][];
}

type BruteForce = typeof import('hnswlib-node').BruteforceSearch;

/** One side alone, as `search()` runs it: its top 10, no fusion depth. */
const DENSE_ONLY = { k: 10, mode: 'dense', depth: 10 } as const;
const LEXICAL_ONLY = { k: 10, mode: 'lexical', depth: 10 } as const;

/** A store being measured: opened, then served from, then re-indexed. */
interface Served {
  kind: StoreKind;
  config: Config;
  store: IndexStore;
  docent?: Docent;
  report?: Omit<StoreSizeReport, 'reindexOne'>;
}

const sizeLabel = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));

function storeConfig(kind: StoreKind, corpusDir: string, indexDir: string, collection: string, opts: StoreBenchOptions): Config {
  return loadConfig(
    {
      DOCENT_CORPUS_DIR: corpusDir,
      DOCENT_INDEX_DIR: indexDir,
      DOCENT_CACHE_DIR: opts.cacheDir ?? path.join(ROOT, '.docent', 'cache'),
      DOCENT_EF_SEARCH: opts.efSearch !== undefined ? String(opts.efSearch) : process.env.DOCENT_EF_SEARCH,
      DOCENT_STORE: kind,
      DATABASE_URL: kind === 'postgres' ? opts.databaseUrl : undefined,
      DOCENT_DEFAULT_COLLECTION: collection,
      DOCENT_KEEP_GENERATIONS: '2',
      LOG_LEVEL: 'warn',
    },
    { cwd: ROOT },
  );
}

/**
 * Rewrites one paragraph of one document (its words in reverse order: same length, one chunk,
 * new content), so a re-index has exactly one changed document with one new chunk.
 */
export async function changeOneDocument(corpus: CorpusInfo): Promise<string> {
  const p = corpus.paragraphs[Math.floor(corpus.paragraphs.length / 2)];
  const file = path.join(corpus.dir, p.source);
  const text = await fs.readFile(file, 'utf8');
  const at = text.indexOf(p.text);
  if (at < 0) throw new Error(`the paragraph to change is not in ${p.source}`);
  const words = p.text.replace(/[.,]/g, '').toLowerCase().split(' ').reverse();
  const changed = `${words[0][0].toUpperCase()}${words.join(' ').slice(1)}.`;
  await fs.writeFile(file, text.slice(0, at) + changed + text.slice(at + p.text.length));
  return p.source;
}

/** One size: the corpus once, each store ingests and serves it, then one document changes and each store re-indexes. */
async function runStoreSize(chunks: number, opts: StoreBenchOptions, embeddings: DocentEmbeddings, words: string[], work: string, runId: string): Promise<StoreSizeReport[]> {
  const { BruteforceSearch } = await hnswlibNode();
  const log = opts.log ?? (() => {});
  const label = sizeLabel(chunks);
  const dir = path.join(work, `stores-${label}`);
  await fs.rm(dir, { recursive: true, force: true });
  log(`[${label}] generating corpus`);
  const corpus = await generateCorpus({ dir: path.join(dir, 'corpus'), chunks, seed: opts.seed ?? 42, topicShare: opts.topicShare }, words);
  const warm = opts.warmup ?? 50;
  const all = sampleQueries(corpus, opts.queries + warm, words, (opts.seed ?? 42) + 1);
  const warmQ = all.slice(0, warm);
  const qs = all.slice(warm);
  const qVecs = await Promise.all(qs.map(async (q) => normalized(await embeddings.embedQuery(q.text))));
  const minQ = opts.minQueries ?? 50;
  const source = (i: number) => `${corpus.paragraphs[i].source}\u0000${corpus.paragraphs[i].text}`;

  const served: Served[] = [];
  try {
    for (const kind of opts.stores) {
      // a fresh collection per run: a database the bench did not start may hold others' data
      const collection = `bench-${label}-${runId}`;
      const config = storeConfig(kind, corpus.dir, path.join(dir, `index-${kind}`), collection, opts);
      const s: Served = { kind, config, store: await openStore(config) };
      served.push(s);
      log(`[${label}] ${kind}: ingesting ${corpus.chunks} chunks in ${corpus.documents} documents (${s.store.where})`);
      const t0 = performance.now();
      const built = await buildIndex({ config, store: s.store, embeddings, purpose: 'bench' });
      const ingestMs = performance.now() - t0;
      const t1 = performance.now();
      const again = await buildIndex({ config, store: s.store, embeddings, purpose: 'bench (no change)' });
      const noChangeMs = performance.now() - t1;
      if (!again.noChange) throw new Error(`${kind}: the re-index of an unchanged corpus wrote a new generation`);

      const to = performance.now();
      // refreshMs 0: current() looks for a new generation each time it is called (only the pick-up below calls it)
      s.docent = await Docent.open(config, { embeddings, store: s.store, autoBuild: false, refreshMs: 0 });
      const openMs = performance.now() - to;
      const index = await s.docent.current();

      // exact neighbours over the vectors this store holds, by chunk id
      log(`[${label}] ${kind}: exact search for ground truth`);
      const truth = exactTop10(BruteforceSearch, await s.store.previousVectors(index.manifest), qVecs, embeddings.dimensions);

      log(`[${label}] ${kind}: search() × ${qs.length}, hybrid, dense and lexical${opts.queryBudgetMs !== undefined ? ` (each within ${opts.queryBudgetMs / 1000} s, at least ${minQ} queries)` : ''}`);
      const timed = <R>(fn: (q: BenchQuery) => Promise<R>, onResult: (r: R, i: number) => void) => timeWithin(qs, opts.queryBudgetMs ?? Infinity, minQ, fn, onResult);
      for (const q of warmQ) await search(index, embeddings, q.text, { k: 10 });
      let hits = 0;
      const retrieval = await timed((q) => search(index, embeddings, q.text, { k: 10 }), (r, i) => {
        if (r.hits.some((h) => `${h.chunk.source}\u0000${h.chunk.text}` === source(qs[i].from))) hits++;
      });
      for (const q of warmQ) await search(index, embeddings, q.text, DENSE_ONLY);
      let recall = 0;
      const dense = await timed((q) => search(index, embeddings, q.text, DENSE_ONLY), (r, i) => {
        recall += overlap(r.hits.map((h) => h.chunk.id), truth[i]);
      });
      for (const q of warmQ) await search(index, embeddings, q.text, LEXICAL_ONLY);
      const lexical = await timed((q) => search(index, embeddings, q.text, LEXICAL_ONLY), () => {});
      s.report = {
        store: kind,
        chunks: built.chunks,
        documents: corpus.documents,
        collection: config.collection,
        ingest: { ms: Math.round(ingestMs), chunksPerSec: Math.round(built.chunks / (ingestMs / 1000)), embedded: built.embedded },
        noChangeReindexMs: Math.round(noChangeMs),
        openMs: Math.round(openMs),
        retrieval: summarize(retrieval),
        dense: { latency: summarize(dense), recallAt10: round(recall / dense.length, 4) },
        lexical: summarize(lexical),
        hitAt10: round(hits / retrieval.length, 4),
      };
    }

    const changed = await changeOneDocument(corpus);
    const out: StoreSizeReport[] = [];
    for (const s of served) {
      log(`[${label}] ${s.kind}: re-index after ${changed} changed`);
      const docent = s.docent!;
      const before = (await docent.current()).generation;
      const t = performance.now();
      const r = await buildIndex({ config: s.config, store: s.store, embeddings, purpose: 'bench (one document changed)' });
      const ms = performance.now() - t;
      if (r.noChange || r.changed.length !== 1) throw new Error(`${s.kind}: expected one changed document, the re-index saw ${r.changed.length} (${r.noChange ? 'no change' : r.generation})`);
      const tp = performance.now();
      const now = await docent.current();
      const pickUpMs = performance.now() - tp;
      if (now.generation === before || now.generation !== r.generation) throw new Error(`${s.kind}: the open Docent still serves ${now.generation} after the re-index wrote ${r.generation}`);
      out.push({ ...s.report!, reindexOne: { embedded: r.embedded, chunks: r.chunks, ms: Math.round(ms), pickUpMs: Math.round(pickUpMs) } });
    }
    return out;
  } finally {
    for (const s of served) {
      await s.docent?.close().catch(() => {});
      await s.store.close().catch(() => {});
    }
  }
}

/** The exact top 10 (cosine) of each query over `vectors`, as chunk ids: hnswlib's brute force. */
function exactTop10(BruteforceSearch: BruteForce, vectors: Map<string, Float32Array>, queries: number[][], dims: number): string[][] {
  const ids = [...vectors.keys()];
  const k = Math.min(10, ids.length);
  const exact = new BruteforceSearch('cosine', dims);
  exact.initIndex(Math.max(1, ids.length));
  ids.forEach((id, i) => exact.addPoint(Array.from(vectors.get(id)!), i));
  return queries.map((q) => (k ? exact.searchKnn(q, k).neighbors.map((i) => ids[i]) : []));
}

/** Every size in `opts.sizes`, each store in `opts.stores`, in one work directory. */
export async function runStoreBench(opts: StoreBenchOptions): Promise<StoreBenchReport> {
  if (opts.stores.includes('postgres') && !opts.databaseUrl) throw new Error('the postgres store needs a database URL (--database-url, DATABASE_URL, or the bench starts PGlite)');
  const loadStart = os.loadavg().map((x) => round(x, 2));
  const cacheDir = opts.cacheDir ?? path.join(ROOT, '.docent', 'cache');
  const work = opts.workDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'docent-bench-')));
  const base = storeConfig('local', path.join(work, 'corpus'), path.join(work, 'index'), 'default', { ...opts, cacheDir });
  const embeddings = await createEmbeddings(base);
  const { GLOVE_CACHE_FILE } = await import('../../src/embeddings/glove.js');
  const words = gloveWords(path.join(cacheDir, GLOVE_CACHE_FILE), 20_000);
  const runId = Date.now().toString(36);
  const sizes: StoreSizeReport[][] = [];
  try {
    for (const n of opts.sizes) sizes.push(await runStoreSize(n, { ...opts, cacheDir }, embeddings, words, work, runId));
  } finally {
    if (!opts.keep && !opts.workDir) await fs.rm(work, { recursive: true, force: true });
    else opts.log?.(`work directory kept: ${work}`);
  }
  return {
    date: new Date().toISOString(),
    machine: machineInfo(),
    load: { start: loadStart, end: os.loadavg().map((x) => round(x, 2)) },
    database: opts.stores.includes('postgres') ? (opts.databaseLabel ?? 'DATABASE_URL') : null,
    databasePeakRssMB: null,
    benchPeakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    options: { queries: opts.queries, warmup: opts.warmup ?? 50, queryBudgetMs: opts.queryBudgetMs ?? null, minQueries: opts.minQueries ?? 50, seed: opts.seed ?? 42, embedder: embeddings.id, efSearch: base.efSearch },
    sizes,
  };
}
