/**
 * Collections: one body of documents each, with its own index. The default collection
 * (DOCENT_DEFAULT_COLLECTION) is DOCENT_CORPUS_DIR with DOCENT_INDEX_DIR, as before collections
 * existed; any other one is a folder of DOCENT_COLLECTIONS_DIR (`collections/<name>/`) with its
 * index under the index root (`.docent/collection-indexes/<name>`). A collection reaches the
 * pipeline only as a `Config` (`config.collection`, its folders), so a store keyed by collection
 * (Postgres) reads the same field.
 */
import path from 'node:path';
import type { Config } from './config.js';
import { ConfigError, UserError } from './errors.js';

/** Lower-case letters, digits, `_` and `-`, starting with a letter or digit, at most 63 long: safe as a folder name and a column value. */
export const COLLECTION_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

export type Checked<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

/**
 * Checks a collection name. The message says what is expected; callers put the variable or
 * option it came from in front (`--collection: expected …`).
 */
export function validateCollectionName(name: string): Checked<string> {
  if (COLLECTION_NAME.test(name)) return { ok: true, value: name };
  const shown = name.length > 70 ? `${name.slice(0, 67)}...` : name;
  return {
    ok: false,
    code: 'COLLECTION_NAME_INVALID',
    message: `expected a collection name of lower-case letters, digits, _ and - (starting with a letter or digit, at most 63 characters), got ${JSON.stringify(shown)}`,
  };
}

/**
 * The configuration of collection `name`, from the configuration `loadConfig()` returned (which
 * serves the default collection): for the default collection that config as it is; for another
 * one its documents in `<DOCENT_COLLECTIONS_DIR>/<name>/` and its index in
 * `<index root>/collection-indexes/<name>` (the index root is DOCENT_INDEX_DIR's parent, `.docent`;
 * not `collections/`, which with DOCENT_INDEX_DIR=index would put an index inside its own documents).
 * Everything else (embedder, limits, the questions database, Discord settings) is shared.
 */
export function configForCollection(config: Config, name: string): Config {
  const checked = validateCollectionName(name);
  if (!checked.ok) throw new UserError(checked.code, `collection: ${checked.message}`);
  if (name === config.collection) return config;
  if (config.collection !== config.collections.default) {
    // the default folders are only known from the default config
    throw new Error(`configForCollection: derive collections from the default collection's config, not from "${config.collection}"'s`);
  }
  if (name === config.collections.default) return config;
  const corpusDir = path.join(config.collections.dir, name);
  const indexDir = path.join(collectionIndexRoot(config.indexDir), name);
  // a folder inside another collection's would put one collection's documents (or an index) in another's answers
  for (const [other, what] of [
    [config.corpusDir, `DOCENT_CORPUS_DIR (${config.corpusDir}), the default collection's documents`],
    [config.indexDir, `DOCENT_INDEX_DIR (${config.indexDir})`],
    [indexDir, `its own index (${indexDir})`],
  ] as const) {
    if (overlaps(corpusDir, other)) {
      throw new ConfigError('DOCENT_COLLECTIONS_DIR', `collection "${name}"'s folder ${corpusDir} overlaps ${what}; give the collections a folder of their own`);
    }
  }
  return { ...config, collection: name, corpusDir, indexDir };
}

/** Where the other collections' indexes are kept: beside DOCENT_INDEX_DIR (`.docent/collection-indexes`). */
export function collectionIndexRoot(indexDir: string): string {
  return path.join(path.dirname(indexDir), 'collection-indexes');
}

/** One folder is the other or inside it. */
function overlaps(a: string, b: string): boolean {
  const x = path.resolve(a);
  const y = path.resolve(b);
  return x === y || x.startsWith(y + path.sep) || y.startsWith(x + path.sep);
}

/** The collection a guild reads, and whether its moderators may change it. */
export interface GuildCollection {
  name: string;
  /**
   * The guild's own collection: its moderators may add, remove, re-index, roll back and read its
   * gaps and stats. False for a guild that reads the shared default collection while
   * DOCENT_GUILD_COLLECTIONS gives other guilds collections of their own.
   */
  own: boolean;
}

/**
 * The collection of a guild (null: a DM): its entry in DOCENT_GUILD_COLLECTIONS, else the
 * default collection, which is every guild's own when no guild has an entry (one community).
 */
export function collectionForGuild(config: Config, guildId: string | null | undefined): GuildCollection {
  const map = config.discord.guildCollections;
  const mapped = guildId && Object.hasOwn(map, guildId) ? map[guildId] : undefined;
  if (mapped) return { name: mapped, own: true };
  return { name: config.collections.default, own: Object.keys(map).length === 0 };
}

export const SHARED_COLLECTION_MESSAGE =
  'This server reads the shared document collection, which its moderators cannot change here. ' +
  'To manage documents, gaps and stats of its own, the bot’s operator gives this server a collection in DOCENT_GUILD_COLLECTIONS.';
