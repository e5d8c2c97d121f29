/**
 * Per-user rate limit and the cap on answers in flight, with a bot configured tight
 * (2 questions a minute, 1 answer in flight).
 */
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { snowflake, type RecordedRequest } from '../support/discord-stand-in/index.js';
import { startHarness, type Harness } from '../support/discord-harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ env: { DISCORD_RATE_LIMIT_PER_MINUTE: '2', DISCORD_MAX_IN_FLIGHT: '1' }, openThreads: false });
});
afterAll(async () => {
  await h?.stop();
});

const replyTo = (id: string) => (r: RecordedRequest) => r.method === 'POST' && r.body?.message_reference?.message_id === id;
const ask = (question: string) => [{ name: 'question', type: ApplicationCommandOptionType.String, value: question }];

it('a user over DISCORD_RATE_LIMIT_PER_MINUTE gets a friendly ephemeral message and the pipeline is not called', async () => {
  for (let i = 0; i < 2; i++) {
    const after = h.standIn.mark();
    const s = h.standIn.injectSlash({ name: 'ask', options: ask('What is Wukong?'), user: h.standIn.bob });
    await h.standIn.waitForRequest((r) => r.method === 'PATCH' && r.path.includes(s.token) && r.status === 200, { after });
    // the answer's slot is given back after the edit's response reaches the bot: until then the
    // next /ask could be turned away as busy (1 in flight) instead of counted
    await h.bot.idle();
  }
  const calls = h.docent.answerCalls().length;
  const after = h.standIn.mark();
  const s = h.standIn.injectSlash({ name: 'ask', options: ask('What is Wukong?'), user: h.standIn.bob });
  const cb = await h.standIn.waitForRequest((r) => r.path.includes(`/interactions/${s.id}/`), { after });
  expect(cb.body.type).toBe(4);
  expect(cb.body.data.flags).toBe(64);
  expect(cb.body.data.content).toMatch(/^You're asking faster than I can keep up — please wait \d+ s and ask again\.$/);
  expect(h.docent.answerCalls().length).toBe(calls);
});

it('over DISCORD_MAX_IN_FLIGHT a question is turned away politely, and the first one still gets its answer', async () => {
  const mention = `<@${h.standIn.botUser.id}>`;
  const ask = (content: string) => h.standIn.injectMessage({ content: `${mention} ${content}`, mentionBot: true, author: h.standIn.alice });
  const busyText = "I'm answering several questions right now — please ask again in a moment.";
  const after = h.standIn.mark();

  // q1 is in the pipeline: the one slot is taken
  const computing = h.docent.gate('answer');
  const q1 = ask('What is Wukong?');
  expect((await computing.arrived)[0]).toBe('What is Wukong?');
  const q2 = ask('What is Qwen?');
  const busy = await h.standIn.waitForRequest(replyTo(q2.id), { after });
  expect(busy.body.content).toBe(busyText);

  // q1's answer is computed but Discord has not taken it yet: still in flight
  const sending = h.standIn.hold(replyTo(q1.id));
  computing.release();
  await sending.arrived;
  // (by DM: discord.js queues requests per channel, so a reply in #general would wait behind the
  // held one; another user, so the rate limit plays no part)
  const carol = { id: snowflake(), username: 'carol', discriminator: '0', global_name: 'Carol', avatar: null };
  const q3 = h.standIn.injectMessage({ content: 'What is Token Hub?', dm: true, author: carol });
  const busy3 = await h.standIn.waitForRequest(replyTo(q3.id), { after });
  expect(busy3.body.content).toBe(busyText);
  sending.release();

  const answer = await h.standIn.waitForRequest(replyTo(q1.id), { after });
  expect(answer.body.content).toContain('Wukong');
  expect(h.docent.answerCalls().map((c) => c.question).slice(-1)).toEqual(['What is Wukong?']);
});
