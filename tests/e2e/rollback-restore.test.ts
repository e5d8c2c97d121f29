/**
 * A rollback puts the corpus files back to the generation it switches to, so the next change
 * starts from what serves: the rolled-back document is moved out of the corpus (into
 * `.docent-rolled-back/`, never deleted) and an unrelated upload afterwards does not bring it back
 * into answers; changed files get their original bytes back, PDFs included. Hash embedder.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Docent } from '../../src/pipeline.js';
import { makePdf } from '../fixtures/loaders/pdf.js';
import { tempProject } from '../support/temp-project.js';

let p: Awaited<ReturnType<typeof tempProject>>;
let docent: Docent;
const BAD = '# Tide table\n\nThe harbour closes at noon on Sundays, says the forged notice.\n';
const pdfV1 = makePdf([['The ferry timetable lists the first ferry at 06:40.']]);
const pdfV2 = makePdf([['The ferry timetable lists the first ferry at 09:15.']]);

beforeAll(async () => {
  p = await tempProject({ 'garden.md': '# Garden\n\nTomatoes need six hours of sun.\n' });
  await fs.writeFile(path.join(p.corpusDir, 'ferry.pdf'), pdfV1);
  docent = await Docent.open(p.config({ DOCENT_EMBEDDER: 'hash' }));
});
afterAll(async () => {
  await docent?.close();
  await p?.cleanup();
});

it('GIVEN a bad upload rolled back THEN it is moved out of the corpus, and an unrelated add afterwards keeps it out of answers; a changed PDF gets its original bytes back', async () => {
  expect(docent.generation).toBe('gen-000001');
  await docent.addDocument('tide.md', Buffer.from(BAD)); // gen-000002
  await fs.writeFile(path.join(p.corpusDir, 'ferry.pdf'), pdfV2);
  await docent.reindex(); // gen-000003
  expect((await docent.answer('When does the harbour close on Sundays?')).answer).toContain('noon');

  const r = await docent.rollback('gen-000001', { by: 'test' });
  expect(r.restore).toMatchObject({ restored: ['ferry.pdf'], setAside: ['ferry.pdf', 'tide.md'], notRestored: null });
  expect(r.restore.folder).toMatch(/^\.docent-rolled-back\/[\dT-]+Z-gen-000001$/);
  expect(Buffer.compare(await fs.readFile(path.join(p.corpusDir, 'ferry.pdf')), pdfV1)).toBe(0);
  // nothing is lost: what the rollback replaced or removed is kept, not deleted
  expect(await fs.readFile(path.join(p.corpusDir, r.restore.folder!, 'tide.md'), 'utf8')).toBe(BAD);
  expect(Buffer.compare(await fs.readFile(path.join(p.corpusDir, r.restore.folder!, 'ferry.pdf')), pdfV2)).toBe(0);
  expect((await docent.corpusStatus()).fresh).toBe(true);

  const next = await docent.addDocument('heron.md', Buffer.from('# Heron survey\n\nThe heron survey counted 41 nests.\n'));
  expect(next).toMatchObject({ added: ['heron.md'], changed: [], removed: [] });
  expect(docent.sources().map((s) => s.source)).toEqual(['ferry.pdf', 'garden.md', 'heron.md']);
  const a = await docent.answer('When does the harbour close on Sundays?');
  expect(a.answer).not.toContain('noon');
  expect(a.retrieved.map((h) => h.chunk.source)).not.toContain('tide.md');
  expect((await docent.answer('When is the first ferry?')).answer).toContain('06:40');
});

it('GIVEN the originals of a generation are gone THEN a switch to it changes no file, says which original is missing, and pins it', async () => {
  const before = (await fs.readdir(p.corpusDir)).sort();
  await fs.rm(path.join(p.indexDir, 'originals'), { recursive: true });
  const r = await docent.rollback('gen-000003', { by: 'test' });
  expect(r.restore).toEqual({ restored: [], setAside: [], folder: null, notRestored: 'the originals of ferry.pdf, tide.md are not kept' });
  expect((await fs.readdir(p.corpusDir)).sort()).toEqual(before);
  expect((await docent.ensureFresh()).action).toBe('pinned');
});
