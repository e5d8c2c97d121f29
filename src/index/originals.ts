/**
 * The corpus files each generation was built from, kept so that a rollback can put them back:
 * the staleness check would otherwise see the newer files still in the corpus and the next change
 * would re-index what was rolled back.
 *
 *   <index>/originals/<sha256>   the bytes of one corpus file (any format: text, HTML, PDF),
 *                                named by their sha256, shared by every generation that has them
 *
 * A build stores the files of its corpus snapshot that are not stored yet (only new content is
 * copied) before it commits; files that no kept generation names are removed after pruning. A
 * restore checks every stored file against its name before writing it back.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { corpusPath, replaceFile } from '../ingest/corpus-files.js';
import { Hasher, scanCorpus, type CorpusSnapshot } from '../ingest/freshness.js';
import { listGenerations, type Manifest } from './store.js';

const ORIGINALS_DIR = 'originals';
/** Files a restore moves out of the corpus go here, inside the corpus (the walk ignores dot-names). */
const SET_ASIDE_DIR = '.docent-rolled-back';

const blobPath = (indexDir: string, sha256: string) => path.join(indexDir, ORIGINALS_DIR, sha256);
const exists = (p: string) => fs.access(p).then(() => true, () => false);

/**
 * Stores the bytes of every file of `snapshot` (hashed by the build) that is not stored yet. A
 * file that changed since the build read it is left out (its stored copy would not match its
 * hash); a restore to this generation then says which file it cannot put back.
 */
export async function keepOriginals(indexDir: string, corpusDir: string, snapshot: CorpusSnapshot): Promise<void> {
  const dir = path.join(indexDir, ORIGINALS_DIR);
  await fs.mkdir(dir, { recursive: true });
  for (const [source, f] of Object.entries(snapshot.files)) {
    if (!f.sha256 || (await exists(blobPath(indexDir, f.sha256)))) continue;
    const bytes = await fs.readFile(await corpusPath(corpusDir, source)).catch(() => null);
    if (!bytes || createHash('sha256').update(bytes).digest('hex') !== f.sha256) continue;
    // written whole under a temp name, then renamed: a stored file is always complete
    await replaceFile(blobPath(indexDir, f.sha256), bytes);
  }
}

/** Removes stored files that no kept generation names (the caller holds the index lock). Keeps everything when a manifest cannot be read. */
export async function pruneOriginals(indexDir: string): Promise<void> {
  const wanted = new Set<string>();
  for (const g of await listGenerations(indexDir)) {
    let m: Manifest;
    try {
      m = JSON.parse(await fs.readFile(path.join(indexDir, g, 'manifest.json'), 'utf8')) as Manifest;
    } catch {
      return; // cannot tell what it needs: remove nothing
    }
    for (const f of Object.values(m.corpus?.files ?? {})) if (f.sha256) wanted.add(f.sha256);
  }
  const dir = path.join(indexDir, ORIGINALS_DIR);
  for (const n of await fs.readdir(dir).catch(() => [] as string[])) {
    if (!wanted.has(n)) await fs.rm(path.join(dir, n), { force: true });
  }
}

/** What a restore did: documents put back, files set aside (moved out of the corpus) and where, or why it did nothing. */
export interface CorpusRestore {
  /** Written back from the stored originals (changed or missing in the corpus). */
  restored: string[];
  /** Moved out of the corpus into `folder`: files the generation did not have, and the versions `restored` replaced. */
  setAside: string[];
  /** The corpus-relative folder holding `setAside` (null when nothing was set aside). */
  folder: string | null;
  /** Why the corpus could not be put back (then nothing was changed), else null (also when the switch was asked to keep it). */
  notRestored: string | null;
}

/** Where a store keeps the corpus files' bytes by sha256 (a folder locally, a table in Postgres). */
export interface KeptOriginals {
  has(sha256: string): Promise<boolean>;
  read(sha256: string): Promise<Buffer>;
}

function folderOriginals(indexDir: string): KeptOriginals {
  return { has: (sha) => exists(blobPath(indexDir, sha)), read: (sha) => fs.readFile(blobPath(indexDir, sha)) };
}

type Step = { kind: 'moved'; from: string; to: string } | { kind: 'wrote'; file: string };

