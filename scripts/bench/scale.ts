/**
 * "Where one box ends" (`npm run bench -- --scale 1m`): the local store at sizes where the full
 * suite's peers (MemoryVectorStore, a second HNSW graph, JS-array copies of every vector) would
 * need more memory than the thing measured. Each phase runs in its own process, so each RSS is
 * its own: the build (`build-probe.ts`), then serving (`serve-probe.ts`: open, `search()` and the
 * HNSW search on the queries, answers, RSS at each step). Exact search for recall@10 runs here,
 * on hnswlib's `BruteforceSearch` filled from the generation's `vectors.f32` a block at a time.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createEmbeddings } from '../../src/embeddings/index.js';
import { readCurrentName } from '../../src/index/store.js';
import { normalized } from '../../src/text/vector.js';
import { generateCorpus, gloveWords, sampleQueries } from './corpus.js';
import { dirBytes, overlap, round, type Latency } from './stats.js';
import { machineInfo, ROOT, type BenchReport } from './run.js';

export interface ScaleOptions {
  sizes: number[];
  /** Timed queries (after 50 warm-up ones); recall@10 is over all of them. */
  queries: number;
  /** Answers timed by the serving probe (default 200). */
  answers?: number;
  seed?: number;
  workDir?: string;
  keep?: boolean;
  efSearch?: number;
  cacheDir?: string;
  log?: (line: string) => void;
}

export interface ScaleRow {
  chunks: number;
  documents: number;
  corpusMB: number;
  ingest: { ms: number; chunksPerSec: number; stages: Record<string, number>; hnswMs: number; bm25Ms: number; peakRssMB: number };
  indexMB: number;
  indexFilesMB: Record<string, number>;
  efSearch: number;
  serving: {
    openMs: number;
    /** RSS right after open, and the process's peak up to then (the load peak). */
    opened: { rssMB: number; maxRssMB: number };
    search: { retrieval: Latency; dense: Latency; rssAfterSearchMB: number };
    rssMB: number;
    maxRssMB: number;
    rssIdleMB: number;
    rssAfterGcMB: number | null;
    heapUsedAfterGcMB: number | null;
    externalMB: number;
    firstAnswerMs: number;
    firstAnswerCallMs: number;
    totalMs: number;
    questions: number;
  };
  recallAt10: number;
}

export interface ScaleReport {
  date: string;
  machine: BenchReport['machine'];
  loadAverage: number[];
  rows: ScaleRow[];
}

const MB = 1024 * 1024;
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout.trim().split('\n').pop()!) : reject(new Error(`${path.basename(args.at(-1) ?? '')} exited with ${code}: ${stderr.slice(-2000)}`))));
  });
}

async function hnswlibNode() {
  const mod = (await import('hnswlib-node')) as typeof import('hnswlib-node') & { default?: typeof import('hnswlib-node') };
  return mod.default ?? mod;
}

/** Exact top 10 of each query over the stored vectors, read a block at a time (no JS copy of them all). */
async function exactTop10(vectorsFile: string, dims: number, queries: number[][]): Promise<number[][]> {
  const { BruteforceSearch } = await hnswlibNode();
  const bytes = (await fs.stat(vectorsFile)).size;
  const n = bytes / (4 * dims);
  const exact = new BruteforceSearch('cosine', dims);
  exact.initIndex(n);
  const fh = await fs.open(vectorsFile, 'r');
  try {
    const block = 8192;
    const buf = Buffer.alloc(block * dims * 4);
    const point = new Array<number>(dims);
    for (let at = 0; at < n; at += block) {
      const m = Math.min(block, n - at);
      await fh.read(buf, 0, m * dims * 4, at * dims * 4);
      const f = new Float32Array(buf.buffer, buf.byteOffset, m * dims);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < dims; j++) point[j] = f[i * dims + j];
        exact.addPoint(point, at + i);
      }
    }
  } finally {
    await fh.close();
  }
  return queries.map((q) => exact.searchKnn(q, Math.min(10, n)).neighbors);
}

