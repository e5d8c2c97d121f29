/**
 * URL sources through the real discord.js client and the Discord stand-in, over the real pipeline
 * (hash embedder, a one-document corpus) and a local web server: a moderator's `/add url:` is
 * answered and cited with a link that scrolls to the quote; the DOCENT_SYNC_INTERVAL timer (its
 * pass fired by the test) sends the validators, changes nothing on a 304, re-indexes a changed
 * page and reports it, keeps a failing page's last good copy; with DOCENT_ALLOW_PRIVATE_URLS off a
 * loopback URL is refused before any request.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Docent } from '../../src/pipeline.js';
import { MANAGE_GUILD_PERMISSIONS, type RecordedRequest } from '../support/discord-stand-in/index.js';
import { isChannelMessage, isReplyTo, startHarness, type Harness } from '../support/discord-harness.js';
import { startPageServer, type PageServer } from '../support/page-server.js';

const LAST_MODIFIED = 'Wed, 01 Jan 2025 00:00:00 GMT';
const falcon = (lead: string) => `<html><head><title>Falcon (drones)</title></head><body><h1>Falcon</h1><p>Project Falcon is led by ${lead}.</p></body></html>`;

let web: PageServer;
let h: Harness<Docent>;
const scheduled: Array<{ fn: () => void; ms: number }> = [];
beforeAll(async () => {
  web = await startPageServer();
  web.page('/falcon', { body: falcon('Mei Chen'), etag: '"f1"', lastModified: LAST_MODIFIED });
  h = await startHarness<Docent>({
    env: { DOCENT_EMBEDDER: 'hash', DOCENT_ALLOW_PRIVATE_URLS: 'true', DOCENT_SYNC_INTERVAL: '30m' },
    schedule: (fn, ms) => {
      scheduled.push({ fn, ms });
      return () => {};
    },
    docent: async (config, logger) => {
      await mkdir(config.corpusDir, { recursive: true });
      await writeFile(path.join(config.corpusDir, 'seed.md'), '# Seed\n\nThe seed document is about herons.\n');
      return Docent.open(config, { logger });
    },
  });
});
afterAll(async () => {
  await h?.stop();
  await web?.close();
});

const DOC = () => `web/127.0.0.1-${new URL(web.origin).port}-falcon.md`;
const moderatorPosts = (after: number) => h.standIn.requests.slice(after).filter((r: RecordedRequest) => isChannelMessage(h.standIn.moderatorChannelId)(r));

async function addUrl(url: string) {
  const after = h.standIn.mark();
  const s = h.standIn.injectSlash({ name: 'add', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'url', type: ApplicationCommandOptionType.String, value: url }] });
  return h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(s.token) && r.status === 200, { after });
}

async function askByMention(question: string) {
  const after = h.standIn.mark();
  const q = h.standIn.injectMessage({ content: `<@${h.standIn.botUser.id}> ${question}`, mentionBot: true });
  return h.standIn.waitForRequest(isReplyTo(q.id), { after });
}

/** Fires the sync pass the bot's timer would fire, and waits until the bot is idle again. */
async function timerFires() {
  scheduled[0].fn();
  await h.bot.idle();
}

it('a moderator’s /add url: stores the page, re-indexes, and the next answer cites it with a link that scrolls to the quoted sentence', async () => {
  const edit = await addUrl(web.url('/falcon'));
  expect(edit.body.content).toMatch(new RegExp(`^1 page: 1 added\\.\\n {2}\\+ \`${DOC().replace(/\./g, '\\.')}\` ← <${web.url('/falcon')}> \\(“\`Falcon \\(drones\\)\`”\\)\\nRe-indexed: done in`));
  expect(edit.body.content).toContain(`• Added: 1 (\`${DOC()}\`)`);
  expect(edit.body.allowed_mentions).toEqual({ parse: [] });

  const reply = await askByMention('Who leads Project Falcon?');
  expect(reply.body.content).toContain('Mei Chen');
  const field = reply.body.embeds[0].fields[0];
  expect(field.value).toContain(`🔗 [Falcon (drones)](${web.url('/falcon')}#:~:text=Project%20Falcon%20is%20led%20by%20Mei%20Chen.)`);
  expect(field.value).toContain(`\`${DOC()}\``);
  expect(reply.body.allowed_mentions).toEqual({ parse: [] });
});

