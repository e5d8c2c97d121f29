import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { renderReport } from '../format.js';
import { isModerator } from '../moderation.js';
import { safe } from '../safe-send.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder()
    .setName('remove')
    .setDescription('Moderators: remove a document from the corpus and the index.')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addStringOption((o) => o.setName('source').setDescription('The document (path as listed by /sources)').setRequired(true).setAutocomplete(true)),
  moderatorOnly: true,
  async execute(interaction, ctx) {
    const source = interaction.options.getString('source', true).trim();
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const report = await ctx.docent.removeDocument(source);
    await interaction.editReply(safe({ content: renderReport(`Removed “${source}”`, report) }));
  },
  async autocomplete(interaction, ctx) {
    // Only moderators learn the corpus's file names through autocomplete.
    if (!isModerator(interaction, ctx.config.discord.moderatorRoleIds)) {
      await interaction.respond([]);
      return;
    }
    const typed = interaction.options.getFocused().toLowerCase();
    const choices = ctx.docent
      .sources()
      .filter((s) => s.source.toLowerCase().includes(typed) || s.title.toLowerCase().includes(typed))
      .slice(0, 25)
      .map((s) => ({ name: `${s.source} — ${s.title}`.slice(0, 100), value: s.source.slice(0, 100) }));
    await interaction.respond(choices);
  },
} satisfies Command;
