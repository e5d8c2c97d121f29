/**
 * Documents from URLs, for every front end: `addUrl` (a page, or a sitemap's pages up to the cap)
 * and `syncUrls` (every URL document fetched again with its validators). Pages are fetched under
 * the guard and the limits (`fetch-url.ts`), turned into `web/*.md` documents (`web-document.ts`),
 * and written through the pipeline's `writeDocuments`, which re-indexes once for all of them (only
 * changed chunks are embedded). A page that fails is reported and, in a sync, keeps its last good
 * copy.
 */
import type { Config } from '../config.js';
import { redactUrl } from '../log.js';
import type { DocentApi, DocumentWrite, NotWritten, ReindexReport } from '../pipeline.js';
import { fetchUrl, normalizeUrl, type Fetched, type FetchOptions } from './fetch-url.js';
import { mayBeSitemap, parseSitemap } from './sitemap.js';
import type { AddressClass, Resolver } from './url-guard.js';
import { listWebDocuments, listWebNames, toWebDocument, webSourceFor, type WebDocumentInfo } from './web-document.js';

export interface UrlSourcesDeps {
  docent: Pick<DocentApi, 'writeDocuments'>;
  config: Pick<Config, 'corpusDir' | 'maxFileBytes' | 'parseLimits' | 'urls'>;
  /** DNS for the guard (default the system's). */
  resolve?: Resolver;
  /** Which addresses count as public (default: ipaddr.js's special-purpose ranges). */
  classify?: (address: string) => AddressClass;
  now?: () => Date;
  /** Stops a run (the bot is stopping): fetches are cancelled and nothing is written; the run rejects with the signal's reason. */
  signal?: AbortSignal;
}

export type PageStatus = 'added' | 'updated' | 'unchanged' | 'not-modified' | 'failed' | 'skipped';

export interface PageOutcome {
  url: string;
  status: PageStatus;
  /** The corpus document (absent for a page that failed before it had one). */
  source?: string;
  title?: string;
  /** For a failed page: URL_REFUSED_PRIVATE, URL_TOO_LARGE, URL_TIMEOUT, URL_HTTP_STATUS …; for a skipped one: URL_DUPLICATE … */
  code?: string;
  message?: string;
}

export interface UrlRun {
  pages: PageOutcome[];
  /** A sitemap's page URLs past DOCENT_SITEMAP_MAX_PAGES, not fetched. */
  overCap: string[];
  /** Sitemaps an index listed that were not read (nested indexes, or the cap was already reached). */
  sitemapsNotRead: string[];
  /** The one re-index, when something was written. */
  report: ReindexReport | null;
}

/** Pages fetched at once. */
const CONCURRENCY = 4;

function fetchOptions(deps: UrlSourcesDeps, extra: Partial<FetchOptions> = {}): FetchOptions {
  const u = deps.config.urls;
  return { maxBytes: u.maxBytes, timeoutMs: u.timeoutMs, maxRedirects: u.maxRedirects, allowPrivate: u.allowPrivate, resolve: deps.resolve, classify: deps.classify, signal: deps.signal, ...extra };
}

async function mapLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return out;
}

interface Written {
  outcome: PageOutcome;
  file?: DocumentWrite;
}

/** One fetched page → its outcome and, when it is new or changed, the file to write. */
async function pageToFile(deps: UrlSourcesDeps, page: Extract<Fetched, { status: 'ok' }>, existing: readonly WebDocumentInfo[], taken: Set<string>): Promise<Written> {
  const doc = await toWebDocument(page, (deps.now ?? (() => new Date()))(), { ...deps.config.parseLimits, maxFileBytes: deps.config.maxFileBytes });
  const before = existing.find((d) => d.url === page.url);
  // a document that has one keeps its last good copy, and the report says so
  if (!doc.ok) return { outcome: { url: page.url, status: 'failed', source: before?.source, code: doc.code, message: doc.message } };
  const source = webSourceFor(page.url, existing, taken);
  taken.add(source);
  // fetched again but the same text (a server that ignores conditional requests): nothing to re-index
  if (before && before.body === doc.value.body) return { outcome: { url: page.url, status: 'unchanged', source, title: doc.value.title } };
  // written only if, under the lock, the file is still as it was read (or still absent)
  return { outcome: { url: page.url, status: before ? 'updated' : 'added', source, title: doc.value.title }, file: { source, bytes: doc.value.bytes, expected: before ? before.sha256 : null } };
}

const NOT_WRITTEN: Record<NotWritten['code'], { code: string; message: (source: string) => string }> = {
  REMOVED: { code: 'URL_REMOVED_MEANWHILE', message: (s) => `${s} was removed while the page was fetched (a /remove or a rollback); it is not written back` },
  CHANGED: { code: 'URL_CHANGED_MEANWHILE', message: (s) => `${s} changed while the page was fetched (a rollback, an edit, another add or sync); it is left as it is` },
  TAKEN: { code: 'URL_NAME_TAKEN', message: (s) => `a file was put at ${s} while the page was fetched; it is left as it is and the page was not written (add the URL again)` },
};

