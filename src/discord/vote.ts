import type { ButtonInteraction } from 'discord.js';
import { notifyModerators } from './answer-flow.js';
import type { BotContext } from './context.js';
import type { FeedbackSource } from './feedback.js';
import { parseVoteId, renderDownvoteNotice } from './format.js';
import { ephemeral } from './safe-send.js';

/** Sources as shown in the message's embed, for votes on answers from before a restart. */
function sourcesFromMessage(interaction: ButtonInteraction): FeedbackSource[] {
  const fields = interaction.message.embeds.flatMap((e) => e.fields);
  return fields.map((f, i) => {
    const n = Number(/^\[(\d+)\]/.exec(f.name)?.[1] ?? i + 1);
    const source = /`([^`]+)`/.exec(f.value)?.[1] ?? '';
    const lines = /lines? (\d+)(?:–(\d+))?/.exec(f.value);
    const a = Number(lines?.[1] ?? 0);
    return { n, source, title: f.name.replace(/^\[\d+\]\s*/, ''), section: /^§ (.*)$/m.exec(f.value)?.[1] ?? '', lines: [a, Number(lines?.[2] ?? a)] };
  });
}

/** 👍/👎 on an answer: kept in the questions database; one vote per user per answer, last wins; moderators hear of an answer's 👎 once. */
export async function handleVote(ctx: BotContext, interaction: ButtonInteraction): Promise<void> {
  const parsed = parseVoteId(interaction.customId);
  if (!parsed) return;
  const known = ctx.answers.get(parsed.answerId);
  const entry = {
    time: new Date().toISOString(),
    answerId: parsed.answerId,
    messageId: interaction.message.id,
    userId: interaction.user.id,
    vote: parsed.vote,
    question: known?.question ?? '',
    answer: known?.answer ?? interaction.message.content,
    sources: known?.sources ?? sourcesFromMessage(interaction),
    collection: ctx.collection,
  };
  const previous = await ctx.insights.recordVote(entry);
  const icon = parsed.vote === 'up' ? '👍' : '👎';
  const text =
    previous === parsed.vote
      ? `You already voted ${icon} on this answer.`
      : previous
        ? `Changed your vote to ${icon}. Thanks!`
        : `Thanks for the feedback ${icon}`;
  await interaction.reply(ephemeral(text));
  ctx.logger.info('vote', { answerId: parsed.answerId, userId: interaction.user.id, vote: parsed.vote, previous });
  // once per answer, whoever votes and however often they toggle
  if (parsed.vote === 'down' && previous !== 'down' && (await ctx.insights.claimDownvoteNotice(parsed.answerId))) {
    const link = interaction.message.url;
    await notifyModerators(ctx, renderDownvoteNotice({ userId: interaction.user.id, question: entry.question, answer: entry.answer, link }));
  }
}
