import { ChannelType, Events, PermissionFlagsBits, ThreadAutoArchiveDuration, type Message } from 'discord.js';
import { UserError } from '../../errors.js';
import { cleanQuestion } from '../../answer/question.js';
import { answerQuestion, userMessageFor, validateQuestion, type AnsweredQuestion } from '../answer-flow.js';
import type { Conversation } from '../conversations.js';
import { stripMentions } from '../mentions.js';
import type { BotContext } from '../context.js';
import { truncate } from '../format.js';
import { refusalMessage } from '../limiter.js';
import { safe, toPayload } from '../safe-send.js';
import type { Event } from './index.js';

const HINT = 'Ask me a question after the mention, e.g. “@Docent What is Wukong?” — or use `/ask`. `/help` lists everything I can do.';

async function canOpenThread(ctx: BotContext, message: Message): Promise<boolean> {
  if (!ctx.openThreads || !message.inGuild() || message.channel.type !== ChannelType.GuildText) return false;
  const me = message.guild.members.me ?? (await message.guild.members.fetchMe().catch(() => null));
  if (!me) return false;
  return message.channel.permissionsFor(me).has([PermissionFlagsBits.CreatePublicThreads, PermissionFlagsBits.SendMessagesInThreads]);
}

/** Mentions, DMs and follow-ups (a reply to an answer, or a message in the thread the bot opened); new posts in auto-answer channels. */
async function handle(ctx: BotContext, message: Message): Promise<void> {
  const me = ctx.client.user;
  // never a bot, a webhook (an integration or another bot's relay) or a system message
  if (!me || message.author.bot || message.webhookId || message.system || message.author.id === me.id) return;
  const isDM = !message.inGuild();
  const mentioned = message.mentions.users.has(me.id);
  const refId = message.reference?.messageId;
  const replyConv = refId ? ctx.conversations.find(`msg:${refId}`) : undefined;
  const threadConv = message.channel.isThread() ? ctx.conversations.find(`thread:${message.channelId}`) : undefined;
  const text = stripMentions(message.content, me.id);
  const post = mentioned ? null : autoAnswerPost(ctx, message);
  // a forum post's first message, even delivered again, is never a follow-up in its own thread
  if (post?.kind === 'forum') {
    await autoAnswer(ctx, message, post, text);
    return;
  }
  // Without the Message Content intent, Discord blanks content unless we are mentioned or in a DM.
  if (!isDM && !mentioned && !((replyConv || threadConv) && text)) {
    if (post) await autoAnswer(ctx, message, post, text);
    return;
  }
  if (!text) {
    await message.reply(safe({ content: HINT }));
    return;
  }
  // answered from the server's collection (opened now if this is its first question)
  ctx = await ctx.collections.forGuild(message.guildId);
  const question = validateQuestion(ctx, text);
  const gate = await ctx.limiter.tryAcquire(message.author.id);
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
    const answered = await answerQuestion(ctx, { question, userId: message.author.id, history: conversation.turns, link: message.url, guildId: message.guildId });
    clearInterval(keepTyping);
    await postAnswer(ctx, message, conversation, question, answered, { dmKey, openThread: !replyConv && !threadConv });
  } finally {
    clearInterval(keepTyping);
    gate.release();
  }
}

/**
 * Sends an answer as a reply to `message` and keeps the conversation reachable from every message
 * sent, the DM and the thread; opens a thread for follow-ups when asked to and permitted.
 */
async function postAnswer(
  ctx: BotContext,
  message: Message,
  conversation: Conversation,
  question: string,
  { result, record, messages }: AnsweredQuestion,
  opts: { dmKey?: string; openThread: boolean },
): Promise<void> {
  const channel = message.channel;
  // Record the turn before sending, so a quick follow-up in the DM or thread already sees it.
  // Any thread the bot answers in becomes a conversation, not only the ones it opened.
  const keys = [opts.dmKey, message.channel.isThread() ? `thread:${message.channelId}` : undefined].filter((k): k is string => k !== undefined);
  ctx.conversations.record(conversation, { question, answer: result.answer }, keys);
  const asked = { answerId: record.id, userId: message.author.id };
  if (message.channel.isThread()) ctx.threadAnswers.set(message.channelId, asked);
  const first = await message.reply(toPayload(messages[0]));
  ctx.conversations.link(conversation, `msg:${first.id}`);
  for (const m of messages.slice(1)) {
    const sent = channel.isSendable() ? await channel.send(toPayload(m)) : await message.reply(toPayload(m));
    ctx.conversations.link(conversation, `msg:${sent.id}`);
  }
  if (opts.openThread && (await canOpenThread(ctx, message))) {
    try {
      const thread = await first.startThread({ name: truncate(question, 90), autoArchiveDuration: ThreadAutoArchiveDuration.OneDay });
      ctx.conversations.link(conversation, `thread:${thread.id}`);
      ctx.threadAnswers.set(thread.id, asked);
    } catch (err) {
      ctx.logger.warn('could not open a thread for follow-ups', { channelId: message.channelId, err });
    }
  }
}

