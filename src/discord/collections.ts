/**
 * The bot's collections: one `Docent` per collection, opened on first use (a guild of
 * DOCENT_GUILD_COLLECTIONS asks, or one of its moderators adds a document), each with what the
 * default collection has (the corpus watcher, the URL sync, the gap re-check), all stopped and
 * closed with the bot. Every handler gets the context of its guild's collection, so the commands
 * themselves know nothing of collections: `ctx.docent`, `ctx.config` (its folders) and
 * `ctx.collection` are that collection's.
 */
import { mkdir } from 'node:fs/promises';
import { collectionForGuild, configForCollection, type GuildCollection } from '../collections.js';
import type { Config } from '../config.js';
import { LRUCache } from 'lru-cache';
import type { DocentApi } from '../pipeline.js';
import type { AnswerResult } from '../types.js';
import type { BotContext } from './context.js';

export interface CollectionRegistry {
  /** The collection a guild (null: a DM) reads, and whether its moderators may change it. */
  of(guildId: string | null | undefined): GuildCollection;
  /** The context of the collection `guildId` reads, opening the collection on first use. */
  forGuild(guildId: string | null | undefined): Promise<BotContext>;
  /** The context of collection `name`, opening it on first use. */
  context(name: string): Promise<BotContext>;
  /** The collections opened so far besides the default one. */
  opened(): string[];
  /** Stops every opened collection's watchers and closes its pipeline (not the default one's: its owner closes it). */
  close(): Promise<void>;
}

export interface CollectionDeps {
  /** Opens a collection's pipeline (the real `Docent.open`; tests pass fakes). */
  open(config: Config): Promise<DocentApi>;
  /** Starts a collection's watchers (corpus, URL sync, gap re-check); returns what stops them. */
  start(ctx: BotContext): Promise<() => Promise<void>>;
}

interface Opened {
  context: BotContext;
  stop: () => Promise<void>;
}

/**
 * The registry over `base`, the context of the default collection (the injected pipeline). A
 * collection that fails to open is not remembered: the next use tries again.
 */
export function createCollectionRegistry(base: BotContext, deps: CollectionDeps): CollectionRegistry {
  const entries = new Map<string, Promise<Opened>>();
  let closed = false;

  const openOne = async (name: string): Promise<Opened> => {
    const config = configForCollection(base.config, name);
    // a new collection starts empty: its folder is created, and the first build indexes nothing
    await mkdir(config.corpusDir, { recursive: true });
    const docent = await deps.open(config);
    // everything of the bot's context but its pipeline, folders and /why results (kept per
    // collection: /why in one server never shows an answer from another's documents, and a
    // collection's new generation frees only its own old results)
    const context = Object.assign(Object.create(base) as BotContext, {
      config,
      docent,
      collection: name,
      lastResults: new LRUCache<string, AnswerResult>({ max: 5000, ttl: 24 * 3600_000, updateAgeOnGet: true }),
    });
    if (closed) {
      await docent.close();
      throw new Error('the bot is stopping');
    }
    // a watcher or sync that cannot start leaves no pipeline (and no share of a database pool) open
    const stop = await deps.start(context).catch(async (err: unknown) => {
      await docent.close().catch(() => {});
      throw err;
    });
    base.logger.info('collection opened', { collection: name, corpus: config.corpusDir });
    return {
      context,
      stop: async () => {
        await stop();
        await docent.close();
      },
    };
  };

  const context = (name: string): Promise<BotContext> => {
    if (name === base.collection) return Promise.resolve(base);
    if (closed) return Promise.reject(new Error('the bot is stopping'));
    let entry = entries.get(name);
    if (!entry) {
      entry = openOne(name);
      entries.set(name, entry);
      entry.catch((err: unknown) => {
        entries.delete(name);
        base.logger.error('could not open a collection', { collection: name, err });
      });
    }
    return entry.then((e) => e.context);
  };

  return {
    of: (guildId) => collectionForGuild(base.config, guildId),
    forGuild: (guildId) => context(collectionForGuild(base.config, guildId).name),
    context,
    opened: () => [...entries.keys()],
    async close() {
      closed = true;
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(
        all.map((e) =>
          e.then(
            (o) => o.stop(),
            () => {}, // never opened: nothing to close
          ),
        ),
      );
    },
  };
}
