/**
 * The benchmark itself: for one corpus size, generate the corpus, ingest it through the real
 * `buildIndex`, open it with `Docent.open`, and time retrieval, answering, cold start and memory
 * against exact search and the LangChain peers on the same vectors.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Document } from '@langchain/core/documents';
import { HNSWLib } from '@langchain/community/vectorstores/hnswlib';
import { MemoryVectorStore } from '@langchain/classic/vectorstores/memory';
import { loadConfig, type Config } from '../../src/config.js';
import { createEmbeddings } from '../../src/embeddings/index.js';
import type { DocentEmbeddings } from '../../src/embeddings/types.js';
import { buildIndex } from '../../src/ingest/build.js';
import { bufferToVectors, readCurrentName, verifyGeneration } from '../../src/index/store.js';
import { Docent } from '../../src/pipeline.js';
import { DenseIndex } from '../../src/index/dense.js';
import { loadChunkTable } from '../../src/index/chunk-table.js';
import { LexicalIndex } from '../../src/index/lexical.js';
import { search } from '../../src/retrieval/search.js';
import { normalized } from '../../src/text/vector.js';
import { generateCorpus, gloveWords, sampleQueries, type BenchQuery, type CorpusInfo } from './corpus.js';
import { runLongRunning, type LongRunningReport } from './long-running.js';
import { stageClock } from './stage-clock.js';
import { dirBytes, median, overlap, percentile, round, summarize, timeEach, type Latency } from './stats.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface BenchOptions {
  /** Chunk counts to run. */
  sizes: number[];
  /** Timed queries per measurement (after warm-up). */
  queries: number;
  warmup?: number;
  seed?: number;
  /** Work directory (default: a fresh one under os.tmpdir(), removed afterwards). */
  workDir?: string;
  keep?: boolean;
  /** Cold-start child runs per size (0 skips). */
  coldStartRuns?: number;
  /** Measure the serving RSS, and a bot's memory across re-indexes, in child processes (default true). */
  rssProbe?: boolean;
  /** Re-indexes of the long-running bot row (default 20). */
  reindexRounds?: number;
  /** Time budget for the slow exact peer (MemoryVectorStore) per size, ms (it stops early). */
  peerBudgetMs?: number;
  /** efSearch values for the recall/latency sweep ([] skips). */
  efSweep?: number[];
  /** Override config.efSearch. */
  efSearch?: number;
  cacheDir?: string;
  /** NODE_OPTIONS for the serving-RSS child only (e.g. "--max-old-space-size=256"). */
  probeNodeOptions?: string;
  /** Word shares of document topic and section subtopic (default 0.3, 0.15; [0, 0] is topic-free word soup). */
  topicShare?: [number, number];
  log?: (line: string) => void;
}