async function runScaleSize(chunks: number, opts: ScaleOptions, work: string): Promise<ScaleRow> {
  const log = opts.log ?? (() => {});
  const cacheDir = opts.cacheDir ?? path.join(ROOT, '.docent', 'cache');
  const label = chunks >= 1e6 && chunks % 1e6 === 0 ? `${chunks / 1e6}m` : chunks >= 1000 && chunks % 1000 === 0 ? `${chunks / 1000}k` : String(chunks);
  const dir = path.join(work, label);
  const corpusDir = path.join(dir, 'corpus');
  const indexDir = path.join(dir, 'index');
  await fs.rm(dir, { recursive: true, force: true });
  const { GLOVE_CACHE_FILE } = await import('../../src/embeddings/glove.js');
  const words = gloveWords(path.join(cacheDir, GLOVE_CACHE_FILE), 20_000);

  log(`[${label}] generating corpus`);
  let corpus: Awaited<ReturnType<typeof generateCorpus>> | null = await generateCorpus({ dir: corpusDir, chunks, seed: opts.seed ?? 42 }, words);
  const queries = sampleQueries(corpus, opts.queries + 50, words, (opts.seed ?? 42) + 1).map((q) => q.text);
  const { documents, bytes } = corpus;
  corpus = null; // the paragraphs (the whole corpus text) are not needed any more
  const qFile = path.join(dir, 'queries.json');
  const aFile = path.join(dir, 'answers.json');
  const denseOut = path.join(dir, 'dense-top10.json');
  await fs.writeFile(qFile, JSON.stringify(queries));
  await fs.writeFile(aFile, JSON.stringify(queries.slice(50, 50 + (opts.answers ?? 200))));

  log(`[${label}] ingesting (child process)`);
  const build = JSON.parse(await run([path.join(ROOT, 'scripts/bench/build-probe.ts'), '--index', indexDir, '--corpus', corpusDir, '--cache', cacheDir])) as {
    ms: number;
    chunks: number;
    stages: Record<string, number>;
    hnswMs: number;
    bm25Ms: number;
    maxRssMB: number;
  };
  log(`[${label}] built ${build.chunks} chunks in ${build.ms} ms (peak RSS ${build.maxRssMB} MB)`);
  const genDir = path.join(indexDir, (await readCurrentName(indexDir))!);
  const indexFilesMB: Record<string, number> = {};
  for (const f of (await fs.readdir(genDir, { recursive: true })).sort()) {
    const st = await fs.stat(path.join(genDir, f));
    if (st.isFile()) indexFilesMB[f] = round(st.size / MB, 2);
  }

  log(`[${label}] serving probe: open, search() × ${queries.length}, answers`);
  const efEnv = opts.efSearch ? { DOCENT_EF_SEARCH: String(opts.efSearch) } : {};
  const serving = JSON.parse(
    await run(
      ['--expose-gc', path.join(ROOT, 'scripts/bench/serve-probe.ts'), '--index', indexDir, '--corpus', corpusDir, '--questions', aFile, '--cache', cacheDir, '--search', qFile, '--dense-out', denseOut],
      { ...efEnv, DOCENT_PROBE_IDLE_MS: '8000' },
    ),
  ) as ScaleRow['serving'];

  log(`[${label}] exact search for recall@10`);
  const config = loadConfig({ DOCENT_CACHE_DIR: cacheDir, ...efEnv }, { cwd: ROOT });
  const embeddings = await createEmbeddings(config);
  const timed = queries.slice(50);
  const qVecs = await Promise.all(timed.map(async (q) => normalized(await embeddings.embedQuery(q))));
  const truth = await exactTop10(path.join(genDir, 'vectors.f32'), embeddings.dimensions, qVecs);
  const dense = (JSON.parse(await fs.readFile(denseOut, 'utf8')) as number[][]).slice(50);
  const recall = truth.reduce((s, t, i) => s + overlap(dense[i], t), 0) / truth.length;

  return {
    chunks: build.chunks,
    documents,
    corpusMB: round(bytes / MB, 2),
    ingest: { ms: build.ms, chunksPerSec: Math.round(build.chunks / (build.ms / 1000)), stages: build.stages, hnswMs: build.hnswMs, bm25Ms: build.bm25Ms, peakRssMB: build.maxRssMB },
    indexMB: round((await dirBytes(genDir)) / MB, 1),
    indexFilesMB,
    efSearch: config.efSearch,
    serving,
    recallAt10: round(recall, 4),
  };
}