it('the DOCENT_SYNC_INTERVAL timer: an unchanged page is a 304 and nothing else happens; a changed one is re-indexed and reported; a failing one keeps its last good copy', async () => {
  expect(scheduled.map((s) => s.ms)).toEqual([30 * 60_000]);
  const generation = h.docent.generation;

  web.requests.length = 0;
  let after = h.standIn.mark();
  await timerFires();
  expect(web.requests).toEqual([{ path: '/falcon', ifNoneMatch: '"f1"', ifModifiedSince: LAST_MODIFIED }]);
  expect(h.docent.generation).toBe(generation); // no re-index
  expect(moderatorPosts(after)).toEqual([]);

  web.page('/falcon', { body: falcon('Ana Ruiz'), etag: '"f2"', lastModified: 'Thu, 01 May 2025 00:00:00 GMT' });
  after = h.standIn.mark();
  await timerFires();
  const [post] = moderatorPosts(after);
  expect(post.body.content).toMatch(new RegExp(`^🔄 URL sync: 1 page: 1 updated\\.\\n {2}~ \`${DOC().replace(/\./g, '\\.')}\` ← <${web.url('/falcon')}>`));
  expect(post.body.content).toMatch(/Re-indexed: done in [\d.]+ s — index generation `gen-\d+`, \d+ chunks \(1 embedded\)\./);
  expect(post.body.content).toContain(`• Changed: 1 (\`${DOC()}\`)`);
  expect(post.body.allowed_mentions).toEqual({ parse: [] });
  expect(h.docent.generation).not.toBe(generation);
  expect((await askByMention('Who leads Project Falcon?')).body.content).toContain('Ana Ruiz');

  web.page('/falcon', { body: 'upstream down', type: 'text/plain', status: 502 });
  after = h.standIn.mark();
  const served = h.docent.generation;
  await timerFires();
  const [failed] = moderatorPosts(after);
  expect(failed.body.content).toBe(`🔄 URL sync: 1 page: 1 failed.\n  ✗ <${web.url('/falcon')}>: URL_HTTP_STATUS — the server answered 502 Bad Gateway (the last good copy, \`${DOC()}\`, stays indexed)`);
  expect(h.docent.generation).toBe(served);
  expect((await askByMention('Who leads Project Falcon?')).body.content).toContain('Ana Ruiz');
  // the same failure again is not posted again
  after = h.standIn.mark();
  await timerFires();
  expect(moderatorPosts(after)).toEqual([]);
});

it('with DOCENT_ALLOW_PRIVATE_URLS off, /add url: of a loopback address is refused with URL_REFUSED_PRIVATE and the server sees no request', async () => {
  h.config.urls.allowPrivate = false;
  try {
    web.page('/internal', { body: '<p>internal only</p>' });
    const edit = await addUrl(web.url('/internal'));
    expect(edit.body.content).toBe(
      `1 page: 1 failed.\n  ✗ <${web.url('/internal')}>: URL_REFUSED_PRIVATE — 127.0.0.1 is a loopback address; Docent fetches public addresses only (DOCENT_ALLOW_PRIVATE_URLS=true allows others)`,
    );
    expect(web.hits('/internal')).toEqual([]);
  } finally {
    h.config.urls.allowPrivate = true;
  }
});

it('/add url: with a user:password@ or a ?token= is logged and answered without them', async () => {
  const logsBefore = h.logs.length;
  const edit = await addUrl('https://admin:hunter2@docs.example.test/a?token=tok-s3cret-97');
  expect(edit.body.content).toBe('1 page: 1 failed.\n  ✗ <https://[redacted]@docs.example.test/a?token=[redacted]>: URL_INVALID — holds a user name or password; page URLs are stored and shown in citations, so Docent does not fetch those');
  const logged = h.logs.slice(logsBefore).join('\n');
  expect(logged).toContain('"url":"https://[redacted]@docs.example.test/a?token=[redacted]"');
  for (const secret of ['hunter2', 'tok-s3cret-97']) expect(logged).not.toContain(secret);
});
