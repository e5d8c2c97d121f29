/**
 * `npm run bench`: speed and scale of Docent against exact search and the LangChain peers, on
 * seeded synthetic corpora. See docs/BENCH.md.
 */
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { renderMarkdown, renderStores } from './bench/report.js';
import { renderRobustness, runRobustness } from './bench/robustness.js';
import { startPglite } from './bench/database.js';
import { runBench, type BenchOptions } from './bench/run.js';
import { runStoreBench } from './bench/stores.js';
import type { StoreKind } from '../src/index/index-store.js';
import { addSecret, redact } from '../src/log.js';
import { describeUrl } from '../src/config.js';
import { renderScale, runScale } from './bench/scale.js';

const USAGE = `Usage
  npm run bench -- [options]

Options
  --sizes LIST      corpus sizes in chunks, e.g. 1k,10k,100k (default 1k,10k,100k)
  --store S         local (default): the whole suite below on the local store;
                    postgres, both: the store comparison instead (ingest, search() p50/p99,
                    dense recall@10 vs exact, re-index of one changed document), for the
                    Postgres store, or for both stores side by side on the same corpus
  --query-budget MS store comparison: each timed measurement of a store stops after this long
                    once 50 queries ran (default: all --queries)
  --database-url U  the Postgres (with pgvector) to bench (default: DATABASE_URL, else the bench
                    starts PGlite in a child process on a free port; its figures are PGlite's)
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
  npm run bench -- --store both --sizes 10k,100k --queries 500
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

const STORES: Record<string, StoreKind[]> = { local: ['local'], postgres: ['postgres'], both: ['local', 'postgres'] };

/** `--store local|postgres|both` → the stores to measure. */
export function parseStores(value: string): StoreKind[] {
  const stores = Object.hasOwn(STORES, value) ? STORES[value] : undefined;
  if (!stores) throw new Error(`--store: expected local, postgres or both, got "${value}"`);
  return stores;
}

/**
 * A postgres:// URL from `--database-url` or DATABASE_URL (`name`); its password is registered as
 * a secret first, and an error never shows the value (it may hold the password).
 */
export function parseDatabaseUrl(value: string, name: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new Error(`${name}: expected a URL such as postgres://user:password@host:5432/database (the value is not shown: it may hold a password)`);
  }
  if (u.password) addSecret(decodeURIComponent(u.password));
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new Error(`${name}: expected a postgres:// or postgresql:// URL, got ${u.protocol}//…`);
  return value;
}

export type BenchCommand =
  | { help: true }
  | {
      help: false;
      stores: StoreKind[];
      /** For the postgres store; undefined: the bench starts PGlite. */
      databaseUrl: string | undefined;
      /** Store comparison: time budget of each measurement per store, ms. */
      queryBudgetMs: number | undefined;
      bench: Omit<BenchOptions, 'log'>;
      json: string | undefined;
      stallChunks: number;
      robustness: boolean;
      /** `--scale LIST`: the local store alone at these sizes, instead of the suite. */
      scale: number[] | undefined;
    };

/** The command line (and DATABASE_URL) → what to run; a bad value throws an error that names the option. */
export function parseBenchArgs(args: string[], env: NodeJS.ProcessEnv = process.env): BenchCommand {
  const { values } = parseArgs({
    args,
    options: {
      sizes: { type: 'string', default: '1k,10k,100k' },
      store: { type: 'string', default: 'local' },
      'database-url': { type: 'string' },
      queries: { type: 'string', default: '1000' },
      'query-budget': { type: 'string' },
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
  if (values.help) return { help: true };
  const int = (name: string, v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} expects a whole number, got "${v}"`);
    return n;
  };
  const stores = parseStores(values.store);
  if (values.scale !== undefined && values.store !== 'local') throw new Error(`--scale measures the local store alone: leave out --store (got --store ${values.store})`);
  const given = values['database-url'];
  if (given !== undefined && !stores.includes('postgres')) throw new Error(`--database-url is for the postgres store: add --store postgres or --store both (got --store ${values.store})`);
  const databaseUrl = given !== undefined ? parseDatabaseUrl(given, '--database-url') : stores.includes('postgres') && env.DATABASE_URL ? parseDatabaseUrl(env.DATABASE_URL, 'DATABASE_URL') : undefined;
  return {
    help: false,
    stores,
    databaseUrl,
    queryBudgetMs: values['query-budget'] !== undefined ? int('query-budget', values['query-budget']) : undefined,
    json: values.json,
    stallChunks: int('stall-chunks', values['stall-chunks']),
    robustness: !values['no-robustness'],
    scale: values.scale !== undefined ? parseSizes(values.scale) : undefined,
    bench: {
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
    },
  };
}

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${redact(line)}\n`);

async function main() {
  const cmd = parseBenchArgs(process.argv.slice(2));
  if (cmd.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  if (cmd.scale) {
    const scale = await runScale({ sizes: cmd.scale, queries: cmd.bench.queries, seed: cmd.bench.seed, efSearch: cmd.bench.efSearch, keep: cmd.bench.keep, log });
    process.stdout.write(renderScale(scale) + '\n');
    if (cmd.json) await fs.writeFile(cmd.json, JSON.stringify(scale, null, 2) + '\n');
    return;
  }
  if (cmd.stores.includes('postgres')) return mainStores(cmd);
  const report = await runBench({ ...cmd.bench, log });
  process.stdout.write(renderMarkdown(report) + '\n');
  const robustness = cmd.robustness ? await runRobustness({ reindexChunks: cmd.stallChunks, seed: cmd.bench.seed, log }) : undefined;
  if (robustness) process.stdout.write('\n' + renderRobustness(robustness) + '\n');
  if (cmd.json) await fs.writeFile(cmd.json, JSON.stringify({ ...report, robustness }, null, 2) + '\n');
}

/** `--store postgres|both`: the store comparison, on the given database or on a PGlite the bench starts. */
async function mainStores(cmd: Extract<BenchCommand, { help: false }>) {
  const db = cmd.databaseUrl ? null : await startPglite(log);
  try {
    const report = await runStoreBench({
      ...cmd.bench,
      stores: cmd.stores,
      queryBudgetMs: cmd.queryBudgetMs,
      databaseUrl: cmd.databaseUrl ?? db!.url,
      databaseLabel: db?.label ?? `the database at ${describeUrl(cmd.databaseUrl!)} (collections bench-<size>-<run> are left there)`,
      log,
    });
    report.databasePeakRssMB = db?.peakRssMB() ?? null;
    process.stdout.write(renderStores(report) + '\n');
    if (cmd.json) await fs.writeFile(cmd.json, JSON.stringify(report, null, 2) + '\n');
  } finally {
    await db?.stop();
  }
}


if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('scripts/bench.ts')) {
  main().catch((err) => {
    process.stderr.write(redact(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`) + '\n');
    process.exitCode = 1;
  });
}
