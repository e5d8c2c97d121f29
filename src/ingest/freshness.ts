/**
 * "Does the corpus differ from the serving generation?", answered cheaply: one walk of the corpus
 * folder and one `stat` per file, compared with the sizes and mtimes the generation's manifest
 * recorded; only files whose size or mtime differ (or were modified too close to the build for
 * their mtime to be trusted) are hashed and compared by content. The CLI, the REPL and the bot all
 * ask through `Docent.corpusStatus()` / `Docent.ensureFresh()`, which call `corpusStatus()` here.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Manifest } from '../index/store.js';
import { hashFile, walkCorpus } from './corpus.js';
import { toSource } from './loaders/index.js';

/** One corpus file as a build saw it: size and mtime (stat before reading) and sha256 of its bytes. */
export interface CorpusFile {
  bytes: number;
  mtimeMs: number;
  /** sha256 of the raw bytes; null when not read (unreadable, or larger than DOCENT_MAX_FILE_BYTES). */
  sha256: string | null;
}

/** Every file of the corpus walk (loaded or skipped), by source path. */
export interface CorpusSnapshot {
  /** When the walk started (ms since the epoch). */
  takenAt: number;
  files: Record<string, CorpusFile>;
}

/**
 * A file whose mtime is this close to (or after) the start of the walk that recorded it may have
 * changed again within the file system's timestamp granularity (up to 2 s on FAT, 1 s on some
 * network file systems) without its mtime moving: such "racy" entries are compared by content.
 */
export const RACY_MS = 2000;

export interface CorpusDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** The corpus compared with the serving generation (what `npm run ask`, the REPL and the bot check). */
export interface CorpusStatus extends CorpusDiff {
  /** The serving generation compared with. */
  generation: string;
  corpusDir: string;
  /** True when the corpus is exactly what `generation` indexed. */
  fresh: boolean;
  /** The corpus folder does not exist or is not a folder (never re-indexed away). */
  missing: boolean;
  /** The rollback or switch that chose `generation`, if one did and no build happened since. */
  pin: PinInfo | null;
  /** The pin holds: the corpus differs, but the generation stays as the rollback left it (no automatic re-index). */
  pinned: boolean;
  /** Files walked and files hashed by this check. */
  files: number;
  hashed: number;
  ms: number;
}

export interface PinInfo {
  generation: string;
  pinnedAt: string;
  /** "npm run ingest --rollback", "/rollback by …" */
  by: string;
  /** The corpus changed after the rollback: the pin no longer holds. */
  lapsed: boolean;
}

/** The PINNED file: written by an explicit rollback or switch, removed by the next build. */
export interface Pin {
  generation: string;
  pinnedAt: string;
  by: string;
  /** The corpus as it was when the pin was set: a change after that ends the pin. */
  corpus: CorpusSnapshot;
}

/** What one walk of the corpus found: each file's absolute path, size and mtime. */
export interface CorpusScan {
  takenAt: number;
  files: Map<string, { abs: string; bytes: number; mtimeMs: number }>;
}

/** Walks the corpus (same rules as a build: dot-names ignored, symlinks followed) and stats every file. Null when the folder is missing. */
export async function scanCorpus(corpusDir: string): Promise<CorpusScan | null> {
  const root = path.resolve(corpusDir);
  const st = await stat(root).catch(() => null);
  if (!st?.isDirectory()) return null;
  const takenAt = Date.now();
  const files = new Map<string, { abs: string; bytes: number; mtimeMs: number }>();
  for (const abs of await walkCorpus(root, [])) {
    const s = await stat(abs).catch(() => null);
    if (s?.isFile()) files.set(toSource(abs, root), { abs, bytes: s.size, mtimeMs: s.mtimeMs });
  }
  return { takenAt, files };
}

/** Hashes each file at most once per check. */
export class Hasher {
  private readonly memo = new Map<string, Promise<string | null>>();
  get count(): number {
    return this.memo.size;
  }
  hash(abs: string): Promise<string | null> {
    let p = this.memo.get(abs);
    if (!p) this.memo.set(abs, (p = hashFile(abs).then((h) => h?.sha256 ?? null)));
    return p;
  }
}

/**
 * Compares a scan with a recorded snapshot: a file counts as changed only if its size or mtime
 * differ (or its entry is racy) *and* its content hash differs from the recorded one.
 */
export async function diffCorpus(scan: CorpusScan, snapshot: CorpusSnapshot, hasher = new Hasher()): Promise<CorpusDiff> {
  const added: string[] = [];
  const changed: string[] = [];
  for (const [source, now] of scan.files) {
    const was = snapshot.files[source];
    if (!was) {
      added.push(source);
      continue;
    }
    const statSame = was.bytes === now.bytes && was.mtimeMs === now.mtimeMs;
    const racy = was.mtimeMs > snapshot.takenAt - RACY_MS;
    if (statSame && !racy) continue;
    // an entry never read can only be judged by stat; a racy one of those is taken as unchanged
    // (or every check would ask for a build that cannot record anything newer)
    if (was.sha256 === null) {
      if (!statSame) changed.push(source);
      continue;
    }
    if (was.bytes !== now.bytes || (await hasher.hash(now.abs)) !== was.sha256) changed.push(source);
  }
  const removed = Object.keys(snapshot.files).filter((s) => !scan.files.has(s));
  const sort = (a: string[]) => a.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return { added: sort(added), changed: sort(changed), removed: sort(removed) };
}

