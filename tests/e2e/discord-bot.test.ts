/**
 * The bot end to end: the real discord.js client, logged in to the Discord stand-in, over the
 * deterministic fake pipeline. One client for the whole file.
 */
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERIC_ERROR } from '../../src/discord/answer-flow.js';
import { parseVoteId } from '../../src/discord/format.js';
import { InsightsStore } from '../../src/insights/store.js';
import { NOT_MODERATOR_MESSAGE } from '../../src/discord/moderation.js';
import { MANAGE_GUILD_PERMISSIONS, snowflake, type RecordedRequest } from '../support/discord-stand-in/index.js';
import { isChannelMessage, startHarness, type Harness } from '../support/discord-harness.js';
import { EVERYONE_LINE, FakeDocent } from '../support/fake-docent.js';

let h: Harness;
const api = '/api/v10';
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

const mention = () => `<@${h.standIn.botUser.id}>`;
const replyTo = (id: string) => (r: RecordedRequest) => r.method === 'POST' && r.body?.message_reference?.message_id === id;
const callbackOf = (s: { id: string; token: string }) => (r: RecordedRequest) => r.path === `${api}/interactions/${s.id}/${s.token}/callback`;
const originalEdit = (s: { token: string }) => (r: RecordedRequest) =>
  r.method === 'PATCH' && r.path === `${api}/webhooks/${h.standIn.applicationId}/${s.token}/messages/@original` && r.status === 200;

/** Asks by mention in #general and returns the bot's reply request. */
async function askByMention(question: string, opts: { channelId?: string } = {}) {
  const after = h.standIn.mark();
  const q = h.standIn.injectMessage({ content: `${mention()} ${question}`, mentionBot: true, channelId: opts.channelId });
  const reply = await h.standIn.waitForRequest((r) => replyTo(q.id)(r) && r.status === 200, { after });
  return { q, reply, after };
}

async function slash(opts: Parameters<Harness['standIn']['injectSlash']>[0]) {
  const after = h.standIn.mark();
  const state = h.standIn.injectSlash(opts);
  const callback = await h.standIn.waitForRequest(callbackOf(state), { after });
  return { state, callback, after };
}

async function slashEdited(opts: Parameters<Harness['standIn']['injectSlash']>[0]) {
  const s = await slash(opts);
  const edit = await h.standIn.waitForRequest(originalEdit(s.state), { after: s.after });
  return { ...s, edit };
}

describe('login', () => {
  it('identifies with the fewest intents (Guilds, GuildMessages, DirectMessages; no Message Content) and becomes ready', () => {
    expect(h.bot.client.isReady()).toBe(true);
    expect(h.bot.client.user?.id).toBe(h.standIn.botUser.id);
    const identify = h.standIn.frames.find((f) => f.dir === 'in' && f.op === 2);
    expect(identify?.d.intents).toBe(1 | 512 | 4096);
    const connect = h.standIn.frames.find((f) => f.t === 'CONNECT');
    expect(connect?.d.url).toBe('/gateway?v=10&encoding=json');
  });
});

