/**
 * URL documents over the real pipeline (hash embedder) and a local web server whose page can be
 * held until the test releases it: what the corpus holds when the write takes the lock wins over
 * what the pass read before it fetched. A person's file in web/ is never overwritten, and a
 * document removed while its page was being fetched is not written back.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { addUrl, syncUrls } from '../../src/ingest/url-sources.js';
import { Docent } from '../../src/pipeline.js';
import { startPageServer, type PageServer } from '../support/page-server.js';
import { tempProject } from '../support/temp-project.js';

let web: PageServer;
let p: Awaited<ReturnType<typeof tempProject>>;
let docent: Docent;
const env = { DOCENT_EMBEDDER: 'hash', DOCENT_ALLOW_PRIVATE_URLS: 'true' };
beforeAll(async () => {
  web = await startPageServer();
});
afterAll(() => web.close());
beforeEach(async () => {
  p = await tempProject({ 'seed.md': '# Seed\n\nThe seed document is about herons.\n' });
  docent = await Docent.open(p.config(env));
});
afterEach(async () => {
  await docent.close();
  await p.cleanup();
});

const deps = () => ({ docent, config: p.config(env) });
const doc = (name: string) => `web/127.0.0.1-${new URL(web.origin).port}-${name}.md`;
const read = (source: string) => fs.readFile(path.join(p.corpusDir, source), 'utf8').catch(() => null);
const page = (text: string) => `<h1>${text}</h1><p>${text} is described here.</p>`;

it('GIVEN a file a person put in web/ under the name a new page would get THEN the page takes another name and the file is left as it is', async () => {
  await fs.mkdir(path.join(p.corpusDir, 'web'));
  await fs.writeFile(path.join(p.corpusDir, doc('notes')), 'My own notes about the notes page.\n');
  web.page('/notes', { body: page('Notes') });
  const run = await addUrl(deps(), web.url('/notes'));
  expect(run.pages).toMatchObject([{ status: 'added', source: expect.stringMatching(/-notes-[0-9a-f]{8}\.md$/) }]);
  expect(await read(doc('notes'))).toBe('My own notes about the notes page.\n');
});

it('GIVEN a file put at a sitemap page’s new name while the page is fetched THEN the write leaves it as it is and reports the page as skipped', async () => {
  // a sitemap's pages are fetched after the corpus was read: the name is checked again under the lock
  web.page('/sitemap.xml', { type: 'application/xml', body: `<urlset><url><loc>${web.url('/fresh')}</loc></url></urlset>` });
  const gate = web.gated('/fresh', { body: page('Fresh') });
  const adding = addUrl(deps(), web.url('/sitemap.xml'));
  await gate.arrived;
  await fs.mkdir(path.join(p.corpusDir, 'web'), { recursive: true });
  await fs.writeFile(path.join(p.corpusDir, doc('fresh')), 'Written by hand meanwhile.\n');
  gate.release();
  const run = await adding;
  expect(run.pages).toEqual([{ url: web.url('/fresh'), status: 'skipped', source: doc('fresh'), code: 'URL_NAME_TAKEN', message: `a file was put at ${doc('fresh')} while the page was fetched; it is left as it is and the page was not written (add the URL again)` }]);
  expect(await read(doc('fresh'))).toBe('Written by hand meanwhile.\n');
});

it('GIVEN a document removed while a sync fetches its page THEN the sync does not write it back, and writes the other changed page', async () => {
  web.page('/kept', { body: page('Kept') });
  web.page('/gone', { body: page('Gone') });
  await addUrl(deps(), web.url('/kept'));
  await addUrl(deps(), web.url('/gone'));
  web.page('/kept', { body: page('Kept again') });
  const gate = web.gated('/gone', { body: page('Gone again') });
  const syncing = syncUrls(deps());
  await gate.arrived;
  await docent.removeDocument(doc('gone'));
  gate.release();
  const run = await syncing;
  expect(run.pages.map((x) => [x.source, x.status, x.code])).toEqual([[doc('gone'), 'skipped', 'URL_REMOVED_MEANWHILE'], [doc('kept'), 'updated', undefined]]);
  expect(await read(doc('gone'))).toBeNull();
  expect(await read(doc('kept'))).toContain('Kept again is described here.');
  expect(docent.sources().map((s) => s.source).sort()).toEqual(['seed.md', doc('kept')]);
});

it('GIVEN the only changed document removed while a sync fetches it THEN nothing is written and no re-index runs', async () => {
  web.page('/only', { body: page('Only') });
  await addUrl(deps(), web.url('/only'));
  const gate = web.gated('/only', { body: page('Only again') });
  const syncing = syncUrls(deps());
  await gate.arrived;
  await docent.removeDocument(doc('only'));
  const generation = docent.generation;
  gate.release();
  const run = await syncing;
  expect(run.pages.map((x) => [x.source, x.status, x.code])).toEqual([[doc('only'), 'skipped', 'URL_REMOVED_MEANWHILE']]);
  expect(run.report).toMatchObject({ noChange: true, generation });
  expect(docent.generation).toBe(generation);
  expect(await read(doc('only'))).toBeNull();
});