type AutoPost = { kind: 'channel' } | { kind: 'forum'; title: string };

/**
 * A message Docent may answer unasked: any message in an auto-answer text channel, or the first
 * message of a new post (its id is the thread's) in an auto-answer forum.
 */
function autoAnswerPost(ctx: BotContext, message: Message): AutoPost | null {
  const ids = ctx.config.discord.autoAnswerChannelIds;
  if (ids.length === 0 || !message.inGuild()) return null;
  const channel = message.channel;
  if (channel.isThread()) {
    const parent = channel.parent;
    const isForum = parent?.type === ChannelType.GuildForum || parent?.type === ChannelType.GuildMedia;
    if (isForum && ids.includes(parent.id) && message.id === channel.id) return { kind: 'forum', title: channel.name };
    return null;
  }
  return ids.includes(channel.id) ? { kind: 'channel' } : null;
}

/** Has Docent already posted in this thread? (A forum post is answered once, also across restarts.) */
async function alreadyAnswered(ctx: BotContext, message: Message): Promise<boolean> {
  if (ctx.autoAnswered.has(message.channelId)) return true;
  ctx.autoAnswered.set(message.channelId, true);
  try {
    const recent = await message.channel.messages.fetch({ limit: 20 });
    return recent.some((m) => m.author.id === ctx.client.user?.id);
  } catch (err) {
    ctx.logger.warn('could not read the forum post before answering it', { channelId: message.channelId, err });
    return false;
  }
}

/** Answers a help-channel message or forum post only when confident; otherwise stays silent and records a gap. */
async function autoAnswer(ctx: BotContext, message: Message, post: AutoPost, text: string): Promise<void> {
  if (!text) {
    // blank: an image-only post, or the Message Content intent is off (start-up said so)
    ctx.logger.debug('auto-answer skipped: no text', { channelId: message.channelId, messageContentIntent: ctx.config.discord.messageContentIntent });
    return;
  }
  const raw = post.kind === 'forum' ? `${post.title}\n${text}` : text;
  if (post.kind === 'forum' && (await alreadyAnswered(ctx, message))) {
    ctx.logger.info('forum post already answered', { channelId: message.channelId });
    return;
  }
  const cleaned = cleanQuestion(raw, ctx.config.maxQuestionChars);
  if (!cleaned.ok) {
    ctx.logger.info('auto-answer skipped', { channelId: message.channelId, code: cleaned.code });
    return;
  }
  const question = cleaned.value;
  // unasked, so never a refusal message either: over the rate limit it just stays quiet
  const gate = await ctx.limiter.tryAcquire(message.author.id);
  if (!gate.ok) {
    ctx.logger.info('auto-answer skipped: rate limited', { userId: message.author.id });
    return;
  }
  try {
    // nobody asked: a failure is logged, never posted in the channel
    ctx = await ctx.collections.forGuild(message.guildId);
    const answered = await answerQuestion(ctx, {
      question,
      userId: message.author.id,
      history: [],
      guildId: message.guildId,
      auto: { minSupport: ctx.config.discord.autoAnswerMinSupport, channelId: message.channelId, link: message.url },
    });
    ctx.logger.info('auto-answer', { channelId: message.channelId, posted: answered.confident, support: answered.result.support });
    if (!answered.confident) return;
    await postAnswer(ctx, message, ctx.conversations.create(), question, answered, { openThread: post.kind === 'channel' });
  } catch (err) {
    ctx.logger.error('auto-answer failed', { channelId: message.channelId, err });
  } finally {
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
