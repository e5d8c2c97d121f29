/**
 * The community loop in one story, through the real discord.js client, the Discord stand-in and
 * the REAL pipeline on the seed corpus (GloVe, offline): a help-channel post answered on its own,
 * a question the documents cannot answer handed off to the moderators, a moderator's answer
 * added to Docent, and the same question then answered on its own, citing that answer with its
 * jump link. `DOCENT_TRANSCRIPT=FILE` writes what the stand-in recorded as a readable transcript.
 */
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { APIMessage } from 'discord-api-types/v10';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADD_TO_DOCENT } from '../../src/discord/commands/add-to-docent.js';
import { Docent } from '../../src/pipeline.js';
import type { RecordedRequest } from '../support/discord-stand-in/index.js';
import { isChannelMessage, isReplyTo, sentPayload, startHarness, type Harness } from '../support/discord-harness.js';
import { ROOT } from '../support/temp-project.js';

let h: Harness<Docent>;
beforeAll(async () => {
  h = await startHarness<Docent>({
    env: (s) => ({
      DOCENT_AUTO_ANSWER_CHANNEL_IDS: s.helpChannelId,
      DISCORD_MESSAGE_CONTENT_INTENT: 'true',
      MODERATOR_PING_ROLE_ID: s.moderatorRoleId,
      // the GloVe table `npm ci` converted, as the bot uses it
      DOCENT_CACHE_DIR: path.join(ROOT, '.docent', 'cache'),
    }),
    docent: async (config, logger) => {
      await cp(path.join(ROOT, 'corpus'), config.corpusDir, { recursive: true });
      return Docent.open(config, { logger });
    },
  });
});
afterAll(async () => {
  await h?.stop();
});

const api = '/api/v10';
const transcript: string[] = [];
const names = () => new Map([h.standIn.alice, h.standIn.bob, h.standIn.botUser].map((u) => [u.id, u.global_name ?? u.username]));
const channelName = (id: string) => (id === h.standIn.helpChannelId ? '#help' : id === h.standIn.moderatorChannelId ? '#moderators' : `#${id.slice(-4)}`);

/** A member's message, as the transcript shows it. */
function said(m: APIMessage, where = channelName(m.channel_id)): void {
  transcript.push(`${where} ${names().get(m.author.id) ?? m.author.username}: ${m.content}`);
}

/** What Docent sent: its text, the buttons under it, its Sources and who it may ping. */
function sent(r: RecordedRequest, what: string): void {
  const p = sentPayload(r);
  const lines = [`${what} Docent: ${p.content ?? ''}`];
  for (const e of p.embeds ?? []) for (const f of e.fields ?? []) lines.push(`    ${f.name} | ${String(f.value).replace(/\n/g, ' | ')}`);
  const buttons = (p.components ?? []).flatMap((row: { components: Array<{ label?: string; emoji?: { name: string } }> }) => row.components.map((c) => `${c.emoji?.name ?? ''} ${c.label ?? ''}`.trim()));
  if (buttons.length) lines.push(`    [${buttons.join('] [')}]`);
  lines.push(`    allowed_mentions=${JSON.stringify(p.allowed_mentions ?? null)}${p.flags === 64 ? ' (only the user sees it)' : ''}`);
  transcript.push(...lines);
}

const QUESTION = 'How do I export a Wukong workflow to another DingTalk workspace?';
let handedOff: APIMessage;

it('a help-channel post the documents answer is answered on its own, citing the article', async () => {
  const after = h.standIn.mark();
  const q = h.standIn.injectMessage({ content: 'what is wukong built on?', channelId: h.standIn.helpChannelId, author: h.standIn.alice });
  said(q);
  const reply = await h.standIn.waitForRequest(isReplyTo(q.id), { after });
  sent(reply, '#help');
  expect(reply.body.content).toMatch(/Built on Qwen models/);
  expect(reply.body.embeds[0].fields[0].value).toContain('alibaba-agentic-ai-strategy-q3-fy2026.md');
  expect(reply.body.allowed_mentions).toEqual({ parse: [] });
  // and it opens a thread on its answer for follow-ups
  const thread = await h.standIn.waitForRequest((r) => r.path === `${api}/channels/${h.standIn.helpChannelId}/messages/${reply.response.id}/threads`, { after });
  transcript.push(`#help Docent opens the thread “${thread.body.name}” on its answer for follow-ups`);
  await h.bot.idle();
});

