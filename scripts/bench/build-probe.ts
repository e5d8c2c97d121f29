/**
 * Child process of the scale benchmark: builds the index of a corpus from scratch with the real
 * `buildIndex` and prints one JSON line with the time per stage and the process's peak RSS (from
 * the kernel, so native hnswlib memory counts), which the bench process itself would blur.
 *
 *   tsx scripts/bench/build-probe.ts --index DIR --corpus DIR [--cache DIR]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { createEmbeddings } from '../../src/embeddings/index.js';
import { buildIndex } from '../../src/ingest/build.js';
import { stageClock } from './stage-clock.js';

const { values } = parseArgs({ options: { index: { type: 'string' }, corpus: { type: 'string' }, cache: { type: 'string' } } });
const config = loadConfig(
  { DOCENT_INDEX_DIR: values.index, DOCENT_CORPUS_DIR: values.corpus, DOCENT_CACHE_DIR: values.cache ?? path.resolve('.docent/cache'), LOG_LEVEL: 'warn' },
  {},
);
const embeddings = await createEmbeddings(config);
const clock = stageClock();
const t0 = performance.now();
const report = await buildIndex({ config, embeddings, onProgress: clock.onProgress, purpose: 'bench (scale)' });
const ms = performance.now() - t0;
const st = clock.result(performance.now());
process.stdout.write(
  JSON.stringify({
    ms: Math.round(ms),
    chunks: report.chunks,
    stages: st.stages,
    hnswMs: Math.round(st.hnsw),
    bm25Ms: Math.round(st.bm25),
    maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  }) + '\n',
);
