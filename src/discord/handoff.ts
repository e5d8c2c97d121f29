import type { ButtonInteraction, ChatInputCommandInteraction } from 'discord.js';
import { UserError } from '../errors.js';
import { hasModeratorChannel, notifyModerators } from './answer-flow.js';
import type { BotContext } from './context.js';
import { parseAnswerButton, renderHandOffNotice } from './format.js';
import { isModerator } from './moderation.js';
import { ephemeral } from './safe-send.js';

export const HANDED_OFF = 'Passed on to the moderators: they have your question, my answer and a link to it, and will follow up here.';
export const ALREADY_HANDED_OFF = 'This one was already passed on to the moderators; they will follow up here.';
export const NO_MODERATOR_CHANNEL = 'This server has no moderator channel set up for me, so I cannot pass it on: please ask a moderator directly.';
export const MARKED_SOLVED = '✅ Marked as solved. Thanks for letting us know!';
export const MARKED_UNSOLVED = 'Marked as not solved again.';
export const NOT_ASKER = 'Only the member who asked, or a moderator, can mark this solved.';
export const SOLVED_WHERE = 'Use `/solved` in the thread of a question I answered, or press ✅ Solved under my answer.';

/** Who asked the question an answer message answers: remembered, or the member the message replies to. */
function askerOf(ctx: BotContext, answerId: string, interaction: ButtonInteraction): string | undefined {
  return ctx.answers.get(answerId)?.userId ?? interaction.message.mentions.repliedUser?.id ?? interaction.message.interactionMetadata?.user.id;
}

/**
 * "Ask a moderator": posts the question, the answer, the asker and a jump link to the moderator
 * channel (pinging MODERATOR_PING_ROLE_ID there only), once per answer, and tells the presser privately.
 */
async function handOff(ctx: BotContext, interaction: ButtonInteraction, answerId: string): Promise<void> {
  // none, or one in a server that reads another collection (MODERATOR_CHANNEL_ID is one channel)
  if (!hasModeratorChannel(ctx)) {
    await interaction.reply(ephemeral(NO_MODERATOR_CHANNEL));
    return;
  }
  // once per answer, across restarts: the store's once-only notice claims, keyed apart from 👎 notices
  if (!(await ctx.insights.claimDownvoteNotice(`handoff:${answerId}`))) {
    await interaction.reply(ephemeral(ALREADY_HANDED_OFF));
    return;
  }
  await interaction.deferReply({ flags: 64 });
  const known = ctx.answers.get(answerId);
  const pingRoleId = ctx.config.discord.moderatorPingRoleId;
  const content = renderHandOffNotice({
    askerId: askerOf(ctx, answerId, interaction) ?? interaction.user.id,
    pressedBy: interaction.user.id,
    question: known?.question ?? '',
    answer: known?.answer ?? interaction.message.content,
    link: interaction.message.url,
    pingRoleId,
  });
  const posted = await notifyModerators(ctx, content, { pingRoleId });
  if (posted) await ctx.insights.recordHandOff(answerId).catch((err: unknown) => ctx.logger.warn('could not count the hand-off', { answerId, err }));
  ctx.logger.info('hand-off', { answerId, userId: interaction.user.id, posted });
  await interaction.editReply({ content: posted ? HANDED_OFF : 'I could not reach the moderator channel just now; please ask a moderator directly.', allowedMentions: { parse: [] } });
}

/** Marks an answer's question solved (or not) if `userId` asked it or is a moderator. */
async function markSolved(ctx: BotContext, interaction: ButtonInteraction | ChatInputCommandInteraction, answerId: string, askerId: string | undefined, solved: boolean): Promise<string> {
  if (interaction.user.id !== askerId && !isModerator(interaction, ctx.config.discord.moderatorRoleIds)) throw new UserError('NOT_ASKER', NOT_ASKER);
  await ctx.insights.recordSolved(answerId, solved);
  ctx.logger.info(solved ? 'solved' : 'unsolved', { answerId, userId: interaction.user.id });
  return solved ? MARKED_SOLVED : MARKED_UNSOLVED;
}

/** "Ask a moderator" and "Solved" under an answer. */
export async function handleAnswerButton(ctx: BotContext, interaction: ButtonInteraction): Promise<void> {
  const parsed = parseAnswerButton(interaction.customId);
  if (!parsed) return;
  if (parsed.action === 'handoff') return handOff(ctx, interaction, parsed.answerId);
  const text = await markSolved(ctx, interaction, parsed.answerId, askerOf(ctx, parsed.answerId, interaction), true);
  await interaction.reply(ephemeral(text));
}

/** `/solved [reopen]` in a thread: the thread's latest answer. */
export async function solvedCommand(ctx: BotContext, interaction: ChatInputCommandInteraction, reopen: boolean): Promise<void> {
  const latest = interaction.channel?.isThread() ? ctx.threadAnswers.get(interaction.channelId) : undefined;
  if (!latest) throw new UserError('SOLVED_WHERE', SOLVED_WHERE);
  const text = await markSolved(ctx, interaction, latest.answerId, latest.userId, !reopen);
  await interaction.reply(ephemeral(text));
}
