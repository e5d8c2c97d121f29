/**
 * Coverage gaps and stats end to end: questions asked through the real discord.js client against
 * the stand-in are logged; /gaps and /stats are for moderators; a re-index that answers a gap
 * closes it and tells the moderator channel.
 */
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gapsClosedMessage } from '../../src/discord/insights.js';
import { NOT_MODERATOR_MESSAGE } from '../../src/discord/moderation.js';
import { parseVoteId } from '../../src/discord/format.js';
import { MANAGE_GUILD_PERMISSIONS } from '../support/discord-stand-in/index.js';
import { isChannelMessage, startHarness, type Harness, isReplyTo } from '../support/discord-harness.js';
import { FakeDocent } from '../support/fake-docent.js';

/** The fake pipeline, telling listeners when another generation serves, as the real one does. */
class SwappingDocent extends FakeDocent {
  private listeners = new Set<(g: string) => void>();
  onGenerationChange(listener: (g: string) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
  override async addDocument(fileName: string, bytes: Buffer) {
    const report = await super.addDocument(fileName, bytes);
    for (const l of this.listeners) l(this.generation);
    return report;
  }
}

let h: Harness<SwappingDocent>;
const api = '/api/v10';
beforeAll(async () => {
  h = await startHarness({ env: { DOCENT_EMBEDDER: 'hash' }, docent: () => new SwappingDocent(), openThreads: false });
});
afterAll(async () => {
  await h?.stop();
});

async function ask(question: string) {
  const after = h.standIn.mark();
  const q = h.standIn.injectMessage({ content: `<@${h.standIn.botUser.id}> ${question}`, mentionBot: true });
  const reply = await h.standIn.waitForRequest(isReplyTo(q.id), { after });
  return { q, reply };
}
async function slash(opts: Parameters<Harness['standIn']['injectSlash']>[0]) {
  const after = h.standIn.mark();
  const s = h.standIn.injectSlash(opts);
  const callback = await h.standIn.waitForRequest((r) => r.path === `${api}/interactions/${s.id}/${s.token}/callback`, { after });
  if (callback.body.type !== 5) return { callback, content: callback.body.data.content as string, after };
  const edit = await h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path === `${api}/webhooks/${h.standIn.applicationId}/${s.token}/messages/@original` && r.status === 200, { after });
  return { callback, content: edit.body.content as string, edit, after };
}
const link = (messageId: string) => `https://discord.com/channels/${h.standIn.guildId}/${h.standIn.channelId}/${messageId}`;

describe('gaps and stats', () => {
  it('/gaps and /stats are refused to a non-moderator, ephemerally', async () => {
    for (const name of ['gaps', 'stats']) {
      const { callback } = await slash({ name });
      expect(callback.body).toMatchObject({ type: 4, data: { content: NOT_MODERATOR_MESSAGE, flags: 64 } });
    }
  });

  it('unanswered questions are grouped (repeats merged), most asked first, with count and jump link; a re-index that answers one closes it and tells the moderators', async () => {
    await ask('What is the capital of France?');
    const second = await ask('what is the capital of France');
    const pw = await ask('How do I reset my password?');
    const wukong = await ask('What is Wukong?');
    const up = parseVoteId(wukong.reply.body.components[0].components[0].custom_id)!;
    const message = h.standIn.messages.get(wukong.reply.response.id)!;
    const after = h.standIn.mark();
    const vote = h.standIn.injectButton({ customId: `docent:vote:up:${up.answerId}`, message });
    await h.standIn.waitForRequest((r) => r.path === `${api}/interactions/${vote.id}/${vote.token}/callback`, { after });
    await h.bot.idle();

    const gaps = await slash({ name: 'gaps', roles: [h.standIn.moderatorRoleId] });
    expect(gaps.callback.body).toEqual({ type: 5, data: { flags: 64 } });
    const lines = gaps.content.split('\n');
    expect(lines[0]).toBe('Open gaps: 2 (3 questions), most asked first');
    expect(lines[1]).toMatch(new RegExp(`^2× “what is the capital of France” — unanswered; last asked \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC ${link(second.q.id)}$`));
    expect(lines[2]).toContain(`1× “How do I reset my password?” — unanswered; last asked `);
    expect(lines[2]).toContain(link(pw.q.id));
    expect(gaps.edit!.body.allowed_mentions).toEqual({ parse: [] });

    // a moderator adds the missing page: the re-index answers the password question
    const file = h.standIn.addAttachment('passwords.md', Buffer.from('# Passwords\n\n## Reset\n\nTo reset your password, open Settings and choose Reset password.\n'));
    const mark = h.standIn.mark();
    const added = await slash({ name: 'add', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: file.id }], attachments: [file] });
    expect(added.content).toContain('Added “passwords.md”');
    await h.bot.idle();
    const notices = h.standIn.requests.slice(mark).filter((r) => isChannelMessage(h.standIn.moderatorChannelId)(r));
    expect(notices.map((r) => r.body.content)).toEqual([gapsClosedMessage(1)]);
    expect(notices[0].body.content).toBe('✅ 1 gap closed by this change (questions that were unanswered or 👎 are answered now; `/gaps` lists the rest).');
    expect(notices[0].body.allowed_mentions).toEqual({ parse: [] });

    const again = await slash({ name: 'gaps', roles: [h.standIn.moderatorRoleId] });
    expect(again.content.split('\n').slice(0, 1)).toEqual(['Open gaps: 1 (2 questions), most asked first']);
    expect(again.content).not.toContain('password');

    // a re-index that closes nothing says nothing
    const file2 = h.standIn.addAttachment('misc.md', Buffer.from('# Misc\n\nNothing about capitals here.\n'));
    const mark2 = h.standIn.mark();
    await slash({ name: 'add', permissions: MANAGE_GUILD_PERMISSIONS, options: [{ name: 'file', type: ApplicationCommandOptionType.Attachment, value: file2.id }], attachments: [file2] });
    await h.bot.idle();
    expect(h.standIn.requests.slice(mark2).filter((r) => isChannelMessage(h.standIn.moderatorChannelId)(r))).toEqual([]);

    const stats = await slash({ name: 'stats', roles: [h.standIn.moderatorRoleId] });
    const day = new Date().toISOString().slice(0, 10);
    expect(stats.content).toBe(
      [
        'Last 14 days: 4 questions, 1 answered (25%)',
        'Votes: 👍 1 · 👎 0 · hand-offs 0 · solved 0 · open gap questions 2',
        `Per day: ${day} 4 (1 answered)`,
        'Top sources: `alibaba-strategy.md` (1)',
      ].join('\n'),
    );
  });
});
