/**
 * The bot's side of the questions database: logs each answered or refused question, and after
 * every new index generation asks the open gap questions again and tells the moderator channel
 * how many it closed.
 */
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { createEmbeddings } from '../embeddings/index.js';
import { recheckGaps } from '../insights/gaps.js';
import type { Via } from '../insights/store.js';
import type { AnswerResult } from '../types.js';
import { notifyModerators } from './answer-flow.js';
import type { AnswerRecord, BotContext } from './context.js';

/** Logs a question and its outcome; a failure is logged, never shown to the asker. */
export async function logQuestion(ctx: BotContext, record: AnswerRecord, result: AnswerResult, extra: { link?: string; gap?: boolean; via?: Via; guildId?: string | null } = {}): Promise<void> {
  try {
    await ctx.insights.recordQuestion({
      id: record.id,
      question: record.question,
      answered: record.answered,
      answer: record.answer,
      support: result.support,
      sources: record.sources,
      userId: record.userId,
      generation: result.generation,
      link: extra.link,
      gap: extra.gap,
      via: extra.via ?? 'discord',
      collection: ctx.collection,
      guildId: extra.guildId ?? undefined,
    });
  } catch (err) {
    ctx.logger.warn('could not log the question', { answerId: record.id, err });
  }
}

export const gapsClosedMessage = (n: number) => `✅ ${n} gap${n === 1 ? '' : 's'} closed by this change (questions that were unanswered or 👎 are answered now; \`/gaps\` lists the rest).`;

/**
 * Re-checks the gaps each time another generation serves (a re-index here, in the CLI, or a
 * rollback), one re-check at a time; `track` lets the bot's `idle()` wait for it.
 */
export function startGapRecheck(ctx: BotContext, track: (work: Promise<unknown>) => void): (() => void) | undefined {
  let chain: Promise<unknown> = Promise.resolve();
  return ctx.docent.onGenerationChange?.((generation) => {
    const run = chain.then(async () => {
      const { closed, asked } = await recheckGaps(ctx.insights, (q) => ctx.docent.answer(q), { collection: ctx.collection });
      ctx.logger.info('gaps re-checked', { collection: ctx.collection, generation, asked, closed });
      if (closed > 0) await notifyModerators(ctx, gapsClosedMessage(closed));
    });
    chain = run.catch((err: unknown) => ctx.logger.warn('gap re-check failed', { generation, err }));
    track(chain);
  });
}

const embedders = new WeakMap<BotContext['config'], Promise<EmbeddingsInterface>>();

/** The configured embedder, created once per configuration (GloVe is shared with the pipeline's). */
export function gapEmbeddings(ctx: BotContext): Promise<EmbeddingsInterface> {
  let e = embedders.get(ctx.config);
  if (!e) {
    e = createEmbeddings(ctx.config);
    embedders.set(ctx.config, e);
    e.catch(() => embedders.delete(ctx.config));
  }
  return e;
}
