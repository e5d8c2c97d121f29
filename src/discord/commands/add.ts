import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder } from 'discord.js';
import { downloadAttachment, formatBytes, resolveAttachmentUrl } from '../download.js';
import { renderReport, truncate } from '../format.js';
import { displayName } from '../../ingest/upload.js';
import { normalizeUrl } from '../../ingest/fetch-url.js';
import { addUrl } from '../../ingest/url-sources.js';
import { redactUrl } from '../../log.js';
import { safe } from '../safe-send.js';
import { describeUrlRunForDiscord } from '../url-sync.js';
import type { Command } from './index.js';

export default {
  data: new SlashCommandBuilder()
    .setName('add')
    .setDescription('Moderators: add or replace a document (.md, .txt, .html, .pdf) or a web page, and index it.')
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild)
    .addAttachmentOption((o) => o.setName('file').setDescription('The document to add'))
    .addStringOption((o) => o.setName('url').setDescription('A web page (or a sitemap) to fetch, keep in sync and index').setMaxLength(2048)),
  moderatorOnly: true,
  async execute(interaction, ctx) {
    const file = interaction.options.getAttachment('file');
    const url = interaction.options.getString('url');
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    if (url && !file) {
      // logged before it is checked: normalised when it can be, never with user:password@ or ?token=
      const n = normalizeUrl(url);
      ctx.logger.info('document from URL', { userId: interaction.user.id, url: redactUrl(n.ok ? n.value : url.trim()).slice(0, 300) });
      // a page that cannot be fetched is an outcome in the run; a busy index or a full disk is a
      // UserError, which the central handler shows as is
      const run = await addUrl({ docent: ctx.docent, config: ctx.config }, url, { by: `/add url: by ${interaction.user.id}` });
      const body = describeUrlRunForDiscord(run);
      const content = run.report ? `${body}\n${renderReport('Re-indexed', run.report)}` : body;
      await interaction.editReply(safe({ content: truncate(content, 2000) }));
      return;
    }
    if (!file || url) {
      await interaction.editReply(safe({ content: 'Give either `file:` (a document to upload) or `url:` (a web page or sitemap to fetch), not both.' }));
      return;
    }
    const max = ctx.config.discord.maxUploadBytes;
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