/** Writes the new and changed pages in one call; a page the pipeline left as it was becomes `skipped`. */
async function writeAll(deps: UrlSourcesDeps, written: Written[], purpose: string): Promise<ReindexReport | null> {
  // stopped while fetching: nothing is written (a write under way is not interrupted)
  deps.signal?.throwIfAborted();
  const files = written.flatMap((w) => (w.file ? [w.file] : []));
  if (!files.length) return null;
  const { notWritten, ...report } = await deps.docent.writeDocuments(files, { purpose });
  for (const n of notWritten ?? []) {
    const w = written.find((x) => x.file?.source === n.source);
    if (!w) continue;
    const why = NOT_WRITTEN[n.code];
    w.outcome = { url: w.outcome.url, status: 'skipped', source: n.source, code: why.code, message: why.message(n.source) };
  }
  return report;
}

/**
 * Adds the page at `rawUrl` (or, for a sitemap, its pages up to DOCENT_SITEMAP_MAX_PAGES; a
 * sitemap index is followed one level) to the corpus and re-indexes once. Re-adding a URL updates
 * its document. Throws only what the pipeline's write throws (a busy index, a full disk).
 */
export async function addUrl(deps: UrlSourcesDeps, rawUrl: string, opts: { by?: string } = {}): Promise<UrlRun> {
  const run: UrlRun = { pages: [], overCap: [], sitemapsNotRead: [], report: null };
  const start = normalizeUrl(rawUrl);
  if (!start.ok) {
    // not checked yet: shown without a user:password@ or a ?token=
    run.pages.push({ url: shownUrl(rawUrl), status: 'failed', code: start.code, message: start.message });
    return run;
  }
  const first = await fetchUrl(start.value, fetchOptions(deps));
  if (!first.ok) {
    run.pages.push({ url: start.value, status: 'failed', code: first.code, message: first.message });
    return run;
  }
  const page = first.value as Extract<Fetched, { status: 'ok' }>;
  const existing = await listWebDocuments(deps.config.corpusDir);
  // every name in web/ (a file a person put there too) is taken, unless it is this URL's document
  const taken = await listWebNames(deps.config.corpusDir);
  const sitemap = mayBeSitemap(page.contentType, page.finalUrl) ? parseSitemap(page.bytes.toString('utf8')) : null;
  let written: Written[];
  if (!sitemap) {
    written = [await pageToFile(deps, page, existing, taken)];
  } else {
    const urls = await sitemapPages(deps, sitemap, run);
    const cap = deps.config.urls.sitemapMaxPages;
    run.overCap = urls.slice(cap);
    written = await mapLimited(urls.slice(0, cap), async (url): Promise<Written> => {
      const r = await fetchUrl(url, fetchOptions(deps));
      if (!r.ok) return { outcome: { url, status: 'failed', code: r.code, message: r.message } };
      return pageToFile(deps, r.value as Extract<Fetched, { status: 'ok' }>, existing, taken);
    }, deps.signal);
  }
  run.report = await writeAll(deps, written, `${opts.by ?? 'adding'} ${redactUrl(start.value)}`);
  run.pages.push(...written.map((w) => w.outcome));
  return run;
}

/** The page URLs of a sitemap; an index's sitemaps are read one level deep, until the cap is reached. */
async function sitemapPages(deps: UrlSourcesDeps, sitemap: NonNullable<ReturnType<typeof parseSitemap>>, run: UrlRun): Promise<string[]> {
  const cap = deps.config.urls.sitemapMaxPages;
  const pages: string[] = [];
  const add = (locs: string[]) => {
    for (const loc of locs) {
      const n = normalizeUrl(loc);
      if (!n.ok) run.pages.push({ url: shownUrl(loc), status: 'failed', code: n.code, message: n.message });
      else if (!pages.includes(n.value)) pages.push(n.value);
    }
  };
  if (sitemap.kind === 'urlset') {
    add(sitemap.locs);
    return pages;
  }
  for (const [i, loc] of sitemap.locs.entries()) {
    if (pages.length >= cap) {
      run.sitemapsNotRead.push(...sitemap.locs.slice(i).map(shownUrl));
      break;
    }
    const r = await fetchUrl(loc, fetchOptions(deps));
    if (!r.ok) {
      run.pages.push({ url: shownUrl(loc), status: 'failed', code: r.code, message: `the sitemap ${r.message}` });
      continue;
    }
    const child = r.value.status === 'ok' ? parseSitemap(r.value.bytes.toString('utf8')) : null;
    if (child?.kind === 'urlset') add(child.locs);
    else run.sitemapsNotRead.push(shownUrl(loc));
  }
  return pages;
}

/**
 * Fetches every URL document again, sending its ETag and Last-Modified: a 304 (or the same text)
 * changes nothing; changed pages are rewritten and then re-indexed once. A page that fails keeps
 * its last good copy and is reported.
 */
