/**
 * A fetched page as a corpus document: `web/<host>-<path>.md`, Markdown whose front matter holds
 * the page's `url`, `fetched_at`, `etag` and `last_modified` (what a re-sync sends back), and whose
 * body is the page's text as the loaders would extract it (HTML through the HTML loader's
 * extractor, a PDF through the isolated PDF reader, Markdown and plain text as they are). One
 * format for every page: citations quote the text a reader sees on the page (which the link's
 * text fragment then finds), the line numbers are the stored file's, and a rollback or a diff of
 * the corpus shows readable text.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Result } from '../types.js';
import { decodeTextBytes, hasPdfHeader } from './loaders/bytes.js';
import { extractHtml } from './loaders/html.js';
import { limitMessage, type ParseLimits } from './loaders/limits.js';
import { loadYamlParser, parseMarkdown } from './loaders/markdown.js';
import { extractPdfIsolated } from './loaders/pdf-isolate.js';
import { validateFileName } from './upload.js';

/** The corpus folder URL documents live in; the sync only ever touches files here. */
const WEB_FOLDER = 'web';

export type WebDocErrorCode = 'URL_UNSUPPORTED_TYPE' | 'URL_EMPTY' | 'URL_UNREADABLE' | 'URL_TOO_LARGE';

/** A URL document in the corpus, as its front matter describes it. */
export interface WebDocumentInfo {
  /** Corpus-relative path (`web/example.com-guide.md`). */
  source: string;
  url: string;
  fetchedAt: string;
  etag?: string;
  lastModified?: string;
  /** The text after the front matter, to tell a changed page from one only fetched again. */
  body: string;
  /** sha256 of the file as read: the write checks under the lock that it is still so. */
  sha256: string;
}

export interface PageInput {
  url: string;
  bytes: Buffer;
  contentType: string;
  charset?: string;
  etag?: string;
  lastModified?: string;
}

export interface WebDocument {
  title: string;
  body: string;
  bytes: Buffer;
}

type Fail = { ok: false; code: WebDocErrorCode; message: string };
const fail = (code: WebDocErrorCode, message: string): Fail => ({ ok: false, code, message });

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);
const MARKDOWN_TYPES = new Set(['text/markdown', 'text/x-markdown', 'text/md']);
const PDF_TYPES = new Set(['application/pdf', 'application/x-pdf']);

/** The page's text and title by its media type (or, for an unlabelled one, its path's extension). */
async function pageText(page: PageInput, limits: ParseLimits): Promise<Result<{ text: string; title?: string; meta: Record<string, string> }, WebDocErrorCode>> {
  const type = page.contentType;
  const ext = path.posix.extname(new URL(page.url).pathname).toLowerCase();
  const generic = !type || type === 'application/octet-stream' || type === 'binary/octet-stream';
  if (PDF_TYPES.has(type) || (generic && (ext === '.pdf' || hasPdfHeader(page.bytes)))) {
    if (!hasPdfHeader(page.bytes)) return fail('URL_UNREADABLE', `it was sent as ${type} but has no "%PDF-" header`);
    const pdf = await extractPdfIsolated(page.bytes, limits);
    if (!pdf.ok) return fail('URL_UNREADABLE', `the PDF could not be read: ${pdf.message} (${pdf.code})`);
    return { ok: true, value: { text: pdf.text, title: pdf.title, meta: pdf.meta } };
  }
  const kind = HTML_TYPES.has(type) ? 'html'
    : MARKDOWN_TYPES.has(type) ? 'md'
    : type === 'text/plain' ? (ext === '.md' || ext === '.markdown' ? 'md' : 'txt')
    : generic && (ext === '.html' || ext === '.htm') ? 'html'
    : generic && (ext === '.md' || ext === '.markdown') ? 'md'
    : generic && ext === '.txt' ? 'txt'
    : null;
  if (!kind) return fail('URL_UNSUPPORTED_TYPE', `it is ${type ? `of type ${type.slice(0, 60)}` : 'of no stated type'}; Docent reads HTML, Markdown, plain text and PDF pages`);
  const decoded = decodeTextBytes(toUtf8(page.bytes, page.charset));
  if (!decoded.ok) return fail(decoded.code === 'EMPTY' ? 'URL_EMPTY' : 'URL_UNREADABLE', `the page ${decoded.message.replace(/^the (file|content) /, '')}`);
  if (kind === 'html') {
    const html = extractHtml(decoded.text);
    return { ok: true, value: { text: html.text, title: html.title, meta: html.meta } };
  }
  if (kind === 'md') {
    await loadYamlParser();
    const md = parseMarkdown(decoded.text);
    const { url: _ignored, ...meta } = md.meta;
    return { ok: true, value: { text: decoded.text.slice(md.bodyStart), title: md.title, meta } };
  }
  return { ok: true, value: { text: decoded.text, meta: {} } };
}

/** The bytes as UTF-8: a page in another charset the server named (latin1, windows-1252, Shift_JIS …) is decoded first. */
function toUtf8(bytes: Buffer, charset: string | undefined): Buffer {
  if (!charset || /^(utf-?8|us-ascii|ascii)$/i.test(charset)) return bytes;
  try {
    return Buffer.from(new TextDecoder(charset).decode(bytes), 'utf8');
  } catch {
    return bytes; // a charset Node does not know: read as UTF-8, which says so if it is not
  }
}

/**
 * The Markdown document for a fetched page, or why it cannot be one. `maxFileBytes` is the
 * loaders' limit: a document the next re-index would skip is refused here instead.
 */
