import {
  cleanContent,
  ApplicationCommandType,
  ContextMenuCommandBuilder,
  InteractionContextType,
  MessageFlags,
  PermissionFlagsBits,
  type Channel,
  type Message,
} from 'discord.js';
import type { Result } from '../../types.js';
import { COMMUNITY_FOLDER, renderCommunityAnswer } from '../../ingest/community-answer.js';
import { displayName, validateUpload } from '../../ingest/upload.js';
import type { BotContext } from '../context.js';
import { inertName } from '../../text/inert.js';
import { safe } from '../safe-send.js';
import { stripMentions } from '../mentions.js';
import type { MessageCommand } from './index.js';

export const ADD_TO_DOCENT = 'Add to Docent';

export const REFUSALS = {
  bot: 'Add to Docent saves a member’s answer; this message is from a bot, so nothing was saved.',
  webhook: 'Add to Docent saves a member’s answer; this message was sent by a webhook, so nothing was saved.',
  system: 'Add to Docent saves a member’s answer; this is a system message, so nothing was saved.',
  empty: 'This message has no text to save (only attachments, embeds or stickers); nothing was saved.',
  noQuestion:
    'This message does not reply to a question and is not in a thread, so there is no question to save with it; nothing was saved. ' +
    'Use Add to Docent on an answer that replies to the question, or on an answer in the question’s thread.',
  isQuestion: 'This message is the thread’s first post, the question itself; use Add to Docent on an answer to it. Nothing was saved.',
  questionGone: 'The question this message answers (the message it replies to, or the thread’s first post) was deleted or cannot be read; nothing was saved.',
} as const;

function questionEmpty(ctx: BotContext): string {
  const why = ctx.config.discord.messageContentIntent
    ? ''
    : ' The bot reads other members’ messages only with the Message Content intent (DISCORD_MESSAGE_CONTENT_INTENT=true, and switched on in the Developer Portal).';
  return `The question this message answers has no text the bot can read; nothing was saved.${why}`;
}

/** The member's name as the server shows it. */
function nameOf(m: Message): string {
  return m.member?.displayName ?? m.author.displayName;
}

/**
 * The question an answer answers: the message it replies to, else (in a thread) the thread's first
 * post; with a title when the question is a thread's first post (the post's or thread's name).
 */
async function findQuestion(answer: Message, channel: Channel, ctx: BotContext): Promise<Result<{ message: Message; title?: string }>> {
  const fail = (message: string) => ({ ok: false as const, code: 'NO_QUESTION', message });
  if (answer.reference?.messageId) {
    const replied = await memberQuestion(await answer.fetchReference().catch(() => null));
    if (replied) return replied.content.trim() ? { ok: true, value: { message: replied } } : fail(questionEmpty(ctx));
    if (!channel.isThread()) return fail(REFUSALS.questionGone);
  }
  const thread = channel;
  if (!thread.isThread()) return fail(REFUSALS.noQuestion);
  if (thread.id === answer.id) return fail(REFUSALS.isQuestion);
  // a thread Docent opened on its own answer starts with that answer: the question is what it replied to
  const starter = await memberQuestion(await thread.fetchStarterMessage().catch(() => null));
  if (!starter) return fail(REFUSALS.questionGone);
  if (starter.id === answer.id) return fail(REFUSALS.isQuestion);
  if (!starter.content.trim()) return fail(questionEmpty(ctx));
  return { ok: true, value: { message: starter, title: thread.name } };
}

/**
 * The member's question behind `message`: itself, or, when it is Docent's own reply (an answer,
 * a refusal, the start of the thread Docent opened), the message that reply answered. Null when
 * that is gone.
 */
async function memberQuestion(message: Message | null): Promise<Message | null> {
  for (let hops = 0; message && message.author.id === message.client.user.id; hops++) {
    if (hops === 3 || !message.reference?.messageId) return null;
    message = await message.fetchReference().catch(() => null);
  }
  return message;
}

export default {
  data: new ContextMenuCommandBuilder()
    .setName(ADD_TO_DOCENT)
    .setType(ApplicationCommandType.Message)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
    .setContexts(InteractionContextType.Guild),
  moderatorOnly: true,
  async execute(interaction, ctx) {
    const answer = interaction.targetMessage;
    const refusal = answer.webhookId ? REFUSALS.webhook : answer.author.bot ? REFUSALS.bot : answer.system ? REFUSALS.system : !answer.content.trim() ? REFUSALS.empty : null;
    if (refusal) {
      await interaction.reply(safe({ content: refusal, flags: MessageFlags.Ephemeral }));
      return;
    }
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    // a thread the client has not seen (archived, or older than this process) is fetched first
    const where = interaction.client.channels.cache.get(answer.channelId) ?? (await interaction.client.channels.fetch(answer.channelId).catch(() => null));
    if (!where) {
      await interaction.editReply(safe({ content: REFUSALS.questionGone }));
      return;
    }
    const question = await findQuestion(answer, where, ctx);
    if (!question.ok) {
      await interaction.editReply(safe({ content: question.message }));
      return;
    }
    const channel = where.isThread() ? (where.parent ?? where) : where;
    const doc = renderCommunityAnswer({
      // mentions as the names they show (@Alice, #help), not ids; the one that asked Docent dropped
      question: cleanContent(stripMentions(question.value.message.content, interaction.client.user.id), question.value.message.channel),
      answer: answer.cleanContent,
      title: question.value.title,
      author: nameOf(answer),
      askedBy: nameOf(question.value.message),
      postedAt: answer.createdAt,
      url: answer.url,
      channel: 'name' in channel && typeof channel.name === 'string' ? channel.name : 'direct messages',
      messageId: answer.id,
    });
    // saved again, the same answer replaces its file (its title may have been edited since)
    const earlier = ctx.docent.sources().find((s) => s.source.startsWith(`${COMMUNITY_FOLDER}/`) && s.source.endsWith(`-${answer.id}.md`));
    const source = earlier?.source ?? `${COMMUNITY_FOLDER}/${doc.fileName}`;
    const bytes = Buffer.from(doc.markdown, 'utf8');
    const checked = validateUpload({ fileName: doc.fileName, bytes, contentType: 'text/markdown' }, { maxBytes: ctx.config.discord.maxUploadBytes });
    if (!checked.ok) {
      await interaction.editReply(safe({ content: `Could not add this answer: ${checked.message} Nothing was saved.` }));
      return;
    }
    ctx.logger.info('community answer added', { userId: interaction.user.id, messageId: answer.id, source, bytes: bytes.length });
    // the Docent API writes and re-indexes under the index lock, atomically (the previous
    // generation serves until the new one is in); its UserErrors reach the central handler
    const report = await ctx.docent.writeDocuments([{ source, bytes }], { purpose: `Add to Docent (${source})` });
    const chunks = ctx.docent.sources().find((s) => s.source === source)?.chunks ?? 0;
    const verb = earlier ? 'Updated' : 'Added';
    const shown = inertName(source);
    await interaction.editReply(
      safe({
        content:
          `${verb} “${displayName(doc.title)}” as \`${shown}\`: ${chunks} chunk${chunks === 1 ? '' : 's'}, index generation \`${report.generation}\`. ` +
          `Answers cite it with a link to this message; \`/remove source:${shown}\` takes it out again.`,
      }),
    );
  },
} satisfies MessageCommand;