export async function runScale(opts: ScaleOptions): Promise<ScaleReport> {
  const work = opts.workDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'docent-scale-')));
  const rows: ScaleRow[] = [];
  const load: number[][] = [];
  try {
    for (const n of opts.sizes) {
      rows.push(await runScaleSize(n, opts, work));
      load.push(os.loadavg());
    }
  } finally {
    if (!opts.keep && !opts.workDir) await fs.rm(work, { recursive: true, force: true });
    else opts.log?.(`work directory kept: ${work}`);
  }
  return { date: new Date().toISOString(), machine: machineInfo(), loadAverage: os.loadavg().map((x) => round(x, 2)), rows };
}

const fmt = (x: number | null | undefined, d = 2) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x >= 100 ? String(Math.round(x)) : x.toFixed(d));

export function renderScale(r: ScaleReport): string {
  const m = r.machine;
  const col = r.rows.map((x) => `${x.chunks >= 1e6 ? `${x.chunks / 1e6}M` : `${Math.round(x.chunks / 1000)}k`} chunks`);
  const row = (name: string, f: (x: ScaleRow) => string) => `| ${[name, ...r.rows.map(f)].join(' | ')} |`;
  return [
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.totalMemGB} GB, Node ${m.node} (${m.platform}); load average at the end ${r.loadAverage.join(' / ')}; ${r.date}.`,
    '',
    `| ${['', ...col].join(' | ')} |`,
    `| --- |${r.rows.map(() => ' ---: |').join('')}`,
    row('documents / corpus MB', (x) => `${x.documents} / ${fmt(x.corpusMB)}`),
    row('ingest s (chunks/s)', (x) => `${fmt(x.ingest.ms / 1000, 1)} (${x.ingest.chunksPerSec})`),
    row('ingest stages s: load / chunk / embed / index / write', (x) => ['load', 'chunk', 'embed', 'index', 'write'].map((k) => fmt((x.ingest.stages[k] ?? NaN) / 1000, 1)).join(' / ')),
    row('index build s: HNSW + BM25', (x) => `${fmt(x.ingest.hnswMs / 1000, 1)} + ${fmt(x.ingest.bm25Ms / 1000, 1)}`),
    row('ingest peak RSS MB', (x) => String(x.ingest.peakRssMB)),
    row('index on disk MB', (x) => fmt(x.indexMB, 1)),
    row('open ms (new process, Docent.open)', (x) => String(x.serving.openMs)),
    row('RSS after open MB / load peak MB', (x) => `${x.serving.opened.rssMB} / ${x.serving.opened.maxRssMB}`),
    row(`retrieval search() ms p50 / p95 / p99 (efSearch ${r.rows[0]?.efSearch ?? ''})`, (x) => `${fmt(x.serving.search.retrieval.p50)} / ${fmt(x.serving.search.retrieval.p95)} / ${fmt(x.serving.search.retrieval.p99)}`),
    row('HNSW dense ms p50 / p99', (x) => `${fmt(x.serving.search.dense.p50)} / ${fmt(x.serving.search.dense.p99)}`),
    row('recall@10 HNSW vs exact', (x) => x.recallAt10.toFixed(4)),
    row(`serving RSS MB after ${r.rows[0]?.serving.questions ?? ''} answers (peak) / 8 s idle / forced GC`, (x) => `${x.serving.rssMB} (${x.serving.maxRssMB}) / ${x.serving.rssIdleMB} / ${x.serving.rssAfterGcMB ?? '–'}`),
    row('first answer() ms (builds the reader\'s caches)', (x) => String(x.serving.firstAnswerCallMs ?? '–')),
  ].join('\n');
}
