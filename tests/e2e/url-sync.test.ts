/**
 * The bot's URL sync timer (`startUrlSync`) on its own: a context with a recording moderator
 * channel, a real corpus folder and a local web server; the pass is fired by the test (the timer
 * is injected), never waited for by time.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../src/config.js';
import type { BotContext } from '../../src/discord/context.js';
import { startUrlSync } from '../../src/discord/url-sync.js';
import { UserError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import type { ReindexReport } from '../../src/pipeline.js';
import { startPageServer, type PageServer } from '../support/page-server.js';

let web: PageServer;
let dir: string;
beforeAll(async () => {
  web = await startPageServer();
  dir = await mkdtemp(path.join(os.tmpdir(), 'docent-url-sync-'));
});
afterAll(async () => {
  await web.close();
  await rm(dir, { recursive: true, force: true });
});

const report = (patch: Partial<ReindexReport> = {}): ReindexReport => ({ generation: 'gen-000002', added: [], changed: [], removed: [], unchanged: [], skipped: [], chunks: 1, embedded: 1, noChange: false, ms: 3, ...patch });

/** A bot context with what the sync uses: the pipeline's write, the config, and a moderator channel that records its posts. */
function contextWith(config: Config, writeDocuments: () => Promise<ReindexReport>) {
  const posts: string[] = [];
  const channel = { isSendable: () => true, send: async (p: { content: string }) => void posts.push(p.content) };
  const ctx = { config, logger: silentLogger, docent: { writeDocuments }, client: { channels: { cache: { get: () => channel } } } } as unknown as BotContext;
  return { ctx, posts };
}

async function corpusWithPage(name: string, urlPath: string, fetchedAt = '2026-01-01T00:00:00.000Z'): Promise<string> {
  const corpus = path.join(dir, name);
  await mkdir(path.join(corpus, 'web'), { recursive: true });
  await writeFile(path.join(corpus, 'web', `${name}.md`), `---\ntitle: P\nurl: ${web.url(urlPath)}\nfetched_at: ${fetchedAt}\n---\nThe old text.\n`);
  return corpus;
}

it('GIVEN a write that fails the same way on every pass THEN the moderators hear of it once, again when it changes or after a pass that succeeded', async () => {
  web.page('/changing', { body: '<p>The new text.</p>' });
  const corpus = await corpusWithPage('errors', '/changing');
  const config = loadConfig({ DOCENT_CORPUS_DIR: corpus, DOCENT_ALLOW_PRIVATE_URLS: 'true', DOCENT_SYNC_INTERVAL: '30m', MODERATOR_CHANNEL_ID: '100000000000000042' });
  let outcome: () => Promise<ReindexReport> = async () => {
    throw new UserError('DISK_FULL', 'Could not write to the corpus: there is no space left on its disk (ENOSPC)');
  };
  const { ctx, posts } = contextWith(config, () => outcome());
  const sync = (await startUrlSync(ctx, { track: () => {}, schedule: () => () => {} }))!;
  try {
    await sync.runNow();
    await sync.runNow();
    await sync.runNow();
    expect(posts).toEqual(['🔄 URL sync: the changed pages could not be written — Could not write to the corpus: there is no space left on its disk (ENOSPC). The next pass tries again (this error is not posted again until it changes).']);
    outcome = async () => {
      throw new UserError('INDEX_LOCKED', 'The index is being rebuilt (upload of a.md); try again in a minute.');
    };
    await sync.runNow();
    await sync.runNow();
    expect(posts).toHaveLength(2);
    expect(posts[1]).toContain('The index is being rebuilt (upload of a.md)');
    outcome = async () => report({ changed: ['web/errors.md'] });
    await sync.runNow();
    expect(posts).toHaveLength(3);
    expect(posts[2]).toMatch(/^🔄 URL sync: 1 page: 1 updated\./);
    outcome = async () => {
      throw new UserError('INDEX_LOCKED', 'The index is being rebuilt (upload of a.md); try again in a minute.');
    };
    await sync.runNow();
    expect(posts).toHaveLength(4);
  } finally {
    sync.stop();
  }
});

it('GIVEN a pass waiting on a page WHEN the sync is stopped THEN the fetch is cancelled, nothing is written or posted, and stop() resolves once the pass has ended', async () => {
  const gate = web.gated('/held', { body: '<p>The new text.</p>' });
  const corpus = await corpusWithPage('stopping', '/held');
  const config = loadConfig({ DOCENT_CORPUS_DIR: corpus, DOCENT_ALLOW_PRIVATE_URLS: 'true', DOCENT_SYNC_INTERVAL: '30m', MODERATOR_CHANNEL_ID: '100000000000000042' });
  let writes = 0;
  const { ctx, posts } = contextWith(config, async () => {
    writes++;
    return report();
  });
  const tracked: Array<Promise<unknown>> = [];
  let fire = () => {};
  const sync = (await startUrlSync(ctx, {
    track: (work) => void tracked.push(work),
    schedule: (fn) => {
      fire = fn;
      return () => {};
    },
  }))!;
  try {
    fire();
    await gate.arrived;
    let ended = false;
    void tracked[0].finally(() => (ended = true));
    await sync.stop();
    expect(ended).toBe(true);
    expect(await tracked[0]).toBeNull();
    expect(writes).toBe(0);
    expect(posts).toEqual([]);
    expect(await sync.runNow()).toBeNull(); // stopped: no new pass
  } finally {
    gate.release();
  }
});

it('GIVEN URL documents fetched some time ago THEN the first pass is due an interval after the oldest fetched_at, at once when that is past, not an interval after the start', async () => {
  const corpus = await corpusWithPage('due', '/due', '2026-03-20T11:50:00.000Z');
  await writeFile(path.join(corpus, 'web', 'later.md'), `---\ntitle: L\nurl: ${web.url('/later')}\nfetched_at: 2026-03-20T11:55:00.000Z\n---\nText.\n`);
  const config = loadConfig({ DOCENT_CORPUS_DIR: corpus, DOCENT_ALLOW_PRIVATE_URLS: 'true', DOCENT_SYNC_INTERVAL: '30m' });
  const { ctx } = contextWith(config, async () => report());
  const firstDelay = async (now: string) => {
    const calls: Array<{ ms: number; firstMs: number }> = [];
    const sync = await startUrlSync(ctx, { track: () => {}, now: () => new Date(now), schedule: (_fn, ms, firstMs) => (calls.push({ ms, firstMs }), () => {}) });
    await sync!.stop();
    return calls;
  };
  // the oldest was fetched at 11:50: due at 12:20
  expect(await firstDelay('2026-03-20T12:00:00.000Z')).toEqual([{ ms: 30 * 60_000, firstMs: 20 * 60_000 }]);
  // restarted after it was due: at once
  expect(await firstDelay('2026-03-21T08:00:00.000Z')).toEqual([{ ms: 30 * 60_000, firstMs: 0 }]);
  // no URL documents: an interval from now
  const empty = loadConfig({ DOCENT_CORPUS_DIR: path.join(dir, 'none'), DOCENT_ALLOW_PRIVATE_URLS: 'true', DOCENT_SYNC_INTERVAL: '30m' });
  const calls: number[] = [];
  const sync = await startUrlSync(contextWith(empty, async () => report()).ctx, { track: () => {}, schedule: (_fn, _ms, firstMs) => (calls.push(firstMs), () => {}) });
  await sync!.stop();
  expect(calls).toEqual([30 * 60_000]);
});
