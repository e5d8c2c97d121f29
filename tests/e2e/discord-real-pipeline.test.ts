/**
 * The bot over the REAL pipeline (`Docent.open`, hash embedder, offline) on a temp copy of the
 * project's corpus, through the real discord.js client and the Discord stand-in.
 */
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Docent } from '../../src/pipeline.js';
import { MANAGE_GUILD_PERMISSIONS } from '../support/discord-stand-in/index.js';
import { startHarness, type Harness, isReplyTo } from '../support/discord-harness.js';

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../corpus');
const SOURCE = 'alibaba-agentic-ai-strategy-q3-fy2026.md';

let h: Harness<Docent>;
beforeAll(async () => {
  h = await startHarness<Docent>({
    env: { DOCENT_EMBEDDER: 'hash' },
    docent: async (config, logger) => {
      await cp(corpus, config.corpusDir, { recursive: true });
      return Docent.open(config, { logger });
    },
  });
});
afterAll(async () => {
  await h?.stop();
});


async function askByMention(question: string) {
  const after = h.standIn.mark();
  const q = h.standIn.injectMessage({ content: `<@${h.standIn.botUser.id}> ${question}`, mentionBot: true });
  return h.standIn.waitForRequest(isReplyTo(q.id), { after });
}

it('“What is Wukong?” by mention is answered from the corpus with a [1] citation of the Wukong section', async () => {
  const reply = await askByMention('What is Wukong?');
  expect(reply.body.content).toMatch(/^Announced March 17, Wukong is Alibaba’s enterprise AI platform/);
  expect(reply.body.content).toContain('[1]');
  const first = reply.body.embeds[0].fields[0];
  expect(first.name).toBe("[1] Alibaba's Agentic AI Strategy: Qwen, Wukong and Token Hub");
  expect(first.value).toContain('§ The Three Pillars › 2. Wukong — The Enterprise Agent Platform');
  expect(first.value).toContain(`\`${SOURCE}\` · line 28`);
  expect(first.value).toContain('> Announced March 17, Wukong is Alibaba’s enterprise AI platform');
  expect(reply.body.allowed_mentions).toEqual({ parse: [] });

  // A reply to the answer is a follow-up about Wukong.
  const answerId = reply.response.id as string;
  await h.bot.idle();
  expect(h.bot.context.conversations.find(`msg:${answerId}`)).toBeTruthy();
  const after = h.standIn.mark();
  const follow = h.standIn.injectMessage({ content: 'When was it announced?', replyTo: answerId });
  const second = await h.standIn.waitForRequest(isReplyTo(follow.id), { after });
  expect(second.body.content).toContain('March 17');
  expect(second.body.content).toContain('Wukong');
});

it('/ask over the real pipeline is deferred then edited with the answer; /sources lists the corpus document', async () => {
  let after = h.standIn.mark();
  const s = h.standIn.injectSlash({ name: 'ask', options: [{ name: 'question', type: ApplicationCommandOptionType.String, value: 'What is Wukong?' }] });
  const cb = await h.standIn.waitForRequest((r) => r.path.endsWith(`/interactions/${s.id}/${s.token}/callback`), { after });
  expect(cb.body.type).toBe(5);
  const edit = await h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(s.token) && r.status === 200, { after });
  expect(edit.body.content).toMatch(/Wukong.*\[1\]/s);

  after = h.standIn.mark();
  const src = h.standIn.injectSlash({ name: 'sources' });
  const list = await h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(src.token) && r.status === 200, { after });
  expect(list.body.content).toContain(`• **Alibaba's Agentic AI Strategy: Qwen, Wukong and Token Hub** — \`${SOURCE}\` · `);
});

it('a moderator’s /add through the real pipeline makes a new document answerable', async () => {
  const doc = '# Project Falcon\n\nProject Falcon is the codename of the 2027 delivery-drone programme, led by Mei Chen.\n';
  const file = h.standIn.addAttachment('falcon.md', Buffer.from(doc));
  const after = h.standIn.mark();
  const s = h.standIn.injectSlash({
    name: 'add',
    permissions: MANAGE_GUILD_PERMISSIONS,
    options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: file.id }],
    attachments: [file],
  });
  const edit = await h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(s.token) && r.status === 200, { after });
  expect(edit.body.content).toMatch(/^Added “falcon\.md”: done in [\d.]+ s/);
  expect(edit.body.content).toContain('• Added: 1 (`falcon.md`)');
  const reply = await askByMention('Who leads Project Falcon?');
  expect(reply.body.content).toContain('Mei Chen');
  expect(reply.body.embeds[0].fields[0].value).toContain('`falcon.md`');
});
