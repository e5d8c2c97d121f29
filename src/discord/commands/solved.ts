import { InteractionContextType, SlashCommandBuilder } from 'discord.js';
import { solvedCommand } from '../handoff.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder()
    .setName('solved')
    .setDescription('Mark the question of this thread solved (the asker or a moderator).')
    .setContexts(InteractionContextType.Guild)
    .addBooleanOption((o) => o.setName('reopen').setDescription('Mark it not solved again')),
  async execute(interaction, ctx) {
    await solvedCommand(ctx, interaction, interaction.options.getBoolean('reopen') ?? false);
  },
} satisfies Command;
