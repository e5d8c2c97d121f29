/**
 * Child process of the benchmark: opens an index the way a front end does (`Docent.open`),
 * answers the questions of a JSON file, and prints one JSON line with its timings and memory
 * (RSS peak from the kernel, so it covers native hnswlib memory too).
 *
 *   tsx scripts/bench/serve-probe.ts --index DIR --corpus DIR --questions FILE.json
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { Docent } from '../../src/pipeline.js';

const t0 = performance.now();
const { values } = parseArgs({
  options: { index: { type: 'string' }, corpus: { type: 'string' }, questions: { type: 'string' }, cache: { type: 'string' } },
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
const docent = await Docent.open(config, { autoBuild: false });
const openMs = performance.now() - t0;
let firstAnswerMs = 0;
let answered = 0;
for (const [i, q] of questions.entries()) {
  const r = await docent.answer(q);
  if (i === 0) firstAnswerMs = performance.now() - t0;
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
    firstAnswerMs: Math.round(firstAnswerMs),
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
