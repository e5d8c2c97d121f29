/**
 * The kept generations: listing them (time, size, what changed), and switching the serving one
 * to any of them, backwards or forwards. A switch puts the corpus files back to what the
 * generation was built from (originals.ts), so the next change starts from what serves; it also
 * pins the generation (PINNED, see store.ts), so whatever difference is left (a generation whose
 * files were not kept, or a switch asked to keep the corpus) is reported, not re-indexed away.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { diskFullError, UserError } from '../errors.js';
import { scanCorpus, snapshotCorpus, snapshotOf, type CorpusDiff, type Pin } from '../ingest/freshness.js';
import { restoreCorpus, type CorpusRestore } from './originals.js';
import { acquireLock, generationName, listGenerations, readCurrentName, readPin, setCurrent, verifyGeneration, writePin, type LockHandle, type Manifest } from './store.js';

export interface GenerationInfo {
  generation: string;
  /** ISO build time (null when the manifest cannot be read). */
  builtAt: string | null;
  chunks: number | null;
  documents: number | null;
  /** CURRENT names it. */
  current: boolean;
  /** A rollback or switch chose it and no build happened since. */
  pinned: boolean;
  /** Documents added, changed and removed against the previous kept generation (null for the oldest one). */
  changes: CorpusDiff | null;
  /** Why it cannot serve (its manifest is unreadable), else null. Files are verified when switching. */
  damaged: string | null;
}

async function readManifest(dir: string): Promise<Manifest> {
  return JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
}

/** Documents of `next` against `prev`, by content hash. */
function docChanges(prev: Manifest, next: Manifest): CorpusDiff {
  const before = new Map(prev.docs.map((d) => [d.source, d.contentHash]));
  const after = new Map(next.docs.map((d) => [d.source, d.contentHash]));
  return {
    added: [...after.keys()].filter((s) => !before.has(s)),
    changed: [...after.keys()].filter((s) => before.has(s) && before.get(s) !== after.get(s)),
    removed: [...before.keys()].filter((s) => !after.has(s)),
  };
}

