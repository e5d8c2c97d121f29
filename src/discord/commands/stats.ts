import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { renderStats } from '../../insights/report.js';
import { inertName } from '../../text/inert.js';
import { safe } from '../safe-send.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder()
    .setName('stats')
    .setDescription('Moderators: questions per day, answered share, votes, hand-offs, solved, top sources.')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addIntegerOption((o) => o.setName('days').setDescription('How many days back (default 14)').setMinValue(1).setMaxValue(365)),
  moderatorOnly: true,
  async execute(interaction, ctx) {
    const days = interaction.options.getInteger('days') ?? 14;
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const stats = await ctx.insights.stats({ days, collection: ctx.collection });
    await interaction.editReply(safe({ content: renderStats(stats, days, (s) => `\`${inertName(s)}\``) }));
  },
} satisfies Command;
