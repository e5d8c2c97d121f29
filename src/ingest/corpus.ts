import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { LoadedDoc } from '../types.js';
import type { CorpusSnapshot } from './freshness.js';
import { loadDocumentWithWarnings, toSource, type LoadErrorCode, type ParseLimits } from './loaders/index.js';

export type SkipCode = LoadErrorCode | 'SYMLINK_LOOP' | 'DUPLICATE' | 'TOO_DEEP' | 'OUTSIDE_CORPUS';

export interface SkippedFile {
  source: string;
  code: SkipCode;
  message: string;
}

export interface CorpusLoad {
  /** Loaded documents, sorted by `source`. */
  docs: LoadedDoc[];
  /** Everything not loaded, with the reason, sorted by `source`. */
  skipped: SkippedFile[];
  /** Documents that loaded with a problem worth telling (e.g. unreadable front matter). */
  warnings: Array<{ source: string; message: string }>;
  /** Size, mtime (taken before reading) and sha256 of every file walked, for the staleness check. */
  snapshot: CorpusSnapshot;
}

export interface CorpusOptions {
  maxFileBytes: number;
  /** Called after each file is loaded or skipped. */
  onProgress?: (done: number, total: number, source: string) => void;
  /** Limits on parsing each file (default `DEFAULT_PARSE_LIMITS`). */
  limits?: ParseLimits;
  /** Called when a worker starts reading a file's content (PDFs). */
  onParseStart?: (source: string) => void;
  /**
   * The source the serving generation indexed for each content hash: of several files with the
   * same content, that one stays indexed (a copy added later never pushes it out of the index).
   */
  indexed?: ReadonlyMap<string, string>;
}

/** Folder nesting deeper than this is reported instead of walked. */
const MAX_DEPTH = 64;

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Walks `root` recursively (names starting with "." are ignored), loads every file, and reports
 * each one that could not be loaded instead of stopping. Symlinks are followed while they stay
 * inside the corpus (one leading outside is OUTSIDE_CORPUS); loops and folder cycles are
 * reported as SYMLINK_LOOP. Of files with equal content one is indexed (the one `opts.indexed`
 * names, else the first in sorted order) and the others are skipped as DUPLICATE, naming it.
 * Throws `UserError` CORPUS_MISSING when `root` is not a folder.
 */
export async function loadCorpus(root: string, opts: CorpusOptions): Promise<CorpusLoad> {
  const absRoot = path.resolve(root);
  const rootStat = await stat(absRoot).catch((err: NodeJS.ErrnoException) => err);
  if (rootStat instanceof Error) {
    throw new UserError('CORPUS_MISSING', `The corpus folder ${absRoot} does not exist or cannot be read (${rootStat.code ?? rootStat.message}); create it or set DOCENT_CORPUS_DIR.`, { cause: rootStat });
  }
  if (!rootStat.isDirectory()) {
    throw new UserError('CORPUS_MISSING', `The corpus path ${absRoot} is a file, not a folder; set DOCENT_CORPUS_DIR to a folder.`);
  }

  const skipped: SkippedFile[] = [];
  const takenAt = Date.now();
  const files = await walkCorpus(absRoot, skipped);
  const snapshot: CorpusSnapshot = { takenAt, files: {} };

  const rootReal = await realpath(absRoot);
  const loaded: Array<{ doc: LoadedDoc; warnings: string[] }> = [];
  let done = 0;
  for (const file of files) {
    const source = toSource(file, absRoot);
    // stat before reading: a change after this moves the mtime past the recorded one
    const st = await stat(file).catch(() => null);
    // size as hashed (so a size that differs later always means other content)
    let content: { sha256: string; bytes: number } | null = null;
    try {
      // again just before reading: a folder swapped for a link since the walk is not followed out
      const real = await realpath(file).catch(() => undefined);
      if (real !== undefined && !isInside(rootReal, real)) {
        skipped.push({ source, code: 'OUTSIDE_CORPUS', message: OUTSIDE_MESSAGE });
        done++;
        opts.onProgress?.(done, files.length, source);
        continue;
      }
      const r = await loadDocumentWithWarnings(file, absRoot, { maxFileBytes: opts.maxFileBytes, limits: opts.limits, onParseStart: () => opts.onParseStart?.(source) });
      if (!r.ok) {
        skipped.push({ source, code: r.code, message: r.message });
        if (st?.isFile() && st.size <= opts.maxFileBytes) content = await hashFile(file);
      } else {
        content = { sha256: r.value.doc.contentHash, bytes: r.value.doc.bytes };
        loaded.push(r.value);
      }
    } catch (err) {
      skipped.push({ source, code: 'UNREADABLE', message: `could not be loaded: ${err instanceof Error ? err.message : String(err)}` });
    }
    if (st?.isFile()) snapshot.files[source] = { bytes: content?.bytes ?? st.size, mtimeMs: st.mtimeMs, sha256: content?.sha256 ?? null };
    done++;
    opts.onProgress?.(done, files.length, source);
  }
  const { docs, warnings } = keepOneOfEachContent(loaded, skipped, opts.indexed);
  skipped.sort((a, b) => byCodePoint(a.source, b.source));
  return { docs, skipped, warnings, snapshot };
}

/**
 * Of documents with equal content, keeps the one `indexed` names (it serves now), else the first
 * in sorted order; the others are appended to `skipped` as DUPLICATE, naming the kept one.
 */