describe('answers', () => {
  it('a mention gets a cited answer as a reply, after a typing indicator', async () => {
    const { q, reply, after } = await askByMention('What is Wukong?');
    expect(reply.path).toBe(`${api}/channels/${h.standIn.channelId}/messages`);
    expect(reply.body.message_reference.message_id).toBe(q.id);
    expect(reply.body.content).toBe('Announced March 17, Wukong is Alibaba’s enterprise AI platform, built on Qwen models and integrated with DingTalk. [1]');
    expect(reply.body.embeds).toEqual([
      {
        title: 'Sources',
        color: 0x5865f2,
        fields: [
          {
            name: "[1] Alibaba's Agentic AI Strategy",
            value:
              '§ The Three Pillars › 2. Wukong — The Enterprise Agent Platform\n`alibaba-strategy.md` · line 11\n' +
              '> Announced March 17, Wukong is Alibaba’s enterprise AI platform, built on Qwen models and integrated with DingTalk.',
          },
        ],
      },
    ]);
    const buttons = reply.body.components[0].components.map((c: { custom_id: string; emoji: { name: string } }) => c.emoji.name);
    expect(buttons).toEqual(['👍', '👎', '🙋', '✅']);
    const typing = h.standIn.requests.slice(after).findIndex((r) => r.path === `${api}/channels/${h.standIn.channelId}/typing`);
    const answerAt = h.standIn.requests.slice(after).indexOf(reply);
    expect(typing).toBeGreaterThanOrEqual(0);
    expect(typing).toBeLessThan(answerAt);
    expect(h.docent.answerCalls().at(-1)).toEqual({ question: 'What is Wukong?', options: { history: [] } });
  });

  it('a reply to the answer is a follow-up: the history reaches the pipeline and the answer stays on Wukong', async () => {
    const first = await askByMention('What is Wukong?');
    const answerId = first.reply.response.id as string;
    // the answer is linked to its conversation once its handler is done
    await h.bot.idle();
    expect(h.bot.context.conversations.find(`msg:${answerId}`)).toBeTruthy();
    const after = h.standIn.mark();
    // A reply pings the bot (it is put in `mentions`), so Discord delivers the content.
    const follow = h.standIn.injectMessage({ content: 'When was it announced?', replyTo: answerId });
    const reply = await h.standIn.waitForRequest(replyTo(follow.id), { after });
    expect(reply.body.content).toBe('Announced March 17, Wukong is Alibaba’s enterprise AI platform, built on Qwen models and integrated with DingTalk. [1]');
    expect(h.docent.answerCalls().at(-1)).toEqual({
      question: 'When was it announced?',
      options: { history: [{ question: 'What is Wukong?', answer: first.reply.body.content }] },
    });
    // Without the history the same question is about something else: the history made the difference.
    const alone = await new FakeDocent().answer('When was it announced?');
    expect(alone.answer).not.toContain('Wukong');
  });

  it('the bot opens a thread on its answer; a message there is answered with the conversation so far', async () => {
    const first = await askByMention('What is Wukong?');
    const answerId = first.reply.response.id as string;
    const threadReq = await h.standIn.waitForRequest((r) => r.path === `${api}/channels/${h.standIn.channelId}/messages/${answerId}/threads`, { after: first.after });
    expect(threadReq.body.name).toBe('What is Wukong?');
    const threadId = threadReq.response.id as string;
    await h.bot.idle();
    expect(h.bot.context.conversations.find(`thread:${threadId}`)).toBeTruthy();
    const { reply } = await askByMention('When was it announced?', { channelId: threadId });
    expect(reply.path).toBe(`${api}/channels/${threadId}/messages`);
    expect(reply.body.content).toContain('Announced March 17, Wukong');
    expect(h.docent.answerCalls().at(-1)?.options?.history?.map((t) => t.question)).toEqual(['What is Wukong?']);
    // Follow-ups in a thread do not open another thread (the handler has decided once it is done).
    await h.bot.idle();
    expect(h.standIn.requests.filter((r) => r.path.startsWith(`${api}/channels/${threadId}/messages/`) && r.path.endsWith('/threads'))).toEqual([]);
  });

  it('a long answer is split into parts of at most 2,000 characters, never inside a word, quote or code block', async () => {
    const { q, after } = await askByMention('What is the release checklist?');
    const expected = (await new FakeDocent().answer('What is the release checklist?')).answer;
    expect(expected.length).toBeGreaterThan(2000);
    // The last part carries the sources and the buttons.
    await h.standIn.waitForRequest((r) => isChannelMessage(h.standIn.channelId)(r) && r.body?.components?.length > 0 && r.status === 200, { after });
    const parts = h.standIn.requests.slice(after).filter((r) => isChannelMessage(h.standIn.channelId)(r) && r.status === 200);
    expect(parts.length).toBeGreaterThanOrEqual(2);
    expect(parts[0].body.message_reference.message_id).toBe(q.id);
    for (const p of parts.slice(1)) expect(p.body.message_reference).toBeUndefined();
    const texts = parts.map((p) => p.body.content as string);
    for (const t of texts) {
      expect(t.length).toBeLessThanOrEqual(2000);
      expect((t.match(/```/g) ?? []).length % 2).toBe(0);
      expect((t.match(/"/g) ?? []).length % 2).toBe(0);
    }
    // Nothing lost or cut mid-word: the parts joined by whitespace are the answer.
    expect(texts.join('\n\n').replace(/\s+/g, ' ')).toBe(expected.replace(/\s+/g, ' '));
    expect(parts.at(-1)!.body.embeds[0].fields.length).toBe(5);
  });

  it('a document line with @everyone and a role mention is quoted, and nothing pings (allowed_mentions parse: [])', async () => {
    const { reply } = await askByMention('When is the all-hands?');
    // shown as written, inert: a zero-width space keeps Discord from rendering the mentions
    expect(reply.body.content).toBe('@\u200Beveryone the all-hands moves to Thursday at 10:00; <\u200B@&123456789012345678> please bring the Wukong demo. [1]');
    expect(reply.body.embeds[0].fields[0].value).toContain(`> ${EVERYONE_LINE.replace('@', '@\u200B').replace('<', '<\u200B')}`);
    expect(reply.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('/ask is deferred (callback type 5) and then edited with the cited answer; a reply to it is a follow-up', async () => {
    const { state, callback, edit } = await slashEdited({
      name: 'ask',
      options: [{ name: 'question', type: ApplicationCommandOptionType.String, value: 'What is Qwen?' }],
    });
    expect(callback.body.type).toBe(5);
    expect(callback.body.data?.flags ?? 0).toBe(0);
    // discord.js 14.28 asks for no callback response body.
    expect(callback.query).toEqual({ with_response: 'false' });
    expect(callback.status).toBe(204);
    expect(edit.body.content).toBe('Qwen is reportedly the world’s most widely used open-source AI system. [1]');
    expect(edit.body.embeds[0].fields[0].name).toBe("[1] Alibaba's Agentic AI Strategy");
    expect(edit.body.embeds[0].fields[0].value).toContain('`alibaba-strategy.md` · line 15');
    expect(edit.body.allowed_mentions).toEqual({ parse: [] });
    const answerId = edit.response.id as string;
    await h.bot.idle();
    expect(h.bot.context.conversations.find(`msg:${answerId}`)).toBeTruthy();
    const after = h.standIn.mark();
    const follow = h.standIn.injectMessage({ content: 'When did the app launch?', replyTo: answerId });
    const reply = await h.standIn.waitForRequest(replyTo(follow.id), { after });
    expect(reply.body.content).toContain('[1]');
    expect(h.docent.answerCalls().at(-1)?.options?.history).toEqual([{ question: 'What is Qwen?', answer: edit.body.content }]);
    expect(state.id).toBeTruthy();
  });

  it('a long /ask answer: the first part edits the deferred reply, the rest are follow-ups, each ≤ 2,000 characters', async () => {
    const { state, edit, after } = await slashEdited({
      name: 'ask',
      options: [{ name: 'question', type: ApplicationCommandOptionType.String, value: 'What is the release checklist?' }],
    });
    const isFollowUp = (r: RecordedRequest) => r.method === 'POST' && r.path === `${api}/webhooks/${h.standIn.applicationId}/${state.token}` && r.status === 200;
    await h.standIn.waitForRequest((r) => isFollowUp(r) && r.body?.components?.length > 0, { after });
    const followUps = h.standIn.requests.slice(after).filter(isFollowUp);
    const texts = [edit.body.content as string, ...followUps.map((r) => r.body.content as string)];
    expect(texts.length).toBeGreaterThanOrEqual(2);
    for (const t of texts) expect(t.length).toBeLessThanOrEqual(2000);
    const expected = (await new FakeDocent().answer('What is the release checklist?')).answer;
    expect(texts.join('\n\n').replace(/\s+/g, ' ')).toBe(expected.replace(/\s+/g, ' '));
    expect(edit.body.components).toEqual([]);
  });

  it('/ask private:true answers ephemerally', async () => {
    const { callback, edit } = await slashEdited({
      name: 'ask',
      options: [
        { name: 'question', type: ApplicationCommandOptionType.String, value: 'What is Token Hub?' },
        { name: 'private', type: ApplicationCommandOptionType.Boolean, value: true },
      ],
    });
    expect(callback.body).toEqual({ type: 5, data: { flags: 64 } });
    expect(edit.body.content).toContain('Token Hub');
  });

  it('a DM is answered without a mention (partial DM channel) and continues the DM conversation', async () => {
    let after = h.standIn.mark();
    const q = h.standIn.injectMessage({ content: 'What is Qwen?', dm: true, author: h.standIn.bob });
    const reply = await h.standIn.waitForRequest(replyTo(q.id), { after });
    expect(reply.path).toBe(`${api}/channels/${q.channel_id}/messages`);
    expect(reply.body.content).toBe('Qwen is reportedly the world’s most widely used open-source AI system. [1]');
    after = h.standIn.mark();
    const q2 = h.standIn.injectMessage({ content: 'When did it launch?', dm: true, author: h.standIn.bob });
    await h.standIn.waitForRequest(replyTo(q2.id), { after });
    expect(h.docent.answerCalls().at(-1)?.options?.history?.map((t) => t.question)).toEqual(['What is Qwen?']);
  });

  it('a guild message that does not mention the bot is ignored (its content is blank without the intent)', async () => {
    await h.bot.idle();
    const after = h.standIn.mark();
    const calls = h.docent.answerCalls().length;
    h.standIn.injectMessage({ content: 'What is Wukong?' });
    // A DM sent after it: the gateway delivers in order, so once the DM is answered and the bot is
    // idle, the guild message has been handled too.
    const dm = h.standIn.injectMessage({ content: 'What is Qwen?', dm: true, author: h.standIn.bob });
    await h.standIn.waitForRequest(replyTo(dm.id), { after });
    await h.bot.idle();
    expect(h.standIn.requests.slice(after).filter((r) => !r.path.startsWith(`${api}/channels/${dm.channel_id}/`))).toEqual([]);
    expect(h.docent.answerCalls().slice(calls).map((c) => c.question)).toEqual(['What is Qwen?']);
  });

  it('a question the material does not answer says so once, lists the closest sources once and tells the moderator channel', async () => {
    const { reply, after } = await askByMention('What is the capital of France?');
    expect(reply.body.content).toBe(
      "I couldn't find an answer to that in the indexed documents.\n\n" +
        '**Closest sources:**\n' +
        "• Alibaba's Agentic AI Strategy — The Three Pillars › 3. Alibaba Token Hub (`alibaba-strategy.md`, line 7)\n" +
        "• Alibaba's Agentic AI Strategy — The Three Pillars › 2. Wukong — The Enterprise Agent Platform (`alibaba-strategy.md`, line 11)",
    );
    expect(reply.body.embeds).toEqual([]);
    const notice = await h.standIn.waitForRequest(isChannelMessage(h.standIn.moderatorChannelId), { after });
    expect(notice.body.content).toBe(`❓ Unanswered question from <@${h.standIn.alice.id}>: “What is the capital of France?”`);
    expect(notice.body.allowed_mentions).toEqual({ parse: [] });
  });
});

describe('inspection commands', () => {
  it('/sources lists the indexed documents with chunk counts and index time', async () => {
    const { callback, edit } = await slashEdited({ name: 'sources' });
    expect(callback.body).toEqual({ type: 5, data: { flags: 64 } });
    const t = Math.floor(Date.parse('2026-03-20T12:00:00.000Z') / 1000);
    expect(edit.body.content).toContain(`• **Alibaba's Agentic AI Strategy** — \`alibaba-strategy.md\` · 3 chunks · indexed <t:${t}:f>`);
    expect(edit.body.content).toContain('• **Community Announcements** — `announcements.md` · 1 chunk');
  });

  it('/why shows the retrieved chunks of the user’s last question with fused, lexical and dense ranks', async () => {
    await askByMention('What is Wukong?');
    const { callback } = await slash({ name: 'why' });
    expect(callback.body.type).toBe(4);
    expect(callback.body.data.flags).toBe(64);
    const text = callback.body.data.content as string;
    expect(text).toContain('Retrieval for “What is Wukong?” — index gen-0001');
    expect(text).toContain('**#1** fused 0.0164 · lexical #1 (2.000) · dense #');
    expect(text).toContain("Alibaba's Agentic AI Strategy — The Three Pillars › 2. Wukong — The Enterprise Agent Platform (`alibaba-strategy.md`, line 11)");
  });

  it('/why before any question explains what to do', async () => {
    const carol = { id: snowflake(), username: 'carol', discriminator: '0', global_name: 'Carol', avatar: null };
    const { callback } = await slash({ name: 'why', user: carol });
    expect(callback.body.data.content).toMatch(/^You have not asked me anything recently/);
  });

  it('/help explains every command', async () => {
    const { callback } = await slash({ name: 'help' });
    for (const c of ['/ask', '/sources', '/why', '/help', '/reindex', '/add', '/remove', '/rollback', '/solved']) expect(callback.body.data.content).toContain(c);
  });
});

describe('feedback', () => {
  it('👍 then 👎 by the same user: both appended, the last wins, and the 👎 reaches the moderator channel', async () => {
    const { reply } = await askByMention('What is Wukong?');
    const message = h.standIn.messages.get(reply.response.id)!;
    const up = reply.body.components[0].components[0].custom_id as string;
    const down = reply.body.components[0].components[1].custom_id as string;
    let after = h.standIn.mark();
    let s = h.standIn.injectButton({ customId: up, message });
    let cb = await h.standIn.waitForRequest(callbackOf(s), { after });
    expect(cb.body.type).toBe(4);
    expect(cb.body.data.content).toBe('Thanks for the feedback 👍');
    expect(cb.body.data.flags).toBe(64);
    after = h.standIn.mark();
    s = h.standIn.injectButton({ customId: down, message });
    cb = await h.standIn.waitForRequest(callbackOf(s), { after });
    expect(cb.body.data.content).toBe('Changed your vote to 👎. Thanks!');
    const notice = await h.standIn.waitForRequest(isChannelMessage(h.standIn.moderatorChannelId), { after });
    expect(notice.body.content).toContain(`👎 from <@${h.standIn.alice.id}> on an answer to “What is Wukong?”`);

    const answerId = parseVoteId(down)!.answerId;
    expect(await h.bot.context.insights.votesOn(answerId)).toEqual([{ userId: h.standIn.alice.id, vote: 'down' }]);
    // the question and what the voter saw are in the database: the 👎 makes it a gap
    const [gap] = (await h.bot.context.insights.openGaps()).filter((g) => g.id === answerId);
    expect(gap).toMatchObject({ question: 'What is Wukong?', answer: reply.body.content, kind: 'downvoted' });
    // The votes survive a restart.
    const reopened = await InsightsStore.open(h.config.insightsDb);
    expect(await reopened.voteOf(answerId, h.standIn.alice.id)).toBe('down');
    await reopened.close();
  });

  it('10 👍/👎 toggles by one user, then a 👎 by another: one vote state per user, and one moderator notice for the answer', async () => {
    const { reply } = await askByMention('What is Qwen?');
    const message = h.standIn.messages.get(reply.response.id)!;
    const [up, down] = reply.body.components[0].components.map((c: { custom_id: string }) => c.custom_id as string);
    const start = h.standIn.mark();
    const press = async (customId: string, user = h.standIn.alice) => {
      const after = h.standIn.mark();
      const s = h.standIn.injectButton({ customId, message, user });
      return (await h.standIn.waitForRequest(callbackOf(s), { after })).body.data.content as string;
    };
    for (let i = 0; i < 5; i++) {
      await press(down);
      await press(up);
    }
    expect(await press(up)).toBe('You already voted 👍 on this answer.');
    await press(down, h.standIn.bob);
    await h.bot.idle();
    const notices = h.standIn.requests.slice(start).filter((r) => isChannelMessage(h.standIn.moderatorChannelId)(r) && String(r.body?.content).includes(message.id));
    expect(notices).toHaveLength(1);
    expect(notices[0].body.content).toContain(`👎 from <@${h.standIn.alice.id}>`);
    const answerId = parseVoteId(down)!.answerId;
    expect(await h.bot.context.insights.votesOn(answerId)).toEqual([{ userId: h.standIn.alice.id, vote: 'up' }, { userId: h.standIn.bob.id, vote: 'down' }]);
  });
});

describe('moderation', () => {
  it('a non-moderator’s /reindex and /add are refused ephemerally and nothing runs', async () => {
    const reindex = await slash({ name: 'reindex' });
    expect(reindex.callback.body.type).toBe(4);
    expect(reindex.callback.body.data).toMatchObject({ content: NOT_MODERATOR_MESSAGE, flags: 64 });
    const file = h.standIn.addAttachment('notes.md', Buffer.from('# Notes\n\nHello.\n'));
    const add = await slash({ name: 'add', options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: file.id }], attachments: [file] });
    expect(add.callback.body.data).toMatchObject({ content: NOT_MODERATOR_MESSAGE, flags: 64 });
    const rollback = await slash({ name: 'rollback', user: h.standIn.bob });
    expect(rollback.callback.body.data).toMatchObject({ content: NOT_MODERATOR_MESSAGE, flags: 64 });
    // nothing runs after the refusal either: the handlers are done
    await h.bot.idle();
    expect(h.standIn.requests.some((r) => r.path.startsWith('/attachments/'))).toBe(false);
    expect(h.docent.calls.map((c) => c.method)).not.toContain('reindex');
    expect(h.docent.calls.map((c) => c.method)).not.toContain('addDocument');
  });

  it('a moderator (by role) runs /reindex and gets the report', async () => {
    const { callback, edit } = await slashEdited({ name: 'reindex', roles: [h.standIn.moderatorRoleId] });
    expect(callback.body).toEqual({ type: 5, data: { flags: 64 } });
    expect(edit.body.content).toBe('Re-index: nothing changed (index gen-0001, checked in 0.0 s; 3 unchanged).');
  });

  it('a slow /reindex does not block questions: the answer arrives while the re-index is still running', async () => {
    const reindex = h.docent.gate('reindex');
    const after = h.standIn.mark();
    const s = h.standIn.injectSlash({ name: 'reindex', permissions: MANAGE_GUILD_PERMISSIONS });
    await h.standIn.waitForRequest(callbackOf(s), { after });
    await reindex.arrived;
    // the re-index is held in the pipeline until released: the question must not wait for it
    const { reply } = await askByMention('What is Wukong?');
    expect(reply.body.content).toContain('Wukong');
    expect(h.standIn.requests.slice(after).some(originalEdit(s))).toBe(false);
    reindex.release();
    const done = await h.standIn.waitForRequest(originalEdit(s), { after });
    expect(done.body.content).toMatch(/^Re-index: nothing changed/);
    expect(h.standIn.requests.indexOf(reply)).toBeLessThan(h.standIn.requests.indexOf(done));
  });

  it('a moderator’s /add of a new document makes the next question about it answerable', async () => {
    const before = await askByMention('What is Project Falcon?');
    expect(before.reply.body.content).toMatch(/^I couldn't find an answer/);
    const doc = '# Project Falcon\n\n## Overview\n\nProject Falcon is the codename of the 2027 delivery-drone programme, led by Mei Chen.\n';
    const file = h.standIn.addAttachment('falcon.md', Buffer.from(doc));
    const { edit, after } = await slashEdited({
      name: 'add',
      permissions: MANAGE_GUILD_PERMISSIONS,
      options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: file.id }],
      attachments: [file],
    });
    expect(h.standIn.requests.slice(after).some((r) => r.method === 'GET' && r.path === `/attachments/${file.id}/falcon.md`)).toBe(true);
    expect(edit.body.content).toBe(
      'Added “falcon.md”: done in 0.0 s — index generation `gen-0002`, 11 chunks (1 embedded).\n• Added: 1 (`falcon.md`)\n• Changed: 0\n• Removed: 0\n• Unchanged: 3\n• Skipped: 0',
    );
    const { reply } = await askByMention('What is Project Falcon?');
    expect(reply.body.content).toBe('Project Falcon is the codename of the 2027 delivery-drone programme, led by Mei Chen. [1]');
    expect(reply.body.embeds[0].fields[0].value).toContain('`falcon.md` · line 5');
  });

  it('/add refuses a file over DISCORD_MAX_UPLOAD_BYTES before downloading, and stops a download that grows past it', async () => {
    const big = h.standIn.addAttachment('big.md', Buffer.alloc(5000, 'a'));
    const a = await slashEdited({ name: 'add', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: big.id }], attachments: [big] });
    expect(a.edit.body.content).toBe('“big.md” is 4.9 KB; the upload limit is 4 KB.');
    expect(h.standIn.requests.slice(a.after).some((r) => r.path.startsWith('/attachments/'))).toBe(false);
    const liar = h.standIn.addAttachment('liar.md', Buffer.alloc(5000, 'b'), { declaredSize: 100 });
    const b = await slashEdited({ name: 'add', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: liar.id }], attachments: [liar] });
    expect(b.edit.body.content).toBe('Could not add “liar.md”: The file is larger than the 4 KB upload limit.');
    expect(h.docent.calls.filter((c) => c.method === 'addDocument').map((c) => c.args[0])).not.toContain('liar.md');
  });

  it('/add shows the pipeline’s UserError (UPLOAD_REJECTED) as is', async () => {
    const exe = h.standIn.addAttachment('tool.exe', Buffer.from('MZ'));
    const { edit } = await slashEdited({ name: 'add', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: exe.id }], attachments: [exe] });
    expect(edit.body.content).toBe('"tool.exe" is not a supported document (use .md or .txt).');
  });

  it('/remove autocompletes from sources() for moderators and removes the document; /rollback switches back', async () => {
    let after = h.standIn.mark();
    const ac = h.standIn.injectAutocomplete({ name: 'remove', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'source', type: ApplicationCommandOptionType.String, value: 'fal', focused: true }] });
    const acCb = await h.standIn.waitForRequest(callbackOf(ac), { after });
    expect(acCb.body).toEqual({ type: 8, data: { choices: [{ name: 'falcon.md — Project Falcon', value: 'falcon.md' }] } });
    const rm = await slashEdited({ name: 'remove', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'source', type: ApplicationCommandOptionType.String, value: 'falcon.md' }] });
    expect(rm.edit.body.content).toContain('Removed “falcon.md”: done in 0.0 s — index generation `gen-0003`');
    expect(rm.edit.body.content).toContain('• Removed: 1 (`falcon.md`)');
    const missing = await slashEdited({ name: 'remove', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'source', type: ApplicationCommandOptionType.String, value: 'nope.md' }] });
    expect(missing.edit.body.content).toBe('No indexed document is called "nope.md".');
    after = h.standIn.mark();
    const rb = await slashEdited({ name: 'rollback', permissions: MANAGE_GUILD_PERMISSIONS });
    expect(rb.edit.body.content).toBe('Rolled back: answers now come from index generation `gen-0002`.');
  });
});

