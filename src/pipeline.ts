/**
 * The one pipeline every front end uses: `Docent.open(config)` then `answer()`, `sources()`,
 * `reindex()`, `addDocument()`, `removeDocument()`, `rollback()`, `generations()`, and the
 * staleness check `corpusStatus()` / `ensureFresh()`.
 * (Interface first; the implementation lands in the same module.)
 */
import type { CorpusStatus } from './ingest/freshness.js';
import type { GenerationInfo } from './index/generations.js';
import type { CorpusRestore } from './index/originals.js';
import type { AnswerOptions, AnswerResult } from './types.js';

export type { CorpusStatus } from './ingest/freshness.js';
export type { GenerationInfo } from './index/generations.js';
export type { CorpusRestore } from './index/originals.js';

export interface SourceInfo {
  source: string;
  title: string;
  chunks: number;
  /** ISO time the document's current content was first indexed. */
  indexedAt: string;
}

export interface SkippedFile {
  source: string;
  code: string;
  message: string;
}

export interface ReindexReport {
  generation: string;
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: string[];
  skipped: SkippedFile[];
  /** Chunks in the new generation, and how many of them had to be embedded. */
  chunks: number;
  embedded: number;
  /** True when nothing changed and no new generation was written. */
  noChange: boolean;
  ms: number;
}

/** A document for `writeDocuments`. */
export interface DocumentWrite {
  /** Corpus-relative path (`web/example.com-guide.md`). */
  source: string;
  bytes: Buffer;
  /**
   * What the caller saw at `source` when it decided to write: the sha256 of the file's bytes, or
   * null for no file. Checked under the lock: when the file is no longer so (removed, rolled back,
   * edited, or a file put where there was none), it is left as it is and listed in `notWritten`.
   * Absent: written whatever is there.
   */
  expected?: string | null;
}

/** Why `writeDocuments` left a document as it was: `REMOVED`, `CHANGED` since it was read, or a file put at a new one's path (`TAKEN`). */
export interface NotWritten {
  source: string;
  code: 'REMOVED' | 'CHANGED' | 'TAKEN';
}

export interface WriteReport extends ReindexReport {
  /** Documents whose `expected` no longer held under the lock; not written. Nothing is re-indexed when no document is left. */
  notWritten: NotWritten[];
}

export interface DocentApi {
  answer(question: string, options?: AnswerOptions): Promise<AnswerResult>;
  sources(): SourceInfo[];
  reindex(): Promise<ReindexReport>;
  /** Validates an upload (name, type, size), saves it into the corpus and re-indexes. */
  addDocument(fileName: string, bytes: Buffer, contentType?: string): Promise<ReindexReport>;
  /**
   * Writes documents at corpus-relative paths (folders are created; `web/example.com-guide.md`)
   * and re-indexes once, under one lock: the documents fetched from URLs. A document whose
   * `expected` no longer holds under the lock is not written (`notWritten`). If the re-index
   * fails, or skips one of them, every file is put back as it was.
   */
  writeDocuments(files: ReadonlyArray<DocumentWrite>, opts?: { purpose?: string }): Promise<WriteReport>;
  /** Deletes a corpus document by its source path and re-indexes. */
  removeDocument(source: string): Promise<ReindexReport>;
  /**
   * Switches to `generation` (any kept, valid one, older or newer), or without it back to the
   * previous one, and puts the corpus files back to what it was built from (files it did not have
   * are set aside in the corpus's `.docent-rolled-back/`), so the next change starts from what
   * serves. With `restore: false`, or when its files were not kept, the corpus stays as it is and
   * the generation is pinned: the difference is reported but not re-indexed automatically until
   * an explicit re-index or a corpus change after the switch.
   */
  rollback(generation?: string, opts?: { by?: string; restore?: boolean }): Promise<{ generation: string; restore?: CorpusRestore }>;
  /** The kept generations, oldest first. */
  generations(): Promise<GenerationInfo[]>;
  /** Whether the corpus differs from the serving generation (sizes and mtimes, then hashes of what differs). */
  corpusStatus(): Promise<CorpusStatus>;
  /** Re-indexes when the corpus differs from the serving generation, unless it is pinned or `reindex` is false. */
  ensureFresh(opts?: EnsureFreshOptions): Promise<Freshness>;
  /**
   * Calls `listener` with the new generation's name each time another generation starts serving;
   * returns a function that stops it. Caches of results (the bot's /why) drop what belongs to the
   * old one, so it can be freed.
   */
  onGenerationChange?(listener: (generation: string) => void): () => void;
  close(): Promise<void>;
}

