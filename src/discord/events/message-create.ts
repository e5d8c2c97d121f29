import { ChannelType, Events, PermissionFlagsBits, ThreadAutoArchiveDuration, type Message } from 'discord.js';
import { UserError } from '../../errors.js';
import { answerQuestion, userMessageFor, validateQuestion } from '../answer-flow.js';
import type { BotContext } from '../context.js';
import { truncate } from '../format.js';
import { refusalMessage } from '../limiter.js';
import { safe, toPayload } from '../safe-send.js';
import type { Event } from './index.js';

const HINT = 'Ask me a question after the mention, e.g. “@Docent What is Wukong?” — or use `/ask`. `/help` lists everything I can do.';

export function stripMentions(content: string, botId: string): string {
  return content.replace(new RegExp(`<@!?${botId}>`, 'g'), ' ').replace(/\s+/g, ' ').trim();
}

async function canOpenThread(ctx: BotContext, message: Message): Promise<boolean> {
  if (!ctx.openThreads || !message.inGuild() || message.channel.type !== ChannelType.GuildText) return false;
  const me = message.guild.members.me ?? (await message.guild.members.fetchMe().catch(() => null));
  if (!me) return false;
  return message.channel.permissionsFor(me).has([PermissionFlagsBits.CreatePublicThreads, PermissionFlagsBits.SendMessagesInThreads]);
}

/** Mentions, DMs and follow-ups (a reply to an answer, or a message in the thread the bot opened). */
async function handle(ctx: BotContext, message: Message): Promise<void> {
  const me = ctx.client.user;
  if (!me || message.author.bot || message.system || message.author.id === me.id) return;
  const isDM = !message.inGuild();
  const mentioned = message.mentions.users.has(me.id);
  const refId = message.reference?.messageId;
  const replyConv = refId ? ctx.conversations.find(`msg:${refId}`) : undefined;
  const threadConv = message.channel.isThread() ? ctx.conversations.find(`thread:${message.channelId}`) : undefined;
  const text = stripMentions(message.content, me.id);
  // Without the Message Content intent, Discord blanks content unless we are mentioned or in a DM.
  if (!isDM && !mentioned && !((replyConv || threadConv) && text)) return;
  if (!text) {
    await message.reply(safe({ content: HINT }));
    return;
  }
  const question = validateQuestion(ctx, text);
  const gate = ctx.limiter.tryAcquire(message.author.id);
  if (!gate.ok) {
    await message.reply(safe({ content: refusalMessage(gate) }));
    return;
  }
  const channel = message.channel;
  const typing = () => {
    if ('sendTyping' in channel) channel.sendTyping().catch((err: unknown) => ctx.logger.debug('typing failed', { err }));
  };
  typing();
  const keepTyping = setInterval(typing, 8_000);
  try {
    const dmKey = isDM ? `dm:${message.channelId}` : undefined;
    const conversation = replyConv ?? threadConv ?? ctx.conversations.find(dmKey) ?? ctx.conversations.create();
    const { result, messages } = await answerQuestion(ctx, { question, userId: message.author.id, history: conversation.turns, link: message.url });
    clearInterval(keepTyping);
    // Record the turn before sending, so a quick follow-up in the DM or thread already sees it.
    // Any thread the bot answers in becomes a conversation, not only the ones it opened.
    const keys = [dmKey, message.channel.isThread() ? `thread:${message.channelId}` : undefined].filter((k): k is string => k !== undefined);
    ctx.conversations.record(conversation, { question, answer: result.answer }, keys);
    const first = await message.reply(toPayload(messages[0]));
    ctx.conversations.link(conversation, `msg:${first.id}`);
    for (const m of messages.slice(1)) {
      const sent = channel.isSendable() ? await channel.send(toPayload(m)) : await message.reply(toPayload(m));
      ctx.conversations.link(conversation, `msg:${sent.id}`);
    }
    if (!replyConv && !threadConv && (await canOpenThread(ctx, message))) {
      try {
        const thread = await first.startThread({ name: truncate(question, 90), autoArchiveDuration: ThreadAutoArchiveDuration.OneDay });
        ctx.conversations.link(conversation, `thread:${thread.id}`);
      } catch (err) {
        ctx.logger.warn('could not open a thread for follow-ups', { channelId: message.channelId, err });
      }
    }
  } finally {
    clearInterval(keepTyping);
    gate.release();
  }
}

export default {
  name: Events.MessageCreate,
  async execute(ctx, message) {
    try {
      await handle(ctx, message);
    } catch (err) {
      if (err instanceof UserError) ctx.logger.info('message refused', { userId: message.author.id, code: err.code });
      else ctx.logger.error('message handler failed', { userId: message.author.id, channelId: message.channelId, err });
      await message.reply(safe({ content: userMessageFor(err) })).catch((replyErr: unknown) => {
        ctx.logger.warn('could not report an error to the user', { err: replyErr });
      });
    }
  },
} satisfies Event<Events.MessageCreate>;
