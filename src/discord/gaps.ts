import { notifyModerators } from './answer-flow.js';
import type { BotContext } from './context.js';
import { renderUnansweredNotice } from './format.js';

/** A question Docent did not answer, or would not answer unasked because its support was too low. */
export interface Gap {
  question: string;
  userId: string;
  channelId: string;
  /** `refused`: the reader found no answer; `not-confident`: answered below the auto-answer bar, so nothing was posted. */
  reason: 'refused' | 'not-confident';
  support?: number;
  /** Nothing was posted (an unprompted question in an auto-answer channel). */
  silent: boolean;
  /** Jump link to the member's message (auto-answer channels). */
  link?: string;
  /** The auto-answer bar the support fell below (DOCENT_AUTO_ANSWER_MIN_SUPPORT). */
  bar?: number;
}

/**
 * Records a coverage gap. The one place a gap goes: today a log line and the moderator channel's
 * "unanswered question" notice; a gaps database can take over here without touching the callers.
 */
export async function recordGap(ctx: BotContext, gap: Gap): Promise<void> {
  ctx.logger.info('gap', { userId: gap.userId, channelId: gap.channelId, reason: gap.reason, silent: gap.silent, support: gap.support });
  await notifyModerators(ctx, renderUnansweredNotice(gap.userId, gap.question, gap.silent ? { refused: gap.reason === 'refused', support: gap.support, bar: gap.bar, link: gap.link } : undefined));
}