export interface SizeReport {
  chunks: number;
  documents: number;
  corpusMB: number;
  ingest: {
    ms: number;
    chunksPerSec: number;
    stages: Record<string, number>;
    /** HNSW graph + BM25, the two halves of the index stage. */
    indexBuildMs: { hnsw: number; bm25: number; total: number };
    embedChunksPerSec: number;
  };
  noChangeReindexMs: number;
  indexMB: number;
  indexFilesMB: Record<string, number>;
  /** In-process `Docent.open` of the generation, with its parts timed separately. */
  openMs: number;
  openBreakdownMs: Record<string, number>;
  efSearch: number;
  retrieval: Latency;
  answer: Latency;
  answeredShare: number;
  dense: { latency: Latency; recallAt10: number };
  lexical: { latency: Latency };
  /** Share of queries whose source paragraph is in the top 10 (a quality sanity check). */
  hitAt10: Record<string, number>;
  peers: {
    memoryVectorStore: { queries: number; addMs: number; latency: Latency; recallAt10: number };
    langchainHnsw: { buildMs: number; ef: number; latency: Latency; recallAt10: number };
    lexicalOnly: { latency: Latency };
  };
  ratios: {
    /** MemoryVectorStore p50 / Docent dense p50 (how many times faster Docent's dense search is). */
    denseSpeedupVsMemoryP50: number;
    denseSpeedupVsMemoryP99: number;
    /** MemoryVectorStore p99 / Docent full search() p99. */
    searchSpeedupVsMemoryP99: number;
    /** Docent recall / MemoryVectorStore recall. */
    recallVsMemory: number;
    /** LangChain HNSWLib p50 / Docent dense p50 (below 1: Docent is slower, buying recall). */
    denseSpeedupVsLangchainHnswP50: number;
    recallVsLangchainHnsw: number;
    /** Docent search() p50 / lexical-only p50 (the cost of hybrid over BM25 alone). */
    searchCostVsLexicalP50: number;
    /** Docent HNSW build time / LangChain HNSWLib default build time. */
    hnswBuildVsLangchain: number;
  };
  efSweep: Array<{ ef: number; recallAt10: number; p50: number; p99: number }>;
  coldStart: { runs: number[]; medianMs: number } | null;
  serving: {
    openMs: number;
    firstAnswerMs: number;
    rssMB: number;
    maxRssMB: number;
    heapUsedMB: number;
    /** After 8 s idle (V8's memory reducer has run): what a waiting bot settles at. */
    rssIdleMB: number;
    /** After forced full GCs: the live set. */
    rssAfterGcMB: number | null;
    heapUsedAfterGcMB: number | null;
    questions: number;
  } | null;
  benchPeakRssMB: number;
}

export interface BenchReport {
  date: string;
  machine: { cpu: string; cores: number; node: string; platform: string; totalMemGB: number };
  options: { queries: number; warmup: number; seed: number; embedder: string; corpus: string };
  sizes: SizeReport[];
  /** A bot's memory after 1 and after `rounds` re-indexes (null when the RSS probes are off). */
  longRunning: LongRunningReport | null;
}

export function machineInfo(): BenchReport['machine'] {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    totalMemGB: round(os.totalmem() / 1024 ** 3, 1),
  };
}

const MB = 1024 * 1024;

export async function hnswlibNode() {
  const mod = (await import('hnswlib-node')) as typeof import('hnswlib-node') & { default?: typeof import('hnswlib-node') };
  return mod.default ?? mod;
}

function benchConfig(corpusDir: string, indexDir: string, cacheDir: string, efSearch?: number): Config {
  return loadConfig(
    {
      DOCENT_CORPUS_DIR: corpusDir,
      DOCENT_INDEX_DIR: indexDir,
      DOCENT_CACHE_DIR: cacheDir,
      DOCENT_EF_SEARCH: efSearch !== undefined ? String(efSearch) : process.env.DOCENT_EF_SEARCH,
      LOG_LEVEL: 'warn',
    },
    { cwd: ROOT },
  );
}

/** Runs `cmd` and resolves with the wall time from spawn to exit and its stdout. */
function timedSpawn(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ ms: number; stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ ms: performance.now() - t, stdout, stderr, code }));
  });
}

const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

