/**
 * The Discord front end: `createBot({ config, docent, logger })` wires the commands and events to a
 * discord.js client; `start()` logs in and resolves when the client is ready.
 * The pipeline is injected, so tests run the bot over a fake or the real one.
 */
import { Client, Events, GatewayIntentBits, IntentsBitField, Partials, type ClientOptions } from 'discord.js';
import { LRUCache } from 'lru-cache';
import type { Config } from '../config.js';
import type { CorpusWatcher } from '../ingest/watch.js';
import { addSecret, type Logger } from '../log.js';
import type { DocentApi } from '../pipeline.js';
import type { AnswerResult } from '../types.js';
import { commands as allCommands, messageCommands } from './command-list.js';
import type { Command, MessageCommand } from './commands/index.js';
import type { AnswerRecord, BotContext } from './context.js';
import { ConversationStore } from './conversations.js';
import { DiscordStartError, TOKEN_MISSING_MESSAGE, tokenInvalidError } from './errors.js';
import { events } from './event-list.js';
import type { AnyEvent } from './events/index.js';
import { createCollectionRegistry, type CollectionRegistry } from './collections.js';
import { startCorpusWatch } from './corpus-watch.js';
import { InsightsStore } from '../insights/store.js';
import { startGapRecheck } from './insights.js';
import { AnswerLimiter, type AnswerLimits } from './limiter.js';
import { managerChannel, RemoteLimiter } from './shard-limiter.js';
import { PostgresLimiter } from './postgres-limiter.js';
import { NO_MENTIONS } from './safe-send.js';
import { startUrlSync, type Schedule, type UrlSync } from './url-sync.js';

export interface CreateBotOptions {
  config: Config;
  /** The default collection's pipeline (the caller opens and closes it). */
  docent: DocentApi;
  /**
   * Opens another collection's pipeline, for guilds of DOCENT_GUILD_COLLECTIONS (default:
   * `Docent.open`); the bot closes those itself.
   */
  openCollection?: (config: Config) => Promise<DocentApi>;
  logger: Logger;
  /** Open a thread on answers to mentions in guild text channels (default true; fail-safe). */
  openThreads?: boolean;
  /** Extra discord.js client options (tests lower timeouts). */
  clientOptions?: Partial<ClientOptions>;
  /** Runs the URL sync every DOCENT_SYNC_INTERVAL (default `setInterval`; tests fire it themselves). */
  schedule?: Schedule;
}

export interface Bot {
  readonly client: Client;
  readonly context: BotContext;
  /** Logs in and resolves once the client is ready; rejects with `DiscordStartError` on a bad token. */
  start(): Promise<void>;
  /** Destroys the client (the caller closes the pipeline). */
  stop(): Promise<void>;
  /** Resolves once no event handler is running (tests wait on it instead of sleeping). */
  idle(): Promise<void>;
  /** The corpus watcher once started (null with DOCENT_WATCH=off or before `start()`). */
  readonly corpusWatch: CorpusWatcher | null;
  /** The URL sync once started (null without DOCENT_SYNC_INTERVAL or before `start()`). */
  readonly urlSync: UrlSync | null;
}

/** The fewest intents that work; Message Content only when enabled (mentions and DMs work without). */
export function botIntents(messageContent: boolean): GatewayIntentBits[] {
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.DirectMessages];
  if (messageContent) intents.push(GatewayIntentBits.MessageContent);
  return intents;
}

/** Start-up's warning when auto-answer channels are set but the bot cannot read their messages. */
export function autoAnswerIntentWarning(config: Config): string | null {
  if (config.discord.autoAnswerChannelIds.length === 0 || config.discord.messageContentIntent) return null;
  return (
    'DOCENT_AUTO_ANSWER_CHANNEL_IDS is set but DISCORD_MESSAGE_CONTENT_INTENT is not true, so Discord sends the bot those channels\' messages ' +
    'without their text and auto-answer stays off (mentions, DMs and /ask still work). Enable the Message Content intent ' +
    '(Developer Portal → your application → Bot → Privileged Gateway Intents) and set DISCORD_MESSAGE_CONTENT_INTENT=true.'
  );
}

/** REST options pointing discord.js at DISCORD_API_URL / DISCORD_CDN_URL when set. */
export function restOptions(config: Config): NonNullable<ClientOptions['rest']> {
  const rest: NonNullable<ClientOptions['rest']> = {};
  if (config.discord.apiUrl) rest.api = config.discord.apiUrl;
  if (config.discord.cdnUrl) rest.cdn = config.discord.cdnUrl;
  return rest;
}

