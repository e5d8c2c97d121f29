import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { downloadAttachment, formatBytes, resolveAttachmentUrl } from '../download.js';
import { renderReport } from '../format.js';
import { displayName } from '../../ingest/upload.js';
import { safe } from '../safe-send.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder()
    .setName('add')
    .setDescription('Moderators: add or replace a document (.md, .txt, .html, .pdf) and index it.')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addAttachmentOption((o) => o.setName('file').setDescription('The document to add').setRequired(true)),
  moderatorOnly: true,
  async execute(interaction, ctx) {
    const file = interaction.options.getAttachment('file', true);
    const max = ctx.config.discord.maxUploadBytes;
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    if (file.size > max) {
      await interaction.editReply(safe({ content: `“${displayName(file.name)}” is ${formatBytes(file.size)}; the upload limit is ${formatBytes(max)}.` }));
      return;
    }
    const got = await downloadAttachment(resolveAttachmentUrl(file.url, ctx.config.discord.cdnUrl), max);
    if (!got.ok) {
      await interaction.editReply(safe({ content: `Could not add “${displayName(file.name)}”: ${got.message}` }));
      return;
    }
    ctx.logger.info('document upload', { userId: interaction.user.id, name: file.name, bytes: got.value.length });
    // addDocument validates name/type/size and throws UserError (UPLOAD_REJECTED, INDEX_LOCKED …),
    // which the central handler shows as is.
    const report = await ctx.docent.addDocument(file.name, got.value, file.contentType ?? undefined);
    await interaction.editReply(safe({ content: renderReport(`Added “${displayName(file.name)}”`, report) }));
  },
} satisfies Command;