function keepOneOfEachContent(loaded: Array<{ doc: LoadedDoc; warnings: string[] }>, skipped: SkippedFile[], indexed?: ReadonlyMap<string, string>) {
  const keeper = new Map<string, string>();
  for (const { doc } of loaded) {
    const was = indexed?.get(doc.contentHash);
    if (!keeper.has(doc.contentHash) || doc.source === was) keeper.set(doc.contentHash, doc.source);
  }
  const docs: LoadedDoc[] = [];
  const warnings: CorpusLoad['warnings'] = [];
  for (const { doc, warnings: w } of loaded) {
    const kept = keeper.get(doc.contentHash)!;
    if (kept !== doc.source) {
      skipped.push({ source: doc.source, code: 'DUPLICATE', message: `same content as ${kept}, which is kept` });
      continue;
    }
    docs.push(doc);
    for (const message of w) warnings.push({ source: doc.source, message });
  }
  return { docs, warnings };
}

/** sha256 and size of a file's bytes, or null when it cannot be read. */
export async function hashFile(file: string): Promise<{ sha256: string; bytes: number } | null> {
  try {
    const h = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(file)) {
      h.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    return { sha256: h.digest('hex'), bytes };
  } catch {
    return null;
  }
}

const OUTSIDE_MESSAGE = 'symlink to a place outside the corpus folder: not read';

/** Is the real path `real` the root `rootReal` or inside it? (Both from `realpath`.) */
export function isInside(rootReal: string, real: string): boolean {
  return real === rootReal || real.startsWith(rootReal.endsWith(path.sep) ? rootReal : rootReal + path.sep);
}

/**
 * All file paths under `absRoot` (following symlinks that stay inside it; one that leads outside
 * is reported as OUTSIDE_CORPUS and not read), sorted by their corpus-relative source.
 * Walk problems (loops, unreadable folders, broken links) are appended to `skipped`.
 */
export async function walkCorpus(absRoot: string, skipped: SkippedFile[]): Promise<string[]> {
  const files: string[] = [];
  const rootReal = await realpath(absRoot);
  const visitedDirs = new Map<string, string>([[rootReal, '']]);
  // Symlinked folders are walked after the real tree, so a real folder is never reported as a
  // duplicate of a link that happens to sort before it.
  const deferred: Array<{ abs: string; source: string; ancestors: Set<string>; depth: number }> = [];

  const walk = async (dir: string, ancestors: Set<string>, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      skipped.push({ source: `${toSource(dir, absRoot) || '.'}/`, code: 'UNREADABLE', message: `folder could not be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` });
      return;
    }
    entries.sort((a, b) => byCodePoint(a.name, b.name));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const abs = path.join(dir, entry.name);
      const source = toSource(abs, absRoot);
      let isDir = entry.isDirectory();
      const isLink = entry.isSymbolicLink();
      if (isLink) {
        const target = await stat(abs).catch((err: NodeJS.ErrnoException) => err);
        if (target instanceof Error) {
          if (target.code === 'ELOOP') skipped.push({ source, code: 'SYMLINK_LOOP', message: 'symlink loop: the link points (through other links) back to itself' });
          else skipped.push({ source, code: 'NOT_A_FILE', message: `broken symlink (${target.code ?? target.message})` });
          continue;
        }
        isDir = target.isDirectory();
        // a link may point anywhere (the password database, a home folder): only what it
        // resolves to inside the corpus is read
        const real = await realpath(abs).catch(() => undefined);
        if (real === undefined || !isInside(rootReal, real)) {
          skipped.push({ source: isDir ? `${source}/` : source, code: 'OUTSIDE_CORPUS', message: OUTSIDE_MESSAGE });
          continue;
        }
      }
      if (!isDir) {
        files.push(abs);
        continue;
      }
      if (isLink) {
        deferred.push({ abs, source, ancestors, depth });
        continue;
      }
      await enter(abs, source, ancestors, depth);
    }
  };

  const enter = async (abs: string, source: string, ancestors: Set<string>, depth: number): Promise<void> => {
    const real = await realpath(abs).catch(() => undefined);
    if (real === undefined) {
      skipped.push({ source: `${source}/`, code: 'UNREADABLE', message: 'folder path could not be resolved' });
      return;
    }
    if (!isInside(rootReal, real)) {
      skipped.push({ source: `${source}/`, code: 'OUTSIDE_CORPUS', message: OUTSIDE_MESSAGE });
      return;
    }
    if (ancestors.has(real)) {
      skipped.push({ source: `${source}/`, code: 'SYMLINK_LOOP', message: `folder cycle: this links back to ${visitedDirs.get(real) || 'the corpus root'}` });
      return;
    }
    const seen = visitedDirs.get(real);
    if (seen !== undefined) {
      skipped.push({ source: `${source}/`, code: 'DUPLICATE', message: `same folder as ${seen || 'the corpus root'}, which is read once` });
      return;
    }
    if (depth + 1 > MAX_DEPTH) {
      skipped.push({ source: `${source}/`, code: 'TOO_DEEP', message: `folders nested more than ${MAX_DEPTH} deep are not read` });
      return;
    }
    visitedDirs.set(real, `${source}/`);
    await walk(abs, new Set([...ancestors, real]), depth + 1);
  };

  await walk(absRoot, new Set([rootReal]), 0);
  for (let i = 0; i < deferred.length; i++) {
    const d = deferred[i];
    await enter(d.abs, d.source, d.ancestors, d.depth);
  }
  return files
    .map((f) => ({ f, s: toSource(f, absRoot) }))
    .sort((a, b) => byCodePoint(a.s, b.s))
    .map((x) => x.f);
}