it('a post the documents cannot answer gets no reply in the channel; asked directly, the refusal hands it off to the moderators', async () => {
  let after = h.standIn.mark();
  const post = h.standIn.injectMessage({ content: QUESTION, channelId: h.standIn.helpChannelId, author: h.standIn.alice });
  said(post);
  const gap = await h.standIn.waitForRequest(isChannelMessage(h.standIn.moderatorChannelId), { after });
  sent(gap, '#moderators');
  expect(gap.body.content).toContain('Docent stayed silent: the documents do not answer it.');
  expect(h.standIn.requests.slice(after).filter((r) => r.path.startsWith(`${api}/channels/${h.standIn.helpChannelId}/`))).toEqual([]);

  after = h.standIn.mark();
  const asked = h.standIn.injectMessage({ content: `<@${h.standIn.botUser.id}> ${QUESTION}`, mentionBot: true, channelId: h.standIn.helpChannelId, author: h.standIn.alice });
  said(asked);
  const refusal = await h.standIn.waitForRequest(isReplyTo(asked.id), { after });
  sent(refusal, '#help');
  expect(refusal.body.content).toMatch(/^I couldn't find/);
  // a refusal is a gap too: the moderators hear of it
  const notice = await h.standIn.waitForRequest((r) => isChannelMessage(h.standIn.moderatorChannelId)(r) && String(r.body.content).startsWith('❓'), { after });
  sent(notice, '#moderators');
  const message = h.standIn.messages.get(refusal.response.id)!;
  const handoff = refusal.body.components[0].components.find((c: { label: string }) => c.label === 'Ask a moderator').custom_id as string;

  after = h.standIn.mark();
  transcript.push(`#help ${names().get(h.standIn.alice.id)} presses [🙋 Ask a moderator]`);
  const press = h.standIn.injectButton({ customId: handoff, message, user: h.standIn.alice });
  const posted = await h.standIn.waitForRequest((r) => isChannelMessage(h.standIn.moderatorChannelId)(r) && String(r.body.content).includes('would like a moderator'), { after });
  sent(posted, '#moderators');
  const told = await h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path === `${api}/webhooks/${h.standIn.applicationId}/${press.token}/messages/@original`, { after });
  transcript.push(`#help Docent (only ${names().get(h.standIn.alice.id)} sees it): ${told.body.content}`);
  expect(posted.body.content).toContain(QUESTION);
  // the moderator role is pinged there, and nothing else anywhere
  expect(posted.body.allowed_mentions).toEqual({ parse: [], roles: [h.standIn.moderatorRoleId] });
  handedOff = asked;
});

it('a moderator adds the answer a member gave; the same question is then answered on its own, citing it with its jump link', async () => {
  const answer = h.standIn.injectMessage({
    content: 'Open the workflow in Wukong, choose Export, and import the exported package in the other DingTalk workspace under Workflows › Import.',
    author: h.standIn.bob,
    channelId: h.standIn.helpChannelId,
    replyTo: handedOff.id,
  });
  said(answer);
  let after = h.standIn.mark();
  transcript.push(`#help ${names().get(h.standIn.bob.id)} (moderator) uses "Add to Docent" on that answer`);
  const s = h.standIn.injectMessageCommand({ name: ADD_TO_DOCENT, target: answer, user: h.standIn.bob, roles: [h.standIn.moderatorRoleId] });
  const added = await h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(s.token) && r.status === 200, { after });
  sent(added, '#help');
  expect(added.body.content).toMatch(/^Added “/);

  after = h.standIn.mark();
  const again = h.standIn.injectMessage({ content: 'how can I export a wukong workflow to a different dingtalk workspace?', channelId: h.standIn.helpChannelId, author: h.standIn.alice });
  said(again);
  const reply = await h.standIn.waitForRequest(isReplyTo(again.id), { after });
  sent(reply, '#help');
  expect(reply.body.content).toContain('choose Export');
  const jump = `https://discord.com/channels/${h.standIn.guildId}/${answer.channel_id}/${answer.id}`;
  expect(JSON.stringify(reply.body.embeds)).toContain(jump);
  expect(reply.body.allowed_mentions).toEqual({ parse: [] });

  if (process.env.DOCENT_TRANSCRIPT) await writeFile(process.env.DOCENT_TRANSCRIPT, transcript.join('\n') + '\n');
});
