/**
 * Child process of the benchmark: opens an index the way a front end does (`Docent.open`),
 * answers the questions of a JSON file, and prints one JSON line with its timings and memory
 * (RSS peak from the kernel, so it covers native hnswlib memory too).
 *
 *   tsx scripts/bench/serve-probe.ts --index DIR --corpus DIR --questions FILE.json [--search FILE.json --dense-out FILE.json]
 *
 * With `--search` (the scale bench) it also times `search()` (k 10) and the HNSW search alone on
 * those queries right after opening, and writes each query's HNSW top 10 (chunk positions) to
 * `--dense-out`, for recall against exact search computed by the parent.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { createEmbeddings } from '../../src/embeddings/index.js';
import { Docent } from '../../src/pipeline.js';
import { search } from '../../src/retrieval/search.js';
import { normalized } from '../../src/text/vector.js';
import { summarize, timeEach } from './stats.js';

const t0 = performance.now();
const { values } = parseArgs({
  options: {
    index: { type: 'string' },
    corpus: { type: 'string' },
    questions: { type: 'string' },
    cache: { type: 'string' },
    search: { type: 'string' },
    'dense-out': { type: 'string' },
  },
});
const config = loadConfig(
  {
    DOCENT_INDEX_DIR: values.index,
    DOCENT_CORPUS_DIR: values.corpus,
    DOCENT_CACHE_DIR: values.cache ?? path.resolve('.docent/cache'),
    DOCENT_EF_SEARCH: process.env.DOCENT_EF_SEARCH,
  },
  {},
);
const questions = JSON.parse(await fs.readFile(values.questions!, 'utf8')) as string[];
const embeddings = await createEmbeddings(config);
const docent = await Docent.open(config, { embeddings, autoBuild: false });
const openMs = performance.now() - t0;
const opened = { rssMB: Math.round(process.memoryUsage().rss / (1024 * 1024)), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) };
let searchFigures: Record<string, unknown> | null = null;
if (values.search) {
  const queries = JSON.parse(await fs.readFile(values.search, 'utf8')) as string[];
  const index = await docent.current();
  // the first 50 warm up (and are timed but not counted); dense ids are written for all
  for (const q of queries.slice(0, 50)) await search(index, embeddings, q, { k: 10 });
  const retrieval = await timeEach(queries.slice(50), (q) => search(index, embeddings, q, { k: 10 }));
  const vecs = await Promise.all(queries.map(async (q) => normalized(await embeddings.embedQuery(q))));
  const ids: number[][] = [];
  const dense = await timeEach(vecs, (v) => index.dense.search(v, 10), (r) => ids.push(r.map((h) => h.index)));
  if (values['dense-out']) await fs.writeFile(values['dense-out'], JSON.stringify(ids));
  searchFigures = { retrieval: summarize(retrieval), dense: summarize(dense.slice(50)), rssAfterSearchMB: Math.round(process.memoryUsage().rss / (1024 * 1024)) };
}
let firstAnswerMs = 0;
let firstAnswerCallMs = 0;
let answered = 0;
for (const [i, q] of questions.entries()) {
  const ta = performance.now();
  const r = await docent.answer(q);
  // the first answer also builds the reader's per-generation caches (vocabulary, outlines)
  if (i === 0) [firstAnswerMs, firstAnswerCallMs] = [performance.now() - t0, performance.now() - ta];
  if (r.answered) answered++;
}
const mem = process.memoryUsage();
const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// a bot waits between questions: after a few idle seconds V8's memory reducer runs full GCs and
// hands the load-time garbage back to the OS (no forced GC here)
await sleep(Number(process.env.DOCENT_PROBE_IDLE_MS ?? 8000));
const idle = process.memoryUsage();
// with --expose-gc: what stays after full collections (the live set)
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
await sleep(300);
gc?.();
await sleep(300);
const afterGc = process.memoryUsage();
process.stdout.write(
  JSON.stringify({
    openMs: Math.round(openMs),
    opened,
    search: searchFigures,
    firstAnswerMs: Math.round(firstAnswerMs),
    firstAnswerCallMs: Math.round(firstAnswerCallMs),
    totalMs: Math.round(performance.now() - t0),
    questions: questions.length,
    answered,
    rssMB: Math.round(mem.rss / MB),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    heapUsedMB: Math.round(mem.heapUsed / MB),
    rssIdleMB: Math.round(idle.rss / MB),
    rssAfterGcMB: gc ? Math.round(afterGc.rss / MB) : null,
    heapUsedAfterGcMB: gc ? Math.round(afterGc.heapUsed / MB) : null,
    externalMB: Math.round((mem.external + mem.arrayBuffers) / MB),
  }) + '\n',
);
await docent.close();
