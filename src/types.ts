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
  /** Earlier turns of the conversation, oldest first; used for retrieval and wording. */
  history?: Turn[];
  /** Retrieval mode (default hybrid). */
  mode?: FusionMode;
  /** Support threshold for this question (default DOCENT_ANSWER_THRESHOLD). */
  threshold?: number;
}

export interface AnswerResult {
  question: string;
  answered: boolean;
  /** Short answer with [n] markers, or a plain statement that the material does not answer it. */
  answer: string;
  citations: Citation[];
  /** The top-k fused list. */
  retrieved: Hit[];
  /** When not answered: closest sources, best first. */
  closest: Array<{ source: string; title: string; section: string; lines: [number, number] }>;
  /** How well the best sentence supports an answer (0–1); below the threshold the bot refuses. */
  support?: number;
  /** Generation id of the index that answered. */
  generation: string;
  ms: number;
}