export interface EnsureFreshOptions {
  /** Re-index a stale corpus (default true); false only reports it (`--no-reindex`). */
  reindex?: boolean;
  /** Shown to a second writer that is refused. */
  purpose?: string;
  /** Called once a re-index is decided, before it starts (the CLI prints "re-indexing…"). */
  onReindex?: (status: CorpusStatus) => void;
}

/**
 * What `ensureFresh()` found and did: `fresh` (nothing to do), `reindexed` (`report`), `stale`
 * (differs, `reindex: false`), `pinned` (differs, kept by a rollback), `missing` (no corpus
 * folder), `busy` (another writer holds the lock), `failed` (the build failed; the previous
 * generation still serves).
 */
export type Freshness =
  | { action: 'fresh' | 'stale' | 'pinned' | 'missing'; status: CorpusStatus }
  | { action: 'reindexed'; status: CorpusStatus; report: ReindexReport }
  | { action: 'busy' | 'failed'; status: CorpusStatus; error: unknown };

// ---------------------------------------------------------------------------------------------
// Implementation

import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from './config.js';
import { analyzeFor, extractAnswer } from './answer/extractive.js';
import { DEFAULT_WEIGHTS } from './answer/weights.js';
import { llmAnswer } from './answer/llm.js';
import { cleanQuestion } from './answer/question.js';
import { createEmbeddings } from './embeddings/index.js';
import type { DocentEmbeddings } from './embeddings/types.js';
import { diskFullError, UserError } from './errors.js';
import { buildIndex, type BuildOptions, type BuildProgress } from './ingest/build.js';
import { corpusStatus } from './ingest/freshness.js';
import { findServingGeneration, listGenerationInfo, rollbackIndex, switchGeneration, type SwitchOptions, type SwitchResult } from './index/generations.js';
import type { IndexStore } from './index/index-store.js';
import { openStore } from './index/open-store.js';
import type { LockHandle, Manifest } from './index/store.js';
import { corpusPath, entryKind, moveAside, putBack, removeDeadTemps, replaceFile } from './ingest/corpus-files.js';
import { pidAlive } from './index/lock.js';
import { displayName, safeCorpusPath, validateFileName, validateUpload } from './ingest/upload.js';
import { silentLogger, type Logger } from './log.js';
import type { LoadedIndex } from './index/loaded-index.js';
import { search } from './retrieval/search.js';

export interface OpenOptions {
  logger?: Logger;
  /** Build the index from the corpus when none exists (default true). */
  autoBuild?: boolean;
  /** Use this embedder instead of the one config names (tests, bench). */
  embeddings?: DocentEmbeddings;
  onProgress?: (p: BuildProgress) => void;
  /** Check for a new generation at most this often, ms (default DOCENT_REFRESH_MS, 250); 0 checks on every question. */
  refreshMs?: number;
  /** Serve from this store (the caller keeps it open) instead of opening the one config names. */
  store?: IndexStore;
}

export interface ReindexOptions {
  /** Write a new generation even when nothing changed. */
  force?: boolean;
  /** Shown to a second writer that is refused ("repl :reindex", "/reindex by …"). */
  purpose?: string;
  onProgress?: (p: BuildProgress) => void;
  /** Called when a worker starts reading a document's content (PDFs), with its source. */
  onParseStart?: (source: string) => void;
}

/**
 * The pipeline. Holds the serving generation and swaps in a new one when CURRENT changes
 * (after a re-index here or in another process); a question keeps the generation it started
 * with until it is answered.
 */
export class Docent implements DocentApi {
  private index: LoadedIndex;
  private lastCheck = 0;
  private swapping: Promise<void> | null = null;
  private freshening: Promise<Freshness> | null = null;
  private closed = false;
  private readonly swapListeners = new Set<(generation: string) => void>();
  /**
   * Generations that failed to load, with what their files looked like then: CURRENT naming one
   * is not verified (every file hashed) and warned about again on every check, only once it changed.
   */
  private readonly unloadable = new Map<string, string>();