/**
 * Puts the corpus back to what `manifest` was built from: every file whose content differs is
 * replaced by its stored original (with its recorded mtime, so the staleness check finds it
 * unchanged without hashing it), and every file the generation did not have is moved into
 * `.docent-rolled-back/<time>-<generation>/` inside the corpus (nothing is deleted). All or
 * nothing: when an original is missing nothing is changed, and a failure midway undoes the steps
 * taken. The caller holds the index lock.
 */
export async function restoreCorpus(indexDir: string, corpusDir: string, manifest: Manifest, blobs: KeptOriginals = folderOriginals(indexDir)): Promise<CorpusRestore> {
  const none = (notRestored: string): CorpusRestore => ({ restored: [], setAside: [], folder: null, notRestored });
  const target = manifest.corpus;
  if (!target) return none(`${manifest.generation} was built before Docent kept the corpus files of each generation`);
  if (manifest.corpusDir && path.resolve(manifest.corpusDir) !== path.resolve(corpusDir)) {
    return none(`${manifest.generation} was built from another corpus folder (${manifest.corpusDir})`);
  }
  const scan = await scanCorpus(corpusDir);
  if (!scan) return none(`the corpus folder ${path.resolve(corpusDir)} is missing`);

  // what differs: files to write back, files to move out
  const hasher = new Hasher();
  const restore: string[] = [];
  const unknown: string[] = [];
  for (const [source, want] of Object.entries(target.files)) {
    const now = scan.files.get(source);
    if (want.sha256 === null) {
      if (!now) unknown.push(source); // never read by the build (unreadable or too large): nothing to put back
      continue;
    }
    if (now && now.bytes === want.bytes && (await hasher.hash(now.abs)) === want.sha256) continue;
    restore.push(source);
  }
  const extra = [...scan.files.keys()].filter((s) => !(s in target.files));
  const missing = [...unknown, ...(await filter(restore, async (s) => !(await blobs.has(target.files[s].sha256!))))];
  if (missing.length) {
    return none(`the original${missing.length > 1 ? 's' : ''} of ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? `, … ${missing.length - 3} more` : ''} ${missing.length > 1 ? 'are' : 'is'} not kept`);
  }
  if (restore.length === 0 && extra.length === 0) return { restored: [], setAside: [], folder: null, notRestored: null };

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const folder = `${SET_ASIDE_DIR}/${stamp}-${manifest.generation}`;
  const asideRoot = path.join(path.resolve(corpusDir), folder);
  const steps: Step[] = [];
  const setAside: string[] = [];
  const moveOut = async (source: string) => {
    const from = await corpusPath(corpusDir, source);
    const to = path.join(asideRoot, source);
    await fs.mkdir(path.dirname(to), { recursive: true });
    try {
      await fs.rename(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    steps.push({ kind: 'moved', from, to });
    setAside.push(source);
  };
  try {
    for (const source of extra) await moveOut(source);
    for (const source of restore) {
      const want = target.files[source];
      const bytes = await blobs.read(want.sha256!);
      if (createHash('sha256').update(bytes).digest('hex') !== want.sha256) throw new Error(`the kept original of ${source} is damaged`);
      if (scan.files.has(source)) await moveOut(source);
      const file = await corpusPath(corpusDir, source);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await replaceFile(file, bytes, want.mtimeMs >= 0 ? want.mtimeMs : undefined);
      steps.push({ kind: 'wrote', file });
    }
  } catch (err) {
    // undo, newest step first: the corpus is as it was (a file that cannot go back stays set aside)
    let undone = true;
    for (const step of steps.reverse()) {
      if (step.kind === 'wrote') await fs.rm(step.file, { force: true }).catch(() => (undone = false));
      else await fs.rename(step.to, step.from).catch(() => (undone = false));
    }
    if (undone) await fs.rm(asideRoot, { recursive: true, force: true }).catch(() => {});
    throw err;
  }
  return { restored: restore.sort(), setAside: setAside.sort(), folder: setAside.length ? folder : null, notRestored: null };
}

async function filter<T>(xs: T[], pred: (x: T) => Promise<boolean>): Promise<T[]> {
  const out: T[] = [];
  for (const x of xs) if (await pred(x)) out.push(x);
  return out;
}
