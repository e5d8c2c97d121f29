/**
 * The benchmark (scripts/bench.ts): its corpus generator is deterministic and feeds the real
 * loaders and chunker one chunk per paragraph, and a tiny run produces a complete, sane report.
 * No timing thresholds here: those are for `npm run bench` on a quiet machine (docs/BENCH.md).
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseBenchArgs, parseSizes } from '../../scripts/bench.js';
import { generateCorpus, gloveWords, sampleQueries } from '../../scripts/bench/corpus.js';
import { renderMarkdown, renderStores } from '../../scripts/bench/report.js';
import { ROOT, runBench } from '../../scripts/bench/run.js';
import { percentile, summarize, timeWithin } from '../../scripts/bench/stats.js';
import { runStoreBench } from '../../scripts/bench/stores.js';
import { GLOVE_CACHE_FILE } from '../../src/embeddings/glove.js';
import { loadCorpus } from '../../src/ingest/corpus.js';
import { chunkDocument } from '../../src/ingest/chunker.js';

const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'docent-bench-test-'));
afterAll(() => fs.rm(tmp, { recursive: true, force: true }));
const words = gloveWords(path.join(ROOT, '.docent', 'cache', GLOVE_CACHE_FILE), 5000);

describe('bench corpus generator', () => {
  it('GIVEN the GloVe cache THEN the vocabulary is alphabetic words in frequency order', async () => {
    expect(words.length).toBe(5000);
    expect(words.slice(0, 3)).toEqual(['the', 'of', 'to']);
    expect(words.every((w) => /^[a-z]{2,}$/.test(w))).toBe(true);
  });

  it('GIVEN a seed THEN the same files come out, and the real chunker makes one chunk per paragraph', async () => {
    const a = await generateCorpus({ dir: path.join(tmp, 'a'), chunks: 230, seed: 9 }, words);
    const b = await generateCorpus({ dir: path.join(tmp, 'b'), chunks: 230, seed: 9 }, words);
    expect(a.chunks).toBe(230);
    expect(a.documents).toBe(5);
    expect(b.paragraphs).toEqual(a.paragraphs);
    const { docs, skipped } = await loadCorpus(a.dir, { maxFileBytes: 1 << 24 });
    expect(skipped).toEqual([]);
    expect(docs.map((d) => d.format).sort()).toEqual(['md', 'md', 'md', 'md', 'txt']);
    const chunks = (await Promise.all(docs.map((d) => chunkDocument(d)))).flat();
    expect(chunks.length).toBe(230);
    expect(chunks.every((c) => c.headings.length >= 1)).toBe(true);
    const queries = sampleQueries(a, 30, words, 1);
    expect(new Set(queries.map((q) => q.kind))).toEqual(new Set(['sentence', 'phrase', 'paraphrase']));
    expect(queries.every((q) => q.text.length > 3 && q.from >= 0 && q.from < 230)).toBe(true);
  });
});

describe('bench helpers', () => {
  it('GIVEN sizes like 1k,10k THEN they parse to chunk counts; nonsense is refused', async () => {
    expect(parseSizes('1k, 10k,250')).toEqual([1000, 10_000, 250]);
    expect(() => parseSizes('ten')).toThrow(/--sizes/);
  });

  it('GIVEN samples THEN nearest-rank percentiles are ordered', async () => {
    const s = summarize([5, 1, 4, 2, 3, 100]);
    expect(s.p50).toBe(3);
    expect(s.p99).toBe(100);
    expect(percentile([], 50)).toBeNaN();
  });

  it('GIVEN a spent time budget THEN timeWithin still runs the minimum, in order, and stops there', async () => {
    const ran: number[] = [];
    const ms = await timeWithin([10, 11, 12, 13, 14], -1, 3, (x) => x, (r) => ran.push(r));
    expect(ran).toEqual([10, 11, 12]);
    expect(ms).toHaveLength(3);
    expect(await timeWithin([1, 2], -1, 3, (x) => x)).toHaveLength(2);
  });
});

describe('bench tiny run', () => {
  it('GIVEN 200 chunks and 50 queries THEN the report has every figure, sane values and the peer ratios', async () => {
    const report = await runBench({ sizes: [200], queries: 50, warmup: 5, coldStartRuns: 0, rssProbe: false, efSweep: [16, 64], workDir: path.join(tmp, 'run') });
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.sizes).toHaveLength(1);
    const s = report.sizes[0];
    expect(s.chunks).toBe(200);
    for (const l of [s.retrieval, s.answer, s.dense.latency, s.lexical.latency, s.peers.memoryVectorStore.latency, s.peers.langchainHnsw.latency]) {
      expect(l.n).toBe(50);
      expect(l.p50).toBeLessThanOrEqual(l.p95);
      expect(l.p95).toBeLessThanOrEqual(l.p99);
      expect(l.p50).toBeGreaterThanOrEqual(0);
    }
    for (const r of [s.dense.recallAt10, s.peers.memoryVectorStore.recallAt10, s.peers.langchainHnsw.recallAt10, ...s.efSweep.map((e) => e.recallAt10)]) {
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThanOrEqual(1);
    }
    // exact search agrees with exact search; hybrid retrieval finds most sampled paragraphs
    expect(s.peers.memoryVectorStore.recallAt10).toBeGreaterThan(0.99);
    expect(s.hitAt10.docentSearch).toBeGreaterThan(0.5);
    for (const [name, v] of Object.entries(s.ratios)) expect({ name, ok: Number.isFinite(v) && v >= 0 }).toEqual({ name, ok: true });
    expect(s.ingest.chunksPerSec).toBeGreaterThan(0);
    expect(s.ingest.indexBuildMs.hnsw).toBeGreaterThanOrEqual(0);
    expect(s.noChangeReindexMs).toBeGreaterThanOrEqual(0);
    expect(s.indexMB).toBeGreaterThan(0);
    expect(s.coldStart).toBeNull();
    expect(s.answeredShare).toBeGreaterThanOrEqual(0);
    const md = renderMarkdown(report);
    expect(md).toContain('| 200 chunks |');
    expect(md).toContain('MemoryVectorStore');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('bench command line', () => {
  it('GIVEN --scale THEN the local store alone at those sizes, and never with another store', () => {
    const cmd = parseBenchArgs(['--scale', '300k,1m']);
    expect(cmd.help === false && cmd.scale).toEqual([300_000, 1_000_000]);
    expect(() => parseBenchArgs(['--scale', '1m', '--store', 'both'])).toThrow('--scale measures the local store alone: leave out --store (got --store both)');
    expect(() => parseBenchArgs(['--scale', 'lots'])).toThrow('--sizes: cannot read "lots"');
  });

  it('GIVEN no --store THEN the local suite runs, as before; both means local and postgres', () => {
    expect(parseBenchArgs([], {})).toMatchObject({ help: false, stores: ['local'], databaseUrl: undefined });
    expect(parseBenchArgs(['--store', 'both', '--sizes', '10k,100k'], {})).toMatchObject({ stores: ['local', 'postgres'], databaseUrl: undefined, bench: { sizes: [10_000, 100_000] } });
    expect(parseBenchArgs(['--store', 'postgres'], {})).toMatchObject({ stores: ['postgres'] });
  });

  it('GIVEN a --store that is not local, postgres or both THEN a clear error names the option and the value', () => {
    expect(() => parseBenchArgs(['--store', 'pg'], {})).toThrow('--store: expected local, postgres or both, got "pg"');
    expect(() => parseBenchArgs(['--store', 'constructor'], {})).toThrow('--store: expected local, postgres or both, got "constructor"');
  });

  it('GIVEN a database URL THEN --database-url wins over DATABASE_URL, which only the postgres store reads', () => {
    const env = { DATABASE_URL: 'postgres://env@db:5432/docent' };
    expect(parseBenchArgs(['--store', 'both'], env)).toMatchObject({ databaseUrl: env.DATABASE_URL });
    expect(parseBenchArgs(['--store', 'postgres', '--database-url', 'postgresql://me@other/x'], env)).toMatchObject({ databaseUrl: 'postgresql://me@other/x' });
    expect(parseBenchArgs([], env)).toMatchObject({ stores: ['local'], databaseUrl: undefined });
  });

  it('GIVEN a bad database URL, or one without the postgres store THEN the error names the option and never shows the password', () => {
    const bad = (args: string[], env = {}) => {
      try {
        parseBenchArgs(args, env);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(bad(['--store', 'postgres', '--database-url', 'mysql://u:hunter22@db/x'])).toBe('--database-url: expected a postgres:// or postgresql:// URL, got mysql://…');
    expect(bad(['--store', 'postgres', '--database-url', 'hunter22 not a url'])).toMatch(/^--database-url: expected a URL such as postgres:\/\/.*the value is not shown/);
    expect(bad(['--store', 'both'], { DATABASE_URL: 'http://u:hunter22@db/x' })).toBe('DATABASE_URL: expected a postgres:// or postgresql:// URL, got http://…');
    expect(bad(['--database-url', 'postgres://u:hunter22@db/x'])).toBe('--database-url is for the postgres store: add --store postgres or --store both (got --store local)');
  });
});

describe('bench store comparison', () => {
  it('GIVEN 200 chunks on the local store THEN ingest, search, dense recall against exact and a one-document re-index are reported', async () => {
    const report = await runStoreBench({ sizes: [200], stores: ['local'], queries: 20, warmup: 2, workDir: path.join(tmp, 'stores') });
    expect(report.database).toBeNull();
    expect(report.sizes).toHaveLength(1);
    const [s] = report.sizes[0];
    expect(s).toMatchObject({ store: 'local', chunks: 200, ingest: { embedded: 200 } });
    for (const l of [s.retrieval, s.dense.latency, s.lexical]) {
      expect(l.n).toBe(20);
      expect(l.p50).toBeLessThanOrEqual(l.p99);
    }
    // at 200 chunks the graph search is exact, and the hybrid search finds the sampled paragraphs
    expect(s.dense.recallAt10).toBe(1);
    expect(s.hitAt10).toBeGreaterThan(0.5);
    // one paragraph of one document changed: one chunk embedded, the rest reused, and served
    expect(s.reindexOne).toMatchObject({ embedded: 1, chunks: 200 });
    expect(s.reindexOne.ms).toBeGreaterThan(0);
    const md = renderStores(report);
    expect(md).toContain('| 200 local |');
    expect(md).toContain('one document changed: chunks embedded / re-index ms | 1 / ');
  });
});
