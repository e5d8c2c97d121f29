import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { safe } from '../safe-send.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder()
    .setName('rollback')
    .setDescription('Moderators: switch back to the previous index generation.')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild),
  moderatorOnly: true,
  async execute(interaction, ctx) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const { generation } = await ctx.docent.rollback();
    ctx.logger.info('rolled back', { userId: interaction.user.id, generation });
    await interaction.editReply(safe({ content: `Rolled back: answers now come from index generation \`${generation}\`.` }));
  },
} satisfies Command;