/**
 * The snapshot a generation recorded. Generations built before snapshots existed get one from
 * their document records (sizes and hashes, no mtimes), so every file is compared by content until
 * the next build records a real one.
 */
export function snapshotOf(manifest: Manifest): CorpusSnapshot {
  if (manifest.corpus) return manifest.corpus;
  const files: Record<string, CorpusFile> = {};
  for (const d of manifest.docs) files[d.source] = { bytes: d.bytes, mtimeMs: -1, sha256: d.contentHash };
  for (const s of manifest.skipped ?? []) if (!s.source.endsWith('/')) files[s.source] ??= { bytes: -1, mtimeMs: -1, sha256: null };
  return { takenAt: 0, files };
}

/** True when two snapshots describe the same content (by hash where both have one, else by size and mtime). */
export function sameContent(a: CorpusSnapshot, b: CorpusSnapshot): boolean {
  const ka = Object.keys(a.files);
  if (ka.length !== Object.keys(b.files).length) return false;
  for (const k of ka) {
    const x = a.files[k];
    const y = b.files[k];
    if (!y) return false;
    if (x.sha256 !== null && y.sha256 !== null) {
      if (x.sha256 !== y.sha256) return false;
    } else if (x.sha256 !== y.sha256 || x.bytes !== y.bytes || x.mtimeMs !== y.mtimeMs) return false;
  }
  return true;
}

/**
 * A full snapshot of the corpus as it is now (for a pin), hashing only files that `reuse` does not
 * already describe by an unchanged, non-racy stat.
 */
export async function snapshotCorpus(scan: CorpusScan, reuse: CorpusSnapshot | null, hasher = new Hasher()): Promise<CorpusSnapshot> {
  const files: Record<string, CorpusFile> = {};
  for (const [source, now] of scan.files) {
    const was = reuse?.files[source];
    const known = was && was.bytes === now.bytes && was.mtimeMs === now.mtimeMs && was.mtimeMs <= reuse!.takenAt - RACY_MS;
    files[source] = { bytes: now.bytes, mtimeMs: now.mtimeMs, sha256: known ? was.sha256 : await hasher.hash(now.abs) };
  }
  return { takenAt: scan.takenAt, files };
}

/**
 * The one staleness check: the corpus folder against the snapshot of `manifest` (the serving
 * generation), and, when a pin names that generation, against the corpus as it was when the pin
 * was set (a change since then ends the pin).
 */
export async function corpusStatus(corpusDir: string, manifest: Manifest, pin: Pin | null): Promise<CorpusStatus> {
  const t0 = performance.now();
  const generation = manifest.generation;
  const scan = await scanCorpus(corpusDir);
  const pinFor = pin && pin.generation === generation ? pin : null;
  const base = { generation, corpusDir: path.resolve(corpusDir) };
  if (!scan) {
    const pinInfo = pinFor ? { generation, pinnedAt: pinFor.pinnedAt, by: pinFor.by, lapsed: false } : null;
    return { ...base, added: [], changed: [], removed: [], fresh: false, missing: true, pin: pinInfo, pinned: false, files: 0, hashed: 0, ms: Math.round(performance.now() - t0) };
  }
  const hasher = new Hasher();
  const diff = await diffCorpus(scan, snapshotOf(manifest), hasher);
  const fresh = diff.added.length + diff.changed.length + diff.removed.length === 0;
  let pinInfo: PinInfo | null = null;
  if (pinFor) {
    const since = fresh ? null : await diffCorpus(scan, pinFor.corpus, hasher);
    const lapsed = since !== null && since.added.length + since.changed.length + since.removed.length > 0;
    pinInfo = { generation, pinnedAt: pinFor.pinnedAt, by: pinFor.by, lapsed };
  }
  return {
    ...base,
    ...diff,
    fresh,
    missing: false,
    pin: pinInfo,
    pinned: !fresh && pinInfo !== null && !pinInfo.lapsed,
    files: scan.files.size,
    hashed: hasher.count,
    ms: Math.round(performance.now() - t0),
  };
}

/** "1 added, 2 changed" (only the non-zero counts), or "no change". */
export function describeChanges(d: CorpusDiff): string {
  const parts = [
    d.added.length ? `${d.added.length} added` : '',
    d.changed.length ? `${d.changed.length} changed` : '',
    d.removed.length ? `${d.removed.length} removed` : '',
  ].filter(Boolean);
  return parts.length ? parts.join(', ') : 'no change';
}

/** The first few changed files by name ("quokka.md, notes/a.md, … 3 more"). */
export function changedNames(d: CorpusDiff, max = 3): string {
  const all = [...d.added, ...d.changed, ...d.removed];
  const shown = all.slice(0, max).join(', ');
  return all.length > max ? `${shown}, … ${all.length - max} more` : shown;
}
