import { MessageFlags, SlashCommandBuilder } from 'discord.js';
import { renderSources } from '../format.js';
import { ephemeral, safe } from '../safe-send.js';
import { splitMessage } from '../split-message.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder().setName('sources').setDescription('List the indexed documents (title, chunks, when indexed).'),
  async execute(interaction, ctx) {
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const [first, ...rest] = splitMessage(renderSources(ctx.docent.sources()));
    await interaction.editReply(safe({ content: first }));
    for (const part of rest) await interaction.followUp(ephemeral(part));
  },
} satisfies Command;
