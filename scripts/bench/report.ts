/** Renders a benchmark report as Markdown tables. */
import { renderLongRunning } from './long-running.js';
import type { BenchReport, SizeReport } from './run.js';
import type { StoreBenchReport, StoreSizeReport } from './stores.js';

const fmt = (x: number | undefined | null, digits = 2): string => (x === undefined || x === null || !Number.isFinite(x) ? '–' : x >= 100 ? String(Math.round(x)) : x.toFixed(digits));
const ms = (x: number | undefined | null) => fmt(x, 2);
const label = (n: number) => (n >= 1000 && n % 1000 === 0 ? `${n / 1000}k` : String(n));
const lat = (l: { p50: number; p95: number; p99: number }) => `${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.p99)}`;

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderMarkdown(r: BenchReport): string {
  const s = r.sizes;
  const col = s.map((x) => `${label(x.chunks)} chunks`);
  const row = (name: string, f: (x: SizeReport) => string) => [name, ...s.map(f)];
  const m = r.machine;
  const out: string[] = [];
  out.push(`Machine: ${m.cpu}, ${m.cores} cores, ${m.totalMemGB} GB, Node ${m.node} (${m.platform}). Corpus: ${r.options.corpus}. ${r.options.queries} timed queries per size after ${r.options.warmup} warm-up; embedder ${r.options.embedder}; ${r.date}.`);
  out.push('');
  out.push('### Docent');
  out.push('');
  out.push(
    table(['', ...col], [
      row('documents / corpus MB', (x) => `${x.documents} / ${fmt(x.corpusMB)}`),
      row('ingest, chunks/s (total ms)', (x) => `${x.ingest.chunksPerSec} (${x.ingest.ms})`),
      row('ingest stages ms: load / chunk / embed / index / write', (x) => ['load', 'chunk', 'embed', 'index', 'write'].map((k) => x.ingest.stages[k] ?? '–').join(' / ')),
      row('index build ms: HNSW + BM25', (x) => `${x.ingest.indexBuildMs.hnsw} + ${x.ingest.indexBuildMs.bm25}`),
      row('no-change re-index ms', (x) => String(x.noChangeReindexMs)),
      row('index on disk MB', (x) => fmt(x.indexMB)),
      row('open (in process) ms', (x) => String(x.openMs)),
      row(`retrieval search() ms p50 / p95 / p99`, (x) => lat(x.retrieval)),
      row('answer() ms p50 / p95 / p99', (x) => lat(x.answer)),
      row('HNSW dense ms p50 / p95 / p99', (x) => lat(x.dense.latency)),
      row('recall@10 HNSW vs exact (efSearch)', (x) => `${fmt(x.dense.recallAt10, 4)} (${x.efSearch})`),
      row('BM25 (lexical.ts) ms p50 / p95 / p99', (x) => lat(x.lexical.latency)),
      row('source paragraph in top 10: hybrid / dense / BM25', (x) => `${fmt(x.hitAt10.docentSearch, 3)} / ${fmt(x.hitAt10.docentDense, 3)} / ${fmt(x.hitAt10.lexical, 3)}`),
      row('cold start to first answer ms (median)', (x) => (x.coldStart ? String(x.coldStart.medianMs) : '–')),
      row('serving RSS MB: after 200 answers (peak) / 8 s idle / forced GC', (x) => (x.serving ? `${x.serving.rssMB} (${x.serving.maxRssMB}) / ${x.serving.rssIdleMB ?? '–'} / ${x.serving.rssAfterGcMB ?? '–'}` : '–')),
      row('bench process peak RSS MB', (x) => String(x.benchPeakRssMB)),
    ]),
  );
  out.push('');
  out.push('### Peers (same process, same vectors)');
  out.push('');
  out.push(
    table(['', ...col], [
      row('MemoryVectorStore ms p50 / p95 / p99', (x) => lat(x.peers.memoryVectorStore.latency)),
      row('MemoryVectorStore recall@10 (queries)', (x) => `${fmt(x.peers.memoryVectorStore.recallAt10, 4)} (${x.peers.memoryVectorStore.queries})`),
      row('LangChain HNSWLib (ef 10) ms p50 / p95 / p99', (x) => lat(x.peers.langchainHnsw.latency)),
      row('LangChain HNSWLib recall@10', (x) => fmt(x.peers.langchainHnsw.recallAt10, 4)),
      row('LangChain HNSWLib build ms', (x) => String(x.peers.langchainHnsw.buildMs)),
      row('lexical only ms p50 / p95 / p99', (x) => lat(x.peers.lexicalOnly.latency)),
      row('**Docent dense speed-up vs MemoryVectorStore, p50 / p99**', (x) => `${fmt(x.ratios.denseSpeedupVsMemoryP50, 1)}× / ${fmt(x.ratios.denseSpeedupVsMemoryP99, 1)}×`),
      row('**Docent full search() p99 speed-up vs MemoryVectorStore p99**', (x) => `${fmt(x.ratios.searchSpeedupVsMemoryP99, 1)}×`),
      row('**recall ratio vs MemoryVectorStore**', (x) => fmt(x.ratios.recallVsMemory, 4)),
      row('**dense speed vs LangChain HNSWLib p50** (<1 = slower)', (x) => `${fmt(x.ratios.denseSpeedupVsLangchainHnswP50, 2)}×`),
      row('**recall ratio vs LangChain HNSWLib**', (x) => `${fmt(x.ratios.recallVsLangchainHnsw, 3)}×`),
      row('HNSW build time vs LangChain HNSWLib', (x) => `${fmt(x.ratios.hnswBuildVsLangchain, 2)}×`),
      row('search() cost vs lexical only, p50', (x) => `${fmt(x.ratios.searchCostVsLexicalP50, 2)}×`),
    ]),
  );
  const sweeps = s.filter((x) => x.efSweep.length);
  if (sweeps.length) {
    out.push('');
    out.push('### efSearch sweep (Docent HNSW, recall@10 vs exact, p50 / p99 ms)');
    out.push('');
    const efs = sweeps[0].efSweep.map((e) => e.ef);
    out.push(table(['efSearch', ...sweeps.map((x) => `${label(x.chunks)} chunks`)], efs.map((ef) => [String(ef), ...sweeps.map((x) => {
      const e = x.efSweep.find((y) => y.ef === ef);
      return e ? `${fmt(e.recallAt10, 4)} — ${ms(e.p50)} / ${ms(e.p99)}` : '–';
    })])));
  }
  out.push('');
  out.push('### Open breakdown (ms)');
  out.push('');
  const keys = Object.keys(s[0]?.openBreakdownMs ?? {});
  out.push(table(['', ...col], keys.map((k) => row(k, (x) => String(x.openBreakdownMs[k] ?? '–')))));
  out.push('');
  out.push(table(['index file MB', ...col], Object.keys(s[0]?.indexFilesMB ?? {}).map((k) => row(k, (x) => fmt(x.indexFilesMB[k])))));
  if (r.longRunning) out.push('', renderLongRunning(r.longRunning));
  return out.join('\n');
}