function isIntentRefused(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return !!e && (e.code === 'DisallowedIntents' || e.code === 4014 || /disallowed intents/i.test(String(e.message)));
}

export const MESSAGE_CONTENT_REFUSED =
  'Discord refused the Message Content intent (gateway close 4014, disallowed intents): DISCORD_MESSAGE_CONTENT_INTENT=true, but the intent ' +
  'is not enabled for this bot (Developer Portal → your application → Bot → Privileged Gateway Intents → Message Content). ' +
  'Running without it: mentions, DMs and /ask work; auto-answer channels and follow-ups without a mention get no text until it is enabled.';

function isTokenRejected(err: unknown): boolean {
  const e = err as { code?: unknown; status?: unknown } | null;
  return !!e && (e.code === 'TokenInvalid' || e.status === 401 || e.code === 4004);
}

export function createBot(opts: CreateBotOptions): Bot {
  const { config, docent } = opts;
  const logger = opts.logger.child({ component: 'discord' });
  addSecret(config.discord.token);
  const client = new Client({
    intents: botIntents(config.discord.messageContentIntent),
    partials: [Partials.Channel],
    allowedMentions: NO_MENTIONS,
    // If the question was deleted meanwhile, post the answer anyway instead of failing.
    failIfNotExists: false,
    rest: restOptions(config),
    ...opts.clientOptions,
  });
  const commandMap = new Map<string, Command>(allCommands.map((c) => [c.data.name, c]));
  const context: BotContext = {
    config,
    docent,
    logger,
    client,
    commands: commandMap,
    messageCommands: new Map<string, MessageCommand>(messageCommands.map((c) => [c.data.name, c])),
    conversations: new ConversationStore(),
    limiter: createLimiter(config, client, logger),
    insights: undefined as unknown as InsightsStore, // opened in start()
    answers: new LRUCache<string, AnswerRecord>({ max: 5000, ttl: 7 * 24 * 3600_000, updateAgeOnGet: true }),
    lastResults: new LRUCache<string, AnswerResult>({ max: 5000, ttl: 24 * 3600_000, updateAgeOnGet: true }),
    collection: config.collection,
    collections: undefined as unknown as CollectionRegistry, // below
    autoAnswered: new LRUCache<string, true>({ max: 10_000 }),
    threadAnswers: new LRUCache<string, { answerId: string; userId: string }>({ max: 10_000, ttl: 7 * 24 * 3600_000 }),
    openThreads: opts.openThreads ?? true,
  };
  // a result holds the chunks (and through them the texts) of the generation that answered it:
  // once another serves, /why of an older question would keep that whole generation in memory
  const forgetting = (ctx: BotContext) => ctx.docent.onGenerationChange?.((generation) => forgetOtherGenerations(ctx.lastResults, generation));
  const stopForgetting = forgetting(context);

  let running = 0;
  const whenIdle: Array<() => void> = [];
  // work started by an event but not awaited by it (the gap re-check after a re-index): idle() waits for it too
  const track = (work: Promise<unknown>) => {
    running++;
    void work.finally(() => {
      if (--running === 0) for (const resolve of whenIdle.splice(0)) resolve();
    });
  };
  let stopRecheck: (() => void) | undefined;
  // another collection, once opened, gets what the default one has: its old results forgotten,
  // its gaps re-checked after a re-index, its folder watched and its URL documents synced
  context.collections = createCollectionRegistry(context, {
    open: opts.openCollection ?? (async (c) => (await import('../pipeline.js')).Docent.open(c, { logger: opts.logger })),
    async start(ctx) {
      const stops = [forgetting(ctx), startGapRecheck(ctx, track)];
      const watch = startCorpusWatch(ctx);
      const sync = await startUrlSync(ctx, { track, schedule: opts.schedule });
      return async () => {
        for (const stop of stops) stop?.();
        await sync?.stop();
        await watch?.close();
      };
    },
  });
  for (const event of events as AnyEvent[]) {
    const run = (...args: unknown[]) => {
      running++;
      // One wrapper for every handler: a failure is logged, never an unhandled rejection.
      Promise.resolve()
        .then(() => (event.execute as (ctx: BotContext, ...a: unknown[]) => unknown)(context, ...args))
        .catch((err: unknown) => logger.error('event handler failed', { event: event.name, err }))
        .finally(() => {
          if (--running === 0) for (const resolve of whenIdle.splice(0)) resolve();
        });
    };
    if (event.once) client.once(event.name, run);
    else client.on(event.name, run);
  }

  let stopped = false;
  let corpusWatch: CorpusWatcher | null = null;
  let urlSync: UrlSync | null = null;
  return {
    client,
    context,
    get corpusWatch() {
      return corpusWatch;
    },
    get urlSync() {
      return urlSync;
    },
    async start() {
      const token = config.discord.token;
      if (!token) throw new DiscordStartError('DISCORD_TOKEN_MISSING', TOKEN_MISSING_MESSAGE);
      // votes of an older feedback.jsonl are moved in once
      context.insights = await InsightsStore.open(config.insightsDb, { migrateFrom: config.discord.feedbackFile, defaultCollection: config.collections.default });
      if (isFirstShard(client)) stopRecheck = startGapRecheck(context, track);
      const autoWarning = autoAnswerIntentWarning(config);
      if (autoWarning) logger.warn(autoWarning);
      const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
      const login = async () => {
        try {
          await client.login(token);
        } catch (err) {
          await client.destroy().catch(() => {});
          if (isTokenRejected(err)) throw tokenInvalidError(err);
          throw err;
        }
      };
      try {
        await login();
      } catch (err) {
        if (!(config.discord.messageContentIntent && isIntentRefused(err))) throw err;
        // the portal's switch is off: run without the intent (mentions, DMs and /ask work) rather than not at all
        logger.warn(MESSAGE_CONTENT_REFUSED);
        client.options.intents = new IntentsBitField(botIntents(false));
        // discord.js keeps its gateway manager (built with the old intents) for the same token
        (client.ws as unknown as { _ws: unknown })._ws = null;
        await login();
      }
      await ready;
      // the collections of this shard's servers open now, in the background, not on their first
      // command: opening one (loading or first building its index) can take longer than the 3 s
      // Discord gives an interaction for its first reply
      for (const guildId of client.guilds.cache.keys()) {
        if (!stopped && context.collections.of(guildId).own) context.collections.forGuild(guildId).catch(() => {}); // logged by the registry
      }
      // re-indexes on its own when the corpus changes, and tells the moderator channel
      if (!stopped && isFirstShard(client)) corpusWatch = startCorpusWatch(context);
      // fetches the URL documents again every DOCENT_SYNC_INTERVAL, and tells the moderator channel
      if (!stopped && isFirstShard(client)) urlSync = await startUrlSync(context, { track, schedule: opts.schedule });
      // stopped while the first pass's time was being read: the timer stops too
      if (stopped) await urlSync?.stop();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      stopForgetting?.();
      stopRecheck?.();
      // cancels the sync pass under way and waits for it: nothing is written after the bot has stopped
      await urlSync?.stop();
      await corpusWatch?.close();
      await context.collections.close();
      await client.destroy();
      await context.insights?.close().catch((err: unknown) => logger.warn('could not close the questions database', { err }));
      await Promise.resolve(context.limiter.close?.()).catch((err: unknown) => logger.warn('could not close the rate limiter', { err }));
      logger.info('discord client stopped');
    },
    idle() {
      return running === 0 ? Promise.resolve() : new Promise<void>((resolve) => whenIdle.push(resolve));
    },
  };
}

