/**
 * Limits on parsing one untrusted document (`DOCENT_PARSE_*`, `DOCENT_PDF_MAX_PAGES`,
 * `DOCENT_MAX_TEXT_CHARS`). A document past one is skipped with a reason that names it; the
 * previous index keeps serving.
 */
export interface ParseLimits {
  /** Wall-clock time a PDF may take to parse before its worker is terminated, ms. */
  timeoutMs: number;
  /**
   * Memory a parse may use, MB: the worker's heap and the inflated size of a PDF's compressed
   * streams; the process may grow by twice this while a PDF is read.
   */
  memoryMb: number;
  /** Pages a PDF may have. */
  maxPages: number;
  /** Characters of text a PDF or an HTML page may extract to. */
  maxTextChars: number;
}

export const DEFAULT_PARSE_LIMITS: Readonly<ParseLimits> = {
  timeoutMs: 20_000,
  memoryMb: 512,
  maxPages: 2_000,
  maxTextChars: 10_000_000,
};

/** The codes of a document skipped for a limit, with their messages. */
export type LimitCode = 'PARSE_TIMEOUT' | 'TOO_MANY_PAGES' | 'TOO_MUCH_TEXT' | 'TOO_MUCH_MEMORY';

const n = (x: number) => x.toLocaleString('en-US');

export const limitMessage = {
  timeout: (l: ParseLimits) =>
    `parsing it took longer than ${l.timeoutMs >= 1000 ? `${n(Math.round(l.timeoutMs / 100) / 10)} s` : `${l.timeoutMs} ms`}, the limit set by DOCENT_PARSE_TIMEOUT_MS, and was stopped (a file built to keep a reader busy looks like this)`,
  pages: (pages: number, l: ParseLimits) => `the PDF has ${n(pages)} pages, over the ${n(l.maxPages)}-page limit set by DOCENT_PDF_MAX_PAGES`,
  text: (l: ParseLimits) => `its text is longer than the ${n(l.maxTextChars)}-character limit set by DOCENT_MAX_TEXT_CHARS`,
  memory: (l: ParseLimits) => `parsing it needed more than ${n(l.memoryMb)} MB of memory, the limit set by DOCENT_PARSE_MEMORY_MB, and was stopped`,
  inflated: (l: ParseLimits) => `a compressed stream in it inflates to more than ${n(l.memoryMb)} MB, the limit set by DOCENT_PARSE_MEMORY_MB`,
};
