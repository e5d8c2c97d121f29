/**
 * A full disk is one clear line naming the folder whose disk is full, never a stack trace: the
 * ingest CLI in a child process whose every write in the index folder fails with ENOSPC. (The
 * bot's side, an upload on a full disk, is in uploads.test.ts: the same DISK_FULL UserError,
 * which the bot shows as it is.)
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { REPO, makeWorkspace, runIngest } from '../support/lifecycle-helpers.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
beforeAll(async () => {
  ws = await makeWorkspace('docent-full-');
});
afterAll(async () => {
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
