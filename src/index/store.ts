import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Chunk } from '../types.js';
import { DocentError } from '../errors.js';
import type { CorpusSnapshot, Pin } from '../ingest/freshness.js';
import { pidAlive } from './lock.js';
import { fsyncPath, sha256File, writeFileAtomic, writeFileSynced } from './atomic-file.js';

/**
 * On-disk layout of an index directory:
 *
 *   CURRENT               name of the generation that serves (replaced by atomic rename)
 *   PINNED                set by an explicit rollback or switch (which generation, when, by whom, and
 *                         the corpus as it was then); while it names the serving generation and the
 *                         corpus has not changed since, a stale corpus is reported but not re-indexed
 *                         automatically. Removed by the next build.
 *   gen-000007/           one complete, immutable generation
 *     manifest.json       format version, embedder, counts, per-file sizes and sha256
 *     chunk-table.json    the chunks, in vector order, as typed columns (chunk-table.bin) and the
 *     chunk-table.bin     small tables they point into (chunk-table.ts)
 *     texts.bin           each document's text (quotes are sliced from it), read on demand
 *     vectors.f32         the chunk vectors (reused by incremental builds; not read to serve)
 *     lexical.json        the BM25 index: terms and byte ranges of its postings in lexical.bin
 *     lexical.bin
 *     hnsw/               LangChain HNSWLib files (hnswlib.index, args.json, docstore.json)
 *   .build-<pid>-<rand>/  a build in progress; renamed to gen-NNNNNN once complete and flushed
 *   .lock/                the writer's lock (see lock.ts): holder-<token>.json names purpose, pid,
 *                         host and start time; its mtime is the heartbeat
 *
 * A generation directory is only ever created by renaming a fully written and fsynced build
 * directory, and CURRENT only ever changes by renaming a fsynced temp file over it, so a process
 * killed at any instant leaves the previous generation serving.
 */
/**
 * 2: lexical.bin is always present (format 1 generations may hold an older lexical.json, which is
 * no longer read); a generation of another format is skipped and the index rebuilt.
 * 3: each document record has its checked http(s) `url` (front matter), which citations carry; a
 * format 2 generation, built before, would cite its documents without their links.
 * 4: chunks and document texts in the compact chunk table (chunk-table.json/.bin, texts.bin)
 * instead of chunks.json and docs.json, which a million chunks outgrow (docs/BENCH.md).
 */
export const FORMAT_VERSION = 4;
export const CHUNKER_VERSION = 4;

export interface DocRecord {
  source: string;
  title: string;
  format: string;
  contentHash: string;
  bytes: number;
  chunks: number;
  /** When this content was first indexed (kept across generations while it does not change). */
  indexedAt: string;
  meta: Record<string, string>;
  /** The document's link (front matter `url:`, an http(s) URL checked at load), cited with it. */
  url?: string;
}

export interface Manifest {
  formatVersion: number;
  chunkerVersion: number;
  generation: string;
  builtAt: string;
  buildMs: number;
  embedder: { id: string; dimensions: number };
  chunkCount: number;
  docs: DocRecord[];
  skipped: Array<{ source: string; code: string; message: string }>;
  hnsw: { m: number; efConstruction: number };
  files: Record<string, { bytes: number; sha256: string }>;
  /** The corpus folder this generation was built from (absolute). */
  corpusDir?: string;
  /** Size, mtime and sha256 of every corpus file the build walked: what the staleness check compares with. */
  corpus?: CorpusSnapshot;
}

const GEN_RE = /^gen-(\d{6,})$/;

export function generationName(seq: number): string {
  return `gen-${String(seq).padStart(6, '0')}`;
}

async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

/**
 * Records size and sha256 of every file of a build directory (except the manifest); files in
 * `known` (written with `writeFileSynced`, which hashed them already) are not read again.
 */
async function describeFiles(dir: string, known: Manifest['files'] = {}): Promise<Manifest['files']> {
  const files: Manifest['files'] = {};
  for (const f of await listFiles(dir)) {
    if (f === 'manifest.json') continue;
    const p = path.join(dir, f);
    const size = (await fs.stat(p)).size;
    files[f] = known[f]?.bytes === size ? known[f] : { bytes: size, sha256: await sha256File(p) };
  }
  return files;
}

/** Checks a generation directory against its manifest. Throws `INDEX_CORRUPT` naming what is wrong. */
export async function verifyGeneration(dir: string): Promise<Manifest> {
  const name = path.basename(dir);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
  } catch (err) {
    throw new DocentError('INDEX_CORRUPT', `${name}: manifest.json is missing or unreadable`, { cause: err });
  }
  if (manifest.formatVersion !== FORMAT_VERSION) {
    throw new DocentError('INDEX_FORMAT', `${name}: index format ${manifest.formatVersion}, this version reads ${FORMAT_VERSION}; re-index with \`npm run ingest\``);
  }
  if (!manifest.files || typeof manifest.files !== 'object' || !Number.isInteger(manifest.chunkCount)) {
    throw new DocentError('INDEX_CORRUPT', `${name}: manifest.json is incomplete`);
  }
  for (const [f, want] of Object.entries(manifest.files)) {
    const p = path.join(dir, f);
    let st;
    try {
      st = await fs.stat(p);
    } catch {
      throw new DocentError('INDEX_CORRUPT', `${name}: ${f} is missing`);
    }
    if (st.size !== want.bytes) throw new DocentError('INDEX_CORRUPT', `${name}: ${f} has ${st.size} bytes, the manifest says ${want.bytes}`);
    if ((await sha256File(p)) !== want.sha256) throw new DocentError('INDEX_CORRUPT', `${name}: ${f} does not match its checksum`);
  }
  return manifest;
}

