/**
 * The kept generations: listing them (time, size, what changed), and switching the serving one
 * to any of them, backwards or forwards. A switch puts the corpus files back to what the
 * generation was built from (originals.ts), so the next change starts from what serves; it also
 * pins the generation (PINNED, see store.ts), so whatever difference is left (a generation whose
 * files were not kept, or a switch asked to keep the corpus) is reported, not re-indexed away.
 */
import path from 'node:path';
import { diskFullError, UserError, type DocentError } from '../errors.js';
import { scanCorpus, snapshotCorpus, snapshotOf, type CorpusDiff, type Pin } from '../ingest/freshness.js';
import { silentLogger, type Logger } from '../log.js';
import type { IndexStore } from './index-store.js';
import type { CorpusRestore } from './originals.js';
import { generationName, type LockHandle, type Manifest } from './store.js';

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

/** The newest generation that verifies, starting at the one the pointer names (null when there is none). */
export async function findServingGeneration(store: IndexStore, logger: Logger = silentLogger): Promise<{ generation: string; manifest: Manifest } | null> {
  const current = await store.currentName();
  const gens = await store.listGenerations();
  const order = current ? [current, ...gens.filter((g) => g !== current).reverse()] : gens.reverse();
  for (const g of order) {
    try {
      return { generation: g, manifest: await store.verify(g) };
    } catch (err) {
      if ((err as DocentError).code === 'INDEX_FORMAT') logger.warn('skipping an index generation of another format (a new one is built from the corpus)', { generation: g, error: (err as Error).message });
      else logger.warn('skipping a damaged index generation', { generation: g, error: (err as Error).message });
    }
  }
  return null;
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
export async function listGenerationInfo(store: IndexStore): Promise<GenerationInfo[]> {
  const current = await store.currentName();
  const pin = await store.readPin();
  const out: GenerationInfo[] = [];
  let prev: Manifest | null = null;
  for (const g of await store.listGenerations()) {
    let m: Manifest | null = null;
    let damaged: string | null = null;
    try {
      m = await store.readManifest(g);
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
  /** The pin the switch left (the corpus it compared, who switched). */
  pin: Pin;
}

async function pinAndSwitch(lock: LockHandle, store: IndexStore, manifest: Manifest, opts: SwitchOptions): Promise<{ restore: CorpusRestore; pin: Pin }> {
  await lock.ensureHeld();
  const restore =
    opts.restore === false
      ? { restored: [], setAside: [], folder: null, notRestored: null }
      : await store.restoreCorpus(opts.corpusDir, manifest).catch((err: unknown) => {
          throw diskFullError(err, path.resolve(opts.corpusDir), 'the switch failed and the corpus is as it was') ?? err;
        });
  const scan = await scanCorpus(opts.corpusDir);
  const corpus = scan ? await snapshotCorpus(scan, snapshotOf(manifest)) : { takenAt: Date.now(), files: {} };
  const pin: Pin = { generation: manifest.generation, pinnedAt: new Date().toISOString(), by: opts.by, corpus };
  await store.switchTo(manifest.generation, pin, lock);
  return { restore, pin };
}

function checkEmbedder(m: Manifest, embedder: SwitchOptions['embedder']): void {
  if (embedder && (m.embedder.id !== embedder.id || m.embedder.dimensions !== embedder.dimensions)) {
    throw new UserError('GENERATION_UNUSABLE', `${m.generation} was built with the embedder ${m.embedder.id} (${m.embedder.dimensions} dimensions), not ${embedder.id}; it cannot serve.`);
  }
}

/** Switches the serving generation to `name` (any kept, valid generation, older or newer) and pins it. */
export async function switchGeneration(store: IndexStore, name: string, opts: SwitchOptions): Promise<SwitchResult> {
  const generation = parseGenerationName(name);
  const lock = await store.acquireLock(`switch to ${generation} (${opts.by})`);
  try {
    const previous = await store.currentName();
    const kept = await store.listGenerations();
    if (!kept.includes(generation)) {
      throw new UserError('NO_SUCH_GENERATION', `${generation} is not a kept generation (kept: ${kept.join(', ') || 'none'}); \`npm run ingest -- --list\` shows them.`);
    }
    let manifest: Manifest;
    try {
      manifest = await store.verify(generation);
    } catch (err) {
      throw new UserError('GENERATION_DAMAGED', `${generation} is damaged and cannot serve: ${(err as Error).message}`);
    }
    checkEmbedder(manifest, opts.embedder);
    return { generation, previous, manifest, ...(await pinAndSwitch(lock, store, manifest, opts)) };
  } finally {
    await lock.release();
  }
}

/** Points CURRENT at the newest valid generation older than the current one, and pins it. */
export async function rollbackIndex(store: IndexStore, opts: SwitchOptions): Promise<SwitchResult> {
  const lock = await store.acquireLock(`rollback (${opts.by})`);
  try {
    const current = await store.currentName();
    const older = (await store.listGenerations()).filter((g) => !current || g < current).reverse();
    for (const g of older) {
      let manifest: Manifest;
      try {
        manifest = await store.verify(g);
        checkEmbedder(manifest, opts.embedder);
      } catch {
        continue; // damaged or unusable: try the next older one
      }
      return { generation: g, previous: current, manifest, ...(await pinAndSwitch(lock, store, manifest, opts)) };
    }
    throw new UserError('NO_PREVIOUS_GENERATION', `There is no earlier index generation to roll back to (current: ${current ?? 'none'}). A newer kept one can still be chosen by name.`);
  } finally {
    await lock.release();
  }
}