  private constructor(
    readonly config: Config,
    readonly embeddings: DocentEmbeddings,
    /** Where the generations live (`DOCENT_STORE`). */
    readonly store: IndexStore,
    /** Closed with the pipeline (it opened it). */
    private readonly ownsStore: boolean,
    private readonly logger: Logger,
    index: LoadedIndex,
    private readonly refreshMs: number,
  ) {
    this.index = index;
  }

  /**
   * Index administration without a loaded index (the ingest CLI builds before any index exists):
   * the very calls `reindex()`, `rollback()` and `generations()` make, so the shell and the bot
   * build, switch and list generations one way.
   */
  static build(config: Config, opts: Omit<BuildOptions, 'config'>): Promise<ReindexReport> {
    return buildIndex({ config, ...opts });
  }

  /** Switches to `generation`, or back to the previous one when it is undefined (a rollback). */
  static switchGeneration(config: Config, generation: string | undefined, opts: Omit<SwitchOptions, 'corpusDir'>): Promise<SwitchResult> {
    return withStore(config, (store) => Docent.switchIn(store, config, generation, opts));
  }

  private static switchIn(store: IndexStore, config: Config, generation: string | undefined, opts: Omit<SwitchOptions, 'corpusDir'>): Promise<SwitchResult> {
    const o = { corpusDir: config.corpusDir, ...opts };
    return generation === undefined ? rollbackIndex(store, o) : switchGeneration(store, generation, o);
  }

  static listGenerations(config: Config): Promise<GenerationInfo[]> {
    return withStore(config, listGenerationInfo);
  }

  static async open(config: Config, opts: OpenOptions = {}): Promise<Docent> {
    const logger = opts.logger ?? silentLogger;
    const embeddings = opts.embeddings ?? (await createEmbeddings(config));
    const store = opts.store ?? (await openStore(config));
    try {
      if (!(await store.readLock())) await store.cleanup();
      let serving = await findServingGeneration(store, logger);
      if (!serving) {
        if (opts.autoBuild === false) {
          throw new UserError('INDEX_MISSING', `No index in ${store.where}. Build it with \`npm run ingest\`.`);
        }
        serving = await Docent.firstBuild(store, config, embeddings, logger, opts);
      }
      const index = await Docent.loadFirstGood(store, config, embeddings, logger, serving.generation, serving.manifest);
      return new Docent(config, embeddings, store, !opts.store, logger, index, opts.refreshMs ?? config.refreshMs ?? 250);
    } catch (err) {
      if (!opts.store) await store.close().catch(() => {});
      throw err;
    }
  }

  /**
   * Builds the first index, or, when another process (or caller) is building it already, waits
   * for that build and uses its result instead of failing with INDEX_LOCKED.
   */
  private static async firstBuild(store: IndexStore, config: Config, embeddings: DocentEmbeddings, logger: Logger, opts: OpenOptions): Promise<{ generation: string; manifest: Manifest }> {
    const deadline = Date.now() + FIRST_BUILD_WAIT_MS;
    for (;;) {
      let lock: LockHandle;
      try {
        lock = await store.acquireLock('first build');
      } catch (err) {
        if ((err as UserError).code !== 'INDEX_LOCKED') throw err;
        if (Date.now() > deadline) throw new UserError('INDEX_LOCKED', `${(err as UserError).message} (waited ${FIRST_BUILD_WAIT_MS / 60_000} minutes for it to build the first index)`, { cause: err });
        logger.info('another process is building the first index: waiting for it', { holder: (await store.readLock())?.purpose });
        await waitForUnlock(store, deadline);
        const built = await findServingGeneration(store, logger);
        if (built) return built;
        continue; // it failed or was killed: build it here
      }
      try {
        // again under the lock: a build that finished a moment ago counts
        const built = await findServingGeneration(store, logger);
        if (built) return built;
        logger.info('no index yet: building it from the corpus', { corpus: config.corpusDir });
        await buildIndex({ config, store, embeddings, logger, onProgress: opts.onProgress, purpose: 'first build', lock }).catch((e: unknown) => {
          throw diskFullError(e, store.where, 'the first index could not be built') ?? e;
        });
        const serving = await findServingGeneration(store, logger);
        if (!serving) throw new UserError('INDEX_MISSING', 'The index could not be built.');
        return serving;
      } finally {
        await lock.release();
      }
    }
  }

