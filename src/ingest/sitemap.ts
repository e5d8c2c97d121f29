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
const LOC = /<((?:[\w.-]+:)?loc)\s*>\s*(?:<!\[CDATA\[([\s\S]*?)\]\]>|([^<]*))\s*<\/\1\s*>/g;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The sitemap in `text`, or null when it is not one (an HTML page, a feed …). */
export function parseSitemap(text: string): Sitemap | null {
  // the root element comes after the XML declaration and comments, within the first few KB
  const head = text.slice(0, 4096).replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->/g, '');
  const root = ROOT.exec(head);
  if (!root || /<html[\s>]/i.test(head.slice(0, root.index))) return null;
  const seen = new Set<string>();
  for (const m of text.matchAll(LOC)) {
    const loc = (m[2] ?? decodeEntities(m[3] ?? '')).trim();
    if (loc) seen.add(loc);
  }
  return { kind: root[1] as Sitemap['kind'], locs: [...seen] };
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
