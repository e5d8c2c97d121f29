/**
 * `addUrl` with a sitemap index against a local web server (the pipeline's write is the fake's,
 * which records it): its sitemaps are read one level deep until the page cap, and what was left
 * out is said.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { addUrl, describeUrlRun, syncUrls } from '../../src/ingest/url-sources.js';
import { FakeDocent } from '../support/fake-docent.js';
import { startPageServer, type PageServer } from '../support/page-server.js';

let web: PageServer;
let dir: string;
beforeAll(async () => {
  web = await startPageServer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'docent-url-'));
});
afterAll(async () => {
  await web.close();
  await rm(dir, { recursive: true, force: true });
});

const urlset = (paths: string[]) => ({ type: 'application/xml', body: `<urlset>${paths.map((p) => `<url><loc>${web.url(p)}</loc></url>`).join('')}</urlset>` });
const index = (paths: string[]) => ({ type: 'text/xml', body: `<sitemapindex>${paths.map((p) => `<sitemap><loc>${web.url(p)}</loc></sitemap>`).join('')}</sitemapindex>` });

it('GIVEN a sitemap index THEN its sitemaps are read one level deep until DOCENT_SITEMAP_MAX_PAGES, the pages written in one call, and what was left out is listed', async () => {
  for (const p of ['/a', '/b', '/c', '/d']) web.page(p, { body: `<h1>Page ${p.slice(1)}</h1><p>Text of page ${p.slice(1)}.</p>` });
  web.page('/nested.xml', index(['/s1.xml']));
  web.page('/s1.xml', urlset(['/a', '/b']));
  web.page('/s2.xml', urlset(['/c', '/d']));
  web.page('/s3.xml', urlset(['/e']));
  web.page('/index.xml', index(['/nested.xml', '/s1.xml', '/s2.xml', '/s3.xml']));
  const config = loadConfig({ DOCENT_CORPUS_DIR: dir, DOCENT_ALLOW_PRIVATE_URLS: 'true', DOCENT_SITEMAP_MAX_PAGES: '3' });
  const docent = new FakeDocent([]);

  const run = await addUrl({ docent, config }, web.url('/index.xml'));
  expect(run.pages.map((p) => [p.url, p.status])).toEqual([['/a', 'added'], ['/b', 'added'], ['/c', 'added']].map(([p, s]) => [web.url(p), s]));
  expect(run.overCap).toEqual([web.url('/d')]);
  expect(run.sitemapsNotRead).toEqual([web.url('/nested.xml'), web.url('/s3.xml')]);
  expect(web.hits('/d')).toEqual([]);
  expect(web.hits('/s3.xml')).toEqual([]);
  const writes = docent.calls.filter((c) => c.method === 'writeDocuments');
  expect(writes).toHaveLength(1);
  expect((writes[0].args[0] as Array<{ source: string }>).map((f) => f.source)).toEqual(['/a', '/b', '/c'].map((p) => `web/127.0.0.1-${new URL(web.origin).port}-${p.slice(1)}.md`));
  expect(describeUrlRun(run).slice(-2)).toEqual([
    `Skipped 1 page past the sitemap cap (DOCENT_SITEMAP_MAX_PAGES): ${web.url('/d')}`,
    `Not read: 2 sitemaps of the index (nested indexes are not followed, and none after the cap): ${web.url('/nested.xml')}, ${web.url('/s3.xml')}`,
  ]);
});

it('GIVEN two web/ documents with the same url THEN the sync fetches and writes the one fetched last and reports the other as skipped, instead of failing the whole write', async () => {
  const corpus = await mkdtemp(path.join(os.tmpdir(), 'docent-url-dup-'));
  try {
    web.page('/twin', { body: '<h1>Twin</h1><p>The new text of the twin page.</p>' });
    const front = (at: string) => `---\ntitle: Twin\nurl: ${web.url('/twin')}\nfetched_at: ${at}\n---\nThe old text.\n`;
    await mkdir(path.join(corpus, 'web'));
    await writeFile(path.join(corpus, 'web', 'a-copy.md'), front('2026-01-01T00:00:00.000Z'));
    await writeFile(path.join(corpus, 'web', 'b-twin.md'), front('2026-02-01T00:00:00.000Z'));
    const docent = new FakeDocent([]);
    const run = await syncUrls({ docent, config: loadConfig({ DOCENT_CORPUS_DIR: corpus, DOCENT_ALLOW_PRIVATE_URLS: 'true' }) });
    expect(run.pages.map((p) => [p.source, p.status, p.code])).toEqual([['web/b-twin.md', 'updated', undefined], ['web/a-copy.md', 'skipped', 'URL_DUPLICATE']]);
    const writes = docent.calls.filter((c) => c.method === 'writeDocuments');
    expect((writes[0].args[0] as Array<{ source: string }>).map((f) => f.source)).toEqual(['web/b-twin.md']);
    expect(describeUrlRun(run)).toContain(`  – web/a-copy.md ← ${web.url('/twin')}: skipped, URL_DUPLICATE — web/b-twin.md holds the same URL, fetched later, and is the one synced; remove one of the two`);
  } finally {
    await rm(corpus, { recursive: true, force: true });
  }
});

it('GIVEN a synced page that is fetched but can no longer be read as a document THEN its failure names the last good copy, which stays', async () => {
  const corpus = await mkdtemp(path.join(os.tmpdir(), 'docent-url-unreadable-'));
  try {
    web.page('/now-image', { type: 'image/png', body: Buffer.from([0x89, 0x50, 0x4e, 0x47]) });
    await mkdir(path.join(corpus, 'web'));
    await writeFile(path.join(corpus, 'web', 'img.md'), `---\ntitle: Img\nurl: ${web.url('/now-image')}\nfetched_at: 2026-01-01T00:00:00.000Z\n---\nThe old text.\n`);
    const docent = new FakeDocent([]);
    const run = await syncUrls({ docent, config: loadConfig({ DOCENT_CORPUS_DIR: corpus, DOCENT_ALLOW_PRIVATE_URLS: 'true' }) });
    expect(run.pages).toEqual([{ url: web.url('/now-image'), status: 'failed', source: 'web/img.md', code: 'URL_UNSUPPORTED_TYPE', message: 'it is of type image/png; Docent reads HTML, Markdown, plain text and PDF pages' }]);
    expect(describeUrlRun(run)[1]).toBe(`  ✗ ${web.url('/now-image')}: URL_UNSUPPORTED_TYPE — it is of type image/png; Docent reads HTML, Markdown, plain text and PDF pages (the last good copy, web/img.md, stays indexed)`);
    expect(docent.calls.filter((c) => c.method === 'writeDocuments')).toEqual([]);
  } finally {
    await rm(corpus, { recursive: true, force: true });
  }
});

it('GIVEN a URL with a user:password@ or a ?token= THEN the report shows neither, also for a sitemap entry that is refused', async () => {
  const docent = new FakeDocent([]);
  const config = loadConfig({ DOCENT_CORPUS_DIR: dir, DOCENT_ALLOW_PRIVATE_URLS: 'true' });
  const creds = await addUrl({ docent, config }, ' https://admin:hunter2@docs.example.test/a?token=tok-s3cret-99 ');
  expect(creds.pages).toEqual([{ url: 'https://[redacted]@docs.example.test/a?token=[redacted]', status: 'failed', code: 'URL_INVALID', message: expect.stringContaining('user name or password') }]);
  web.page('/secret-map.xml', { type: 'application/xml', body: `<urlset><url><loc>ftp://u:pw-in-map@x.example/f?key=k-s3cret</loc></url><url><loc>${web.url('/missing')}?token=tok-s3cret-98</loc></url></urlset>` });
  const map = await addUrl({ docent, config }, web.url('/secret-map.xml'));
  // an entry refused unchecked is kept redacted; a checked one is kept as fetched and shown redacted
  expect(map.pages.map((p) => [p.url, p.code])).toEqual([['ftp://[redacted]@x.example/f?key=[redacted]', 'URL_INVALID'], [`${web.url('/missing')}?token=tok-s3cret-98`, 'URL_HTTP_STATUS']]);
  expect(describeUrlRun(map)[2]).toBe(`  ✗ ${web.url('/missing')}?token=[redacted]: URL_HTTP_STATUS — the server answered 404 Not Found`);
  const shown = JSON.stringify(creds) + JSON.stringify(map.pages[0]) + describeUrlRun(map).join('\n') + describeUrlRun(creds).join('\n');
  for (const secret of ['hunter2', 'tok-s3cret', 'pw-in-map', 'k-s3cret']) expect(shown).not.toContain(secret);
});
