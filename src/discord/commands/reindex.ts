import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { renderReport } from '../format.js';
import { safe } from '../safe-send.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder()
    .setName('reindex')
    .setDescription('Moderators: re-read the corpus and index what changed.')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild),
  moderatorOnly: true,
  async execute(interaction, ctx) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    ctx.logger.info('reindex requested', { userId: interaction.user.id });
    const report = await ctx.docent.reindex();
    await interaction.editReply(safe({ content: renderReport('Re-index', report) }));
  },
} satisfies Command;