export async function syncUrls(deps: UrlSourcesDeps, opts: { by?: string } = {}): Promise<UrlRun> {
  const { docs, duplicates } = onePerUrl(await listWebDocuments(deps.config.corpusDir));
  const taken = await listWebNames(deps.config.corpusDir);
  const written = await mapLimited(docs, async (doc): Promise<Written> => {
    const r = await fetchUrl(doc.url, fetchOptions(deps, { etag: doc.etag, lastModified: doc.lastModified }));
    if (!r.ok) return { outcome: { url: doc.url, status: 'failed', source: doc.source, code: r.code, message: r.message } };
    if (r.value.status === 'not-modified') return { outcome: { url: doc.url, status: 'not-modified', source: doc.source } };
    return pageToFile(deps, r.value, docs, taken);
  }, deps.signal);
  const report = await writeAll(deps, written, opts.by ?? 'URL sync');
  return { pages: [...written.map((w) => w.outcome), ...duplicates], overCap: [], sitemapsNotRead: [], report };
}

/**
 * One document per URL: of files that hold the same URL (a copy made by hand, a rename), the one
 * fetched last is synced and the others are reported as skipped. Writing the page to both would
 * name one corpus path twice, which fails the whole write.
 */
function onePerUrl(all: readonly WebDocumentInfo[]): { docs: WebDocumentInfo[]; duplicates: PageOutcome[] } {
  const time = (d: WebDocumentInfo) => {
    const t = Date.parse(d.fetchedAt);
    return Number.isNaN(t) ? -Infinity : t;
  };
  const byUrl = new Map<string, WebDocumentInfo>();
  for (const d of all) {
    const kept = byUrl.get(d.url);
    if (!kept || time(d) > time(kept)) byUrl.set(d.url, d);
  }
  const docs = all.filter((d) => byUrl.get(d.url) === d);
  const duplicates = all
    .filter((d) => byUrl.get(d.url) !== d)
    .map((d): PageOutcome => {
      const kept = byUrl.get(d.url)!;
      return { url: d.url, status: 'skipped', source: d.source, code: 'URL_DUPLICATE', message: `${kept.source} holds the same URL, fetched ${time(kept) === time(d) ? 'as recently' : 'later'}, and is the one synced; remove one of the two` };
    });
  return { docs, duplicates };
}

/** A URL not (yet) checked, as a report shows it: no user:password@ or ?token=, at most 300 characters. */
function shownUrl(raw: string): string {
  return redactUrl(raw.trim()).slice(0, 300);
}

const STATUS_WORD: Record<PageStatus, string> = { added: 'added', updated: 'updated', unchanged: 'unchanged', 'not-modified': 'not modified (304)', failed: 'failed', skipped: 'skipped' };

/**
 * The outcome as lines of text: a head count, then one line per page that was added, updated,
 * failed or skipped (a sync's unchanged pages are only counted), then what a sitemap's cap left out.
 * `link` shows a URL (the bot wraps it in <> so Discord adds no preview); `name` a document path or title.
 */
export function describeUrlRun(run: UrlRun, fmt: { link?: (url: string) => string; name?: (s: string) => string } = {}): string[] {
  // a report is posted and printed: a page's URL is shown without credentials or ?token= values
  const link = (u: string) => (fmt.link ?? ((x: string) => x))(redactUrl(u));
  const name = fmt.name ?? ((s: string) => s);
  const counts = (Object.keys(STATUS_WORD) as PageStatus[])
    .map((s) => [s, run.pages.filter((p) => p.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${STATUS_WORD[s]}`);
  const lines = [`${run.pages.length} page${run.pages.length === 1 ? '' : 's'}: ${counts.join(', ') || 'none'}.`];
  for (const p of run.pages) {
    if (p.status === 'added' || p.status === 'updated') lines.push(`  ${p.status === 'added' ? '+' : '~'} ${name(p.source!)} ← ${link(p.url)}${p.title ? ` (“${name(p.title)}”)` : ''}`);
    else if (p.status === 'failed') lines.push(`  ✗ ${link(p.url)}: ${p.code} — ${p.message}${p.source ? ` (the last good copy, ${name(p.source)}, stays indexed)` : ''}`);
    else if (p.status === 'skipped') lines.push(`  – ${p.source ? `${name(p.source)} ← ` : ''}${link(p.url)}: skipped, ${p.code} — ${p.message}`);
  }
  const more = (urls: string[]) => urls.slice(0, 5).map(link).join(', ') + (urls.length > 5 ? `, … ${urls.length - 5} more` : '');
  if (run.overCap.length) lines.push(`Skipped ${run.overCap.length} page${run.overCap.length === 1 ? '' : 's'} past the sitemap cap (DOCENT_SITEMAP_MAX_PAGES): ${more(run.overCap)}`);
  if (run.sitemapsNotRead.length) lines.push(`Not read: ${run.sitemapsNotRead.length} sitemap${run.sitemapsNotRead.length === 1 ? '' : 's'} of the index (nested indexes are not followed, and none after the cap): ${more(run.sitemapsNotRead)}`);
  return lines;
}
