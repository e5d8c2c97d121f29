/**
 * PDFs are read in a worker thread with a wall-clock limit, a heap limit and caps on the inflated
 * streams, the pages and the text: bombs are skipped with a reason that names the limit, fast,
 * and the thread that answers questions keeps answering while a PDF is being read.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEFAULT_PARSE_LIMITS, loadDocument, type ParseLimits } from '../../src/ingest/loaders/index.js';
import { workerStart } from '../../src/ingest/loaders/worker-start.js';
import { Docent } from '../../src/pipeline.js';
import { makeFlateBomb, makePageBomb, makePdf } from '../fixtures/loaders/pdf.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'docent-pdf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// one memory limit for the whole file: a worker is started once, not once per limit
const MEMORY_MB = 64;

async function load(name: string, bytes: Buffer | string, limits: Partial<ParseLimits> = {}) {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return loadDocument(file, dir, { maxFileBytes: 4 * 1024 * 1024, limits: { ...DEFAULT_PARSE_LIMITS, memoryMb: MEMORY_MB, ...limits } });
}

describe('PDF limits', () => {
  it('GIVEN a 120 KB PDF whose 20,000 pages all point at one page object THEN TOO_MANY_PAGES naming DOCENT_PDF_MAX_PAGES', async () => {
    const r = await load('pages.pdf', makePageBomb(20_000));
    expect(r).toEqual({ ok: false, code: 'TOO_MANY_PAGES', message: 'the PDF has 20,000 pages, over the 2,000-page limit set by DOCENT_PDF_MAX_PAGES' });
  });

  it('GIVEN a PDF with one Flate stream that inflates to 256 MB THEN TOO_MUCH_MEMORY before pdf.js decodes it', async () => {
    const bomb = await makeFlateBomb(256);
    expect(bomb.length).toBeLessThan(300 * 1024);
    const r = await load('flate.pdf', bomb);
    expect(r).toEqual({ ok: false, code: 'TOO_MUCH_MEMORY', message: 'a compressed stream in it inflates to more than 64 MB, the limit set by DOCENT_PARSE_MEMORY_MB' });
  });

  it('GIVEN a PDF or an HTML page whose text is longer than DOCENT_MAX_TEXT_CHARS THEN TOO_MUCH_TEXT; within it THEN it loads', async () => {
    const pdf = makePdf([['First page of the handbook.'], ['Second page of the handbook.']]);
    expect(await load('long.pdf', pdf, { maxTextChars: 40 })).toEqual({ ok: false, code: 'TOO_MUCH_TEXT', message: 'its text is longer than the 40-character limit set by DOCENT_MAX_TEXT_CHARS' });
    expect((await load('short.pdf', pdf, { maxTextChars: 100 })).ok).toBe(true);
    const html = `<html><body><p>${'Plenty of words. '.repeat(10)}</p></body></html>`;
    expect(await load('long.html', html, { maxTextChars: 40 })).toMatchObject({ ok: false, code: 'TOO_MUCH_TEXT' });
  });

});

describe('a PDF that keeps the reader busy, in the corpus of a running pipeline', () => {
  it('GIVEN a re-index reading it THEN a question is answered while the worker reads; past DOCENT_PARSE_TIMEOUT_MS the worker is terminated, the file skipped as PARSE_TIMEOUT, and the next PDF is read by a new one', async () => {
    const corpus = path.join(dir, 'corpus');
    mkdirSync(corpus);
    writeFileSync(path.join(corpus, 'falcon.md'), '# Project Falcon\n\nProject Falcon is the delivery-drone programme led by Mei Chen.\n');
    const config = loadConfig(
      { DOCENT_CORPUS_DIR: corpus, DOCENT_INDEX_DIR: path.join(dir, 'index'), DOCENT_EMBEDDER: 'hash', DOCENT_PARSE_MEMORY_MB: String(MEMORY_MB), DOCENT_PDF_MAX_PAGES: '50000', DOCENT_PARSE_TIMEOUT_MS: '1000' },
      { cwd: dir },
    );
    const docent = await Docent.open(config);
    try {
      writeFileSync(path.join(corpus, 'busy.pdf'), makePageBomb(20_000));
      writeFileSync(path.join(corpus, 'zanzibar.pdf'), makePdf([['The Zanzibar protocol listens on port 7312.']]));
      let reading!: () => void;
      const busyReadStarts = new Promise<void>((resolve) => (reading = resolve));
      let reindexed = false;
      const reindex = docent.reindex({ onParseStart: (source) => source === 'busy.pdf' && reading() }).finally(() => (reindexed = true));
      await busyReadStarts;
      // the gate: the worker is reading busy.pdf now; this thread answers meanwhile
      const during = await docent.answer('Who leads Project Falcon?');
      expect(during.answer).toContain('Mei Chen');
      expect(reindexed).toBe(false);
      const report = await reindex;
      expect(report.skipped).toEqual([{ source: 'busy.pdf', code: 'PARSE_TIMEOUT', message: 'parsing it took longer than 1 s, the limit set by DOCENT_PARSE_TIMEOUT_MS, and was stopped (a file built to keep a reader busy looks like this)' }]);
      expect(report.added).toEqual(['zanzibar.pdf']);
      expect((await docent.answer('Which port does the Zanzibar protocol listen on?')).answer).toContain('7312');
    } finally {
      await docent.close();
    }
  });
});

describe('workerStart', () => {
  it('GIVEN the compiled module THEN the sibling .js file; GIVEN the TypeScript source THEN a bootstrap that preloads, registers tsx in the worker and imports the .ts entry', () => {
    expect(workerStart('file:///app/dist/ingest/loaders/pdf-isolate.js', 'pdf-worker', ['file:///x/pre.mjs'])).toEqual({ script: new URL('file:///app/dist/ingest/loaders/pdf-worker.js'), eval: false });
    const here = new URL('../../src/ingest/loaders/pdf-isolate.ts', import.meta.url).href;
    const ts = workerStart(here, 'pdf-worker', ['file:///x/pre.mjs']);
    expect(ts.eval).toBe(true);
    const script = String(ts.script);
    const order = ['file:///x/pre.mjs', '/node_modules/tsx/dist/esm/api/index.mjs', 'tsx.register()', new URL('./pdf-worker.ts', here).href].map((s) => script.indexOf(s));
    expect(order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]))).toBe(true);
  });
});
