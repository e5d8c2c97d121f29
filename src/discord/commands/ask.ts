import { InteractionContextType, MessageFlags, SlashCommandBuilder } from 'discord.js';
import { answerQuestion, validateQuestion } from '../answer-flow.js';
import { refusalMessage } from '../limiter.js';
import { ephemeral, toPayload } from '../safe-send.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder()
    .setName('ask')
    .setDescription('Ask a question about the documents; the answer cites its sources.')
    .setContexts(InteractionContextType.Guild, InteractionContextType.BotDM)
    .addStringOption((o) => o.setName('question').setDescription('Your question').setRequired(true).setMaxLength(2000))
    .addBooleanOption((o) => o.setName('private').setDescription('Only you see the answer')),
  async execute(interaction, ctx) {
    const question = validateQuestion(ctx, interaction.options.getString('question', true));
    const isPrivate = interaction.options.getBoolean('private') ?? false;
    const gate = await ctx.limiter.tryAcquire(interaction.user.id);
    if (!gate.ok) {
      await interaction.reply(ephemeral(refusalMessage(gate)));
      return;
    }
    try {
      await interaction.deferReply(isPrivate ? { flags: MessageFlags.Ephemeral } : {});
      const conversation = ctx.conversations.create();
      const { result, record, messages } = await answerQuestion(ctx, { question, userId: interaction.user.id, history: [], guildId: interaction.guildId });
      ctx.conversations.record(conversation, { question, answer: result.answer }, []);
      const first = await interaction.editReply(toPayload(messages[0]));
      // a slash command has no question message: /gaps links to the answer
      void ctx.insights.setLink(record.id, first.url).catch((err: unknown) => ctx.logger.warn('could not log the link', { err }));
      ctx.conversations.link(conversation, `msg:${first.id}`);
      for (const m of messages.slice(1)) {
        const sent = await interaction.followUp({ ...toPayload(m), flags: isPrivate ? MessageFlags.Ephemeral : undefined });
        ctx.conversations.link(conversation, `msg:${sent.id}`);
      }
    } finally {
      gate.release();
    }
  },
} satisfies Command;
