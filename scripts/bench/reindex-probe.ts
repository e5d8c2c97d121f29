/**
 * Child process of the benchmark: a long-running bot's memory across re-indexes. It builds the
 * bot as `npm start` does (`createBot` over `Docent.open`, no login: the caches and handlers are
 * what matter), and in each round a few members ask questions the way the message and /ask
 * handlers do (answer, /why and vote caches, conversations), then the index is rebuilt
 * (`/reindex`, a new generation each time). After each round: full GCs, then RSS. Prints one JSON
 * line: RSS after round 1 and after the last, and every round's.
 *
 *   tsx --expose-gc scripts/bench/reindex-probe.ts --index DIR --corpus DIR --questions FILE.json [--rounds 20]
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { answerQuestion } from '../../src/discord/answer-flow.js';
import { createBot } from '../../src/discord/bot.js';
import { silentLogger } from '../../src/log.js';
import { Docent } from '../../src/pipeline.js';

const { values } = parseArgs({
  options: { index: { type: 'string' }, corpus: { type: 'string' }, questions: { type: 'string' }, cache: { type: 'string' }, rounds: { type: 'string', default: '20' } },
});
const config = loadConfig(
  {
    DOCENT_INDEX_DIR: values.index,
    DOCENT_CORPUS_DIR: values.corpus,
    DOCENT_CACHE_DIR: values.cache ?? path.resolve('.docent/cache'),
    DOCENT_KEEP_GENERATIONS: '2',
    DOCENT_WATCH: 'off',
    DISCORD_TOKEN: 'probe-token-never-used',
  },
  {},
);
const questions = JSON.parse(await fs.readFile(values.questions!, 'utf8')) as string[];
const rounds = Number(values.rounds);
const docent = await Docent.open(config, { autoBuild: false });
const bot = createBot({ config, docent, logger: silentLogger });
const ctx = bot.context;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 100));
  }
};
const MB = 1024 * 1024;
const rss: number[] = [];
const heap: number[] = [];
let q = 0;
for (let round = 1; round <= rounds; round++) {
  // five members (others each round, as on a real server), two questions each: a conversation
  // each, as the mention handler keeps them
  for (let user = 0; user < 5; user++) {
    const conversation = ctx.conversations.create();
    for (let turn = 0; turn < 2; turn++) {
      const question = questions[q++ % questions.length];
      const { result, record } = await answerQuestion(ctx, { question, userId: `member-${round}-${user}`, history: conversation.turns });
      ctx.conversations.record(conversation, { question, answer: result.answer }, [`msg:${record.id}`]);
    }
  }
  await docent.reindex({ force: true, purpose: 'probe /reindex' });
  await settle();
  const m = process.memoryUsage();
  rss.push(Math.round(m.rss / MB));
  heap.push(Math.round(m.heapUsed / MB));
}
process.stdout.write(JSON.stringify({ rounds, generation: docent.generation, rssAfter1MB: rss[0], rssAfterLastMB: rss[rss.length - 1], heapAfter1MB: heap[0], heapAfterLastMB: heap[heap.length - 1], rssMB: rss, heapMB: heap }) + '\n');
await docent.close();
await bot.stop().catch(() => {});
