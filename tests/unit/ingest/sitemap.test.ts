import { describe, expect, it } from 'vitest';
import { mayBeSitemap, parseSitemap } from '../../../src/ingest/sitemap.js';

describe('parseSitemap', () => {
  it('GIVEN a <urlset> with entities, CDATA, a prefix and a repeat THEN its page URLs in order, once each', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<!-- generated -->
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc> https://docs.example.com/a?x=1&amp;y=2 </loc><lastmod>2026-01-01</lastmod></url>
  <url><loc><![CDATA[https://docs.example.com/b]]></loc></url>
  <url><sm:loc>https://docs.example.com/c</sm:loc></url>
  <url><loc>https://docs.example.com/b</loc></url>
</urlset>`;
    expect(parseSitemap(xml)).toEqual({ kind: 'urlset', locs: ['https://docs.example.com/a?x=1&y=2', 'https://docs.example.com/b', 'https://docs.example.com/c'] });
  });

  it('GIVEN a <sitemapindex> THEN the sitemaps it lists; an HTML page or a feed is not a sitemap', () => {
    expect(parseSitemap('<sitemapindex><sitemap><loc>https://x.example/s1.xml</loc></sitemap></sitemapindex>')).toEqual({ kind: 'sitemapindex', locs: ['https://x.example/s1.xml'] });
    expect(parseSitemap('<!doctype html><html><body><p>&lt;urlset&gt;</p><urlset></urlset></body></html>')).toBeNull();
    expect(parseSitemap('<rss><channel><link>https://x.example/</link></channel></rss>')).toBeNull();
  });

  it('GIVEN an unclosed <loc> followed by 2 MB of spaces THEN it returns (the scan is linear; a regex used to backtrack cubically, 4,000 spaces took 32 s)', () => {
    const body = `<urlset><url><loc>https://x.example/a</loc></url><url><loc>${' '.repeat(2 * 1024 * 1024)}`;
    expect(parseSitemap(body)).toEqual({ kind: 'urlset', locs: ['https://x.example/a'] });
    // many openings without a close, and a close tag cut short, are as linear
    expect(parseSitemap(`<urlset>${'<loc> '.repeat(200_000)}`)).toEqual({ kind: 'urlset', locs: [] });
    expect(parseSitemap(`<urlset><loc>https://x.example/b</loc${' '.repeat(1024 * 1024)}`)).toEqual({ kind: 'urlset', locs: [] });
  });

  it('GIVEN spaces inside the tags, an entry with markup or an empty one THEN only plain <loc> texts are read', () => {
    const xml = '<urlset><url><loc >\n  https://x.example/a\n</loc \n></url><url><loc><b>no</b></loc></url><url><loc>  </loc></url><url><x:loc><![CDATA[ https://x.example/c?a=1&b=2 ]]></x:loc></url><url><location>https://x.example/no</location></url></urlset>';
    expect(parseSitemap(xml)).toEqual({ kind: 'urlset', locs: ['https://x.example/a', 'https://x.example/c?a=1&b=2'] });
  });

  it('GIVEN the response type THEN only XML (or an unlabelled .xml) is read as a possible sitemap', () => {
    expect(mayBeSitemap('application/xml', 'https://x.example/sitemap')).toBe(true);
    expect(mayBeSitemap('text/xml', 'https://x.example/s')).toBe(true);
    expect(mayBeSitemap('', 'https://x.example/sitemap.xml')).toBe(true);
    expect(mayBeSitemap('text/html', 'https://x.example/sitemap.xml')).toBe(false);
  });
});
