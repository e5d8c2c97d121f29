import { randomBytes } from 'node:crypto';
import type { Turn } from '../types.js';
import type { AnswerResult } from '../types.js';
import { cleanQuestion } from '../answer/question.js';
import { collectionForGuild } from '../collections.js';
import { UserError } from '../errors.js';
import type { AnswerRecord, BotContext } from './context.js';
import { logQuestion } from './insights.js';
import { renderAnswer, truncate, type OutgoingMessage } from './format.js';
import { recordGap } from './gaps.js';
import { safe } from './safe-send.js';

/** The pipeline's own question cleaning, so turns, thread names and notices hold the clean text. */
export function validateQuestion(ctx: BotContext, raw: string): string {
  const q = cleanQuestion(raw, ctx.config.maxQuestionChars);
  if (!q.ok) throw new UserError(q.code, q.message);
  return q.value;
}

export interface AnsweredQuestion {
  result: AnswerResult;
  record: AnswerRecord;
  messages: OutgoingMessage[];
  /** Answered, and (with `minSupport`) supported at least that well: post it; otherwise it is a gap. */
  confident: boolean;
}

/**
 * Asks the pipeline (with the conversation so far as `history`), remembers the result for `/why`
 * and votes, tells moderators about unanswered questions, and renders the reply.
 */
export async function answerQuestion(
  ctx: BotContext,
  args: {
    question: string;
    userId: string;
    history: Turn[];
    /** Jump link to the question's message, for /gaps. */
    link?: string;
    /** The server it was asked in (null: a DM), logged with the question. */
    guildId?: string | null;
    /** Unprompted (auto-answer): below this support nothing is posted and the question is a gap. */
    auto?: { minSupport: number; channelId: string; link: string };
  },
): Promise<AnsweredQuestion> {
  const t0 = Date.now();
  const result = await ctx.docent.answer(args.question, { history: args.history.map((t) => ({ ...t })) });
  // a copy (structuredClone shares no string): kept for a week for votes, it must not hold on
  // to the texts of the generation that answered
  const record: AnswerRecord = structuredClone({
    id: randomBytes(6).toString('hex'),
    question: args.question,
    answer: result.answer,
    answered: result.answered,
    sources: result.citations.map((c) => ({ n: c.n, source: c.source, title: c.title, section: c.section, lines: c.lines })),
    userId: args.userId,
  });
  ctx.answers.set(record.id, record);
  ctx.lastResults.set(args.userId, result);
  ctx.logger.info('answered', {
    answerId: record.id,
    userId: args.userId,
    answered: result.answered,
    citations: result.citations.length,
    historyTurns: args.history.length,
    generation: result.generation,
    ms: Date.now() - t0,
  });
  // a reply without a support figure is never confident enough to be posted unasked
  const confident = result.answered && (!args.auto || (result.support ?? 0) >= args.auto.minSupport);
  void logQuestion(ctx, record, result, { link: args.link ?? args.auto?.link, gap: result.answered && !confident, via: args.auto ? 'auto' : 'discord', guildId: args.guildId });
  if (!confident) {
    void recordGap(ctx, {
      question: args.question,
      userId: args.userId,
      channelId: args.auto?.channelId ?? '',
      reason: result.answered ? 'not-confident' : 'refused',
      support: result.support,
      silent: !!args.auto,
      link: args.auto?.link,
      bar: args.auto?.minSupport,
    });
  }
  return { result, record, messages: renderAnswer(result, record.id), confident };
}

/**
 * Is there a moderator channel for this collection: configured, and (as far as the client has
 * seen it) in a server that reads the collection? Notices about one collection (its questions,
 * file names, re-indexes) go only to such a channel.
 */
export function hasModeratorChannel(ctx: BotContext, channel = ctx.config.discord.moderatorChannelId ? ctx.client.channels.cache.get(ctx.config.discord.moderatorChannelId) : undefined): boolean {
  if (!ctx.config.discord.moderatorChannelId) return false;
  const guildId = channel && 'guildId' in channel ? channel.guildId : null;
  return !guildId || collectionForGuild(ctx.config, guildId).name === ctx.collection;
}

/**
 * Posts to MODERATOR_CHANNEL_ID when configured; never throws; true once posted. `pingRoleId` is
 * the one mention the message may make (the hand-off's moderator role), nothing else pings.
 */
export async function notifyModerators(ctx: BotContext, content: string, opts: { pingRoleId?: string } = {}): Promise<boolean> {
  const id = ctx.config.discord.moderatorChannelId;
  if (!id) return false;
  try {
    const channel = ctx.client.channels.cache.get(id) ?? (await ctx.client.channels.fetch(id));
    if (!hasModeratorChannel(ctx, channel ?? undefined)) {
      ctx.logger.info('moderator notice not posted: the moderator channel belongs to a server with another collection', { collection: ctx.collection, channelId: id });
      return false;
    }
    if (channel && channel.isSendable()) {
      const payload = safe({ content: truncate(content, 2000) });
      await channel.send(opts.pingRoleId ? { ...payload, allowedMentions: { parse: [], roles: [opts.pingRoleId] } } : payload);
      return true;
    }
    ctx.logger.warn('moderator channel is not a text channel', { channelId: id });
  } catch (err) {
    ctx.logger.warn('could not post to the moderator channel', { channelId: id, err });
  }
  return false;
}

export const GENERIC_ERROR = 'Sorry — something went wrong while handling that. The problem has been logged; please try again later.';

/** The message a user sees for a failure: a UserError's own message, otherwise a generic one. */
export function userMessageFor(err: unknown): string {
  return err instanceof UserError ? err.message : GENERIC_ERROR;
}
