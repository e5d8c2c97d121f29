/**
 * `npm run bench`: speed and scale of Docent against exact search and the LangChain peers, on
 * seeded synthetic corpora. See docs/BENCH.md.
 */
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { renderMarkdown } from './bench/report.js';
import { renderRobustness, runRobustness } from './bench/robustness.js';
import { runBench } from './bench/run.js';
import { renderScale, runScale } from './bench/scale.js';

const USAGE = `Usage
  npm run bench -- [options]

Options
  --sizes LIST      corpus sizes in chunks, e.g. 1k,10k,100k (default 1k,10k,100k)
  --queries N       timed queries per size, after warm-up (default 1000)
  --warmup N        warm-up queries (default 50)
  --ef N            efSearch for Docent (default: config, DOCENT_EF_SEARCH or 128)
  --ef-sweep LIST   efSearch values to sweep for recall vs latency (default 10,32,64,128,256; "" skips)
  --cold-runs N     cold-start runs of the CLI per size (default 3; 0 skips)
  --no-rss          skip the RSS child processes (serving, and a bot over 20 re-indexes)
  --probe-node-options S  NODE_OPTIONS of the serving-RSS child only, e.g. --max-old-space-size=256
  --peer-budget MS  time budget for MemoryVectorStore queries per size (default 30000)
  --seed N          corpus seed (default 42)
  --no-topics       topic-free word soup instead of documents with topics (worst case for HNSW)
  --json FILE       also write the figures as JSON
  --stall-chunks N  chunks of the robustness re-index row (default 25000; 0 skips it)
  --no-robustness   skip the robustness rows (long lines, PDF bombs, re-index stalls)
  --scale LIST      instead of the suite: the local store at large sizes (e.g. 300k,1m): ingest,
                    open, search() p50/p99, recall@10 vs exact, RSS, each phase in its own
                    process, without the in-process peers (see docs/BENCH.md, 1M chunks)
  --keep            keep the temporary corpora and indexes
  -h, --help        show this help

Examples
  npm run bench -- --sizes 1k
  npm run bench -- --sizes 1k,10k,100k --json bench.json
  npm run bench -- --scale 1m --queries 1000`;

export function parseSizes(list: string): number[] {
  return list.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
    const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(s);
    if (!m) throw new Error(`--sizes: cannot read "${s}" (use e.g. 1k,10k,100k)`);
    const n = Number(m[1]) * (m[2].toLowerCase() === 'k' ? 1e3 : m[2].toLowerCase() === 'm' ? 1e6 : 1);
    if (!Number.isInteger(n) || n < 10) throw new Error(`--sizes: "${s}" is not a whole number of chunks ≥ 10`);
    return n;
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '1k,10k,100k' },
      queries: { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '50' },
      ef: { type: 'string' },
      'ef-sweep': { type: 'string', default: '10,32,64,128,256' },
      'cold-runs': { type: 'string', default: '3' },
      'no-rss': { type: 'boolean', default: false },
      'probe-node-options': { type: 'string' },
      'peer-budget': { type: 'string', default: '30000' },
      seed: { type: 'string', default: '42' },
      'no-topics': { type: 'boolean', default: false },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      scale: { type: 'string' },
      'stall-chunks': { type: 'string', default: '25000' },
      'no-robustness': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const int = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a whole number, got "${v}"`);
    return n;
  };
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  if (values.scale) {
    const scale = await runScale({
      sizes: parseSizes(values.scale),
      queries: Math.max(1, int('queries', values.queries)),
      seed: int('seed', values.seed),
      efSearch: values.ef !== undefined ? int('ef', values.ef) : undefined,
      keep: values.keep,
      log,
    });
    process.stdout.write(renderScale(scale) + '\n');
    if (values.json) await fs.writeFile(values.json, JSON.stringify(scale, null, 2) + '\n');
    return;
  }
  const report = await runBench({
    sizes: parseSizes(values.sizes),
    queries: Math.max(1, int('queries', values.queries)),
    warmup: int('warmup', values.warmup),
    efSearch: values.ef !== undefined ? int('ef', values.ef) : undefined,
    efSweep: values['ef-sweep'] ? values['ef-sweep'].split(',').map((x) => int('ef-sweep', x.trim())) : [],
    coldStartRuns: int('cold-runs', values['cold-runs']),
    rssProbe: !values['no-rss'],
    probeNodeOptions: values['probe-node-options'],
    peerBudgetMs: int('peer-budget', values['peer-budget']),
    seed: int('seed', values.seed),
    topicShare: values['no-topics'] ? [0, 0] : undefined,
    keep: values.keep,
    log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`),
  });
  process.stdout.write(renderMarkdown(report) + '\n');
  const robustness = values['no-robustness']
    ? undefined
    : await runRobustness({ reindexChunks: int('stall-chunks', values['stall-chunks']), seed: int('seed', values.seed), log: (line) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`) });
  if (robustness) process.stdout.write('\n' + renderRobustness(robustness) + '\n');
  if (values.json) await fs.writeFile(values.json, JSON.stringify({ ...report, robustness }, null, 2) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('scripts/bench.ts')) {
  main().catch((err) => {
    process.stderr.write(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