export async function toWebDocument(page: PageInput, fetchedAt: Date, limits: ParseLimits & { maxFileBytes: number }): Promise<Result<WebDocument, WebDocErrorCode>> {
  let extracted;
  try {
    extracted = await pageText(page, limits);
  } catch (err) {
    return fail('URL_UNREADABLE', `the page could not be read: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`);
  }
  if (!extracted.ok) return extracted;
  // controls other than tab and newline would make the stored file look binary to the loader
  const body = extracted.value.text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '').trim();
  if (!body) return fail('URL_EMPTY', 'the page has no text');
  if (body.length > limits.maxTextChars) return fail('URL_TOO_LARGE', limitMessage.text(limits));
  const u = new URL(page.url);
  const title = (extracted.value.title ?? '').replace(/\s+/g, ' ').trim() || titleFromUrl(u);
  const meta = extracted.value.meta;
  const front: Record<string, string> = { title, url: page.url, fetched_at: fetchedAt.toISOString() };
  if (page.etag) front.etag = page.etag;
  if (page.lastModified) front.last_modified = page.lastModified;
  for (const key of ['description', 'author', 'date'] as const) if (meta[key]) front[key] = meta[key];
  const { stringify } = await import('yaml');
  const text = `---\n${stringify(front, { lineWidth: 0 })}---\n${body}\n`;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > limits.maxFileBytes) return fail('URL_TOO_LARGE', `its text is ${bytes.length} bytes, over the DOCENT_MAX_FILE_BYTES limit`);
  return { ok: true, value: { title, body, bytes } };
}

function titleFromUrl(u: URL): string {
  const last = decodeSafe(u.pathname.split('/').filter(Boolean).at(-1) ?? '').replace(/\.[a-z0-9]+$/i, '').replace(/[-_]+/g, ' ').trim();
  return last ? `${last.charAt(0).toUpperCase()}${last.slice(1)}` : u.host;
}

/**
 * The URL documents in the corpus: `web/*.md` files whose front matter has a `url` and a
 * `fetched_at` (another Markdown file there, or elsewhere, is never synced).
 */
export async function listWebDocuments(corpusDir: string): Promise<WebDocumentInfo[]> {
  const dir = path.join(corpusDir, WEB_FOLDER);
  const names = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: WebDocumentInfo[] = [];
  for (const e of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!e.isFile() || e.name.startsWith('.') || !e.name.endsWith('.md')) continue;
    const bytes = await fs.readFile(path.join(dir, e.name)).catch(() => null);
    const text = bytes?.toString('utf8') ?? null;
    if (bytes === null || text === null || !text.startsWith('---')) continue;
    await loadYamlParser();
    const md = parseMarkdown(text.replace(/\r\n?/g, '\n'));
    const url = md.meta.url;
    const fetchedAt = md.meta.fetched_at;
    if (!url || !fetchedAt) continue;
    out.push({
      source: `${WEB_FOLDER}/${e.name}`,
      url,
      fetchedAt,
      etag: md.meta.etag,
      lastModified: md.meta.last_modified,
      body: text.replace(/\r\n?/g, '\n').slice(md.bodyStart).trim(),
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
  }
  return out;
}

/**
 * Every name in the corpus's web/ folder (`web/notes.md`), lower case: files a person put there,
 * folders and links too. A new URL document never takes one of them.
 */
export async function listWebNames(corpusDir: string): Promise<Set<string>> {
  const names = await fs.readdir(path.join(corpusDir, WEB_FOLDER)).catch(() => [] as string[]);
  return new Set(names.map((n) => `${WEB_FOLDER}/${n}`.toLowerCase()));
}

/**
 * The corpus path for `url`: the document that already holds it (re-adding a URL updates its
 * file), else `web/<host>-<path>.md` (`web/docs.example.com-guide-install.md`), with a short hash
 * of the URL when the URL has a query or the name is taken: by another URL document, or by any
 * name in `taken` (`listWebNames`: a file a person put in web/), compared without case.
 */
export function webSourceFor(url: string, existing: readonly WebDocumentInfo[], taken: ReadonlySet<string> = new Set()): string {
  const same = existing.find((d) => d.url === url);
  if (same) return same.source;
  const u = new URL(url);
  const host = u.host.toLowerCase().replace(/^www\./, '').replace(/:/g, '-');
  const pathPart = decodeSafe(u.pathname).replace(/\.(html?|md|markdown|txt|pdf|php|aspx?)$/i, '').toLowerCase();
  const slug = `${host}-${pathPart}`.replace(/[^a-z0-9.]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').replace(/\.{2,}/g, '.').slice(0, 80).replace(/[-.]+$/, '') || 'page';
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 8);
  const plain = `${WEB_FOLDER}/${slug}.md`;
  const used = new Set([...existing.map((d) => d.source), ...taken].map((n) => n.toLowerCase()));
  const named = u.search || used.has(plain) ? `${WEB_FOLDER}/${slug}-${hash}.md` : plain;
  if (isCorpusName(named)) return named;
  // a name the corpus refuses (a host whose first label is a Windows device name: aux., con.,
  // nul., com1. …) would fail the whole write: the hash leads instead, which no such rule matches
  const hashFirst = `${WEB_FOLDER}/${hash}-${slug}.md`;
  return isCorpusName(hashFirst) ? hashFirst : `${WEB_FOLDER}/${hash}.md`;
}

/** Whether writeDocuments accepts `source`'s file name. */
function isCorpusName(source: string): boolean {
  return validateFileName(path.posix.basename(source)).ok;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
