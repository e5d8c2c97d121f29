/**
 * The local store: a collection's index is a folder on this machine (store.ts has the layout),
 * one directory per generation, CURRENT naming the serving one, a lock file for writers, and the
 * corpus files each generation was built from (originals.ts). Several processes on one machine
 * serve one folder; each picks up a new generation when CURRENT changes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import type { CorpusSnapshot, Pin } from '../ingest/freshness.js';
import type { TimeSlice } from '../time-slice.js';
import { writeFileSynced } from './atomic-file.js';
import { readChunkIds, writeChunkTable } from './chunk-table.js';
import { DenseIndex } from './dense.js';
import type { GenerationWrite, IndexStore, WriteProgress } from './index-store.js';
import { LexicalIndex } from './lexical.js';
import { LoadedIndex } from './loaded-index.js';
import { acquireLock, readLock, type LockHandle, type LockInfo } from './lock.js';
import { keepOriginals, pruneOriginals, restoreCorpus, type CorpusRestore } from './originals.js';
import {
  activeBuilds,
  bufferToVectors,
  cleanupLeftovers,
  clearPin,
  commitBuild,
  createBuildDir,
  listGenerations,
  pruneGenerations,
  readCurrentName,
  readPin,
  setCurrent,
  vectorsToBuffer,
  verifyGeneration,
  writePin,
  type Manifest,
} from './store.js';

/** The embedder of a graph that is built to be saved, never searched by text (a loaded one gets the real embedder). */
const SAVED_ONLY: EmbeddingsInterface = {
  embedQuery: () => Promise.reject(new Error('a graph being built is not searched by text')),
  embedDocuments: () => Promise.reject(new Error('a graph being built is not searched by text')),
};

export class LocalStore implements IndexStore {
  readonly kind = 'local' as const;

  constructor(
    /** The index folder. */
    readonly indexDir: string,
    readonly collection: string,
  ) {}

  get where(): string {
    return this.indexDir;
  }

  private dir(generation: string): string {
    return path.join(this.indexDir, generation);
  }

  acquireLock(purpose: string): Promise<LockHandle> {
    return acquireLock(this.indexDir, purpose);
  }

  readLock(): Promise<LockInfo | null> {
    return readLock(this.indexDir);
  }

  async cleanup(): Promise<void> {
    await cleanupLeftovers(this.indexDir);
  }

  currentName(): Promise<string | null> {
    return readCurrentName(this.indexDir);
  }

  listGenerations(): Promise<string[]> {
    return listGenerations(this.indexDir);
  }

  async readManifest(generation: string): Promise<Manifest> {
    return JSON.parse(await fs.readFile(path.join(this.dir(generation), 'manifest.json'), 'utf8')) as Manifest;
  }

  verify(generation: string): Promise<Manifest> {
    return verifyGeneration(this.dir(generation));
  }

  /** Names, sizes and mtimes of the generation's files (a cheap stat each, no hashing). */
  async look(generation: string): Promise<string> {
    const dir = this.dir(generation);
    const names = await fs.readdir(dir, { recursive: true }).catch(() => [] as string[]);
    const parts: string[] = [];
    for (const n of names.map(String).sort()) {
      const st = await fs.stat(path.join(dir, n)).catch(() => null);
      parts.push(st ? `${n}:${st.size}:${st.mtimeMs}` : `${n}:?`);
    }
    return parts.join('|');
  }

  load(generation: string, embeddings: EmbeddingsInterface & { id: string; dimensions: number }, efSearch: number, opts: { verified?: Manifest } = {}): Promise<LoadedIndex> {
    return LoadedIndex.load(this.dir(generation), embeddings, efSearch, opts);
  }

  async previousVectors(prev: Manifest): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    const dir = this.dir(prev.generation);
    const ids = await readChunkIds(dir);
    const vectors = bufferToVectors(await fs.readFile(path.join(dir, 'vectors.f32')), prev.embedder.dimensions);
    ids.forEach((id, i) => out.set(id, vectors[i]));
    return out;
  }

  async writeGeneration(w: GenerationWrite, opts: { lock: LockHandle; slice: TimeSlice; onProgress?: (p: WriteProgress) => void }): Promise<Manifest> {
    const { lock, slice } = opts;
    const progress = opts.onProgress ?? (() => {});
    const dims = w.manifest.embedder.dimensions;
    progress({ stage: 'index', done: 0, total: 2 });
    const dense = await DenseIndex.build(w.vectors, dims, SAVED_ONLY, w.efSearch);
    progress({ stage: 'index', done: 1, total: 2 });
    const lexical = await LexicalIndex.buildSliced(w.chunks, slice);
    progress({ stage: 'index', done: 2, total: 2 });

    await lock.ensureHeld();
    // the corpus files as read, so that a rollback to this generation can put them back
    await keepOriginals(this.indexDir, w.corpusDir, w.snapshot);
    const buildDir = await createBuildDir(this.indexDir);
    activeBuilds.add(buildDir);
    try {
      const steps = 5;
      const written: Manifest['files'] = {};
      progress({ stage: 'write', done: 0, total: steps });
      // chunks as typed columns, each text once (texts.bin): the compact layout of chunk-table.ts
      Object.assign(written, await writeChunkTable(buildDir, w.chunks, [...w.docTexts].map(([source, text]) => ({ source, text })), slice));
      progress({ stage: 'write', done: 2, total: steps });
      written['vectors.f32'] = await writeFileSynced(path.join(buildDir, 'vectors.f32'), vectorsToBuffer(w.vectors, dims));
      progress({ stage: 'write', done: 3, total: steps });
      Object.assign(written, await lexical.save(buildDir));
      progress({ stage: 'write', done: 4, total: steps });
      if (w.chunks.length) await dense.save(path.join(buildDir, 'hnsw'));
      // the one step another writer must never see twice: switch only while the lock is still ours
      await lock.ensureHeld();
      const manifest = await commitBuild(this.indexDir, buildDir, w.manifest, written);
      activeBuilds.delete(buildDir);
      await clearPin(this.indexDir);
      progress({ stage: 'write', done: steps, total: steps });
      await pruneGenerations(this.indexDir, w.keep);
      await pruneOriginals(this.indexDir);
      return manifest;
    } finally {
      if (activeBuilds.delete(buildDir)) await fs.rm(buildDir, { recursive: true, force: true }).catch(() => {});
    }
  }

  async switchTo(generation: string, pin: Pin, lock: LockHandle): Promise<void> {
    await lock.ensureHeld();
    // the pin first: a crash between the two leaves a pin that names a generation not serving (ignored)
    await writePin(this.indexDir, pin);
    await setCurrent(this.indexDir, generation);
  }

  readPin(): Promise<Pin | null> {
    return readPin(this.indexDir);
  }

  clearPin(): Promise<void> {
    return clearPin(this.indexDir);
  }

  keepOriginals(corpusDir: string, snapshot: CorpusSnapshot): Promise<void> {
    return keepOriginals(this.indexDir, corpusDir, snapshot);
  }

  restoreCorpus(corpusDir: string, manifest: Manifest): Promise<CorpusRestore> {
    return restoreCorpus(this.indexDir, corpusDir, manifest);
  }

  async close(): Promise<void> {}
}
