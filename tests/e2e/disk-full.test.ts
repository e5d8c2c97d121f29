/**
 * A full disk is one clear line naming the folder whose disk is full, never a stack trace: for
 * the ingest CLI (a child process with every write in the index folder failing with ENOSPC) and
 * for the pipeline the bot calls (/reindex), after which the previous generation still serves.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { Docent } from '../../src/pipeline.js';
import { REPO, RecordingEmbeddings, makeWorkspace, runIngest, testConfig } from '../support/lifecycle-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeAll(async () => {
  ws = await makeWorkspace('docent-full-');
});
afterAll(async () => {
  vi.restoreAllMocks();
  await ws?.cleanup();
});

it('GIVEN the disk holding the index is full THEN `npm run ingest` prints one line naming the index folder and exits 1', async () => {
  const r = await runIngest(['--corpus', ws.corpus, '--index', ws.index], {
    NODE_OPTIONS: `--import ${path.join(REPO, 'tests', 'support', 'disk-full.mjs')}`,
    DOCENT_DISK_FULL_DIR: ws.index,
  });
  expect(r.code).toBe(1);
  expect(r.stderr).toBe(
    `error: Could not write to ${ws.index}: there is no space left on its disk (ENOSPC); the re-index failed and the index is as it was. Free some space and try again.\n`,
  );
});

it('GIVEN the disk fills up during /reindex THEN a DISK_FULL message naming the index folder, and the previous generation still serves', async () => {
  const docent = await Docent.open(testConfig(ws.corpus, ws.index), { embeddings: new RecordingEmbeddings() });
  const open = fs.open;
  vi.spyOn(fs, 'open').mockImplementation(async (file, flags, ...rest) => {
    if (String(file).startsWith(ws.index) && /w/.test(String(flags))) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    return open(file, flags, ...(rest as []));
  });
  const err = await docent.reindex({ force: true }).catch((e: unknown) => e);
  vi.restoreAllMocks();
  expect(err).toMatchObject({ code: 'DISK_FULL', message: `Could not write to ${ws.index}: there is no space left on its disk (ENOSPC); the re-index failed and the index is as it was. Free some space and try again.` });
  expect(docent.generation).toBe('gen-000001');
  expect((await docent.answer('What is Wukong?')).answered).toBe(true);
  await docent.close();
});