export async function readCurrentName(indexDir: string): Promise<string | null> {
  try {
    const name = (await fs.readFile(path.join(indexDir, 'CURRENT'), 'utf8')).trim();
    return GEN_RE.test(name) ? name : null;
  } catch {
    return null;
  }
}

export async function setCurrent(indexDir: string, name: string): Promise<void> {
  await writeFileAtomic(path.join(indexDir, 'CURRENT'), `${name}\n`);
}

/** The pin left by an explicit rollback or switch, or null (none, or unreadable). */
export async function readPin(indexDir: string): Promise<Pin | null> {
  try {
    const pin = JSON.parse(await fs.readFile(path.join(indexDir, 'PINNED'), 'utf8')) as Pin;
    return GEN_RE.test(pin.generation) && pin.corpus?.files ? pin : null;
  } catch {
    return null;
  }
}

/** Writes PINNED (atomically; the caller holds the lock). */
export async function writePin(indexDir: string, pin: Pin): Promise<void> {
  await writeFileAtomic(path.join(indexDir, 'PINNED'), JSON.stringify(pin));
}

/** Removes PINNED (a build ends the pin; the caller holds the lock). */
export async function clearPin(indexDir: string): Promise<void> {
  await fs.rm(path.join(indexDir, 'PINNED'), { force: true });
}

/** Generation names present, oldest first. */
export async function listGenerations(indexDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(indexDir);
  } catch {
    return [];
  }
  return names.filter((n) => GEN_RE.test(n)).sort();
}

async function nextGenerationName(indexDir: string): Promise<string> {
  const gens = await listGenerations(indexDir);
  const last = gens.length ? Number(GEN_RE.exec(gens[gens.length - 1])![1]) : 0;
  return generationName(last + 1);
}

/** A fresh, empty build directory inside the index directory. */
export async function createBuildDir(indexDir: string): Promise<string> {
  await fs.mkdir(indexDir, { recursive: true });
  const dir = path.join(indexDir, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  await fs.mkdir(dir);
  return dir;
}

/**
 * Seals a build: writes the manifest (with checksums of every file), flushes everything,
 * renames the build directory to its generation name and only then points CURRENT at it.
 */
export async function commitBuild(indexDir: string, buildDir: string, manifest: Omit<Manifest, 'files' | 'generation'>, written: Manifest['files'] = {}): Promise<Manifest> {
  const files = await describeFiles(buildDir, written);
  for (const f of Object.keys(files)) await fsyncPath(path.join(buildDir, f));
  const generation = await nextGenerationName(indexDir);
  const full: Manifest = { ...manifest, generation, files } as Manifest;
  await writeFileSynced(path.join(buildDir, 'manifest.json'), JSON.stringify(full, null, 1));
  await fsyncPath(path.join(buildDir, 'hnsw'));
  await fsyncPath(buildDir);
  await fs.rename(buildDir, path.join(indexDir, generation));
  await fsyncPath(indexDir);
  await setCurrent(indexDir, generation);
  return full;
}

/** Deletes generations beyond the newest `keep` (never the current one) and stale build dirs. */
export async function pruneGenerations(indexDir: string, keep: number): Promise<string[]> {
  const current = await readCurrentName(indexDir);
  const gens = await listGenerations(indexDir);
  const removed: string[] = [];
  const excess = gens.slice(0, Math.max(0, gens.length - keep));
  for (const g of excess) {
    if (g === current) continue;
    await fs.rm(path.join(indexDir, g), { recursive: true, force: true });
    removed.push(g);
  }
  return removed;
}

/** Removes leftovers of crashed builds (build dirs and temp files whose writer is gone). */
export async function cleanupLeftovers(indexDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(indexDir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const m = /^\.build-(\d+)-|^(?:CURRENT|PINNED|\.lock)\.(\d+)\.[0-9a-f]+\.(?:tmp|stale)$/.exec(n);
    if (!m) continue;
    const pid = Number(m[1] ?? m[2]);
    if (pid !== process.pid && pidAlive(pid)) continue;
    // our own temp files may belong to a write in flight in this process
    if (pid === process.pid && (m[2] !== undefined || activeBuilds.has(path.join(indexDir, n)))) continue;
    await fs.rm(path.join(indexDir, n), { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}

/** Build directories this process is writing right now (never cleaned up under its feet). */
export const activeBuilds = new Set<string>();

export { acquireLock, readLock, DEFAULT_LOCK_STALE_MS, type LockHandle, type LockInfo, type LockOptions } from './lock.js';

export function vectorsToBuffer(vectors: Float32Array[], dims: number): Uint8Array {
  const out = new Float32Array(vectors.length * dims);
  vectors.forEach((v, i) => out.set(v, i * dims));
  return new Uint8Array(out.buffer);
}

export function bufferToVectors(buf: Buffer, dims: number): Float32Array[] {
  const copy = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const n = copy.length / dims;
  const out: Float32Array[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = copy.subarray(i * dims, (i + 1) * dims);
  return out;
}

export type { Chunk };