export async function runSize(chunks: number, opts: BenchOptions, embeddings: DocentEmbeddings, words: string[], work: string): Promise<SizeReport> {
  const log = opts.log ?? (() => {});
  const nq = opts.queries;
  const warm = opts.warmup ?? 50;
  const cacheDir = opts.cacheDir ?? path.join(ROOT, '.docent', 'cache');
  const label = chunks >= 1000 && chunks % 1000 === 0 ? `${chunks / 1000}k` : String(chunks);
  const dir = path.join(work, label);
  const corpusDir = path.join(dir, 'corpus');
  const indexDir = path.join(dir, 'index');
  await fs.rm(dir, { recursive: true, force: true });

  log(`[${label}] generating corpus`);
  const corpus: CorpusInfo = await generateCorpus({ dir: corpusDir, chunks, seed: opts.seed ?? 42, topicShare: opts.topicShare }, words);
  const config = benchConfig(corpusDir, indexDir, cacheDir, opts.efSearch);

  // ---- ingest
  log(`[${label}] ingesting ${corpus.chunks} chunks in ${corpus.documents} documents`);
  const clock = stageClock();
  const t0 = performance.now();
  const report = await buildIndex({ config, embeddings, onProgress: clock.onProgress, purpose: 'bench' });
  const ingestMs = performance.now() - t0;
  const st = clock.result(performance.now());
  if (report.chunks !== corpus.chunks) log(`[${label}] note: the chunker made ${report.chunks} chunks for ${corpus.chunks} paragraphs`);

  log(`[${label}] no-change re-index`);
  const t1 = performance.now();
  const again = await buildIndex({ config, embeddings, purpose: 'bench (no change)' });
  const noChangeMs = performance.now() - t1;
  if (!again.noChange) throw new Error('the re-index of an unchanged corpus wrote a new generation');

  const gen = await readCurrentName(indexDir);
  const genDir = path.join(indexDir, gen!);
  const indexFilesMB: Record<string, number> = {};
  for (const f of ['chunk-table.json', 'chunk-table.bin', 'texts.bin', 'lexical.json', 'lexical.bin', 'vectors.f32', 'hnsw/hnswlib.index', 'hnsw/docstore.json']) {
    const s = await fs.stat(path.join(genDir, f)).catch(() => null);
    if (s) indexFilesMB[f] = round(s.size / MB, 2);
  }

  // ---- open: whole, then its parts (verify, JSON parses, HNSW load)
  log(`[${label}] opening`);
  const to = performance.now();
  const docent = await Docent.open(config, { embeddings, autoBuild: false, refreshMs: 60_000 });
  const openMs = performance.now() - to;
  const breakdown: Record<string, number> = {};
  {
    let t = performance.now();
    const manifest = await verifyGeneration(genDir);
    breakdown.verifySha256 = Math.round(performance.now() - t);
    t = performance.now();
    await loadChunkTable(genDir);
    breakdown.loadChunkTable = Math.round(performance.now() - t);
    t = performance.now();
    await LexicalIndex.load(genDir);
    breakdown.loadLexical = Math.round(performance.now() - t);
    t = performance.now();
    await DenseIndex.load(path.join(genDir, 'hnsw'), embeddings, config.efSearch);
    breakdown.loadHnsw = Math.round(performance.now() - t);
    void manifest;
  }
  const index = await docent.current();
  const chunkOf = new Map<string, number>();
  const position = new Map<object, number>();
  index.chunks.forEach((c, i) => {
    chunkOf.set(`${c.source}\u0000${c.text}`, i);
    position.set(c, i);
  });
  const target = (q: BenchQuery) => chunkOf.get(`${corpus.paragraphs[q.from].source}\u0000${corpus.paragraphs[q.from].text}`) ?? -1;

  const all = sampleQueries(corpus, nq + warm, words, (opts.seed ?? 42) + 1);
  const warmQ = all.slice(0, warm);
  const qs = all.slice(warm);
  const qVecs = await Promise.all(qs.map(async (q) => normalized(await embeddings.embedQuery(q.text))));
  const warmVecs = await Promise.all(warmQ.map(async (q) => normalized(await embeddings.embedQuery(q.text))));

  // ---- exact ground truth: hnswlib's brute force over the stored vectors
  log(`[${label}] exact search (BruteforceSearch) for ground truth`);
  const dims = embeddings.dimensions;
  const stored = bufferToVectors(await fs.readFile(path.join(genDir, 'vectors.f32')), dims);
  const asArrays = stored.map((v) => Array.from(v));
  const { BruteforceSearch } = await hnswlibNode();
  const exact = new BruteforceSearch('cosine', dims);
  exact.initIndex(asArrays.length);
  asArrays.forEach((v, i) => exact.addPoint(v, i));
  const k10 = Math.min(10, asArrays.length);
  const truth = qVecs.map((v) => exact.searchKnn(v, k10).neighbors);

  // ---- Docent: retrieval (search) and answer latency
  log(`[${label}] Docent search() and answer() × ${qs.length}`);
  for (const q of warmQ) await search(index, embeddings, q.text, { k: 8 });
  const hitsAt: Record<string, number> = { docentSearch: 0, docentDense: 0, lexical: 0, memoryVectorStore: 0, langchainHnsw: 0 };
  const retrieval = await timeEach(qs, (q) => search(index, embeddings, q.text, { k: 10 }), (r, i) => {
    if (r.hits.some((h) => position.get(h.chunk) === target(qs[i]))) hitsAt.docentSearch++;
  });
  for (const q of warmQ) await docent.answer(q.text);
  let answered = 0;
  const answerMs = await timeEach(qs, (q) => docent.answer(q.text), (r) => {
    if (r.answered) answered++;
  });

  // ---- Docent dense (HNSW) alone, recall against exact
  for (const v of warmVecs) await index.dense.search(v, 10);
  let recall = 0;
  const denseMs = await timeEach(qVecs, (v) => index.dense.search(v, 10), (r, i) => {
    const ids = r.map((h) => h.index);
    recall += overlap(ids, truth[i]);
    if (ids.includes(target(qs[i]))) hitsAt.docentDense++;
  });
  recall /= qs.length;

  const efSweep: SizeReport['efSweep'] = [];
  for (const ef of opts.efSweep ?? []) {
    index.dense.setEf(ef);
    let r = 0;
    const ms = await timeEach(qVecs, (v) => index.dense.search(v, 10), (res, i) => (r += overlap(res.map((h) => h.index), truth[i])));
    const s = summarize(ms);
    efSweep.push({ ef, recallAt10: round(r / qs.length, 4), p50: s.p50, p99: s.p99 });
  }
  index.dense.setEf(config.efSearch);

  // ---- lexical only
  for (const q of warmQ) index.lexical.search(q.text, 10);
  const lexMs = await timeEach(qs, (q) => index.lexical.search(q.text, 10), (r, i) => {
    if (r.some((h) => h.index === target(qs[i]))) hitsAt.lexical++;
  });

  // ---- peer: LangChain HNSWLib with its defaults (M 16, efConstruction 200, ef 10)
  log(`[${label}] peer: LangChain HNSWLib (defaults)`);
  const docs = asArrays.map((_, i) => new Document({ pageContent: '', metadata: { i } }));
  const tb = performance.now();
  const lcHnsw = new HNSWLib(embeddings, { space: 'cosine', numDimensions: dims });
  await lcHnsw.addVectors(asArrays, docs);
  const lcBuildMs = performance.now() - tb;
  for (const v of warmVecs) await lcHnsw.similaritySearchVectorWithScore(v, k10);
  let lcRecall = 0;
  const lcMs = await timeEach(qVecs, (v) => lcHnsw.similaritySearchVectorWithScore(v, k10), (r, i) => {
    const ids = r.map(([d]) => d.metadata.i as number);
    lcRecall += overlap(ids, truth[i]);
    if (ids.includes(target(qs[i]))) hitsAt.langchainHnsw++;
  });
  lcRecall /= qs.length;

  // ---- peer: LangChain MemoryVectorStore (exact, what a LangChain user gets by default)
  log(`[${label}] peer: LangChain MemoryVectorStore`);
  const mem = new MemoryVectorStore(embeddings);
  const ta = performance.now();
  await mem.addVectors(asArrays, docs);
  const memAddMs = performance.now() - ta;
  for (const v of warmVecs.slice(0, 5)) await mem.similaritySearchVectorWithScore(v, k10);
  const budget = opts.peerBudgetMs ?? 30_000;
  const memMs: number[] = [];
  let memRecall = 0;
  let memHits = 0;
  const tm = performance.now();
  for (let i = 0; i < qVecs.length; i++) {
    const t = performance.now();
    const r = await mem.similaritySearchVectorWithScore(qVecs[i], k10);
    memMs.push(performance.now() - t);
    const ids = r.map(([d]) => d.metadata.i as number);
    memRecall += overlap(ids, truth[i]);
    if (ids.includes(target(qs[i]))) memHits++;
    if (performance.now() - tm > budget && memMs.length >= 100) break;
  }
  memRecall /= memMs.length;
  hitsAt.memoryVectorStore = memHits / memMs.length;
  for (const k of ['docentSearch', 'docentDense', 'lexical', 'langchainHnsw']) hitsAt[k] = round(hitsAt[k] / qs.length, 4);
  hitsAt.memoryVectorStore = round(hitsAt.memoryVectorStore, 4);
  await docent.close();

  // ---- cold start: the user-facing CLI (bin/docent.js → compiled dist/), spawned, to its first answer
  let coldStart: SizeReport['coldStart'] = null;
  if ((opts.coldStartRuns ?? 3) > 0) {
    log(`[${label}] cold start (bin/docent.js ask)`);
    const runs: number[] = [];
    for (let i = 0; i < (opts.coldStartRuns ?? 3); i++) {
      const r = await timedSpawn(process.execPath, ['bin/docent.js', 'ask', '--index', indexDir, '--corpus', corpusDir, qs[i % qs.length].text], {
        cwd: ROOT,
        env: { ...process.env, DOCENT_CACHE_DIR: cacheDir, LOG_LEVEL: '' },
      });
      if (r.code !== 0) throw new Error(`bin/docent.js ask failed (${r.code}): ${r.stderr.slice(0, 500)}`);
      runs.push(Math.round(r.ms));
    }
    coldStart = { runs, medianMs: median(runs) };
  }

  // ---- serving memory: a fresh process that opens the index and answers questions
  let serving: SizeReport['serving'] = null;
  if (opts.rssProbe ?? true) {
    log(`[${label}] serving RSS probe`);
    const qFile = path.join(dir, 'probe-questions.json');
    await fs.writeFile(qFile, JSON.stringify(qs.slice(0, 200).map((q) => q.text)));
    const r = await timedSpawn(TSX, ['--expose-gc', path.join(ROOT, 'scripts/bench/serve-probe.ts'), '--index', indexDir, '--corpus', corpusDir, '--questions', qFile, '--cache', cacheDir], {
      cwd: ROOT,
      env: { ...process.env, ...(opts.efSearch ? { DOCENT_EF_SEARCH: String(opts.efSearch) } : {}), ...(opts.probeNodeOptions ? { NODE_OPTIONS: opts.probeNodeOptions } : {}) },
    });
    if (r.code !== 0) throw new Error(`serve-probe failed (${r.code}): ${r.stderr.slice(0, 500)}`);
    serving = JSON.parse(r.stdout.trim().split('\n').pop()!) as NonNullable<SizeReport['serving']>;
  }

  const indexMB = round((await dirBytes(genDir)) / MB, 2);
  const retrievalS = summarize(retrieval);
  const denseS = summarize(denseMs);
  const memS = summarize(memMs);
  const lcS = summarize(lcMs);
  const lexS = summarize(lexMs);
  // ratios from the unrounded samples (sub-microsecond figures round to 0 at tiny sizes)
  const raw = (xs: number[], p: number) => Math.max(percentile([...xs].sort((a, b) => a - b), p), 1e-6);
  const r: SizeReport = {
    chunks: report.chunks,
    documents: corpus.documents,
    corpusMB: round(corpus.bytes / MB, 2),
    ingest: {
      ms: Math.round(ingestMs),
      chunksPerSec: Math.round(report.chunks / (ingestMs / 1000)),
      stages: st.stages,
      indexBuildMs: { hnsw: Math.round(st.hnsw), bm25: Math.round(st.bm25), total: Math.round(st.hnsw + st.bm25) },
      embedChunksPerSec: Math.round(report.chunks / ((st.stages.embed ?? 1) / 1000)),
    },
    noChangeReindexMs: Math.round(noChangeMs),
    indexMB,
    indexFilesMB,
    openMs: Math.round(openMs),
    openBreakdownMs: breakdown,
    efSearch: config.efSearch,
    retrieval: retrievalS,
    answer: summarize(answerMs),
    answeredShare: round(answered / qs.length, 4),
    dense: { latency: denseS, recallAt10: round(recall, 4) },
    lexical: { latency: lexS },
    hitAt10: hitsAt,
    peers: {
      memoryVectorStore: { queries: memMs.length, addMs: Math.round(memAddMs), latency: memS, recallAt10: round(memRecall, 4) },
      langchainHnsw: { buildMs: Math.round(lcBuildMs), ef: 10, latency: lcS, recallAt10: round(lcRecall, 4) },
      lexicalOnly: { latency: lexS },
    },
    ratios: {
      denseSpeedupVsMemoryP50: round(raw(memMs, 50) / raw(denseMs, 50), 1),
      denseSpeedupVsMemoryP99: round(raw(memMs, 99) / raw(denseMs, 99), 1),
      searchSpeedupVsMemoryP99: round(raw(memMs, 99) / raw(retrieval, 99), 1),
      recallVsMemory: round(recall / memRecall, 4),
      denseSpeedupVsLangchainHnswP50: round(raw(lcMs, 50) / raw(denseMs, 50), 2),
      recallVsLangchainHnsw: round(recall / Math.max(lcRecall, 1e-9), 3),
      searchCostVsLexicalP50: round(raw(retrieval, 50) / raw(lexMs, 50), 2),
      hnswBuildVsLangchain: round(Math.max(st.hnsw, 1e-3) / Math.max(lcBuildMs, 1e-3), 2),
    },
    efSweep,
    coldStart,
    serving,
    benchPeakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  return r;
}

/** Runs every size in `opts.sizes` in one work directory. */
export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const log = opts.log ?? (() => {});
  const cacheDir = opts.cacheDir ?? path.join(ROOT, '.docent', 'cache');
  const work = opts.workDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'docent-bench-')));
  const config = benchConfig(path.join(work, 'corpus'), path.join(work, 'index'), cacheDir, opts.efSearch);
  const embeddings = await createEmbeddings(config);
  const { GLOVE_CACHE_FILE } = await import('../../src/embeddings/glove.js');
  const words = gloveWords(path.join(cacheDir, GLOVE_CACHE_FILE), 20_000);
  const sizes: SizeReport[] = [];
  let longRunning: LongRunningReport | null = null;
  try {
    for (const n of opts.sizes) sizes.push(await runSize(n, opts, embeddings, words, work));
    if (opts.rssProbe ?? true) longRunning = await runLongRunning({ work, embeddings, cacheDir, words, rounds: opts.reindexRounds ?? 20, seed: opts.seed, log });
  } finally {
    if (!opts.keep && !opts.workDir) await fs.rm(work, { recursive: true, force: true });
    else log(`work directory kept: ${work}`);
  }
  return {
    date: new Date().toISOString(),
    machine: machineInfo(),
    options: {
      queries: opts.queries,
      warmup: opts.warmup ?? 50,
      seed: opts.seed ?? 42,
      embedder: embeddings.id,
      corpus: `synthetic: ${words.length} alphabetic GloVe words, Zipf s=1.05, topic/subtopic shares ${(opts.topicShare ?? [0.3, 0.15]).join('/')}, 400–850-char paragraphs (1 chunk each), ~50 per document, 2/3 .md 1/3 .txt`,
    },
    sizes,
    longRunning,
  };
}
