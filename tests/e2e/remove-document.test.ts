import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Docent } from '../../src/pipeline.js';
import { tempProject } from '../support/temp-project.js';

describe('removeDocument with two documents of the same file name', () => {
  let p: Awaited<ReturnType<typeof tempProject>>;
  let docent: Docent;
  beforeAll(async () => {
    p = await tempProject({
      'team-a/notes.md': '# Team A\n\nThe falcon project ships in April.\n',
      'team-b/notes.md': '# Team B\n\nThe heron project ships in June.\n',
    });
    docent = await Docent.open(p.config({ DOCENT_EMBEDDER: 'hash' }));
  });
  afterAll(async () => {
    await docent.close();
    await p.cleanup();
  });

  it('GIVEN only the file name THEN it refuses to guess and names both paths; GIVEN the path THEN only that one goes', async () => {
    await expect(docent.removeDocument('notes.md')).rejects.toMatchObject({ code: 'AMBIGUOUS', message: expect.stringContaining('team-a/notes.md, team-b/notes.md') });
    expect((await fs.readdir(path.join(p.corpusDir, 'team-a')))).toEqual(['notes.md']);
    const r = await docent.removeDocument('team-a/notes.md');
    expect(r.removed).toEqual(['team-a/notes.md']);
    expect(docent.sources().map((s) => s.source)).toEqual(['team-b/notes.md']);
    await expect(fs.access(path.join(p.corpusDir, 'team-a/notes.md'))).rejects.toThrow();
  });
});
