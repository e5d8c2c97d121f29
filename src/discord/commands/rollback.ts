import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import type { CorpusRestore } from '../../pipeline.js';
import { inertName } from '../../text/inert.js';
import { renderRollback } from '../format.js';
import { isModerator } from '../moderation.js';
import { safe } from '../safe-send.js';
import type { Command } from './index.js';

/** What the switch did to the corpus files, for the moderator; null when nothing had to change. */
function renderRestore(r: CorpusRestore): string | null {
  if (r.notRestored) return `The corpus files were not put back: ${inertName(r.notRestored)}.`;
  if (!r.restored.length && !r.setAside.length) return null;
  const names = (a: string[]) => a.slice(0, 5).map((n) => `\`${inertName(n)}\``).join(', ') + (a.length > 5 ? `, … ${a.length - 5} more` : '');
  const parts = [
    r.restored.length ? `${r.restored.length} put back (${names(r.restored)})` : '',
    r.setAside.length ? `${r.setAside.length} moved out to \`${inertName(r.folder!)}\` in the corpus folder (${names(r.setAside)})` : '',
  ].filter(Boolean);
  return `The corpus files are as that generation had them: ${parts.join('; ')}.`;
}

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
    const { generation, restore } = await ctx.docent.rollback(wanted, { by });
    ctx.logger.info('rolled back', { userId: interaction.user.id, generation, requested: wanted, restored: restore?.restored.length, setAside: restore?.setAside.length });
    // the corpus was put back to that generation's files; if it could not be, it may no longer
    // match: say so (it stays pinned)
    const status = await ctx.docent.corpusStatus().catch(() => null);
    const lines = [renderRollback(generation, status, wanted !== undefined), restore ? renderRestore(restore) : null].filter(Boolean);
    await interaction.editReply(safe({ content: lines.join('\n') }));
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
