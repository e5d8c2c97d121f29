/**
 * The one pipeline every front end uses: `Docent.open(config)` then `answer()`, `sources()`,
 * `reindex()`, `addDocument()`, `removeDocument()`, `rollback()`.
 * (Interface first; the implementation lands in the same module.)
 */
import type { AnswerOptions, AnswerResult } from './types.js';

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

export interface DocentApi {
  answer(question: string, options?: AnswerOptions): Promise<AnswerResult>;
  sources(): SourceInfo[];
  reindex(): Promise<ReindexReport>;
  /** Validates an upload (name, type, size), saves it into the corpus and re-indexes. */
  addDocument(fileName: string, bytes: Buffer): Promise<ReindexReport>;
  /** Deletes a corpus document by its source path and re-indexes. */
  removeDocument(source: string): Promise<ReindexReport>;
  /** Switches back to the previous generation. */
  rollback(): Promise<{ generation: string }>;
  close(): Promise<void>;
}
