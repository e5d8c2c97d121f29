/**
 * Hand-off to a human and "solved", end to end: the real discord.js client against the Discord
 * stand-in, with a moderator channel and MODERATOR_PING_ROLE_ID. One client for the file.
 */
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALREADY_HANDED_OFF, HANDED_OFF, MARKED_SOLVED, MARKED_UNSOLVED, NOT_ASKER, SOLVED_WHERE } from '../../src/discord/handoff.js';
import { type RecordedRequest } from '../support/discord-stand-in/index.js';
import { isChannelMessage, startHarness, type Harness, isReplyTo } from '../support/discord-harness.js';

let h: Harness;
const api = '/api/v10';
beforeAll(async () => {
  h = await startHarness({ env: (s) => ({ MODERATOR_PING_ROLE_ID: s.moderatorRoleId }) });
});
afterAll(async () => {
  await h?.stop();
});

const callbackOf = (s: { id: string; token: string }) => (r: RecordedRequest) => r.path === `${api}/interactions/${s.id}/${s.token}/callback`;

async function askByMention(question: string, channelId?: string) {
  const after = h.standIn.mark();
  const q = h.standIn.injectMessage({ content: `<@${h.standIn.botUser.id}> ${question}`, mentionBot: true, channelId });
  const reply = await h.standIn.waitForRequest(isReplyTo(q.id), { after });
  return { q, reply, message: h.standIn.messages.get(reply.response.id)!, after };
}

const button = (reply: RecordedRequest, emoji: string) => reply.body.components[0].components.find((c: { emoji: { name: string } }) => c.emoji.name === emoji).custom_id as string;

/** Presses a button and returns the interaction's callback (and, when deferred, its edit). */
async function press(customId: string, message: ReturnType<typeof h.standIn.messages.get> & object, user = h.standIn.alice, permissions?: string) {
  const after = h.standIn.mark();
  const s = h.standIn.injectButton({ customId, message, user, permissions });
  const callback = await h.standIn.waitForRequest(callbackOf(s), { after });
  return { s, callback, after };
}

async function slash(name: string, opts: { channelId?: string; user?: typeof h.standIn.alice; roles?: string[]; reopen?: boolean } = {}) {
  const after = h.standIn.mark();
  const options = opts.reopen ? [{ name: 'reopen', type: ApplicationCommandOptionType.Boolean, value: true }] : [];
  const s = h.standIn.injectSlash({ name, channelId: opts.channelId, user: opts.user, roles: opts.roles, options });
  return (await h.standIn.waitForRequest(callbackOf(s), { after })).body;
}

const solvedCount = async () => (await h.bot.context.insights.stats()).solved;

describe('buttons', () => {
  it('every answer and every refusal carries 👍, 👎, 🙋 Ask a moderator and ✅ Solved', async () => {
    for (const question of ['What is Wukong?', 'What is the capital of France?']) {
      const { reply } = await askByMention(question);
      const row = reply.body.components[0].components.map((c: { emoji: { name: string }; label: string }) => `${c.emoji.name} ${c.label}`);
      expect(row).toEqual(['👍 Helpful', '👎 Not helpful', '🙋 Ask a moderator', '✅ Solved']);
    }
  });
});

