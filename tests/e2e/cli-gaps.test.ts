import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InsightsStore } from '../../src/insights/store.js';
import { ROOT } from '../support/temp-project.js';
import { distCli } from '../support/dist.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'docent-gaps-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `npm run gaps` as the dev script runs it (tsx, one process). */
async function gaps(args: string[], env: Record<string, string>) {
  const r = await run(process.execPath, [distCli('gaps'), ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: '', NODE_OPTIONS: '', DOCENT_EMBEDDER: 'hash', ...env } });
  return r.stdout;
}

describe('npm run gaps', () => {
  // one run (each starts tsx, ~2 s)
  it('lists the logged gaps grouped, most asked first, with count, last asked and link', async () => {
    const db = path.join(dir, 'insights.db');
    const s = await InsightsStore.open(db);
    const refused = { answered: false, answer: 'not found', sources: [] };
    await s.recordQuestion({ id: 'a', question: 'How do I reset my password?', askedAt: '2026-03-01T10:00:00.000Z', link: 'https://discord.com/channels/1/2/3', ...refused });
    await s.recordQuestion({ id: 'b', question: 'What is the capital of France?', askedAt: '2026-03-02T10:00:00.000Z', ...refused });
    await s.recordQuestion({ id: 'c', question: 'how do I reset my password', askedAt: '2026-03-03T10:00:00.000Z', ...refused });
    await s.recordQuestion({ id: 'd', question: 'What is Wukong?', answered: true, answer: 'An AI platform. [1]', sources: [] });
    // another collection's gap is listed only with --collection
    await s.recordQuestion({ id: 'e', question: 'Who leads Project Falcon?', askedAt: '2026-03-04T10:00:00.000Z', collection: 'acme', ...refused });
    await s.close();
    expect(await gaps([], { DOCENT_INSIGHTS_DB: db })).toBe(
      [
        'Open gaps: 2 (3 questions), most asked first',
        '2× “how do I reset my password” — unanswered; last asked 2026-03-03 10:00 UTC https://discord.com/channels/1/2/3',
        '1× “What is the capital of France?” — unanswered; last asked 2026-03-02 10:00 UTC',
        '',
      ].join('\n'),
    );
    const acme = JSON.parse(await gaps(['--json', '--collection', 'acme'], { DOCENT_INSIGHTS_DB: db }));
    expect(acme.map((g: { question: string }) => g.question)).toEqual(['Who leads Project Falcon?']);
  });
});
