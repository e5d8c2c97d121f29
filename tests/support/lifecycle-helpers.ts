/**
 * Shared helpers of the index-lifecycle tests (incremental builds, crash safety, locking, hot
 * swap, concurrency): temp corpora and configs, recording/gated embedders, answer snapshots,
 * and a runner for the ingest CLI as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Embeddings } from '@langchain/core/embeddings';
import { loadConfig, type Config } from '../../src/config.js';
import { HashEmbeddings } from '../../src/embeddings/hash.js';
import type { DocentEmbeddings } from '../../src/embeddings/types.js';
import type { Docent } from '../../src/pipeline.js';
import type { AnswerResult } from '../../src/types.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SEED_DOC = path.join(REPO, 'corpus', 'alibaba-agentic-ai-strategy-q3-fy2026.md');
/** The compiled ingest CLI, what `npm run ingest` runs (tests/support/dist.ts). */
export const INGEST_CLI = path.join(REPO, 'dist', 'cli', 'ingest.js');

/** A fresh temp folder with `corpus/` (holding the seed article) and an empty `index/` path. */
export async function makeWorkspace(prefix = 'docent-lc-'): Promise<{ root: string; corpus: string; index: string; cleanup: () => Promise<void> }> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const corpus = path.join(root, 'corpus');
  await fs.mkdir(corpus);
  await fs.copyFile(SEED_DOC, path.join(corpus, 'alibaba.md'));
  return { root, corpus, index: path.join(root, 'index'), cleanup: () => fs.rm(root, { recursive: true, force: true }) };
}

/** Config for tests: the hash embedder unless `env` says otherwise. */
export function testConfig(corpus: string, index: string, env: Record<string, string> = {}): Config {
  return loadConfig({
    DOCENT_EMBEDDER: 'hash',
    DOCENT_CORPUS_DIR: corpus,
    DOCENT_INDEX_DIR: index,
    DOCENT_CACHE_DIR: path.join(REPO, '.docent', 'cache'),
    ...env,
  });
}

/** Wraps an embedder (same id and size) and records every call. */
export class RecordingEmbeddings extends Embeddings implements DocentEmbeddings {
  readonly id: string;
  readonly dimensions: number;
  readonly documentCalls: string[][] = [];
  queryCalls = 0;
  constructor(readonly inner: DocentEmbeddings = new HashEmbeddings()) {
    super({ maxRetries: 0 });
    this.id = inner.id;
    this.dimensions = inner.dimensions;
  }
  get embeddedTexts(): string[] {
    return this.documentCalls.flat();
  }
  reset(): void {
    this.documentCalls.length = 0;
    this.queryCalls = 0;
  }
  override async embedDocuments(texts: string[]): Promise<number[][]> {
    this.documentCalls.push([...texts]);
    return this.inner.embedDocuments(texts);
  }
  override async embedQuery(text: string): Promise<number[]> {
    this.queryCalls++;
    return this.inner.embedQuery(text);
  }
}

/** Like `RecordingEmbeddings`, but after `hold()` the next build waits in `embedDocuments` until `release()` (a build in flight, held as long as a test needs). */
export class DocumentGate extends RecordingEmbeddings {
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  private reached: (() => void) | null = null;
  /** Resolves when a build is waiting at the gate. */
  hold(): Promise<void> {
    this.gate = new Promise((r) => (this.open = r));
    return new Promise((r) => (this.reached = r));
  }
  release(): void {
    this.open?.();
    this.gate = null;
  }
  override async embedDocuments(texts: string[]): Promise<number[][]> {
    if (this.gate) {
      this.reached?.();
      await this.gate;
    }
    return super.embedDocuments(texts);
  }
}

/**
 * Like `RecordingEmbeddings`, but while `hold()` is in force every `embedQuery` waits until
 * `release()`: keeps questions in flight across a generation switch.
 */
export class GatedEmbeddings extends RecordingEmbeddings {
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  private arrivals: Array<{ n: number; resolve: () => void }> = [];
  waiting = 0;
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = null;
  }
  /** Resolves once `n` queries are waiting at the gate. */
  arrived(n: number): Promise<void> {
    if (this.waiting >= n) return Promise.resolve();
    return new Promise((resolve) => this.arrivals.push({ n, resolve }));
  }
  override async embedQuery(text: string): Promise<number[]> {
    if (this.gate) {
      this.waiting++;
      for (const a of this.arrivals.filter((x) => x.n <= this.waiting)) {
        this.arrivals.splice(this.arrivals.indexOf(a), 1);
        a.resolve();
      }
      await this.gate;
      this.waiting--;
    }
    return super.embedQuery(text);
  }
}

