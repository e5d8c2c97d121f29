/**
 * Long-running health row of the benchmark (issue 12): a bot's memory across re-indexes. The bot
 * (its caches, handlers and the real pipeline with the default embedder) runs in a child process,
 * `reindex-probe.ts`; between re-indexes five other members ask two questions each. RSS and heap
 * are read after forced full GCs after the first and after the last re-index. Before the /why
 * cache dropped old generations' results, each member's last result kept a whole generation's
 * document texts alive (268 → 830 MB over 20 `/reindex` runs in the red-team pass).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import type { DocentEmbeddings } from '../../src/embeddings/types.js';
import { buildIndex } from '../../src/ingest/build.js';
import { generateCorpus } from './corpus.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface LongRunningReport {
  rounds: number;
  chunks: number;
  corpusMB: number;
  rssAfter1MB: number;
  rssAfterLastMB: number;
  heapAfter1MB: number;
  heapAfterLastMB: number;
  /** RSS after the last re-index over RSS after the first. */
  rssGrowth: number;
}

export interface LongRunningOptions {
  work: string;
  embeddings: DocentEmbeddings;
  cacheDir: string;
  words: string[];
  /** Re-indexes (0 skips the row). */
  rounds: number;
  seed?: number;
  log?: (line: string) => void;
}

export async function runLongRunning(o: LongRunningOptions): Promise<LongRunningReport | null> {
  if (o.rounds <= 0) return null;
  const log = o.log ?? (() => {});
  const dir = path.join(o.work, 'long-running');
  // few, long documents: what a member's cached result used to keep alive is whole document texts
  const corpus = await generateCorpus({ dir: path.join(dir, 'corpus'), chunks: 6000, paragraphsPerDoc: 1000, seed: o.seed ?? 42 }, o.words);
  const config = loadConfig({ DOCENT_CORPUS_DIR: corpus.dir, DOCENT_INDEX_DIR: path.join(dir, 'index'), DOCENT_CACHE_DIR: o.cacheDir, LOG_LEVEL: 'warn' }, { cwd: ROOT });
  log(`[long-running] building ${corpus.chunks} chunks, then ${o.rounds} re-indexes in a bot process`);
  await buildIndex({ config, embeddings: o.embeddings, purpose: 'bench long-running' });
  const questions = corpus.paragraphs.filter((_, i) => i % 29 === 0).map((p) => `What about ${p.text.split(' ').slice(2, 7).join(' ')}?`);
  const qFile = path.join(dir, 'questions.json');
  await fs.writeFile(qFile, JSON.stringify(questions));
  const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
  const args = ['--expose-gc', path.join(ROOT, 'scripts/bench/reindex-probe.ts'), '--index', config.indexDir, '--corpus', config.corpusDir, '--questions', qFile, '--cache', o.cacheDir, '--rounds', String(o.rounds)];
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(tsx, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`reindex-probe failed (${code}): ${stderr.slice(0, 500)}`))));
  });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { rssAfter1MB: number; rssAfterLastMB: number; heapAfter1MB: number; heapAfterLastMB: number };
  return {
    rounds: o.rounds,
    chunks: corpus.chunks,
    corpusMB: Math.round((corpus.bytes / 1024 / 1024) * 100) / 100,
    ...r,
    rssGrowth: Math.round((r.rssAfterLastMB / r.rssAfter1MB) * 1000) / 1000,
  };
}

export function renderLongRunning(r: LongRunningReport): string {
  const pct = (x: number) => `${x >= 1 ? '+' : ''}${Math.round((x - 1) * 1000) / 10} %`;
  return [
    `### Long-running bot (issue 12): memory after 1 and after ${r.rounds} re-indexes`,
    '',
    '| bot process, forced GC | after 1 | after ' + r.rounds + ' | growth (target within 20 %) |',
    '| --- | ---: | ---: | ---: |',
    `| RSS MB (${r.chunks} chunks, ${r.corpusMB} MB corpus; 10 questions between re-indexes) | ${r.rssAfter1MB} | ${r.rssAfterLastMB} | ${pct(r.rssGrowth)} |`,
    `| JS heap used MB | ${r.heapAfter1MB} | ${r.heapAfterLastMB} | ${pct(r.heapAfterLastMB / r.heapAfter1MB)} |`,
  ].join('\n');
}
