/**
 * Corpus containment: a symlink in the corpus that leads outside it (a file such as the password
 * database, or a folder) is skipped with a reason, never indexed or quoted; and removing a
 * document never deletes through a link, even when a folder was swapped for one after indexing.
 * The real pipeline, hash embedder, tiny corpus.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Docent } from '../../src/pipeline.js';
import { tempProject } from '../support/temp-project.js';

let p: Awaited<ReturnType<typeof tempProject>>;
let outside: string;
let docent: Docent;
const SECRET = 'root:x:0:0:the secret passphrase is walrus-umbrella:/root:/bin/bash\n';

beforeAll(async () => {
  p = await tempProject({
    'garden.md': '# Garden\n\nTomatoes need six hours of sun.\n',
    'team/budget.md': '# Team budget\n\nThe team budget is 40,000 euros.\n',
  });
  outside = path.join(p.dir, 'outside');
  await fs.mkdir(path.join(outside, 'private'), { recursive: true });
  await fs.writeFile(path.join(outside, 'passwd.txt'), SECRET);
  await fs.writeFile(path.join(outside, 'private', 'budget.md'), '# Private budget\n\nThe private budget is 9 euros.\n');
  await fs.symlink(path.join(outside, 'passwd.txt'), path.join(p.corpusDir, 'passwd.txt'));
  await fs.symlink(path.join(outside, 'private'), path.join(p.corpusDir, 'private'));
  // a link that stays inside the corpus is still followed
  await fs.symlink(path.join(p.corpusDir, 'team'), path.join(p.corpusDir, 'team-link'));
  docent = await Docent.open(p.config({ DOCENT_EMBEDDER: 'hash' }));
});
afterAll(async () => {
  await docent?.close();
  await p?.cleanup();
});

it('GIVEN a symlink to a file outside the corpus and one to a folder outside THEN neither is indexed or quoted, and both are reported as skipped with the reason', async () => {
  expect(docent.sources().map((s) => s.source)).toEqual(['garden.md', 'team/budget.md']);
  const report = await docent.reindex({ force: true });
  expect(report.skipped).toEqual(
    expect.arrayContaining([
      { source: 'passwd.txt', code: 'OUTSIDE_CORPUS', message: 'symlink to a place outside the corpus folder: not read' },
      { source: 'private/', code: 'OUTSIDE_CORPUS', message: 'symlink to a place outside the corpus folder: not read' },
      // inside the corpus: followed, and the same folder is read once
      { source: 'team-link/', code: 'DUPLICATE', message: 'same folder as team/, which is read once' },
    ]),
  );
  const a = await docent.answer('What is the secret passphrase?');
  expect(JSON.stringify(a)).not.toContain('walrus');
  expect((await docent.answer('What is the private budget?')).answer).not.toContain('9 euros');
});

it('GIVEN /remove of a document behind a symlinked folder THEN nothing outside the corpus is deleted, whether the link was there at indexing time or swapped in after', async () => {
  // not indexed, so not removable
  await expect(docent.removeDocument('private/budget.md')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  // indexed while team/ was a real folder; then team/ becomes a link to a folder outside that has a budget.md too
  expect(docent.sources().map((s) => s.source)).toContain('team/budget.md');
  await fs.rename(path.join(p.corpusDir, 'team'), path.join(p.dir, 'team-moved'));
  await fs.symlink(path.join(outside, 'private'), path.join(p.corpusDir, 'team'));
  const err = await docent.removeDocument('team/budget.md').catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'OUTSIDE_CORPUS', message: '"team/budget.md" is not inside the corpus folder (one of its folders is a link to somewhere else); nothing was changed.' });
  expect(await fs.readFile(path.join(outside, 'private', 'budget.md'), 'utf8')).toContain('9 euros');
  expect(await fs.readFile(path.join(outside, 'passwd.txt'), 'utf8')).toBe(SECRET);
});
