import { createHash } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { DocFormat, LoadedDoc, Result } from '../../types.js';
import { decodeTextBytes, formatBytes, hasPdfHeader } from './bytes.js';
import { extractHtml, HtmlTooDeepError } from './html.js';
import { humanizeFileName, loadYamlParser, parseMarkdown } from './markdown.js';
import { DEFAULT_PARSE_LIMITS, limitMessage, type LimitCode, type ParseLimits } from './limits.js';
import { extractPdfIsolated } from './pdf-isolate.js';

export { formatBytes } from './bytes.js';
export { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
export { humanizeFileName } from './markdown.js';

export type LoadErrorCode =
  | 'UNSUPPORTED_TYPE'
  | 'EMPTY'
  | 'TOO_LARGE'
  | 'BINARY'
  | 'INVALID_UTF8'
  | 'PARSE_FAILED'
  | 'NOT_A_FILE'
  | 'UNREADABLE'
  | LimitCode;

export interface LoadOptions {
  maxFileBytes: number;
  /** Limits on parsing (default `DEFAULT_PARSE_LIMITS`). */
  limits?: ParseLimits;
  /** Called when the worker starts reading a PDF's content (after it loaded pdf.js). */
  onParseStart?: () => void;
}

/** A loaded document plus problems that did not stop it loading (e.g. broken front matter). */
export interface LoadedWithWarnings {
  doc: LoadedDoc;
  warnings: string[];
}

const EXTENSIONS: Record<string, DocFormat> = {
  '.md': 'md',
  '.markdown': 'md',
  '.txt': 'txt',
  '.html': 'html',
  '.htm': 'html',
  '.pdf': 'pdf',
};

/** Supported file extensions (lower case, with the dot). */
export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(EXTENSIONS);

/** The document format for a file name by its extension (case-insensitive), or undefined. */
export function formatOf(fileName: string): DocFormat | undefined {
  const ext = path.extname(fileName).toLowerCase();
  return Object.hasOwn(EXTENSIONS, ext) ? EXTENSIONS[ext] : undefined;
}

/** Human list of the supported extensions, for messages. */
export function supportedList(): string {
  const e = SUPPORTED_EXTENSIONS;
  return `${e.slice(0, -1).join(', ')} or ${e[e.length - 1]}`;
}

type Fail = { ok: false; code: LoadErrorCode; message: string };
const fail = (code: LoadErrorCode, message: string): Fail => ({ ok: false, code, message });

/**
 * Loads one document. Never throws: every expected problem is a `LoadErrorCode` with a message
 * fit for a person. Size is checked with `stat` before reading. PDFs are parsed in a worker
 * thread under `opts.limits` (`pdf-isolate.ts`); Markdown, text and HTML, whose parsers are
 * linear in the file's size, on the calling thread.
 */
export async function loadDocument(
  absPath: string,
  corpusRoot: string,
  opts: LoadOptions,
): Promise<Result<LoadedDoc, LoadErrorCode>> {
  const r = await loadDocumentWithWarnings(absPath, corpusRoot, opts);
  return r.ok ? { ok: true, value: r.value.doc } : r;
}

/** `loadDocument`, also returning the non-fatal warnings (front matter problems). */
export async function loadDocumentWithWarnings(
  absPath: string,
  corpusRoot: string,
  opts: LoadOptions,
): Promise<Result<LoadedWithWarnings, LoadErrorCode>> {
  try {
    return await load(absPath, corpusRoot, opts);
  } catch (err) {
    // Anything unexpected still must not take down a whole ingest.
    return fail('UNREADABLE', `could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function load(absPath: string, corpusRoot: string, opts: LoadOptions): Promise<Result<LoadedWithWarnings, LoadErrorCode>> {
  const fileName = path.basename(absPath);
  const format = formatOf(fileName);
  if (!format) {
    const ext = path.extname(fileName);
    return fail(
      'UNSUPPORTED_TYPE',
      ext ? `"${ext}" files are not supported; use ${supportedList()}` : `the file has no extension; use ${supportedList()}`,
    );
  }

  const limit = `the ${formatBytes(opts.maxFileBytes)} limit set by DOCENT_MAX_FILE_BYTES`;
  const st = await stat(absPath).catch((err: NodeJS.ErrnoException) => err);
  if (st instanceof Error) return statFailure(st);
  if (!st.isFile()) return fail('NOT_A_FILE', st.isDirectory() ? 'is a folder, not a file' : 'is not a regular file (a device, socket or pipe)');
  if (st.size > opts.maxFileBytes) return fail('TOO_LARGE', `${formatBytes(st.size)} is over ${limit}`);
  if (st.size === 0) return fail('EMPTY', 'the file is empty (0 bytes)');

  // O_NONBLOCK: if the path was swapped for a FIFO after stat, open must not hang.
  const handle = await open(absPath, fsc.O_RDONLY | fsc.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => err);
  if (handle instanceof Error) return statFailure(handle);
  let raw: Buffer;
  try {
    const hst = await handle.stat();
    if (!hst.isFile()) return fail('NOT_A_FILE', 'is not a regular file');
    // Read at most one byte past the limit, in case the file grew since stat.
    const buf = Buffer.alloc(Math.min(hst.size, opts.maxFileBytes) + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await handle.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > opts.maxFileBytes) return fail('TOO_LARGE', `the file grew past ${limit} while being read`);
    raw = buf.subarray(0, n);
  } catch (err) {
    return fail('UNREADABLE', `could not be read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    await handle.close().catch(() => undefined);
  }
  if (raw.length === 0) return fail('EMPTY', 'the file is empty (0 bytes)');

  const base = {
    source: toSource(absPath, corpusRoot),
    format,
    contentHash: createHash('sha256').update(raw).digest('hex'),
    bytes: raw.length,
  };

  const limits = opts.limits ?? DEFAULT_PARSE_LIMITS;
  if (format === 'pdf') {
    if (!hasPdfHeader(raw)) return fail('PARSE_FAILED', 'the file has a .pdf name but no "%PDF-" header, so it is not a PDF');
    // in a worker with time and memory limits: pdf.js would block this thread for as long as a file makes it
    const pdf = await extractPdfIsolated(raw, limits, { onStart: opts.onParseStart });
    if (!pdf.ok) return pdf;
    return ok({ ...base, title: pdf.title ?? humanizeFileName(fileName), text: pdf.text, bodyStart: 0, meta: pdf.meta });
  }

  const decoded = decodeTextBytes(raw);
  if (!decoded.ok) return decoded;
  const text = decoded.text;

  if (format === 'md') {
    if (/^---[ \t]*\n/.test(text)) await loadYamlParser();
    const md = parseMarkdown(text);
    if (!text.slice(md.bodyStart).trim()) return fail('EMPTY', 'the file has front matter but no body text');
    return ok({ ...base, title: md.title ?? humanizeFileName(fileName), text, bodyStart: md.bodyStart, meta: md.meta }, md.warnings);
  }
  if (format === 'txt') {
    return ok({ ...base, title: humanizeFileName(fileName), text, bodyStart: 0, meta: {} });
  }
  let html;
  try {
    html = extractHtml(text);
  } catch (err) {
    if (err instanceof HtmlTooDeepError || err instanceof RangeError) return fail('PARSE_FAILED', `the HTML could not be read: ${err.message}`);
    throw err;
  }
  if (!html.text.trim()) return fail('EMPTY', 'the HTML page has no visible text');
  if (html.text.length > limits.maxTextChars) return fail('TOO_MUCH_TEXT', limitMessage.text(limits));
  return ok({ ...base, title: html.title ?? humanizeFileName(fileName), text: html.text, bodyStart: 0, meta: html.meta });
}

function ok(doc: LoadedDoc, warnings: string[] = []): Result<LoadedWithWarnings, LoadErrorCode> {
  return { ok: true, value: { doc, warnings } };
}

function statFailure(err: NodeJS.ErrnoException): Fail {
  switch (err.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return fail('NOT_A_FILE', 'no file at this path (or a broken symlink)');
    case 'ELOOP':
      return fail('NOT_A_FILE', 'is a symlink loop');
    case 'EISDIR':
      return fail('NOT_A_FILE', 'is a folder, not a file');
    case 'EACCES':
    case 'EPERM':
      return fail('UNREADABLE', 'permission denied');
    default:
      return fail('UNREADABLE', `could not be read (${err.code ?? err.message})`);
  }
}

/** Path relative to the corpus root with POSIX separators. */
export function toSource(absPath: string, corpusRoot: string): string {
  return path.relative(path.resolve(corpusRoot), path.resolve(absPath)).split(path.sep).join('/');
}
