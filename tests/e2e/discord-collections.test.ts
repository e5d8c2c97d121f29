/**
 * Collections per server: two guilds mapped to two collections (DOCENT_GUILD_COLLECTIONS) and one
 * unmapped guild, over the real pipeline (hash embedder, one-line documents) through the real
 * discord.js client and the Discord stand-in. One server's moderator changes and reads only its
 * own collection; its members' answers come from it alone; a server that reads the shared
 * collection cannot change it.
 */
import { access, mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SHARED_COLLECTION_MESSAGE } from '../../src/collections.js';
import { HANDOFF_PREFIX } from '../../src/discord/format.js';
import { NO_MODERATOR_CHANNEL } from '../../src/discord/handoff.js';
import { Docent } from '../../src/pipeline.js';
import { MANAGE_GUILD_PERMISSIONS } from '../support/discord-stand-in/index.js';
import { isChannelMessage, isReplyTo, startHarness, type Harness } from '../support/discord-harness.js';

const FALCON = '# Project Falcon\n\nProject Falcon is the codename of the 2027 delivery-drone programme, led by Mei Chen.\n';
const HERON = '# Heron survey\n\nThe heron survey counted 41 nests along the river, led by Tom Berg.\n';
const KESTREL = '# Project Kestrel\n\nProject Kestrel is the codename of the 2027 delivery-drone programme, led by Ivo Marsh.\n';
const OSPREY = '# Project Osprey\n\nProject Osprey is the codename of the 2027 delivery-drone programme, led by Ana Ruiz.\n';

let h: Harness<Docent>;
let b: { guildId: string; channelId: string };
let c: { guildId: string; channelId: string };
beforeAll(async () => {
  h = await startHarness<Docent>({
    env: (standIn) => {
      b = standIn.addGuild();
      c = standIn.addGuild();
      // guild A (the stand-in's first) reads acme, B beta; C has no entry
      return { DOCENT_EMBEDDER: 'hash', DOCENT_GUILD_COLLECTIONS: `${standIn.guildId}=acme,${b.guildId}=beta`, DOCENT_WATCH: 'auto', DOCENT_WATCH_DEBOUNCE_MS: '50' };
    },
    docent: async (config, logger) => {
      await mkdir(config.corpusDir, { recursive: true });
      await writeFile(path.join(config.corpusDir, 'osprey.md'), OSPREY);
      const beta = path.join(config.collections.dir, 'beta');
      await mkdir(beta, { recursive: true });
      await writeFile(path.join(beta, 'heron.md'), HERON);
      // acme does not exist yet: it starts empty when its server first uses it
      return Docent.open(config, { logger });
    },
  });
});
afterAll(async () => {
  await h?.stop();
});

async function ask(question: string, channelId = h.standIn.channelId) {
  const after = h.standIn.mark();
  const q = h.standIn.injectMessage({ content: `<@${h.standIn.botUser.id}> ${question}`, mentionBot: true, channelId });
  const reply = await h.standIn.waitForRequest(isReplyTo(q.id), { after });
  const cited: string[] = (reply.body.embeds?.[0]?.fields ?? []).map((f: { value: string }) => f.value);
  return { content: reply.body.content as string, cited: cited.join('\n'), message: h.standIn.messages.get(reply.response.id)!, components: reply.body.components };
}

/** A slash command's reply: the deferred one's edit, or the immediate one. */
async function slash(opts: Parameters<Harness['standIn']['injectSlash']>[0]) {
  const after = h.standIn.mark();
  const s = h.standIn.injectSlash(opts);
  const callback = await h.standIn.waitForRequest((r) => r.path.endsWith(`/interactions/${s.id}/${s.token}/callback`), { after });
  if (callback.body.type !== 5) return { content: callback.body.data.content as string, flags: callback.body.data.flags as number };
  const edit = await h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(s.token) && r.status === 200, { after });
  return { content: edit.body.content as string, flags: callback.body.data.flags as number };
}
const asModerator = (name: string, channelId: string, options: Parameters<Harness['standIn']['injectSlash']>[0]['options'] = []) =>
  slash({ name, channelId, options, permissions: MANAGE_GUILD_PERMISSIONS });

it('GIVEN the bot started THEN the collections of its servers are opening already, before any command (a first command would not wait for an index to load)', async () => {
  expect(h.bot.context.collections.opened().sort()).toEqual(['acme', 'beta']);
  expect((await h.bot.context.collections.context('beta')).collection).toBe('beta');
});

