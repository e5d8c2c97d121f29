import type { Client } from 'discord.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { DocentApi } from '../pipeline.js';
import type { AnswerResult } from '../types.js';
import type { CollectionRegistry } from './collections.js';
import type { Command, MessageCommand } from './commands/index.js';
import type { ConversationStore } from './conversations.js';
import type { InsightsStore } from '../insights/store.js';
import type { FeedbackSource } from './feedback.js';
import type { AnswerLimits } from './limiter.js';
import type { LRUCache } from 'lru-cache';

/** What the bot remembers about an answer it posted (for votes and moderator notices). */
export interface AnswerRecord {
  id: string;
  question: string;
  answer: string;
  answered: boolean;
  sources: FeedbackSource[];
  userId: string;
}

/** Everything a command or event handler needs; built once by `createBot`. */
export interface BotContext {
  /** The collection's config (its folders; the rest is the bot's). */
  config: Config;
  /** The collection's pipeline. */
  docent: DocentApi;
  /** The collection this context serves (the guild's: see `collections.forGuild`). */
  collection: string;
  /** Every collection's context, opened on first use. */
  collections: CollectionRegistry;
  logger: Logger;
  client: Client;
  commands: ReadonlyMap<string, Command>;
  /** Message context-menu commands ("Add to Docent") by name. */
  messageCommands: ReadonlyMap<string, MessageCommand>;
  conversations: ConversationStore;
  /** Per-user rate limit and in-flight cap (the manager's, across shards, under `start:sharded`). */
  limiter: AnswerLimits;
  /** The questions database: outcomes, votes, hand-offs, gaps (opened in `start()`). */
  insights: InsightsStore;
  /** Answers by answer id (bounded; records are copies that share no text with an index generation). */
  answers: LRUCache<string, AnswerRecord>;
  /** Each user's last answer result, for `/why` (bounded; emptied of other generations when one swaps in). */
  lastResults: LRUCache<string, AnswerResult>;
  /** Each thread's latest answer and who asked it, for `/solved` there. */
  threadAnswers: LRUCache<string, { answerId: string; userId: string }>;
  /** Forum posts (thread ids) Docent has taken up in this process; the thread itself is checked too. */
  autoAnswered: LRUCache<string, true>;
  /** Open a thread on an answer to a mention in a guild text channel (when permitted). */
  openThreads: boolean;
}