describe('hand-off', () => {
  it('posts the question, the answer, the asker and a jump link to the moderator channel, pinging only the moderator role there; the asker is told privately, once', async () => {
    const { reply, message } = await askByMention('What is Wukong?');
    const first = await press(button(reply, '🙋'), message);
    expect(first.callback.body).toEqual({ type: 5, data: { flags: 64 } });
    const notice = await h.standIn.waitForRequest(isChannelMessage(h.standIn.moderatorChannelId), { after: first.after });
    expect(notice.body.content).toBe(
      [
        `<@&${h.standIn.moderatorRoleId}> 🙋 <@${h.standIn.alice.id}> would like a moderator to help.`,
        '**Question:** “What is Wukong?”',
        '**Docent answered:**',
        `> ${reply.body.content}`,
        `https://discord.com/channels/${h.standIn.guildId}/${h.standIn.channelId}/${message.id}`,
      ].join('\n'),
    );
    // exactly that role may be pinged, and only in this message: not the asker, not @everyone
    expect(notice.body.allowed_mentions).toEqual({ parse: [], roles: [h.standIn.moderatorRoleId] });
    const told = await h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path === `${api}/webhooks/${h.standIn.applicationId}/${first.s.token}/messages/@original`, { after: first.after });
    expect(told.body.content).toBe(HANDED_OFF);
    const again = await press(button(reply, '🙋'), message, h.standIn.bob);
    expect(again.callback.body).toMatchObject({ type: 4, data: { content: ALREADY_HANDED_OFF, flags: 64 } });
    await h.bot.idle();
    expect(h.standIn.requests.slice(first.after).filter(isChannelMessage(h.standIn.moderatorChannelId))).toHaveLength(1);
    expect((await h.bot.context.insights.stats()).handOffs).toBeGreaterThanOrEqual(1);
  });

  it('a refusal can be handed off too', async () => {
    const { reply, message } = await askByMention('Who runs the Falcon drone programme?');
    const { after } = await press(button(reply, '🙋'), message);
    const notice = await h.standIn.waitForRequest((r) => isChannelMessage(h.standIn.moderatorChannelId)(r) && String(r.body?.content).includes('🙋'), { after });
    expect(notice.body.content).toContain('**Question:** “Who runs the Falcon drone programme?”');
    expect(notice.body.content).toContain("> I couldn't find an answer to that in the indexed documents.");
  });
});

describe('solved', () => {
  it('✅ by someone else is refused; by the asker it counts as solved', async () => {
    const { reply, message } = await askByMention('What is Qwen?');
    const before = await solvedCount();
    const bob = await press(button(reply, '✅'), message, h.standIn.bob);
    expect(bob.callback.body.data).toMatchObject({ content: NOT_ASKER, flags: 64 });
    expect(await solvedCount()).toBe(before);
    const alice = await press(button(reply, '✅'), message);
    expect(alice.callback.body.data).toMatchObject({ content: MARKED_SOLVED, flags: 64 });
    expect(await solvedCount()).toBe(before + 1);
  });

  it('/solved in the answer’s thread: a moderator marks it solved, the asker reopens it; outside a thread it says where to use it', async () => {
    const { reply, after } = await askByMention('What is Token Hub?');
    const thread = await h.standIn.waitForRequest((r) => r.path === `${api}/channels/${h.standIn.channelId}/messages/${reply.response.id}/threads`, { after });
    await h.bot.idle();
    const before = await solvedCount();
    expect((await slash('solved', { channelId: thread.response.id, user: h.standIn.bob })).data.content).toBe(NOT_ASKER);
    expect((await slash('solved', { channelId: thread.response.id, user: h.standIn.bob, roles: [h.standIn.moderatorRoleId] })).data.content).toBe(MARKED_SOLVED);
    expect(await solvedCount()).toBe(before + 1);
    expect((await slash('solved', { channelId: thread.response.id, reopen: true })).data.content).toBe(MARKED_UNSOLVED);
    expect(await solvedCount()).toBe(before);
    expect((await slash('solved')).data).toMatchObject({ content: SOLVED_WHERE, flags: 64 });
  });
});

describe('safety across everything sent', () => {
  it('every message carries allowed_mentions {parse: []}, except the hand-off notice, which allows exactly the moderator role', () => {
    const sent = h.standIn.contentRequests();
    expect(sent.length).toBeGreaterThan(10);
    for (const r of sent) {
      const payload = r.path.endsWith('/callback') ? r.body.data : r.body;
      const handOff = isChannelMessage(h.standIn.moderatorChannelId)(r) && String(payload.content).includes('🙋');
      expect({ path: r.path, allowed: payload.allowed_mentions }).toEqual({ path: r.path, allowed: handOff ? { parse: [], roles: [h.standIn.moderatorRoleId] } : { parse: [] } });
    }
  });
});