const WORDS = (
  'river mountain lantern harbor meadow copper violet granite orchard canyon falcon willow ember ' +
  'glacier prairie thistle marble cobalt juniper basalt saffron tundra cedar quartz lagoon maple ' +
  'beacon pebble summit delta fjord hollow ivory jasper kestrel linden mosaic nectar opal'
).split(' ');

/** Deterministic filler Markdown: `sections` sections of 5 sentences each (~4.3 KB per 10 sections). */
export function fillerDoc(seed: number, sections: number, title = `Field notes ${seed}`): string {
  let s = seed * 2654435761 + 1;
  const rnd = () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff;
  };
  const out = [`# ${title}`, ''];
  for (let p = 0; p < sections; p++) {
    out.push(`## Survey ${seed}.${p}`, '');
    const sentences: string[] = [];
    for (let k = 0; k < 5; k++) {
      const words = Array.from({ length: 12 }, () => WORDS[Math.floor(rnd() * WORDS.length)]);
      words[0] = words[0][0].toUpperCase() + words[0].slice(1);
      sentences.push(`${words.join(' ')} near marker m${seed}x${p}x${k}.`);
    }
    out.push(sentences.join(' '), '');
  }
  return out.join('\n');
}

/** Writes `count` filler documents `notes-NN.md` into `dir`. */
export async function writeFiller(dir: string, count: number, sections: number): Promise<void> {
  for (let i = 0; i < count; i++) await fs.writeFile(path.join(dir, `notes-${String(i).padStart(2, '0')}.md`), fillerDoc(i, sections));
}

/** What must not change between two answers to the same question from the same index state. */
export interface AnswerShape {
  answered: boolean;
  answer: string;
  citations: Array<{ source: string; lines: [number, number]; quote: string; chunkId: string }>;
}

export function shapeOf(r: AnswerResult): AnswerShape {
  return {
    answered: r.answered,
    answer: r.answer,
    citations: r.citations.map((c) => ({ source: c.source, lines: c.lines, quote: c.quote, chunkId: c.chunkId })),
  };
}

export async function snapshot(docent: Docent, questions: readonly string[]): Promise<AnswerShape[]> {
  const out: AnswerShape[] = [];
  for (const q of questions) out.push(shapeOf(await docent.answer(q)));
  return out;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Starts `node dist/cli/ingest.js …` (one process, so SIGKILL reaches the writer itself). */
export function spawnIngest(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [INGEST_CLI, ...args], {
    cwd: REPO,
    env: { ...process.env, DOCENT_EMBEDDER: 'hash', DOCENT_CACHE_DIR: path.join(REPO, '.docent', 'cache'), NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collects a child's output and exit. */
export function finished(child: ChildProcess, t0 = performance.now()): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: performance.now() - t0 }));
  });
}

export function runIngest(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const t0 = performance.now();
  return finished(spawnIngest(args, env), t0);
}

/** Runs `npm <args>` (as a user would type it). */
export function runNpm(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const t0 = performance.now();
  const child = spawn('npm', args, {
    cwd: REPO,
    env: { ...process.env, DOCENT_EMBEDDER: 'hash', DOCENT_CACHE_DIR: path.join(REPO, '.docent', 'cache'), NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return finished(child, t0);
}

/**
 * A child process that takes the index lock with the real `acquireLock` and holds it until it
 * is killed. Resolves once the lock is held.
 */
export async function holdLockInChild(indexDir: string): Promise<{ pid: number; stop: () => Promise<void> }> {
  const storeUrl = new URL('../../dist/index/store.js', import.meta.url).href;
  const code = `const { acquireLock } = await import(${JSON.stringify(storeUrl)}); await acquireLock(${JSON.stringify(indexDir)}, 'test holder'); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('locked')) resolve();
    });
    child.on('exit', (c) => reject(new Error(`lock holder exited (${c}): ${err}`)));
  });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return {
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A pid that is not running (for stale locks). */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise((r) => child.on('exit', r));
  return pid;
}

/** Recursive copy of an index folder (fresh "before" state for each crash run). */
export async function copyDir(from: string, to: string): Promise<void> {
  await fs.cp(from, to, { recursive: true });
}
