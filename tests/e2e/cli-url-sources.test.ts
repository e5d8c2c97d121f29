/**
 * `npm run ingest -- --add-url` and `--sync` (the compiled CLI) against a local web server: a
 * sitemap's pages are added up to the cap and answered with their link; a sync sends the
 * validators, leaves a 304 page alone and re-indexes a changed one (a failing page, the bot's
 * timer and an all-304 pass: tests/e2e/discord-url-sources.test.ts).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Docent } from '../../src/pipeline.js';
import { distCli } from '../support/dist.js';
import { startPageServer, type PageServer } from '../support/page-server.js';
import { ROOT, tempProject } from '../support/temp-project.js';

const run = promisify(execFile);

const LAST_MODIFIED = 'Wed, 01 Jan 2025 00:00:00 GMT';
const page = (title: string, text: string) => `<html><head><title>${title}</title><script>track()</script></head><body><h1>${title}</h1><p>${text}</p></body></html>`;

describe('ingest --add-url and --sync', () => {
  let web: PageServer;
  let p: Awaited<ReturnType<typeof tempProject>>;
  const env = { DOCENT_EMBEDDER: 'hash', DOCENT_ALLOW_PRIVATE_URLS: 'true', DOCENT_SITEMAP_MAX_PAGES: '2' };
  const ingest = async (args: string[]) => {
    try {
      const r = await run(process.execPath, [distCli('ingest'), '--corpus', p.corpusDir, '--index', p.indexDir, ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: '', NODE_OPTIONS: '', ...env }, timeout: 60_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const doc = (name: string) => `web/127.0.0.1-${new URL(web.origin).port}-${name}.md`;

  beforeAll(async () => {
    web = await startPageServer();
    p = await tempProject({ 'seed.md': '# Seed\n\nThe seed document is about herons.\n' });
    web.page('/falcon', { body: page('Falcon', 'Project Falcon is led by Mei Chen.'), etag: '"f1"', lastModified: LAST_MODIFIED });
    web.page('/osprey', { body: page('Osprey', 'The osprey survey counted 12 nests.'), etag: '"o1"', lastModified: LAST_MODIFIED });
    web.page('/kestrel', { body: page('Kestrel', 'Kestrels hover.') });
    web.page('/sitemap.xml', {
      type: 'application/xml',
      body: `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${['/falcon', '/osprey', '/kestrel'].map((u) => `<url><loc>${web.url(u)}</loc></url>`).join('')}</urlset>`,
    });
  });
  afterAll(async () => {
    await web?.close();
    await p?.cleanup();
  });

  it('GIVEN a sitemap THEN its pages up to DOCENT_SITEMAP_MAX_PAGES become web/ documents with their URL and validators, the rest are listed as skipped, and answers cite them with the link', async () => {
    const r = await ingest(['--add-url', web.url('/sitemap.xml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Add ${web.url('/sitemap.xml')}: 2 pages: 2 added.\n  + ${doc('falcon')} ← ${web.url('/falcon')} (“Falcon”)\n  + ${doc('osprey')} ← ${web.url('/osprey')} (“Osprey”)\n`);
    expect(r.stdout).toContain(`Skipped 1 page past the sitemap cap (DOCENT_SITEMAP_MAX_PAGES): ${web.url('/kestrel')}\n`);
    expect(r.stdout).toMatch(/Files read: 3 \(indexed 3: 2 added, 0 changed, 1 unchanged; 0 removed\)/);
    expect(web.hits('/kestrel')).toEqual([]);
    const stored = await fs.readFile(path.join(p.corpusDir, doc('falcon')), 'utf8');
    expect(stored).toMatch(new RegExp(`^---\ntitle: Falcon\nurl: ${web.url('/falcon')}\nfetched_at: \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\netag: '"f1"'\nlast_modified: ${LAST_MODIFIED}\n---\n# Falcon\n\nProject Falcon is led by Mei Chen.\n$`));

    const docent = await Docent.open(p.config(env));
    try {
      const a = await docent.answer('Who leads Project Falcon?');
      expect(a.answer).toContain('Mei Chen');
      expect(a.citations[0]).toMatchObject({ source: doc('falcon'), url: web.url('/falcon') });
    } finally {
      await docent.close();
    }
  });

  it('GIVEN one page changed and one not THEN --sync sends If-None-Match and If-Modified-Since, leaves the 304 page alone and re-indexes only the changed one', async () => {
    web.page('/falcon', { body: page('Falcon', 'Project Falcon is led by Ana Ruiz since May.'), etag: '"f2"', lastModified: 'Thu, 01 May 2025 00:00:00 GMT' });
    web.requests.length = 0;
    const r = await ingest(['--sync']);
    expect(r.code).toBe(0);
    expect(web.requests).toEqual(
      expect.arrayContaining([
        { path: '/falcon', ifNoneMatch: '"f1"', ifModifiedSince: LAST_MODIFIED },
        { path: '/osprey', ifNoneMatch: '"o1"', ifModifiedSince: LAST_MODIFIED },
      ]),
    );
    expect(web.requests).toHaveLength(2);
    expect(r.stdout).toContain(`URL sync: 2 pages: 1 updated, 1 not modified (304).\n  ~ ${doc('falcon')} ← ${web.url('/falcon')} (“Falcon”)\n`);
    // only the changed page's one new chunk is embedded; the 304 page and the seed are reused
    expect(r.stdout).toMatch(/Built gen-000003: \d+ chunks, 1 embedded, \d+ reused\.\nFiles read: 3 \(indexed 3: 0 added, 1 changed, 2 unchanged; 0 removed\)/);
    expect(await fs.readFile(path.join(p.corpusDir, doc('falcon')), 'utf8')).toContain(`etag: '"f2"'`);
  });
});
