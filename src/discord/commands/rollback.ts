import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { renderRollback } from '../format.js';
import { isModerator } from '../moderation.js';
import { safe } from '../safe-send.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder()
    .setName('rollback')
    .setDescription('Moderators: switch to the previous index generation, or to a named one (also a newer one).')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) => o.setName('generation').setDescription('A kept generation, e.g. gen-000003 (default: the previous one)').setAutocomplete(true)),
  moderatorOnly: true,
  async execute(interaction, ctx) {
    const wanted = interaction.options.getString('generation')?.trim() || undefined;
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const by = `/rollback by ${interaction.user.username}`;
    const { generation } = await ctx.docent.rollback(wanted, { by });
    ctx.logger.info('rolled back', { userId: interaction.user.id, generation, requested: wanted });
    // the corpus may no longer match the generation now serving: say so (it stays pinned)
    const status = await ctx.docent.corpusStatus().catch(() => null);
    await interaction.editReply(safe({ content: renderRollback(generation, status, wanted !== undefined) }));
  },
  async autocomplete(interaction, ctx) {
    if (!isModerator(interaction, ctx.config.discord.moderatorRoleIds)) {
      await interaction.respond([]);
      return;
    }
    const typed = interaction.options.getFocused().toLowerCase();
    const gens = (await ctx.docent.generations()).filter((g) => !g.damaged && g.generation.includes(typed)).reverse();
    const label = (g: (typeof gens)[number]) =>
      [g.generation, g.current ? 'current' : '', g.builtAt ? `built ${g.builtAt.replace('T', ' ').slice(0, 16)}` : '', g.chunks !== null ? `${g.chunks} chunks` : '']
        .filter(Boolean)
        .join(' · ');
    await interaction.respond(gens.slice(0, 25).map((g) => ({ name: label(g).slice(0, 100), value: g.generation })));
  },
} satisfies Command;
