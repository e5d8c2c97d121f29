/**
 * Robustness rows of the benchmark (issue 12): how long the thread that answers questions is
 * blocked while untrusted or heavy work runs on the serving side. Measured with
 * `perf_hooks.monitorEventLoopDelay` (the longest single stall) plus a probe question due every
 * 50 ms while the work runs, timed from when it was due: its slowest reply is what a member
 * waiting in Discord would see.
 *
 * - a 2 MB single-line .txt (sentence splitting was quadratic: 1 MB took 24.5 s);
 * - a re-index of N chunks after every document changed (stalled the loop 4.4 s at 25k);
 * - PDF bombs read during a re-index: 20,000 pages on one page object, 1 GB of Flate-compressed
 *   spaces, 2,000 pages (within the page cap: read to the end).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig, type Config } from '../../src/config.js';
import { GLOVE_CACHE_FILE } from '../../src/embeddings/glove.js';
import { createEmbeddings } from '../../src/embeddings/index.js';
import type { DocentEmbeddings } from '../../src/embeddings/types.js';
import { Docent } from '../../src/pipeline.js';
import { makeFlateBomb, makePageBomb } from '../../tests/fixtures/loaders/pdf.js';
import { generateCorpus, gloveWords } from './corpus.js';
import { ROOT } from './run.js';

export interface StallRow {
  what: string;
  /** Wall time of the work, ms. */
  ms: number;
  /** Longest single stall of the event loop while it ran, ms. */
  longestStallMs: number;
  /** Slowest probe answer while it ran, ms (answers started every 50 ms). */
  slowestAnswerMs: number;
  /** What became of it (skipped with a reason, chunks). */
  outcome: string;
}

export interface RobustnessReport {
  rows: StallRow[];
}

export interface RobustnessOptions {
  /** Chunks of the re-index row (0 skips it). */
  reindexChunks: number;
  seed?: number;
  log?: (line: string) => void;
}

function configFor(dir: string, cacheDir: string): Config {
  return loadConfig({ DOCENT_CORPUS_DIR: path.join(dir, 'corpus'), DOCENT_INDEX_DIR: path.join(dir, 'index'), DOCENT_CACHE_DIR: cacheDir, LOG_LEVEL: 'warn' }, { cwd: ROOT });
}

/** Runs `work` while measuring the event loop and a probe question every 50 ms. */
async function measured(docent: Docent, question: string, work: () => Promise<string>): Promise<Omit<StallRow, 'what'>> {
  await docent.answer(question); // warm
  const h = monitorEventLoopDelay({ resolution: 10 });
  let slowest = 0;
  let running = true;
  const probes: Array<Promise<void>> = [];
  // a question arrives every 50 ms of wall time; one due while the thread was blocked waited from
  // when it was due, as a member's message waits in the socket
  let due = performance.now() + 50;
  const ask = () => {
    if (!running) return;
    const arrived = due;
    probes.push(docent.answer(question).then(() => void (slowest = Math.max(slowest, performance.now() - arrived))));
    due = Math.max(due + 50, performance.now());
    setTimeout(ask, Math.max(0, due - performance.now()));
  };
  h.enable();
  const t0 = performance.now();
  setTimeout(ask, 50);
  const outcome = await work();
  const ms = performance.now() - t0;
  running = false;
  h.disable();
  await Promise.all(probes);
  return { ms: Math.round(ms), longestStallMs: Math.round(h.max / 1e6), slowestAnswerMs: Math.round(slowest), outcome };
}

const describeReport = (r: Awaited<ReturnType<Docent['reindex']>>) =>
  [`${r.chunks} chunks`, ...r.skipped.map((s) => `${s.source} skipped: ${s.code}`)].join('; ');