  /** Loads `preferred`, or the newest older generation that loads, if it is damaged. */
  private static async loadFirstGood(store: IndexStore, config: Config, embeddings: DocentEmbeddings, logger: Logger, preferred: string, verified?: Manifest): Promise<LoadedIndex> {
    try {
      // findServingGeneration has just checked every file of `preferred`: do not hash it twice
      return await store.load(preferred, embeddings, config.efSearch, { verified });
    } catch (err) {
      if ((err as UserError).code === 'INDEX_EMBEDDER_MISMATCH') throw err;
      logger.warn('index generation failed to load; trying an older one', { generation: preferred, error: (err as Error).message });
      const gens = (await store.listGenerations()).filter((g) => g < preferred).reverse();
      for (const g of gens) {
        try {
          return await store.load(g, embeddings, config.efSearch);
        } catch (e) {
          logger.warn('index generation failed to load', { generation: g, error: (e as Error).message });
        }
      }
      throw err;
    }
  }

  get generation(): string {
    return this.index.generation;
  }

  /** The serving generation (after picking up a newer one, if CURRENT moved). */
  async current(): Promise<LoadedIndex> {
    await this.refresh();
    return this.index;
  }

  /** Swaps in the generation CURRENT points at, if it is new and loads. Never throws. */
  async refresh(force = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastCheck < this.refreshMs) return this.swapping ?? undefined;
    this.lastCheck = now;
    if (this.swapping) {
      if (!force) return this.swapping;
      // a forced refresh (after our own reindex or rollback) must see CURRENT as it is now,
      // not as a check that started before the switch read it
      await this.swapping.catch(() => {});
      return this.refresh(true);
    }
    this.swapping = (async () => {
      let name: string | null = null;
      let looks = '';
      try {
        name = await this.store.currentName();
        if (!name || name === this.index.generation || this.closed) return;
        looks = await this.store.look(name);
        if (this.unloadable.get(name) === looks) return;
        const next = await this.store.load(name, this.embeddings, this.config.efSearch);
        this.index = next;
        this.unloadable.delete(name);
        this.logger.info('switched to a new index generation', { generation: name, chunks: next.chunks.length });
        for (const listener of this.swapListeners) {
          try {
            listener(name);
          } catch (err) {
            this.logger.warn('a generation-change listener failed', { generation: name, error: (err as Error).message });
          }
        }
      } catch (err) {
        if (name) this.unloadable.set(name, looks);
        this.logger.warn('new index generation did not load; still serving the previous one (it is not tried again until its files change)', { generation: name, error: (err as Error).message });
      } finally {
        this.swapping = null;
      }
    })();
    return this.swapping;
  }

  async answer(question: string, options: AnswerOptions = {}): Promise<AnswerResult> {
    const t0 = performance.now();
    const q = cleanQuestion(question, this.config.maxQuestionChars);
    if (!q.ok) throw new UserError(q.code, q.message);
    const index = await this.current();
    const k = options.k ?? this.config.topK;
    // the question as the reader understood it (typos corrected) is what retrieval searches for,
    // and the reader reads exactly the hits that `retrieved` reports
    const weights = options.readerWeights ? { ...DEFAULT_WEIGHTS, ...options.readerWeights } : DEFAULT_WEIGHTS;
    const analysis = analyzeFor(q.value, index, this.embeddings, weights);
    const out = await search(index, this.embeddings, analysis.text, { k, history: options.history, mode: options.mode });
    const ans = await extractAnswer(q.value, out, index, this.embeddings, { threshold: options.threshold ?? this.config.answerThreshold, ablate: options.ablate, analysis, weights });
    // the LLM answerer rewords an answer the extractive reader found support for, and answers a
    // question the offline reader cannot read (in the asker's language); it never overrides a
    // refusal for lack of support
    const foreign = ans.refusal?.reason === 'unsupported-language';
    if ((ans.answered || foreign) && out.hits.length && this.config.answerer.startsWith('llm:')) {
      const c = this.config;
      const llm = await llmAnswer(
        q.value,
        out.hits,
        index,
        { baseUrl: c.llmBaseUrl, model: c.answerer.slice(4), apiKey: c.llmApiKey, timeoutMs: c.llmTimeoutMs, maxReplyBytes: c.llmMaxReplyBytes, language: foreign ? 'other' : 'en', readerChunkIds: ans.citations.map((x) => x.chunkId) },
        this.logger,
      );
      if (llm) Object.assign(ans, llm, { answered: true, refusal: undefined, closest: [] });
    }
    return {
      question: q.value,
      ...ans,
      // a document with a link is cited with it (the reader and the LLM answerer cite by chunk)
      citations: ans.citations.map((c) => {
        const url = index.urlOf(c.source);
        return url ? { ...c, url } : c;
      }),
      retrieved: out.hits,
      generation: index.generation,
      ms: Math.round(performance.now() - t0),
    };
  }

  sources(): SourceInfo[] {
    return this.index.manifest.docs.map((d) => ({ source: d.source, title: d.title, chunks: d.chunks, indexedAt: d.indexedAt }));
  }

  async reindex(opts: ReindexOptions = {}): Promise<ReindexReport> {
    return this.reindexUnder(undefined, opts);
  }

  /** Re-indexes under `lock` when the caller already holds it (a corpus change), else under a lock of its own. */
  private async reindexUnder(lock: LockHandle | undefined, opts: ReindexOptions): Promise<ReindexReport> {
    const report = await buildIndex({
      config: this.config,
      store: this.store,
      embeddings: this.embeddings,
      logger: this.logger,
      force: opts.force,
      purpose: opts.purpose ?? 'reindex',
      onProgress: opts.onProgress,
      onParseStart: opts.onParseStart,
      lock,
    }).catch((err: unknown) => {
      throw diskFullError(err, this.store.where, 'the re-index failed and the index is as it was') ?? err;
    });
    await this.refresh(true);
    return report;
  }

  /**
   * Changes the corpus and re-indexes under one lock, so no other build can index the change
   * half-done. Each file at `sources` is resolved through real folders (never through a link out
   * of the corpus) and moved aside, not deleted, until the re-index has succeeded; if anything
   * fails they are all put back (and the index too, if the failed change was already in it).
   */
  private async changeCorpus(
    sources: string | readonly string[],
    purpose: string,
    steps: {
      /** Under the lock, before anything is moved: may throw (nothing changed), or return false to leave this one out. */
      prepare?: (target: string, i: number) => Promise<void | false>;
      write?: (target: string, i: number) => Promise<void>;
      check?: (r: ReindexReport) => void;
      /** When `prepare` left every one out: the result, without a re-index. */
      none?: () => ReindexReport;
    },
  ): Promise<ReindexReport> {
    const list = typeof sources === 'string' ? [sources] : sources;
    const lock = await this.store.acquireLock(purpose);
    try {
      const targets: Array<{ target: string; i: number }> = [];
      for (const [i, source] of list.entries()) {
        const target = await corpusPath(this.config.corpusDir, source);
        if ((await steps.prepare?.(target, i)) !== false) targets.push({ target, i });
      }
      if (targets.length === 0 && list.length > 0 && steps.none) return steps.none();
      const asides: Array<string | null> = [];
      const putAllBack = async () => {
        for (let k = asides.length - 1; k >= 0; k--) {
          await putBack(targets[k].target, asides[k]).catch((e: unknown) => this.logger.error('could not put a corpus file back', { source: list[targets[k].i], error: (e as Error).message }));
        }
      };
      let built = false;
      try {
        for (const { target, i } of targets) {
          asides.push(await moveAside(target));
          await steps.write?.(target, i);
        }
      } catch (err) {
        await putAllBack();
        throw diskFullError(err, this.config.corpusDir, `${purpose} failed and the corpus is as it was`) ?? err;
      }
      try {
        const report = await this.reindexUnder(lock, { purpose });
        built = true;
        steps.check?.(report);
        for (const aside of asides) if (aside) await fs.rm(aside, { force: true });
        return report;
      } catch (err) {
        // put the corpus back as it was (the previous index is still serving), and the index too
        // if the failed change was already in it
        await putAllBack();
        if (built) await this.reindexUnder(lock, { purpose: `undo ${purpose}` }).catch(() => {});
        throw err;
      }
    } finally {
      await lock.release();
    }
  }

  async addDocument(fileName: string, bytes: Buffer, contentType?: string): Promise<ReindexReport> {
    const v = validateUpload({ fileName, bytes, contentType }, { maxBytes: this.config.discord.maxUploadBytes });
    if (!v.ok) throw new UserError('UPLOAD_REJECTED', v.message);
    const safe = safeCorpusPath(this.config.corpusDir, v.value.fileName);
    if (!safe.ok) throw new UserError('UPLOAD_REJECTED', safe.message);
    const name = v.value.fileName;
    const shown = `"${displayName(name)}"`;
    const source = path.relative(path.resolve(this.config.corpusDir), safe.value).split(path.sep).join('/');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return this.changeCorpus(source, `upload of ${name}`, {
      prepare: async (target) => {
        const kind = await entryKind(target);
        if (kind === 'folder') throw new UserError('UPLOAD_REJECTED', `The corpus has a folder called ${shown}; send the file under another name.`);
        await removeDeadTemps(path.dirname(target), pidAlive);
        // a copy of an indexed document would push one of the two out of the index: refuse it,
        // naming the one it copies (checked against what serves now, under the lock)
        await this.refresh(true);
        const twin = this.index.manifest.docs.find((d) => d.contentHash === sha256 && d.source !== source);
        if (twin) throw new UserError('DUPLICATE_UPLOAD', `${shown} has the same content as ${twin.source}, which is already indexed; nothing was added.`);
      },
      write: async (target) => {
        try {
          await replaceFile(target, bytes);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENAMETOOLONG') throw new UserError('UPLOAD_REJECTED', `The file name ${shown} is too long for the disk that holds the corpus; choose a shorter name.`, { cause: err });
          throw err;
        }
      },
      check: (report) => {
        const bad = report.skipped.find((x) => x.source === source);
        if (bad) throw new UserError('UPLOAD_REJECTED', `${name} was not indexed: ${bad.message}`);
      },
    });
  }

  async writeDocuments(files: ReadonlyArray<DocumentWrite>, opts: { purpose?: string } = {}): Promise<WriteReport> {
    const sources = files.map((f) => f.source);
    for (const source of sources) {
      const named = validateFileName(path.posix.basename(source));
      if (!named.ok || source.split('/').some((part) => !part || part.startsWith('.'))) throw new UserError('UPLOAD_REJECTED', named.ok ? `"${displayName(source)}" is not a plain corpus path.` : named.message);
    }
    if (new Set(sources).size !== sources.length) throw new UserError('UPLOAD_REJECTED', 'The same document path was given twice.');
    const notWritten: NotWritten[] = [];
    const report = await this.changeCorpus(sources, opts.purpose ?? `writing ${sources.length} documents`, {
      prepare: async (target, i) => {
        const kind = await entryKind(target);
        if (kind === 'folder') throw new UserError('UPLOAD_REJECTED', `The corpus has a folder at ${displayName(path.relative(this.config.corpusDir, target))}; nothing was written.`);
        // the caller read the corpus before it took the lock (a sync fetches for seconds): a
        // document removed, rolled back or edited since, or a file put at a new one's path, wins
        const expected = files[i].expected;
        if (expected !== undefined) {
          const now = kind === 'none' ? null : await fs.readFile(target).then((b) => createHash('sha256').update(b).digest('hex'), () => 'unreadable');
          if (now !== expected) {
            notWritten.push({ source: sources[i], code: expected === null ? 'TAKEN' : now === null ? 'REMOVED' : 'CHANGED' });
            return false;
          }
        }
        await fs.mkdir(path.dirname(target), { recursive: true });
      },
      write: (target, i) => replaceFile(target, files[i].bytes),
      check: (report) => {
        const bad = report.skipped.find((x) => sources.includes(x.source) && !notWritten.some((n) => n.source === x.source));
        if (bad) throw new UserError('UPLOAD_REJECTED', `${bad.source} was not indexed: ${bad.message}; nothing was written.`);
      },
      // nothing left to write: no build (it would also end a rollback's pin)
      none: () => {
        const m = this.index.manifest;
        return { generation: m.generation, added: [], changed: [], removed: [], unchanged: m.docs.map((d) => d.source), skipped: [], chunks: m.chunkCount, embedded: 0, noChange: true, ms: 0 };
      },
    });
    return { ...report, notWritten };
  }

  async removeDocument(source: string): Promise<ReindexReport> {
    const exact = this.sources().filter((s) => s.source === source);
    const matches = exact.length ? exact : this.sources().filter((s) => path.basename(s.source) === source);
    if (matches.length === 0) throw new UserError('NOT_FOUND', `No indexed document is called "${source}". Use /sources to see the names.`);
    if (matches.length > 1) throw new UserError('AMBIGUOUS', `Several documents are called "${source}": ${matches.map((m) => m.source).join(', ')}. Give the full path.`);
    const known = matches[0];
    // moving it aside is the removal (a link is moved, never followed); dropped once re-indexed
    return this.changeCorpus(known.source, `removal of ${known.source}`, {
      prepare: async (target) => {
        if ((await entryKind(target)) === 'folder') throw new UserError('NOT_FOUND', `"${known.source}" is a folder now, not a document; nothing was removed.`);
      },
    });
  }

  async rollback(generation?: string, opts: { by?: string; restore?: boolean } = {}): Promise<{ generation: string; restore: CorpusRestore }> {
    const r = await Docent.switchIn(this.store, this.config, generation, { by: opts.by ?? 'rollback', restore: opts.restore, embedder: { id: this.embeddings.id, dimensions: this.embeddings.dimensions } });
    await this.refresh(true);
    return { generation: r.generation, restore: r.restore };
  }

  generations(): Promise<GenerationInfo[]> {
    return listGenerationInfo(this.store);
  }

  /** The corpus against the serving generation (picking up a newer one first, if CURRENT moved). */
  async corpusStatus(): Promise<CorpusStatus> {
    await this.refresh(true);
    return corpusStatus(this.config.corpusDir, this.index.manifest, await this.store.readPin());
  }

  /**
   * The one "never stale" step of every front end: checks the corpus and re-indexes when it
   * differs, unless the serving generation is pinned by a rollback (reported, kept) or the caller
   * only wants a report. Concurrent calls share one check. Never throws for a failed or refused
   * build: the previous generation keeps serving and the result says why.
   */
  ensureFresh(opts: EnsureFreshOptions = {}): Promise<Freshness> {
    if (this.freshening) return this.freshening;
    const run = (async (): Promise<Freshness> => {
      const first = await this.corpusStatus();
      const verdict = (st: CorpusStatus): Freshness | null =>
        st.fresh ? { action: 'fresh', status: st } : st.missing ? { action: 'missing', status: st } : st.pinned ? { action: 'pinned', status: st } : null;
      const early = verdict(first);
      if (early) return early;
      if (opts.reindex === false) return { action: 'stale', status: first };
      const purpose = opts.purpose ?? 'automatic re-index (corpus changed)';
      let lock: LockHandle;
      try {
        lock = await this.store.acquireLock(purpose);
      } catch (error) {
        if ((error as UserError).code === 'INDEX_LOCKED') return { action: 'busy', status: first, error };
        return { action: 'failed', status: first, error };
      }
      let status = first;
      try {
        // again under the lock: a rollback (pin) or a build that finished since the first look wins
        status = await this.corpusStatus();
        const now = verdict(status);
        if (now) return now;
        opts.onReindex?.(status);
        const report = await this.reindexUnder(lock, { purpose });
        return { action: 'reindexed', status, report };
      } catch (error) {
        this.logger.warn('automatic re-index failed; the previous generation still serves', { generation: status.generation, error: (error as Error).message });
        return { action: 'failed', status, error };
      } finally {
        await lock.release();
      }
    })();
    this.freshening = run;
    return run.finally(() => {
      this.freshening = null;
    });
  }

  onGenerationChange(listener: (generation: string) => void): () => void {
    this.swapListeners.add(listener);
    return () => void this.swapListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.swapListeners.clear();
    await this.swapping;
    if (this.ownsStore) await this.store.close();
  }
}

/** How long a first use waits for another process's first build before giving up (ms). */
const FIRST_BUILD_WAIT_MS = 10 * 60_000;

/** Resolves once no one holds the index lock (checked every 200 ms), or at `deadline`. */
async function waitForUnlock(store: IndexStore, deadline: number): Promise<void> {
  while ((await store.readLock()) !== null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
}

/** Runs `fn` on the config's store, opened for it and closed after. */
async function withStore<T>(config: Config, fn: (store: IndexStore) => Promise<T>): Promise<T> {
  const store = await openStore(config);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}