/** Every kept generation, oldest first, read from the manifests (cheap: no checksums). */
export async function listGenerationInfo(indexDir: string): Promise<GenerationInfo[]> {
  const current = await readCurrentName(indexDir);
  const pin = await readPin(indexDir);
  const out: GenerationInfo[] = [];
  let prev: Manifest | null = null;
  for (const g of await listGenerations(indexDir)) {
    let m: Manifest | null = null;
    let damaged: string | null = null;
    try {
      m = await readManifest(path.join(indexDir, g));
    } catch (err) {
      damaged = `manifest.json is missing or unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
    out.push({
      generation: g,
      builtAt: m?.builtAt ?? null,
      chunks: m?.chunkCount ?? null,
      documents: m?.docs.length ?? null,
      current: g === current,
      pinned: pin?.generation === g && g === current,
      changes: m && prev ? docChanges(prev, m) : null,
      damaged,
    });
    prev = m;
  }
  return out;
}

/** `gen-000007`, `gen-7` or `7` → `gen-000007`; anything else is refused. */
export function parseGenerationName(name: string): string {
  const m = /^(?:gen-)?(\d{1,9})$/i.exec(name.trim());
  if (!m) throw new UserError('BAD_GENERATION', `"${name}" is not a generation name; use one like gen-000003 (\`npm run ingest -- --list\` shows them).`);
  return generationName(Number(m[1]));
}

export interface SwitchOptions {
  /** The corpus the index belongs to (recorded in the pin, so a later change ends it). */
  corpusDir: string;
  /** Who switched ("npm run ingest --rollback", "/rollback by …"): shown by the staleness note. */
  by: string;
  /** Refuse a generation built with another embedder (it could not serve). */
  embedder?: { id: string; dimensions: number };
  /**
   * Put the corpus files back to what the generation was built from (default true; see
   * originals.ts), so the next change starts from what serves. False leaves the corpus as it is:
   * the generation is pinned and the difference reported.
   */
  restore?: boolean;
}

export interface SwitchResult {
  generation: string;
  /** The generation that served before. */
  previous: string | null;
  manifest: Manifest;
  /** What was done to the corpus (nothing, with the reason, when it could not be restored or `restore` was false). */
  restore: CorpusRestore;
}

async function pinAndSwitch(lock: LockHandle, indexDir: string, manifest: Manifest, opts: SwitchOptions): Promise<CorpusRestore> {
  await lock.ensureHeld();
  const restore =
    opts.restore === false
      ? { restored: [], setAside: [], folder: null, notRestored: null }
      : await restoreCorpus(indexDir, opts.corpusDir, manifest).catch((err: unknown) => {
          throw diskFullError(err, path.resolve(opts.corpusDir), 'the switch failed and the corpus is as it was') ?? err;
        });
  const scan = await scanCorpus(opts.corpusDir);
  const corpus = scan ? await snapshotCorpus(scan, snapshotOf(manifest)) : { takenAt: Date.now(), files: {} };
  const pin: Pin = { generation: manifest.generation, pinnedAt: new Date().toISOString(), by: opts.by, corpus };
  await lock.ensureHeld();
  // the pin first: a crash between the two leaves a pin that names a generation not serving (ignored)
  await writePin(indexDir, pin);
  await setCurrent(indexDir, manifest.generation);
  return restore;
}

function checkEmbedder(m: Manifest, embedder: SwitchOptions['embedder']): void {
  if (embedder && (m.embedder.id !== embedder.id || m.embedder.dimensions !== embedder.dimensions)) {
    throw new UserError('GENERATION_UNUSABLE', `${m.generation} was built with the embedder ${m.embedder.id} (${m.embedder.dimensions} dimensions), not ${embedder.id}; it cannot serve.`);
  }
}

/** Switches the serving generation to `name` (any kept, valid generation, older or newer) and pins it. */
export async function switchGeneration(indexDir: string, name: string, opts: SwitchOptions): Promise<SwitchResult> {
  const generation = parseGenerationName(name);
  const lock = await acquireLock(indexDir, `switch to ${generation} (${opts.by})`);
  try {
    const previous = await readCurrentName(indexDir);
    const kept = await listGenerations(indexDir);
    if (!kept.includes(generation)) {
      throw new UserError('NO_SUCH_GENERATION', `${generation} is not a kept generation (kept: ${kept.join(', ') || 'none'}); \`npm run ingest -- --list\` shows them.`);
    }
    let manifest: Manifest;
    try {
      manifest = await verifyGeneration(path.join(indexDir, generation));
    } catch (err) {
      throw new UserError('GENERATION_DAMAGED', `${generation} is damaged and cannot serve: ${(err as Error).message}`);
    }
    checkEmbedder(manifest, opts.embedder);
    const restore = await pinAndSwitch(lock, indexDir, manifest, opts);
    return { generation, previous, manifest, restore };
  } finally {
    await lock.release();
  }
}

/** Points CURRENT at the newest valid generation older than the current one, and pins it. */
export async function rollbackIndex(indexDir: string, opts: SwitchOptions): Promise<SwitchResult> {
  const lock = await acquireLock(indexDir, `rollback (${opts.by})`);
  try {
    const current = await readCurrentName(indexDir);
    const older = (await listGenerations(indexDir)).filter((g) => !current || g < current).reverse();
    for (const g of older) {
      let manifest: Manifest;
      try {
        manifest = await verifyGeneration(path.join(indexDir, g));
        checkEmbedder(manifest, opts.embedder);
      } catch {
        continue; // damaged or unusable: try the next older one
      }
      const restore = await pinAndSwitch(lock, indexDir, manifest, opts);
      return { generation: g, previous: current, manifest, restore };
    }
    throw new UserError('NO_PREVIOUS_GENERATION', `There is no earlier index generation to roll back to (current: ${current ?? 'none'}). A newer kept one can still be chosen by name.`);
  } finally {
    await lock.release();
  }
}
