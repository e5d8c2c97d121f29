/**
 * Uploads keep their promises: a copy of an indexed document is refused with the name of the one
 * it copies (it used to push that one out of the index); two equal files put in the folder by hand
 * keep the indexed one and report the other; names that fill 255 bytes, names of folders and a
 * full disk fail (or succeed) cleanly, with no temp file left behind. Real pipeline, hash embedder.
 */
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { Docent } from '../../src/pipeline.js';
import { tempProject } from '../support/temp-project.js';

let p: Awaited<ReturnType<typeof tempProject>>;
let docent: Docent;
const DUP = '# Harbour rules\n\nBoats must leave the harbour before the evening bell.\n';
const listing = async () => (await fs.readdir(p.corpusDir, { recursive: true })).map(String).sort();

beforeAll(async () => {
  p = await tempProject({ 'dup.md': DUP, 'garden.md': '# Garden\n\nTomatoes need six hours of sun.\n' });
  docent = await Docent.open(p.config({ DOCENT_EMBEDDER: 'hash' }));
});
afterAll(async () => {
  vi.restoreAllMocks();
  await docent?.close();
  await p?.cleanup();
});

it('GIVEN /add of a file with the bytes of an indexed document THEN it is refused naming that document, which stays indexed and removable', async () => {
  const before = await listing();
  const err = await docent.addDocument('dup-copy.md', Buffer.from(DUP)).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'DUPLICATE_UPLOAD', message: '"dup-copy.md" has the same content as dup.md, which is already indexed; nothing was added.' });
  expect(await listing()).toEqual(before);
  expect(docent.sources().map((s) => s.source)).toEqual(['dup.md', 'garden.md']);
  // re-sending a document under its own name is not a duplicate
  expect((await docent.addDocument('dup.md', Buffer.from(DUP))).noChange).toBe(true);
});

it('GIVEN two equal files put in the folder by hand THEN the indexed one stays and the copy is reported, whichever sorts first', async () => {
  await fs.writeFile(path.join(p.corpusDir, 'a-copy.md'), DUP);
  const r = await docent.reindex();
  expect(r.removed).toEqual([]);
  expect(r.skipped).toContainEqual({ source: 'a-copy.md', code: 'DUPLICATE', message: 'same content as dup.md, which is kept' });
  expect(docent.sources().map((s) => s.source)).toEqual(['dup.md', 'garden.md']);
  await fs.rm(path.join(p.corpusDir, 'a-copy.md'));
  await docent.reindex();
});

it('GIVEN a name of 252 bytes (fits 255) THEN it is added and leaves no temp file; GIVEN the name of a folder THEN a clear refusal and no temp file', async () => {
  const long = `${'日'.repeat(83)}.md`;
  expect(Buffer.byteLength(long)).toBe(252);
  const r = await docent.addDocument(long, Buffer.from('# Long name\n\nThe lighthouse keeper is called Ada.\n'));
  expect(r.added).toEqual([long]);
  expect((await listing()).filter((n) => n.startsWith('.'))).toEqual([]);

  await fs.mkdir(path.join(p.corpusDir, 'notes.md'));
  const err = await docent.addDocument('notes.md', Buffer.from('# Notes\n\nHello.\n')).catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'UPLOAD_REJECTED', message: 'The corpus has a folder called "notes.md"; send the file under another name.' });
  expect((await listing()).filter((n) => n.startsWith('.') || n.includes('tmp'))).toEqual([]);
});

it('GIVEN the disk is full while an upload is written THEN one clear line naming the corpus folder, the corpus as it was and no temp file', async () => {
  const before = await listing();
  // every way of writing a file in the corpus folder fails as on a full disk
  const full = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  const inCorpus = (file: unknown) => String(file).startsWith(fsSync.realpathSync(p.corpusDir)) || String(file).startsWith(p.corpusDir);
  const { open, writeFile } = fs;
  vi.spyOn(fs, 'open').mockImplementation(async (file, ...rest) => (inCorpus(file) ? Promise.reject(full()) : open(file, ...(rest as [string]))));
  vi.spyOn(fs, 'writeFile').mockImplementation(async (file, ...rest) => (inCorpus(file) ? Promise.reject(full()) : writeFile(file, ...(rest as [string]))));
  const err = await docent.addDocument('zebra.md', Buffer.from('# Zebra\n\nZebras have stripes.\n')).catch((e: unknown) => e);
  vi.restoreAllMocks();
  expect(err).toMatchObject({
    code: 'DISK_FULL',
    message: `Could not write to ${p.corpusDir}: there is no space left on its disk (ENOSPC); upload of zebra.md failed and the corpus is as it was. Free some space and try again.`,
  });
  expect(await listing()).toEqual(before);
});
