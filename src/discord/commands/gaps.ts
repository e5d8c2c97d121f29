import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { listGaps } from '../../insights/gaps.js';
import { renderGaps } from '../../insights/report.js';
import { inertText } from '../../text/inert.js';
import { gapEmbeddings } from '../insights.js';
import { safe } from '../safe-send.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder()
    .setName('gaps')
    .setDescription('Moderators: the unanswered and 👎 questions, similar ones grouped, most asked first.')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild),
  moderatorOnly: true,
  async execute(interaction, ctx) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const groups = await listGaps(ctx.insights, await gapEmbeddings(ctx), ctx.config.gapSimilarity, { collection: ctx.collection });
    await interaction.editReply(safe({ content: renderGaps(groups, { show: inertText }) }));
  },
} satisfies Command;