/** The store comparison (`--store postgres|both`): each size's stores side by side. */
export function renderStores(r: StoreBenchReport): string {
  const m = r.machine;
  const cols = r.sizes.flatMap((stores) => stores.map((x) => ({ head: `${label(x.chunks)} ${x.store}`, x })));
  const row = (name: string, f: (x: StoreSizeReport) => string) => [name, ...cols.map((c) => f(c.x))];
  const out: string[] = [];
  out.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.totalMemGB} GB, Node ${m.node} (${m.platform}); load average (1/5/15 min) ${r.load.start.join(' / ')} at the start, ${r.load.end.join(' / ')} at the end.` +
      `${r.database ? ` Database: ${r.database}${r.databasePeakRssMB ? ` (peak RSS ${r.databasePeakRssMB} MB)` : ''}.` : ''} Bench process peak RSS ${r.benchPeakRssMB} MB.` +
      ` ${r.options.queries} timed queries per size and store${r.options.queryBudgetMs !== null ? ` (each measurement stops after ${r.options.queryBudgetMs / 1000} s once it ran ${r.options.minQueries})` : ''} after ${r.options.warmup} warm-up; embedder ${r.options.embedder}; efSearch ${r.options.efSearch}; ${r.date}.`,
  );
  out.push('');
  out.push('### Local vs Postgres store');
  out.push('');
  out.push(
    table(['', ...cols.map((c) => c.head)], [
      row('ingest, chunks/s (total ms)', (x) => `${x.ingest.chunksPerSec} (${x.ingest.ms})`),
      row('no-change re-index ms', (x) => String(x.noChangeReindexMs)),
      row('open (Docent.open) ms', (x) => String(x.openMs)),
      row('retrieval search() ms p50 / p95 / p99 (queries)', (x) => `${lat(x.retrieval)} (${x.retrieval.n})`),
      row('dense side (search() dense mode) ms p50 / p95 / p99', (x) => lat(x.dense.latency)),
      row('lexical side (search() lexical mode) ms p50 / p95 / p99', (x) => lat(x.lexical)),
      row('recall@10 dense side vs exact (queries)', (x) => `${fmt(x.dense.recallAt10, 4)} (${x.dense.latency.n})`),
      row('source paragraph in hybrid top 10', (x) => fmt(x.hitAt10, 3)),
      row('one document changed: chunks embedded / re-index ms', (x) => `${x.reindexOne.embedded} / ${x.reindexOne.ms}`),
      row('… served by the open Docent after ms', (x) => String(x.reindexOne.pickUpMs)),
    ]),
  );
  return out.join('\n');
}
