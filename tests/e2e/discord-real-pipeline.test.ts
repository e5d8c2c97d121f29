/**
 * The bot over the REAL pipeline (`Docent.open`, hash embedder, offline) on a temp copy of the
 * project's corpus, through the real discord.js client and the Discord stand-in, with the Message
 * Content intent: answers, /add, and "Add to Docent" (a moderator turns a member's answer into a
 * corpus document that the next answer cites with the message's jump link; /remove takes it out).
 */
import { cp, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationCommandOptionType, type APIMessage } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADD_TO_DOCENT, REFUSALS } from '../../src/discord/commands/add-to-docent.js';
import { NOT_MODERATOR_MESSAGE } from '../../src/discord/moderation.js';
import { Docent } from '../../src/pipeline.js';
import { MANAGE_GUILD_PERMISSIONS, type RecordedRequest } from '../support/discord-stand-in/index.js';
import { startHarness, type Harness, isReplyTo } from '../support/discord-harness.js';

const corpus = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../corpus');
const SOURCE = 'alibaba-agentic-ai-strategy-q3-fy2026.md';

let h: Harness<Docent>;
beforeAll(async () => {
  h = await startHarness<Docent>({
    env: { DOCENT_EMBEDDER: 'hash', DISCORD_MESSAGE_CONTENT_INTENT: 'true' },
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

const callbackOf = (s: { id: string; token: string }) => (r: RecordedRequest) => r.path === `/api/v10/interactions/${s.id}/${s.token}/callback`;
const community = () => readdir(path.join(h.config.corpusDir, 'community')).catch(() => [] as string[]);
const jumpLink = (m: APIMessage) => `https://discord.com/channels/${h.standIn.guildId}/${m.channel_id}/${m.id}`;

/** Uses "Add to Docent" on `target` (as Bob, a moderator by role, unless told) and returns what the user saw. */
async function addToDocent(target: APIMessage, as: { user?: typeof h.standIn.bob; roles?: string[]; permissions?: string } = { roles: [h.standIn.moderatorRoleId] }) {
  const after = h.standIn.mark();
  const s = h.standIn.injectMessageCommand({ name: ADD_TO_DOCENT, target, user: as.user ?? h.standIn.bob, roles: as.roles, permissions: as.permissions });
  const callback = await h.standIn.waitForRequest(callbackOf(s), { after });
  if (callback.body.type !== 5) return { content: callback.body.data.content as string, flags: callback.body.data.flags as number };
  const edit = await h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(s.token) && r.status === 200, { after });
  return { content: edit.body.content as string, flags: callback.body.data.flags as number };
}

let answer: APIMessage;
let saved: string;

describe('Add to Docent: a moderator adds a member’s answer', () => {
  it('saves the question it replies to and the answer under community/, re-indexes, and the next answer cites it with the jump link', async () => {
    const question = h.standIn.injectMessage({ content: 'How do I calibrate the Zephyr spectrometer?', author: h.standIn.alice });
    answer = h.standIn.injectMessage({ content: 'Run the zephyr-cal tool twice, then set the Zephyr offset to 42 nanometres.', author: h.standIn.bob, replyTo: question.id });
    const before = h.docent.generation;

    const done = await addToDocent(answer);
    expect(done.flags).toBe(64);
    expect(done.content).toMatch(/^Added “How do I calibrate the Zephyr spectrometer\?” as `community\/\d{4}-\d\d-\d\d-how-do-i-calibrate-the-zephyr-spectrometer-\d+\.md`: [1-9]\d* chunks?, index generation `gen-\d+`\./);
    expect(h.docent.generation).not.toBe(before);
    const files = await community();
    expect(files).toEqual([expect.stringMatching(new RegExp(`-${answer.id}\\.md$`))]);
    saved = `community/${files[0]}`;
    const text = await readFile(path.join(h.config.corpusDir, saved), 'utf8');
    expect(text).toContain(`\nurl: ${jumpLink(answer)}\n`);
    expect(text).toMatch(/\nauthor: Bob\n[\s\S]*\nchannel: general\n/);
    expect(text).toContain('## Question\n\nHow do I calibrate the Zephyr spectrometer?\n\n## Answer\n\nRun the zephyr-cal tool twice');

    const reply = await askByMention('What offset does the Zephyr spectrometer need?');
    expect(reply.body.content).toContain('42 nanometres');
    const field = reply.body.embeds[0].fields[0];
    expect(field.value.split('\n')[0]).toBe(`🔗 [How do I calibrate the Zephyr spectrometer?](${jumpLink(answer)})`);
    expect(field.value).toContain(`\`${saved}\``);
  });

  it('saving the same answer again updates its file instead of adding a second one', async () => {
    const again = await addToDocent(answer);
    expect(again.content).toMatch(/^Updated “How do I calibrate the Zephyr spectrometer\?” as `community\//);
    expect(await community()).toEqual([path.basename(saved)]);
  });

  it('on an answer to Docent’s own reply (a refusal a moderator then answered), the question is the member’s message Docent replied to', async () => {
    const asked = await askByMention('How do I align the Quasar mirror?');
    const refusal = h.standIn.messages.get(asked.response.id)!;
    const human = h.standIn.injectMessage({ content: 'Loosen the three Quasar mirror screws, align it on the star, then tighten them.', author: h.standIn.bob, replyTo: refusal.id });
    expect((await addToDocent(human)).content).toMatch(/^Added “How do I align the Quasar mirror\?” as `community\//);
    const file = (await community()).find((f) => f.endsWith(`-${human.id}.md`))!;
    const text = await readFile(path.join(h.config.corpusDir, 'community', file), 'utf8');
    expect(text).toContain('## Question\n\nHow do I align the Quasar mirror?\n\n## Answer\n\nLoosen the three Quasar mirror screws');
    expect(text).toMatch(/\nasked_by: Alice\n/);
  });

  it('in a forum post, the question is the post’s first message and the title the post’s', async () => {
    const post = h.standIn.injectForumPost({ title: 'Zephyr warm-up', content: 'How long must the Zephyr warm up before use?' });
    const reply = h.standIn.injectMessage({ content: 'Let the Zephyr warm up for fifteen minutes.', author: h.standIn.bob, channelId: post.thread.id });
    expect((await addToDocent(reply)).content).toMatch(/^Added “Zephyr warm-up” as `community\/\d{4}-\d\d-\d\d-zephyr-warm-up-\d+\.md`/);
    const file = (await community()).find((f) => f.endsWith(`-${reply.id}.md`))!;
    const text = await readFile(path.join(h.config.corpusDir, 'community', file), 'utf8');
    expect(text).toContain('## Question\n\nHow long must the Zephyr warm up before use?\n\n## Answer\n\nLet the Zephyr warm up for fifteen minutes.\n');
    expect(text).toContain('\nchannel: questions\n');
    // the post itself is the question, not an answer
    expect((await addToDocent(post.message)).content).toBe(REFUSALS.isQuestion);
  });
});

describe('Add to Docent refusals: nothing is written', () => {
  it('a member who is not a moderator is refused', async () => {
    const files = await community();
    const gen = h.docent.generation;
    expect(await addToDocent(answer, { user: h.standIn.alice })).toEqual({ content: NOT_MODERATOR_MESSAGE, flags: 64 });
    expect(await community()).toEqual(files);
    expect(h.docent.generation).toBe(gen);
  });

  it('a bot’s message, a webhook’s, an empty one, and one with no question are refused with the reason', async () => {
    const files = await community();
    const gen = h.docent.generation;
    const docentAnswer = await askByMention('What is Wukong?');
    const question = h.standIn.injectMessage({ content: 'Anyone?' });
    const cases: Array<[APIMessage, string]> = [
      [h.standIn.messages.get(docentAnswer.response.id)!, REFUSALS.bot],
      [h.standIn.injectMessage({ content: 'Deploy finished.', webhookId: '123', replyTo: question.id }), REFUSALS.webhook],
      [h.standIn.injectMessage({ content: '', author: h.standIn.bob, replyTo: question.id }), REFUSALS.empty],
      [h.standIn.injectMessage({ content: 'Tomatoes like sun.', author: h.standIn.bob }), REFUSALS.noQuestion],
    ];
    for (const [target, reason] of cases) expect((await addToDocent(target, { permissions: MANAGE_GUILD_PERMISSIONS })).content).toBe(reason);
    expect(await community()).toEqual(files);
    expect(h.docent.generation).toBe(gen);
  });
});

describe('Add to Docent, then /remove takes it out again', () => {
  it('autocomplete offers the saved answer to a moderator; after /remove the next answer no longer cites it', async () => {
    let after = h.standIn.mark();
    const ac = h.standIn.injectAutocomplete({ name: 'remove', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'source', type: ApplicationCommandOptionType.String, value: 'community/', focused: true }] });
    const choices = (await h.standIn.waitForRequest(callbackOf(ac), { after })).body.data.choices as Array<{ value: string }>;
    expect(choices.map((c) => c.value)).toContain(saved);

    after = h.standIn.mark();
    const s = h.standIn.injectSlash({ name: 'remove', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'source', type: ApplicationCommandOptionType.String, value: saved }] });
    const edit = await h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(s.token) && r.status === 200, { after });
    expect(edit.body.content).toContain(`• Removed: 1 (\`${saved}\`)`);
    expect(await community()).not.toContain(path.basename(saved));

    const reply = await askByMention('What offset does the Zephyr spectrometer need?');
    expect(reply.body.content).not.toContain('42 nanometres');
    expect(JSON.stringify(reply.body.embeds ?? [])).not.toContain(jumpLink(answer));
  });
});

it('every message sent carries allowed_mentions {parse: []}', () => {
  const sent = h.standIn.contentRequests();
  expect(sent.length).toBeGreaterThan(10);
  for (const r of sent) {
    const payload = r.path.endsWith('/callback') ? r.body.data : r.body;
    expect({ path: r.path, allowed: payload.allowed_mentions }).toEqual({ path: r.path, allowed: { parse: [] } });
  }
});
