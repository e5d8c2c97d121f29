import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import { renderWhy } from '../format.js';
import { ephemeral, safe } from '../safe-send.js';
import { splitMessage } from '../split-message.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder()
    .setName('why')
    .setDescription('Show the passages retrieved for your last question, with their lexical and dense ranks.'),
  async execute(interaction, ctx) {
    const last = ctx.lastResults.get(interaction.user.id);
    if (!last) {
      await interaction.reply(ephemeral('You have not asked me anything recently, or the index has changed since your last question. Ask with `/ask`, then use `/why`.'));
      return;
    }
    const [first, ...rest] = splitMessage(renderWhy(last));
    await interaction.reply(safe({ content: first, flags: MessageFlags.Ephemeral }));
    for (const part of rest) await interaction.followUp(ephemeral(part));
  },
} satisfies Command;