/** The rows, in a temporary work directory of their own, with the default (GloVe) embedder. */
export async function runRobustness(opts: RobustnessOptions): Promise<RobustnessReport> {
  const cacheDir = path.join(ROOT, '.docent', 'cache');
  const embeddings = await createEmbeddings(loadConfig({ DOCENT_CACHE_DIR: cacheDir, LOG_LEVEL: 'warn' }, { cwd: ROOT }));
  const words = gloveWords(path.join(cacheDir, GLOVE_CACHE_FILE), 20_000);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-bench-robust-'));
  try {
    return { rows: await rowsIn(work, cacheDir, embeddings, words, opts) };
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

async function rowsIn(work: string, cacheDir: string, embeddings: DocentEmbeddings, words: string[], opts: RobustnessOptions): Promise<StallRow[]> {
  const log = opts.log ?? (() => {});
  const rows: StallRow[] = [];
  const seed = '# Field notes\n\nThe wombat digs burrows near the river. Project Falcon is led by Mei Chen.\n';
  const question = 'Who leads Project Falcon?';

  // a small index serving questions while one heavy document is added
  const small = path.join(work, 'robust-small');
  await fs.rm(small, { recursive: true, force: true });
  await fs.mkdir(path.join(small, 'corpus'), { recursive: true });
  await fs.writeFile(path.join(small, 'corpus', 'notes.md'), seed);
  const config = configFor(small, cacheDir);
  const docent = await Docent.open(config, { embeddings: embeddings });
  try {
    const sentence = ['The committee met again in May.', 'It agreed on a plan for the river!', 'Dr. Li said the budget was "tight".', 'Was it enough?'];
    let line = '';
    for (let i = 0; line.length < 2 * 1024 * 1024; i++) line += `${sentence[i % sentence.length]} `;
    const heavy: Array<[string, string, () => Promise<void>]> = [
      ['2 MB single-line .txt', 'long-line.txt', () => fs.writeFile(path.join(small, 'corpus', 'long-line.txt'), line)],
      ['PDF: 20,000 pages on one page object (118 KB)', 'pages-20k.pdf', () => fs.writeFile(path.join(small, 'corpus', 'pages-20k.pdf'), makePageBomb(20_000))],
      ['PDF: one Flate stream of 1 GB of spaces (1 MB)', 'flate-1gb.pdf', async () => fs.writeFile(path.join(small, 'corpus', 'flate-1gb.pdf'), await makeFlateBomb(1024))],
      ['PDF: 2,000 pages on one page object (read to the end)', 'pages-2k.pdf', () => fs.writeFile(path.join(small, 'corpus', 'pages-2k.pdf'), makePageBomb(2_000))],
    ];
    for (const [what, file, add] of heavy) {
      log(`[robustness] ${what}`);
      await add();
      rows.push({ what: `re-index adding ${what}`, ...(await measured(docent, question, async () => describeReport(await docent.reindex()))) });
      await fs.rm(path.join(small, 'corpus', file));
      await docent.reindex();
    }
  } finally {
    await docent.close();
    await fs.rm(small, { recursive: true, force: true });
  }

  if (opts.reindexChunks > 0) {
    const n = opts.reindexChunks;
    const label = n >= 1000 ? `${Math.round(n / 1000)}k` : String(n);
    const dir = path.join(work, `robust-${label}`);
    await fs.rm(dir, { recursive: true, force: true });
    log(`[robustness] re-index of ${label} chunks: generating and building`);
    await generateCorpus({ dir: path.join(dir, 'corpus'), chunks: n, seed: opts.seed ?? 42 }, words);
    await fs.writeFile(path.join(dir, 'corpus', 'falcon.md'), seed);
    const big = await Docent.open(configFor(dir, cacheDir), { embeddings: embeddings });
    try {
      // every document changes a little: the new paragraphs are embedded, the graph and BM25 rebuilt over all
      const files = (await fs.readdir(path.join(dir, 'corpus'), { recursive: true })).map(String).filter((f) => /\.(md|txt)$/.test(f));
      for (const f of files) await fs.appendFile(path.join(dir, 'corpus', f), '\n\nOne more closing line, written for the re-index.\n');
      log(`[robustness] re-index of ${label} chunks: measuring`);
      rows.push({ what: `re-index of ${label} chunks (every document changed)`, ...(await measured(big, question, async () => describeReport(await big.reindex()))) });
    } finally {
      await big.close();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

export function renderRobustness(r: RobustnessReport): string {
  const head = '| while the bot serves | wall ms | longest event-loop stall ms | slowest probe answer ms | outcome |\n| --- | ---: | ---: | ---: | --- |';
  return ['### Robustness (issue 12): the serving thread during heavy or hostile work', '', head, ...r.rows.map((x) => `| ${x.what} | ${x.ms} | ${x.longestStallMs} | ${x.slowestAnswerMs} | ${x.outcome} |`)].join('\n');
}