describe('resilience', () => {
  it('a 429 on sending the answer is waited out (Retry-After) and the reply still arrives', async () => {
    h.standIn.failNext(isChannelMessage(h.standIn.channelId), { status: 429, retryAfterSeconds: 1 });
    const { reply, after } = await askByMention('What is Qwen?');
    const attempts = h.standIn.requests.slice(after).filter(isChannelMessage(h.standIn.channelId));
    expect(attempts.map((r) => r.status)).toEqual([429, 200]);
    expect(reply.status).toBe(200);
    // waited out: a timer never fires early, so this lower bound holds on any machine
    expect(reply.at - attempts[0].at).toBeGreaterThanOrEqual(900);
    expect(reply.body.content).toBe('Qwen is reportedly the world’s most widely used open-source AI system. [1]');
  });

  it('a 5xx on editing the /ask reply is retried and the answer still arrives', async () => {
    h.standIn.failNext((r) => r.method === 'PATCH' && r.path.endsWith('/messages/@original'), { status: 502, count: 2 });
    const { edit } = await slashEdited({ name: 'ask', options: [{ name: 'question', type: ApplicationCommandOptionType.String, value: 'What is Wukong?' }] });
    expect(edit.body.content).toContain('Wukong');
  });

  it('a gateway reconnect (op 7) loses no question: the client resumes (op 6) and the missed message is replayed', async () => {
    const identifies = h.standIn.frames.filter((f) => f.dir === 'in' && f.op === 2).length;
    const after = h.standIn.mark();
    h.standIn.reconnect();
    // Sent while the client is away: only a RESUME replay can deliver it.
    const q = h.standIn.injectMessage({ content: `${mention()} What is Wukong?`, mentionBot: true });
    const reply = await h.standIn.waitForRequest(replyTo(q.id), { after });
    expect(reply.body.content).toContain('Wukong');
    const resume = h.standIn.frames.find((f) => f.dir === 'in' && f.op === 6);
    expect(resume?.d.session_id).toBeTruthy();
    expect(h.standIn.frames.filter((f) => f.t === 'CONNECT').at(-1)?.d.url).toBe('/resume?v=10&encoding=json');
    expect(h.standIn.frames.filter((f) => f.dir === 'in' && f.op === 2).length).toBe(identifies);
  });

  it('a failing pipeline gets a short generic error to the user; the bot keeps answering', async () => {
    const original = h.docent.answer.bind(h.docent);
    h.docent.answer = async () => {
      throw new Error('disk on fire');
    };
    try {
      const { reply } = await askByMention('What is Wukong?');
      expect(reply.body.content).toBe(GENERIC_ERROR);
      expect(reply.body.content).not.toContain('disk on fire');
      expect(h.logs.some((l) => l.includes('disk on fire') && l.includes('"level":"error"'))).toBe(true);
      const s = await slash({ name: 'ask', options: [{ name: 'question', type: ApplicationCommandOptionType.String, value: 'What is Wukong?' }] });
      const follow = await h.standIn.waitForRequest((r) => r.method === 'POST' && r.path === `${api}/webhooks/${h.standIn.applicationId}/${s.state.token}`, { after: s.after });
      expect(follow.body).toMatchObject({ content: GENERIC_ERROR, flags: 64 });
    } finally {
      h.docent.answer = original;
    }
    const { reply } = await askByMention('What is Wukong?');
    expect(reply.body.content).toContain('Wukong');
  });
});