it('a document server A’s moderator adds is answered and cited in A only: B’s members get no answer from it and B’s /sources does not list it', async () => {
  expect((await ask('What is the capital of Mars?')).content).not.toContain('Mars is');

  const file = h.standIn.addAttachment('falcon.md', Buffer.from(FALCON));
  const added = await slash({ name: 'add', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: file.id }], attachments: [file] });
  expect(added.content).toContain('• Added: 1 (`falcon.md`)');
  // into acme's own folder, not the shared corpus
  await access(path.join(h.config.collections.dir, 'acme', 'falcon.md'));
  await expect(access(path.join(h.config.corpusDir, 'falcon.md'))).rejects.toThrow();

  const inA = await ask('Who leads Project Falcon?');
  expect(inA.content).toContain('Mei Chen');
  expect(inA.cited).toContain('`falcon.md`');

  const inB = await ask('Who leads Project Falcon?', b.channelId);
  expect(inB.content).not.toContain('Mei Chen');
  expect(inB.cited).not.toContain('falcon.md');
  const heron = await ask('Who led the heron survey?', b.channelId);
  expect(heron.content).toContain('Tom Berg');
  expect(heron.cited).toContain('`heron.md`');
  // "Ask a moderator" in B: the one moderator channel is A's, so B's question is not passed there
  const handOff = heron.components[0].components.find((c: { custom_id: string }) => c.custom_id.startsWith(HANDOFF_PREFIX)).custom_id;
  const after = h.standIn.mark();
  const press = h.standIn.injectButton({ customId: handOff, message: heron.message });
  const pressed = await h.standIn.waitForRequest((r) => r.path.endsWith(`/interactions/${press.id}/${press.token}/callback`), { after });
  expect(pressed.body.data).toMatchObject({ content: NO_MODERATOR_CHANNEL, flags: 64 });

  const sourcesB = await slash({ name: 'sources', channelId: b.channelId });
  expect(sourcesB.content).toContain('`heron.md`');
  expect(sourcesB.content).not.toContain('falcon');
  expect((await slash({ name: 'sources' })).content).not.toContain('heron');
});

it('B’s moderator cannot remove A’s document (not found in B’s collection), and B’s /gaps and /stats show B’s questions only', async () => {
  const removed = await asModerator('remove', b.channelId, [{ name: 'source', type: ApplicationCommandOptionType.String, value: 'falcon.md' }]);
  expect(removed.content).toBe('No indexed document is called "falcon.md". Use /sources to see the names.');
  await access(path.join(h.config.collections.dir, 'acme', 'falcon.md'));
  expect((await ask('Who leads Project Falcon?')).content).toContain('Mei Chen');

  await h.bot.idle();
  const gapsB = await asModerator('gaps', b.channelId);
  expect(gapsB.flags).toBe(64);
  expect(gapsB.content).toContain('Who leads Project Falcon?');
  expect(gapsB.content).not.toContain('Mars');
  const gapsA = await asModerator('gaps', h.standIn.channelId);
  expect(gapsA.content).toContain('What is the capital of Mars?');
  expect(gapsA.content).not.toContain('Falcon');

  // the moderator channel is A's: A's unanswered question is posted there, B's is not
  const mars = await h.standIn.waitForRequest((r) => isChannelMessage(h.standIn.moderatorChannelId)(r) && String(r.body?.content).includes('What is the capital of Mars?'));
  expect(mars.body.allowed_mentions).toEqual({ parse: [] });
  expect(h.logs.some((l) => l.includes('moderator notice not posted') && l.includes('"collection":"beta"'))).toBe(true);
  expect(h.standIn.requests.filter(isChannelMessage(h.standIn.moderatorChannelId)).map((r) => String(r.body?.content)).join('\n')).not.toContain('Project Falcon');

  const statsB = await asModerator('stats', b.channelId);
  expect(statsB.content).toContain('`heron.md`');
  expect(statsB.content).not.toContain('falcon.md');
});

it('a server without an entry reads the shared collection, but its moderators are refused /add and /gaps, privately', async () => {
  const shared = await ask('Who leads Project Osprey?', c.channelId);
  expect(shared.content).toContain('Ana Ruiz');
  expect(shared.cited).toContain('`osprey.md`');

  const file = h.standIn.addAttachment('evil.md', Buffer.from('# Evil\n\nProject Osprey is led by Mallory.\n'));
  const refused = await slash({ name: 'add', channelId: c.channelId, permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: file.id }], attachments: [file] });
  expect(refused).toEqual({ content: SHARED_COLLECTION_MESSAGE, flags: 64 });
  expect((await asModerator('gaps', c.channelId)).content).toBe(SHARED_COLLECTION_MESSAGE);
  await expect(access(path.join(h.config.corpusDir, 'evil.md'))).rejects.toThrow();
  expect(h.docent.sources().map((s) => s.source)).toEqual(['osprey.md']);
});

it('a document dropped into an opened collection’s folder is indexed by its own watcher, reported in the moderator channel of its server, and answered there', async () => {
  const after = h.standIn.mark();
  const acme = path.join(h.config.collections.dir, 'acme');
  await writeFile(path.join(acme, '.kestrel.md.tmp'), KESTREL);
  await rename(path.join(acme, '.kestrel.md.tmp'), path.join(acme, 'kestrel.md'));
  const notice = await h.standIn.waitForRequest((r) => isChannelMessage(h.standIn.moderatorChannelId)(r) && String(r.body?.content).startsWith('Corpus changed'), { after });
  expect(notice.body.content).toContain('• Added: 1 (`kestrel.md`)');
  const inA = await ask('Who leads Project Kestrel?');
  expect(inA.content).toContain('Ivo Marsh');
  expect(inA.cited).toContain('`kestrel.md`');
});
