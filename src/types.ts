import type { ReaderWeights } from './answer/weights.js';

/**
 * Shared data shapes of the pipeline: load → chunk → embed → index → search → answer.
 * Every front end (CLI, REPL, Discord) speaks in these types.
 */

/** Result of a validator or loader: expected failures are values, not exceptions. */
export type Result<T, C extends string = string> =
  | { ok: true; value: T }
  | { ok: false; code: C; message: string };

export type DocFormat = 'md' | 'txt' | 'html' | 'pdf';

/** A document after loading, before chunking. */
export interface LoadedDoc {
  /** Path relative to the corpus root, POSIX separators (e.g. `guides/setup.md`). */
  source: string;
  format: DocFormat;
  /** Title from front matter, `<title>`, the first heading, or the file name. */
  title: string;
  /**
   * The document's text as the chunker sees it. For `.md`/`.txt` it is the file's own text
   * (BOM removed, CRLF → LF), so quotes are exact substrings of the file and line numbers are
   * the file's. For `.html`/`.pdf` it is the extracted text (headings as Markdown `#` lines).
   */
  text: string;
  /** Offset in `text` where the body starts (after Markdown front matter); 0 otherwise. */
  bodyStart: number;
  /** Front-matter or HTML meta fields (date, description, source …). */
  meta: Record<string, string>;
  /** sha256 (hex) of the raw file bytes. */
  contentHash: string;
  /** Size of the raw file in bytes. */
  bytes: number;
}

export type ChunkKind = 'paragraph' | 'list' | 'table' | 'heading';

export interface Chunk {
  /** Stable id: hash of source and text. */
  id: string;
  source: string;
  title: string;
  /** Heading path, outermost first (e.g. ["The Three Pillars", "2. Wukong — The Enterprise Agent Platform"]). */
  headings: string[];
  kind: ChunkKind;
  /**
   * The text that is embedded and searched. For a table row it is the table's header row plus
   * that row; otherwise it equals `docText.slice(start, end)`.
   */
  text: string;
  /** Character range of the chunk in the document text (for a table row: the row itself). */
  start: number;
  end: number;
  /** 1-based inclusive line range in the document text. */
  lineStart: number;
  lineEnd: number;
}

/** One retrieved chunk with its per-retriever ranks and scores (ranks 1-based, null = not found). */
export interface Hit {
  chunk: Chunk;
  score: number;
  rank: number;
  lexicalRank: number | null;
  lexicalScore: number | null;
  denseRank: number | null;
  denseScore: number | null;
}

export interface Citation {
  n: number;
  source: string;
  title: string;
  /** Heading path joined with " › " (empty string when the chunk has no heading). */
  section: string;
  lines: [number, number];
  /** Verbatim span of the source text. */
  quote: string;
  chunkId: string;
  /** The document's link (its front matter `url:`, http or https only), when it has one. */
  url?: string;
}

export interface Turn {
  question: string;
  answer?: string;
}

/** How lexical and dense results are combined (eval's ablation uses the others). */
export type FusionMode = 'hybrid' | 'rrf' | 'lexical' | 'dense';

export interface AnswerOptions {
  /** How many fused chunks to retrieve (default from config, 5). */
  k?: number;
  /** Earlier turns of the conversation, oldest first; the policy in `src/conversation.ts` decides which steer retrieval. */
  history?: Turn[];
  /** Retrieval mode (default hybrid). */
  mode?: FusionMode;
  /** Support threshold for this question (default DOCENT_ANSWER_THRESHOLD). */
  threshold?: number;
  /** Parts of the reader to switch off, for `npm run eval -- --ablate` (default: none). */
  ablate?: ReaderPart[];
  /** Reader tuning constants to override (`npm run eval -- --weights '{"typedThreshold":0.3}'`). */
  readerWeights?: Partial<ReaderWeights>;
}

/**
 * Parts of the extractive reader that the eval's ablation can switch off one at a time:
 * `typing` (expected answer type from question analysis), `units` (lists, heading groups and
 * table rows as answer units; without it only sentences), `answerability` (an answer must hold a
 * candidate of the expected type and meet the question's constraints; without it plain support
 * decides). (wink-nlp was measured and not adopted: README, "The reader".)
 */
export type ReaderPart = 'typing' | 'units' | 'answerability';
export const READER_PARTS: readonly ReaderPart[] = ['typing', 'units', 'answerability'];

/** What the reader understood of a question (shown by `:why`, `/why` and `--json`). */
export interface QuestionView {
  /** Expected answer type: person, organisation, place, date, number, money, percentage, definition, reason, list, comparison, yesno, name or description. */
  type: string;
  focus: string[];
  subject: string[];
  corrections: Array<{ from: string; to: string }>;
  /** Names or subjects no document mentions. */
  missing: string[];
  constraints: { years: string[]; numbers: string[]; names: string[] };
}

/** A source the reader looked at, for a refusal's "closest passages". */
export interface ClosestSource {
  source: string;
  title: string;
  section: string;
  lines: [number, number];
}

/**
 * Why a question was not answered, as a value each front end renders once:
 * `no-answer` (no passage holds an answer of the kind asked), `unknown-subject` (what the
 * question is about occurs in no document: `missing` names it), `unsupported-language` (the
 * offline reader reads English only), `empty-index` (nothing is indexed).
 */
export interface Refusal {
  reason: 'no-answer' | 'unknown-subject' | 'unsupported-language' | 'empty-index';
  missing: string[];
  closest: ClosestSource[];
}

export interface AnswerResult {
  question: string;
  answered: boolean;
  /**
   * Short answer with [n] markers; when not answered, the one-sentence reason
   * (`renderRefusal(refusal)`, without the closest sources, which front ends list themselves).
   */
  answer: string;
  citations: Citation[];
  /** Exactly the hits the reader read, best first (citations always point inside this list). */
  retrieved: Hit[];
  /** When not answered: closest sources, best first (the same list as `refusal.closest`). */
  closest: ClosestSource[];
  /** Present exactly when `answered` is false. */
  refusal?: Refusal;
  /** What the reader understood of the question. */
  analysis?: QuestionView;
  /** How well the best sentence supports an answer (0–1); below the threshold the bot refuses. */
  support?: number;
  /** Generation id of the index that answered. */
  generation: string;
  ms: number;
}
