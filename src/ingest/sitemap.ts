/**
 * Reading a sitemap (sitemaps.org): a `<urlset>` lists pages, a `<sitemapindex>` lists other
 * sitemaps. Only the `<loc>` of each entry is read; a sitemap's size is bounded by the fetch limit.
 */

export interface Sitemap {
  kind: 'urlset' | 'sitemapindex';
  /** The entries' `<loc>` URLs in document order, duplicates dropped. */
  locs: string[];
}

const ROOT = /<(?:[\w.-]+:)?(urlset|sitemapindex)[\s>/]/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** How far into a sitemap its root element is looked for. */
const HEAD_CHARS = 4096;

/**
 * The sitemap in `text`, or null when it is not one (an HTML page, a feed …). The text is a
 * server's and up to DOCENT_URL_MAX_BYTES long, read on the bot's main thread: it is scanned with
 * indexOf, each character a bounded number of times, never with a regex that can backtrack over
 * the body (`<loc>\s*(…|[^<]*)\s*</loc>` was cubic in the spaces after an unclosed `<loc>`:
 * 4,000 took 32 s). The regexes left run on the first 4 KB only (ROOT, the comment strip: at
 * worst quadratic in 4 KB, a few ms) or on one `<loc>`'s text (entities: linear).
 */
export function parseSitemap(text: string): Sitemap | null {
  // the root element comes after the XML declaration and comments, within the first few KB
  const head = text.slice(0, HEAD_CHARS).replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->/g, '');
  const root = ROOT.exec(head);
  if (!root || /<html[\s>]/i.test(head.slice(0, root.index))) return null;
  const seen = new Set<string>();
  for (const raw of locTexts(text)) {
    const loc = locValue(raw);
    if (loc) seen.add(loc);
  }
  return { kind: root[1] as Sitemap['kind'], locs: [...seen] };
}

const isNameChar = (c: number) =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f /* _ */ || c === 0x2e /* . */ || c === 0x2d /* - */ || c === 0x3a; /* : */
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** The index after `from`'s spaces and a `>`, or -1 when the next non-space is not `>`. */
function tagEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return text.charCodeAt(i) === 0x3e /* > */ ? i + 1 : -1;
}

/**
 * The raw text between each `<loc>` (or `<prefix:loc>`, spaces allowed before the `>`) and its
 * `</loc>`, in order. Stops at a `<loc>` that is never closed: nothing after it can be an entry.
 */
function* locTexts(text: string): Generator<string> {
  let pos = 0;
  for (;;) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) return;
    let j = lt + 1;
    while (j < text.length && isNameChar(text.charCodeAt(j))) j++;
    const name = text.slice(lt + 1, j);
    const start = name === 'loc' || (name.endsWith(':loc') && name.indexOf(':') === name.length - 4) ? tagEnd(text, j) : -1;
    if (start < 0) {
      pos = j; // the name's characters are not looked at again
      continue;
    }
    const closing = `</${name}`;
    let close = text.indexOf(closing, start);
    let end = -1;
    // `</loc` must end its tag (`</locale>` does not): look for the next one after each that does not
    while (close >= 0 && (end = isNameChar(text.charCodeAt(close + closing.length)) ? -1 : tagEnd(text, close + closing.length)) < 0) close = text.indexOf(closing, close + 1);
    if (close < 0) return;
    yield text.slice(start, close);
    pos = end;
  }
}

/** A `<loc>`'s URL: CDATA as written, else text with its entities decoded; trimmed. '' for one with markup in it. */
function locValue(raw: string): string {
  const t = raw.trim();
  if (t.startsWith('<![CDATA[')) {
    const end = t.indexOf(']]>');
    return end >= 0 && end + 3 === t.length ? t.slice(9, end).trim() : '';
  }
  return t.includes('<') ? '' : decodeEntities(t).trim();
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

/** Whether a fetched response may be a sitemap: an XML media type, or none with an .xml path. */
export function mayBeSitemap(contentType: string, url: string): boolean {
  if (/^(application|text)\/([\w.+-]+\+)?xml$/.test(contentType)) return true;
  return (!contentType || contentType === 'application/octet-stream') && /\.xml$/i.test(new URL(url).pathname);
}
