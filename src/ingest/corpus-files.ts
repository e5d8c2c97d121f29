/**
 * Writing into the corpus folder without ever reaching outside it: every change (an upload, a
 * removal, a rollback's restore) goes through these. A path is resolved through its real folders
 * first, and refused when one of them is a link leading out of the corpus; files are replaced by
 * renaming (a rename replaces a link, it never writes through one), and what a change replaces
 * is moved aside, never deleted, until the change has succeeded.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { UserError } from '../errors.js';
import { isInside } from './corpus.js';
import { writeSynced } from '../index/atomic-file.js';

/** Temp and aside files: dot-names (the corpus walk ignores them) of fixed length, whatever the document's name. */
const TEMP_RE = /^\.docent-(?:tmp|aside)-(\d+)-[0-9a-f]{8}$/;

/** A name for a temp or aside file in `dir`: short, so a 255-byte document name never overflows it. */
export function tempName(dir: string, kind: 'tmp' | 'aside'): string {
  return path.join(dir, `.docent-${kind}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/**
 * The absolute path of `source` (a corpus-relative path) inside the corpus, through real folders:
 * its folder (or the nearest one that exists) must resolve inside the corpus, so a folder that is
 * a link to somewhere else is never written or deleted through. Throws `UserError` OUTSIDE_CORPUS.
 */
export async function corpusPath(corpusDir: string, source: string): Promise<string> {
  const root = path.resolve(corpusDir);
  const rootReal = await fs.realpath(root);
  const target = path.resolve(root, source);
  const rel = path.relative(root, target);
  const refuse = () => new UserError('OUTSIDE_CORPUS', `"${source}" is not inside the corpus folder (one of its folders is a link to somewhere else); nothing was changed.`);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) throw refuse();
  // the nearest folder on the way that exists, resolved through links
  let dir = path.dirname(target);
  let rest = '';
  for (;;) {
    const real = await fs.realpath(dir).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' || err.code === 'ENOTDIR' ? null : Promise.reject(err)));
    if (real !== null) {
      if (!isInside(rootReal, real)) throw refuse();
      return path.join(real, rest, path.basename(target));
    }
    if (dir === root) throw refuse();
    rest = path.join(path.basename(dir), rest);
    dir = path.dirname(dir);
  }
}

/** What is at `file` without following a link there: 'none', 'file' (a file or a link) or 'folder'. */
export async function entryKind(file: string): Promise<'none' | 'file' | 'folder'> {
  const st = await fs.lstat(file).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  return st === null ? 'none' : st.isDirectory() ? 'folder' : 'file';
}

/** Moves whatever is at `file` (a file or a link, not followed) to an aside name beside it; null when nothing is there. */
export async function moveAside(file: string): Promise<string | null> {
  const aside = tempName(path.dirname(file), 'aside');
  try {
    await fs.rename(file, aside);
    return aside;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Puts a file moved aside back (replacing whatever the failed change left there). */
export async function putBack(file: string, aside: string | null): Promise<void> {
  if (aside) await fs.rename(aside, file);
  else await fs.unlink(file).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));
}

/** Writes `bytes` to `file` by a temp file beside it and a rename (a link at `file` is replaced, not followed); the temp file never stays. */
export async function replaceFile(file: string, bytes: Uint8Array, mtimeMs?: number): Promise<void> {
  const tmp = tempName(path.dirname(file), 'tmp');
  try {
    await writeSynced(tmp, bytes, 'wx');
    if (mtimeMs !== undefined) await fs.utimes(tmp, new Date(), mtimeMs / 1000);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw err;
  }
}

/** Removes temp files of Docent processes that are gone from `dir` (aside files are kept: they hold documents). */
export async function removeDeadTemps(dir: string, alive: (pid: number) => boolean): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const n of names) {
    const m = TEMP_RE.exec(n);
    if (m && n.startsWith('.docent-tmp-') && Number(m[1]) !== process.pid && !alive(Number(m[1]))) await fs.rm(path.join(dir, n), { force: true }).catch(() => {});
  }
}