/**
 * With the Postgres store, the database's limit (across shards, replicas and machines); under the
 * sharding manager, the manager's one limiter (across shards); else this process's own.
 */
function createLimiter(config: Config, client: Client, logger: Logger): AnswerLimits {
  if (config.store === 'postgres' && config.databaseUrl) return PostgresLimiter.fromUrl(config.databaseUrl, config.discord.rateLimitPerMinute, config.discord.maxInFlight, logger);
  const channel = managerChannel(client);
  if (channel) return new RemoteLimiter(channel, { logger });
  return new AnswerLimiter(config.discord.rateLimitPerMinute, config.discord.maxInFlight);
}

/**
 * Whether this process runs the work that must happen once, not once per shard: the corpus
 * watcher, the URL sync and the gap re-check (each re-indexes or posts to the moderator channel).
 * True without the sharding manager. Every shard still picks up the new generation they make.
 */
export function isFirstShard(client: Client): boolean {
  return !client.shard || client.shard.ids.includes(0);
}

/** Drops every cached result that another generation than `generation` answered. */
export function forgetOtherGenerations(results: LRUCache<string, AnswerResult>, generation: string): void {
  const old = [...results.entries()].filter(([, r]) => r.generation !== generation).map(([k]) => k);
  for (const k of old) results.delete(k);
}
