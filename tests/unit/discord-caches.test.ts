/**
 * A long-running bot does not keep old index generations alive: /why's cache drops the results of
 * a generation once another serves, and the answers kept for votes and the conversation turns are
 * copies that hold no document text. Real pipeline (hash embedder) under the bot's own caches.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { answerQuestion } from '../../src/discord/answer-flow.js';
import { createBot, type Bot } from '../../src/discord/bot.js';
import { silentLogger } from '../../src/log.js';
import { Docent } from '../../src/pipeline.js';
import type { AnswerResult } from '../../src/types.js';
import { tempProject } from '../support/temp-project.js';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
/** Full collections after the current job (a WeakRef target is kept until the job ends). */
async function collect(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  gc();
}

let p: Awaited<ReturnType<typeof tempProject>>;
let docent: Docent;
let bot: Bot;
beforeAll(async () => {
  p = await tempProject({ 'harbour.md': '# Harbour rules\n\nBoats must leave the harbour before the evening bell rings at nine.\n' });
  const config = p.config({ DOCENT_EMBEDDER: 'hash' });
  docent = await Docent.open(config);
  bot = createBot({ config, docent, logger: silentLogger });
});
afterAll(async () => {
  await bot?.stop().catch(() => {});
  await docent?.close();
  await p?.cleanup();
});

it('GIVEN answers cached for /why WHEN a new generation swaps in THEN the cache holds nothing of the old one and its chunks are freed', async () => {
  const ctx = bot.context;
  const old = docent.generation;
  // in a function of its own, so that no local of this test keeps a result alive
  const ask = async () => {
    const a = await answerQuestion(ctx, { question: 'When must boats leave the harbour?', userId: 'u1', history: [] });
    await answerQuestion(ctx, { question: 'When does the evening bell ring?', userId: 'u2', history: [] });
    return new WeakRef(a.result.retrieved[0].chunk);
  };
  const chunk = await ask();
  expect([ctx.lastResults.get('u1')?.generation, ctx.lastResults.get('u2')?.generation]).toEqual([old, old]);
  await docent.reindex({ force: true });
  expect(docent.generation).not.toBe(old);
  expect([ctx.lastResults.get('u1'), ctx.lastResults.get('u2')]).toEqual([undefined, undefined]);
  await collect();
  expect(chunk.deref()).toBeUndefined();
});

it('GIVEN an answer cut from a document text WHEN it is kept for votes and as a conversation turn THEN neither keeps that text alive', async () => {
  const ctx = bot.context;
  const real = await docent.answer('When must boats leave the harbour?');
  const heldBy = async (keep: (r: AnswerResult) => Promise<void> | void) => {
    await collect();
    const before = process.memoryUsage().heapUsed;
    // a document's text as a generation holds it, and an answer sliced from it as the reader cuts quotes
    await keep(withTextOf('a'.repeat(16 * 1024 * 1024)));
    await collect();
    return process.memoryUsage().heapUsed - before;
  };
  const withTextOf = (text: string): AnswerResult => ({ ...real, answer: `${text.slice(1000, 1200)} [1]`, citations: real.citations.map((c) => ({ ...c, quote: text.slice(1000, 1100) })) });
  const MB = 1024 * 1024;
  // the answer record kept for votes
  const viaAnswers = await heldBy(async (r) => {
    const docentAnswer = docent.answer;
    docent.answer = async () => r;
    await answerQuestion(ctx, { question: 'When must boats leave the harbour?', userId: 'u3', history: [] });
    docent.answer = docentAnswer;
    ctx.lastResults.set('u3', real); // /why's own entry goes at the next swap (the test above); this is about the vote record
  });
  expect(viaAnswers).toBeLessThan(4 * MB);
  // a conversation turn
  const viaTurns = await heldBy((r) => ctx.conversations.record(ctx.conversations.create(), { question: r.question, answer: r.answer }, ['msg:1']));
  expect(viaTurns).toBeLessThan(4 * MB);
  expect(ctx.conversations.find('msg:1')?.turns[0].answer).toMatch(/^a{200} \[1\]$/);
});
