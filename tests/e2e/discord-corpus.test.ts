/**
 * The bot keeps its index fresh with no command typed: it watches the corpus folder (fs.watch,
 * debounced), re-indexes after a change and posts the report to the moderator channel; and
 * `/rollback generation:` switches to any kept generation, back and forward, putting the corpus
 * files back to it (so the next change starts from what serves), or, when they were not kept,
 * reports that the corpus no longer matches (pinned: the watcher reports, it does not undo).
 * The real pipeline (hash embedder) through the real discord.js client and the Discord stand-in.
 * Every step waits on the request that shows the previous one finished, never on time.
 */
import { createHash } from 'node:crypto';
import { cp, readdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Docent } from '../../src/pipeline.js';
import { MANAGE_GUILD_PERMISSIONS, type RecordedRequest } from '../support/discord-stand-in/index.js';
import { isChannelMessage, startHarness, type Harness, isReplyTo } from '../support/discord-harness.js';

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../corpus');
const SEED = 'alibaba-agentic-ai-strategy-q3-fy2026.md';
const FALCON = '# Project Falcon\n\nProject Falcon is the codename of the 2027 delivery-drone programme, led by Mei Chen.\n';

let h: Harness<Docent>;
beforeAll(async () => {
  h = await startHarness<Docent>({
    env: { DOCENT_EMBEDDER: 'hash', DOCENT_WATCH: 'auto', DOCENT_WATCH_DEBOUNCE_MS: '50' },
    docent: async (config, logger) => {
      await cp(corpus, config.corpusDir, { recursive: true });
      return Docent.open(config, { logger });
    },
  });
});
afterAll(async () => {
  await h?.stop();
});

const moderatorPost = (prefix: string) => (r: RecordedRequest) => isChannelMessage(h.standIn.moderatorChannelId)(r) && String(r.body?.content ?? '').startsWith(prefix);

async function askByMention(question: string) {
  const after = h.standIn.mark();
  const q = h.standIn.injectMessage({ content: `<@${h.standIn.botUser.id}> ${question}`, mentionBot: true });
  return h.standIn.waitForRequest(isReplyTo(q.id), { after });
}

async function slashEdited(opts: Parameters<Harness['standIn']['injectSlash']>[0]) {
  const after = h.standIn.mark();
  const s = h.standIn.injectSlash(opts);
  return h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(s.token) && r.status === 200, { after });
}

it('a document saved into the corpus folder is indexed by the running bot on its own, reported to the moderators, and answered', async () => {
  const watch = h.bot.corpusWatch!;
  expect(watch.mode).toBe('events');
  // the check the watcher runs at start (nothing changed) is over: the next one is ours
  await watch.settled();
  expect(h.docent.generation).toBe('gen-000001');

  const after = h.standIn.mark();
  // saved as editors do: a hidden temp file renamed into place (the rename is the one event that counts)
  const tmp = path.join(h.config.corpusDir, '.falcon.md.tmp');
  await writeFile(tmp, FALCON);
  await rename(tmp, path.join(h.config.corpusDir, 'falcon.md'));
  const notice = await h.standIn.waitForRequest(moderatorPost('Corpus changed'), { after });
  expect(notice.body.content).toMatch(/^Corpus changed — re-indexed automatically: done in [\d.]+ s — index generation `gen-000002`, \d+ chunks \(\d+ embedded\)\./);
  expect(notice.body.content).toContain('• Added: 1 (`falcon.md`)');
  expect(notice.body.allowed_mentions).toEqual({ parse: [] });

  const reply = await askByMention('Who leads Project Falcon?');
  expect(reply.body.content).toContain('Mei Chen');
  expect(reply.body.embeds[0].fields[0].value).toContain('`falcon.md`');
});

it('/rollback generation: switches back and puts the corpus files back (the new document is moved out), so an unrelated /add does not bring it back; a switch whose files were not kept leaves the corpus, pins, and the watcher reports instead of undoing it', async () => {
  // autocomplete offers the kept generations, newest first
  let after = h.standIn.mark();
  const ac = h.standIn.injectAutocomplete({ name: 'rollback', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'generation', type: ApplicationCommandOptionType.String, value: 'gen', focused: true }] });
  const acCb = await h.standIn.waitForRequest((r) => r.path.endsWith(`/interactions/${ac.id}/${ac.token}/callback`), { after });
  expect(acCb.body.data.choices.map((c: { value: string }) => c.value)).toEqual(['gen-000002', 'gen-000001']);
  expect(acCb.body.data.choices[0].name).toMatch(/^gen-000002 · current · built \d{4}-\d\d-\d\d \d\d:\d\d · \d+ chunks$/);

  const back = await slashEdited({ name: 'rollback', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'generation', type: ApplicationCommandOptionType.String, value: 'gen-000001' }] });
  expect(back.body.content).toMatch(
    /^Switched: answers now come from index generation `gen-000001`\.\nThe corpus files are as that generation had them: 1 moved out to `\.docent-rolled-back\/[\dT-]+Z-gen-000001` in the corpus folder \(`falcon\.md`\)\.$/,
  );
  expect(h.docent.generation).toBe('gen-000001');
  expect((await readdir(h.config.corpusDir)).sort()).toEqual(['.docent-rolled-back', SEED]);

  // an unrelated upload re-indexes the corpus as it is now: the rolled-back document stays out
  const heron = h.standIn.addAttachment('heron.md', Buffer.from('# Heron survey\n\nThe heron survey counted 41 nests along the river.\n'));
  const added = await slashEdited({ name: 'add', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: heron.id }], attachments: [heron] });
  expect(added.body.content).toContain('• Added: 1 (`heron.md`)');
  expect(added.body.content).not.toContain('falcon');
  expect(h.docent.generation).toBe('gen-000003');
  expect((await askByMention('Who leads Project Falcon?')).body.content).not.toContain('Mei Chen');
  expect(h.docent.sources().map((x) => x.source)).toEqual([SEED, 'heron.md']);

  // gen-000002's falcon.md was not kept (as for a generation built before originals were kept):
  // the switch leaves the corpus as it is, says so, and pins the generation
  await rm(path.join(h.config.indexDir, 'originals', createHash('sha256').update(FALCON).digest('hex')));
  const forward = await slashEdited({ name: 'rollback', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'generation', type: ApplicationCommandOptionType.String, value: 'gen-000002' }] });
  expect(forward.body.content).toBe(
    'Switched: answers now come from index generation `gen-000002`.\n' +
      'The corpus differs from it: 1 added (`heron.md`), 1 removed (`falcon.md`). It stays pinned — no automatic re-index — until `/reindex` or the next change to the corpus.\n' +
      'The corpus files were not put back: the original of falcon.md is not kept.',
  );
  // a touch that changes no content since the switch (one atomic event): the watcher checks,
  // keeps the pinned generation and tells the moderators why the corpus and the index disagree
  after = h.standIn.mark();
  const later = new Date(Date.now() + 60_000);
  await utimes(path.join(h.config.corpusDir, SEED), later, later);
  const pinned = await h.standIn.waitForRequest(moderatorPost('📌'), { after });
  expect(pinned.body.content).toMatch(/^📌 The corpus changed \(1 added \(`heron\.md`\), 1 removed \(`falcon\.md`\)\), but index generation `gen-000002` is pinned by a rollback \(\/rollback by \w+, [\d-]+T[\d:.]+Z\): it keeps serving until `\/reindex` or the next corpus change\.$/);
  await h.bot.corpusWatch!.settled();
  expect(h.docent.generation).toBe('gen-000002');
  expect((await askByMention('Who leads Project Falcon?')).body.content).toContain('Mei Chen');
});
