/**
 * Per-user rate limit and the cap on answers in flight, with a bot configured tight
 * (2 questions a minute, 1 answer in flight).
 */
import { ApplicationCommandOptionType } from 'discord-api-types/v10';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RecordedRequest } from '../support/discord-stand-in/index.js';
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
  h.docent.answerDelayMs = 300;
  try {
    const after = h.standIn.mark();
    const mention = `<@${h.standIn.botUser.id}>`;
    const q1 = h.standIn.injectMessage({ content: `${mention} What is Wukong?`, mentionBot: true, author: h.standIn.alice });
    await new Promise((r) => setTimeout(r, 50));
    const q2 = h.standIn.injectMessage({ content: `${mention} What is Qwen?`, mentionBot: true, author: h.standIn.alice });
    const busy = await h.standIn.waitForRequest(replyTo(q2.id), { after });
    expect(busy.body.content).toBe("I'm answering several questions right now — please ask again in a moment.");
    const answer = await h.standIn.waitForRequest(replyTo(q1.id), { after });
    expect(answer.body.content).toContain('Wukong');
  } finally {
    h.docent.answerDelayMs = 0;
  }
});