describe('questions echoed to the moderators are inert', () => {
  const Z = '\u200B';
  const LINK = '[discord.gift/nitro](https://evil.example/claim)';
  const SHOWN = `[discord.gift/nitro]${Z}(https://evil.example/claim)`;

  it('an unanswered question with a masked link reaches the moderator channel with the link shown as text, not live', async () => {
    const { after } = await askByMention(`Where do I claim ${LINK} ||for free||?`);
    const notice = await h.standIn.waitForRequest(isChannelMessage(h.standIn.moderatorChannelId), { after });
    expect(notice.body.content).toBe(`❓ Unanswered question from <@${h.standIn.alice.id}>: “Where do I claim ${SHOWN} |${Z}|for free|${Z}|?”`);
    expect(notice.body.allowed_mentions).toEqual({ parse: [] });
  });

  it('a 👎 on an answer to a question with a masked link echoes the question and the answer inert', async () => {
    const { reply } = await askByMention(`When is the all-hands? ${LINK}`);
    const message = h.standIn.messages.get(reply.response.id)!;
    const after = h.standIn.mark();
    const s = h.standIn.injectButton({ customId: reply.body.components[0].components[1].custom_id as string, message });
    await h.standIn.waitForRequest(callbackOf(s), { after });
    const notice = await h.standIn.waitForRequest(isChannelMessage(h.standIn.moderatorChannelId), { after });
    expect(notice.body.content).toContain(`👎 from <@${h.standIn.alice.id}> on an answer to “When is the all-hands? ${SHOWN}”`);
    expect(notice.body.content).toContain(`> @${Z}everyone the all-hands moves to Thursday at 10:00; <${Z}@&123456789012345678> please bring the Wukong demo. [1]`);
    expect(notice.body.content).not.toMatch(/\]\(|<@&|@everyone/);
  });
});

describe('safety across everything sent', () => {
  it('every bot request that sends content carries allowed_mentions {parse: []}; the token never appears in logs', () => {
    const sent = h.standIn.contentRequests();
    expect(sent.length).toBeGreaterThan(30);
    for (const r of sent) {
      const payload = r.path.endsWith('/callback') ? r.body.data : r.body;
      expect({ path: r.path, allowed: payload.allowed_mentions }).toEqual({ path: r.path, allowed: { parse: [] } });
    }
    expect(h.logs.join('\n')).not.toContain(h.standIn.token);
  });
});
