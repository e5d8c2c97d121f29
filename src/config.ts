import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { config as loadDotenv } from 'dotenv';
import { DEFAULT_THRESHOLD } from './answer/threshold.js';
import { configForCollection, validateCollectionName } from './collections.js';
import { ConfigError } from './errors.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './ingest/loaders/limits.js';
import { addSecret, redact } from './log.js';

export type Env = Record<string, string | undefined>;

/** The one validated configuration object. Built once by `loadConfig()`. */
export interface Config {
  /**
   * The collection this configuration serves (`configForCollection` in src/collections.ts derives
   * another one's); DOCENT_DEFAULT_COLLECTION as loaded. `corpusDir` and `indexDir` are its folders
   * locally; in Postgres it is a column value.
   */
  collection: string;
  corpusDir: string;
  indexDir: string;
  collections: CollectionsConfig;
  /** Where generations live: `local` (an index folder, default) or `postgres` (`databaseUrl`, pgvector). */
  store: 'local' | 'postgres';
  /** `postgres://…` for the postgres store (its password is registered as a secret: never logged). */
  databaseUrl: string | undefined;
  cacheDir: string;
  /** Embedder id: `glove` (default, offline), `hash`, `ollama:<model>`, `openai:<model>`. */
  embedder: string;
  ollamaBaseUrl: string;
  openaiBaseUrl: string;
  openaiApiKey: string | undefined;
  /** `extractive` (default, no model) or `llm:<model>` on an OpenAI-compatible chat endpoint. */
  answerer: string;
  llmBaseUrl: string;
  llmApiKey: string | undefined;
  llmTimeoutMs: number;
  /** Largest chat reply read, in bytes; a longer one is cut off and the extractive answer used. */
  llmMaxReplyBytes: number;
  /** Timeout for calls to an embedding endpoint, ms. */
  embedTimeoutMs: number;
  topK: number;
  /**
   * hnswlib search depth (LangChain leaves it at hnswlib's default of 10). 512 keeps recall@10
   * ≥ 0.98 up to 100k chunks for < 1 ms a query (docs/BENCH.md).
   */
  efSearch: number;
  keepGenerations: number;
  /**
   * How often a process checks CURRENT for a generation another process (a shard, the CLI) made,
   * ms: at most this often, on the next question. 0 checks on every question.
   */
  refreshMs: number;
  /**
   * How the bot notices corpus changes: `auto` (fs.watch, recursive; polling where that is not
   * available), `poll` (a cheap check every `watchPollMs`; for network or bind-mounted folders
   * whose changes raise no events), `off`.
   */
  watch: 'auto' | 'poll' | 'off';
  /** Quiet time after the last corpus event before the bot checks and re-indexes, ms. */
  watchDebounceMs: number;
  /** Interval of the check when polling, ms. */
  watchPollMs: number;
  /** Minimum support for an answer (0–1); below it the bot says the documents do not answer. */
  answerThreshold: number;
  maxFileBytes: number;
  /** Limits on parsing one document (a PDF in a worker): time, memory, pages, extracted text. */
  parseLimits: ParseLimits;
  maxQuestionChars: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** The questions database (outcomes, votes, gaps; SQLite through libSQL), beside the feedback file. */
  insightsDb: string;
  /** Cosine similarity (0–1) at which two logged gap questions are merged into one group. */
  gapSimilarity: number;
  /** Documents fetched from URLs (`--add-url`, `/add url:`), their limits and their sync. */
  urls: UrlConfig;
  discord: DiscordConfig;
}

export interface CollectionsConfig {
  /** DOCENT_DEFAULT_COLLECTION: the collection in DOCENT_CORPUS_DIR / DOCENT_INDEX_DIR, read by guilds without one of their own. */
  default: string;
  /** DOCENT_COLLECTIONS_DIR: every other collection's documents are in `<dir>/<name>/`. */
  dir: string;
}

export interface UrlConfig {
  /** How often the bot re-fetches every URL document (conditional requests), ms; null = never (DOCENT_SYNC_INTERVAL off). */
  syncIntervalMs: number | null;
  /** Pages a sitemap may add; the rest are reported as skipped. */
  sitemapMaxPages: number;
  /** Fetch private, loopback, link-local … addresses too (tests, an intranet); off by default (SSRF guard). */
  allowPrivate: boolean;
  /** Largest response read, bytes (after decompression). */
  maxBytes: number;
  /** Time one fetch (all its redirects and its body) may take, ms. */
  timeoutMs: number;
  /** Redirects followed, each hop checked by the guard. */
  maxRedirects: number;
}

export interface DiscordConfig {
  token: string | undefined;
  applicationId: string | undefined;
  guildId: string | undefined;
  apiUrl: string | undefined;
  cdnUrl: string | undefined;
  moderatorRoleIds: string[];
  moderatorChannelId: string | undefined;
  messageContentIntent: boolean;
  rateLimitPerMinute: number;
  maxInFlight: number;
  maxUploadBytes: number;
  feedbackFile: string;
  /** Text and forum channels where Docent answers without a mention, only when confident. */
  autoAnswerChannelIds: string[];
  /** The support an unprompted answer needs (stricter than DOCENT_ANSWER_THRESHOLD). */
  autoAnswerMinSupport: number;
  /** The role pinged (only in the moderator channel) when a member hands a question to a human. */
  moderatorPingRoleId: string | undefined;
  /** DOCENT_GUILD_COLLECTIONS: guild id → the collection it reads and its moderators manage. Empty: every guild has the default one. */
  guildCollections: Record<string, string>;
  /** Shards `start:sharded` runs: a number, or `auto` (Discord's recommendation from GET /gateway/bot). */
  shardCount: number | 'auto';
}

const SNOWFLAKE = /^\d{17,20}$/;

/**
 * A value as a config error quotes it. Something that looks like a secret (a registered one, a
 * token, key or URL credential by its shape, or a long unspaced run of mixed letters and digits
 * such as a pasted token) is described instead of echoed: config errors reach terminals, logs and
 * CI output.
 */
export function quoteValue(v: string): string {
  const hidden = `a ${v.length}-character value that looks like a secret (not shown)`;
  const red = redact(v);
  // a URL keeps its scheme and host once its credentials are out; a bare token leaves nothing
  if (red !== v) return red.replace(/\[redacted\]|[\s,;:@/]/g, '').length >= 4 ? `"${red}"` : hidden;
  if (v.length >= 24 && !/\s/.test(v) && /[a-z]/.test(v) && /[A-Z]/.test(v) && /\d/.test(v)) return hidden;
  return `"${v.length > 80 ? v.slice(0, 77) + '...' : v}"`;
}

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  if (v === undefined) return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

function int(env: Env, name: string, def: number, min: number, max: number): number {
  const v = str(env, name);
  if (v === undefined) return def;
  if (!/^-?\d+$/.test(v)) throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got ${quoteValue(v)}`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `expected a whole number from ${min} to ${max}, got ${n}`);
  return n;
}

function fraction(env: Env, name: string, def: number): number {
  const v = str(env, name);
  if (v === undefined) return def;
  const n = Number(v);
  if (!/^\d*\.?\d+$/.test(v) || n < 0 || n > 1) throw new ConfigError(name, `expected a number from 0 to 1, got ${quoteValue(v)}`);
  return n;
}

function bool(env: Env, name: string, def: boolean): boolean {
  const v = str(env, name);
  if (v === undefined) return def;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(name, `expected true or false, got ${quoteValue(v)}`);
}

function url(env: Env, name: string, def: string | undefined): string | undefined {
  const v = str(env, name) ?? def;
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, `expected an http(s) URL, got ${quoteValue(v)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(name, `expected an http(s) URL, got ${quoteValue(v)}`);
  return v.replace(/\/+$/, '');
}

function snowflake(env: Env, name: string): string | undefined {
  const v = str(env, name);
  if (v !== undefined && !SNOWFLAKE.test(v)) throw new ConfigError(name, `expected a Discord id (17–20 digits), got ${quoteValue(v)}`);
  return v;
}

function shardCount(env: Env, name: string): number | 'auto' {
  const v = str(env, name);
  if (v === undefined || v.toLowerCase() === 'auto') return 'auto';
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 10_000) {
    throw new ConfigError(name, `expected auto (Discord's recommendation) or a whole number of shards from 1 to 10000, got ${quoteValue(v)}`);
  }
  return Number(v);
}

/** A `postgres://` or `postgresql://` URL; its password is registered as a secret before anything can log it. */
function postgresUrl(env: Env, name: string): string | undefined {
  const v = str(env, name);
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(name, 'expected a URL such as postgres://user:password@host:5432/database (the value is not shown: it may hold a password)');
  }
  // the password as written and decoded (a stray % is not an escape), and one given as ?password=
  for (const secret of [u.password, safeDecode(u.password), u.searchParams.get('password') ?? '']) if (secret) addSecret(secret);
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw new ConfigError(name, `expected a postgres:// or postgresql:// URL, got ${u.protocol}//…`);
  return v;
}

/** `postgres://host:port/database` of a database URL, without user or password: how messages name it. */
export function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Collection names are folder names and SQL values (one home: src/collections.ts). */
export { COLLECTION_NAME } from './collections.js';

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], def: T): T {
  const v = str(env, name);
  if (v === undefined) return def;
  const lower = v.toLowerCase() as T;
  if (!values.includes(lower)) throw new ConfigError(name, `expected one of ${values.join(', ')}, got ${quoteValue(v)}`);
  return lower;
}

/** The decoded password of a URL with `user:password@`, if any. */
function urlPassword(value: string): string | undefined {
  try {
    const u = new URL(value.trim());
    return u.password ? decodeURIComponent(u.password) : undefined;
  } catch {
    return undefined;
  }
}

const DURATION_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration such as `30m`, `6h` or `1d` in ms, from 1 minute to 7 days, or null for `off` (the
 * default). `setInterval` cannot wait longer than ~24.8 days, and re-fetching pages more often
 * than once a minute would hammer the sites.
 */
function interval(env: Env, name: string): number | null {
  const v = str(env, name);
  if (v === undefined || /^(off|0|false|no|none)$/i.test(v)) return null;
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/i.exec(v);
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2].toLowerCase()] : NaN;
  if (!(ms >= 60_000 && ms <= 7 * 86_400_000)) {
    throw new ConfigError(name, `expected a duration from 1m to 7d such as 30m, 6h or 1d (s, m, h, d), or off, got ${quoteValue(v)}`);
  }
  return Math.round(ms);
}

function collectionName(env: Env, name: string, def: string): string {
  const v = str(env, name) ?? def;
  const checked = validateCollectionName(v);
  if (!checked.ok) throw new ConfigError(name, checked.message);
  return v;
}

/** `<guild id>=<collection>,…` (DOCENT_GUILD_COLLECTIONS) as a guild id → collection map. */
function guildCollections(env: Env, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of (str(env, name) ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{17,20})\s*=\s*(.+)$/.exec(entry);
    if (!m) throw new ConfigError(name, `expected comma-separated <guild id>=<collection> pairs (e.g. 123456789012345678=acme), got ${quoteValue(entry)}`);
    const checked = validateCollectionName(m[2]);
    if (!checked.ok) throw new ConfigError(name, `${checked.message} for guild ${m[1]}`);
    if (Object.hasOwn(out, m[1])) throw new ConfigError(name, `guild ${m[1]} is given twice (${out[m[1]]} and ${m[2]})`);
    out[m[1]] = m[2];
  }
  return out;
}

const EMBEDDER_ID = /^(glove|hash(:\d+)?|ollama:[\w.:\-/]+|openai:[\w.:\-/]+)$/;

/**
 * Builds the configuration from `env` (by default `process.env` after reading `.env`).
 * Throws `ConfigError` naming the variable on the first invalid value.
 */
export function loadConfig(env?: Env, opts: { cwd?: string } = {}): Config {
  const cwd = opts.cwd ?? process.cwd();
  if (env === undefined) {
    loadDotenv({ path: path.join(cwd, '.env'), quiet: true });
    env = process.env;
  }
  // secrets are redacted from every log line and CLI error from now on, and never echoed by a
  // config error below (a token pasted into the wrong variable); so is the password of a URL
  for (const secret of [str(env, 'DISCORD_TOKEN'), str(env, 'OPENAI_API_KEY'), str(env, 'DOCENT_LLM_API_KEY')]) addSecret(secret);
  for (const [name, value] of Object.entries(env)) if (name.endsWith('_URL') && value) addSecret(urlPassword(value));
  const embedder = str(env, 'DOCENT_EMBEDDER') ?? 'glove';
  if (!EMBEDDER_ID.test(embedder)) {
    throw new ConfigError('DOCENT_EMBEDDER', `expected glove, hash, ollama:<model> or openai:<model>, got ${quoteValue(embedder)}`);
  }
  const answerer = str(env, 'DOCENT_ANSWERER') ?? 'extractive';
  if (!/^(extractive|llm:[\w.:\-/]+)$/.test(answerer)) {
    throw new ConfigError('DOCENT_ANSWERER', `expected extractive or llm:<model>, got ${quoteValue(answerer)}`);
  }
  const token = str(env, 'DISCORD_TOKEN');
  const roles = (str(env, 'MODERATOR_ROLE_IDS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const r of roles) {
    if (!SNOWFLAKE.test(r)) throw new ConfigError('MODERATOR_ROLE_IDS', `expected comma-separated Discord role ids, got ${quoteValue(r)}`);
  }
  const autoChannels = (str(env, 'DOCENT_AUTO_ANSWER_CHANNEL_IDS') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const c of autoChannels) {
    if (!SNOWFLAKE.test(c)) throw new ConfigError('DOCENT_AUTO_ANSWER_CHANNEL_IDS', `expected comma-separated Discord channel ids, got ${quoteValue(c)}`);
  }
  const resolve = (p: string) => path.resolve(cwd, p);
  const store = oneOf(env, 'DOCENT_STORE', ['local', 'postgres'] as const, 'local');
  const databaseUrl = postgresUrl(env, 'DATABASE_URL');
  if (store === 'postgres' && !databaseUrl) throw new ConfigError('DATABASE_URL', 'DOCENT_STORE is postgres: set DATABASE_URL to postgres://user:password@host:5432/database');
  const defaultCollection = collectionName(env, 'DOCENT_DEFAULT_COLLECTION', 'default');
  const config: Config = {
    collection: defaultCollection,
    collections: { default: defaultCollection, dir: resolve(str(env, 'DOCENT_COLLECTIONS_DIR') ?? 'collections') },
    corpusDir: resolve(str(env, 'DOCENT_CORPUS_DIR') ?? 'corpus'),
    indexDir: resolve(str(env, 'DOCENT_INDEX_DIR') ?? '.docent/index'),
    store,
    databaseUrl,
    cacheDir: resolve(str(env, 'DOCENT_CACHE_DIR') ?? '.docent/cache'),
    embedder,
    ollamaBaseUrl: url(env, 'OLLAMA_BASE_URL', 'http://127.0.0.1:11434')!,
    openaiBaseUrl: url(env, 'OPENAI_BASE_URL', 'https://api.openai.com/v1')!,
    openaiApiKey: str(env, 'OPENAI_API_KEY'),
    embedTimeoutMs: int(env, 'DOCENT_EMBED_TIMEOUT_MS', 30_000, 100, 600_000),
    answerer,
    llmBaseUrl: url(env, 'DOCENT_LLM_BASE_URL', str(env, 'OPENAI_BASE_URL') ?? 'https://api.openai.com/v1')!,
    llmApiKey: str(env, 'DOCENT_LLM_API_KEY') ?? str(env, 'OPENAI_API_KEY'),
    llmTimeoutMs: int(env, 'DOCENT_LLM_TIMEOUT_MS', 20_000, 100, 600_000),
    llmMaxReplyBytes: int(env, 'DOCENT_LLM_MAX_REPLY_BYTES', 65_536, 1024, 16 * 1024 * 1024),
    topK: int(env, 'DOCENT_TOP_K', 5, 1, 50),
    efSearch: int(env, 'DOCENT_EF_SEARCH', 512, 10, 5000),
    keepGenerations: int(env, 'DOCENT_KEEP_GENERATIONS', 3, 1, 100),
    refreshMs: int(env, 'DOCENT_REFRESH_MS', 250, 0, 60_000),
    watch: oneOf(env, 'DOCENT_WATCH', ['auto', 'poll', 'off'] as const, 'auto'),
    watchDebounceMs: int(env, 'DOCENT_WATCH_DEBOUNCE_MS', 1000, 0, 600_000),
    watchPollMs: int(env, 'DOCENT_WATCH_POLL_MS', 10_000, 10, 3_600_000),
    answerThreshold: fraction(env, 'DOCENT_ANSWER_THRESHOLD', DEFAULT_THRESHOLD),
    maxFileBytes: int(env, 'DOCENT_MAX_FILE_BYTES', 20 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    parseLimits: {
      timeoutMs: int(env, 'DOCENT_PARSE_TIMEOUT_MS', DEFAULT_PARSE_LIMITS.timeoutMs, 100, 3_600_000),
      memoryMb: int(env, 'DOCENT_PARSE_MEMORY_MB', DEFAULT_PARSE_LIMITS.memoryMb, 32, 65_536),
      maxPages: int(env, 'DOCENT_PDF_MAX_PAGES', DEFAULT_PARSE_LIMITS.maxPages, 1, 10_000_000),
      maxTextChars: int(env, 'DOCENT_MAX_TEXT_CHARS', DEFAULT_PARSE_LIMITS.maxTextChars, 1000, 1_000_000_000),
    },
    maxQuestionChars: int(env, 'DOCENT_MAX_QUESTION_CHARS', 500, 10, 10_000),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    insightsDb: resolve(str(env, 'DOCENT_INSIGHTS_DB') ?? path.join(path.dirname(resolve(str(env, 'DOCENT_FEEDBACK_FILE') ?? '.docent/feedback.jsonl')), 'insights.db')),
    gapSimilarity: fraction(env, 'DOCENT_GAP_SIMILARITY', 0.8),
    urls: {
      syncIntervalMs: interval(env, 'DOCENT_SYNC_INTERVAL'),
      sitemapMaxPages: int(env, 'DOCENT_SITEMAP_MAX_PAGES', 50, 1, 10_000),
      allowPrivate: bool(env, 'DOCENT_ALLOW_PRIVATE_URLS', false),
      // a page is a document like an upload: the upload limit unless set on its own
      maxBytes: int(env, 'DOCENT_URL_MAX_BYTES', int(env, 'DISCORD_MAX_UPLOAD_BYTES', 2 * 1024 * 1024, 1024, 100 * 1024 * 1024), 1024, 100 * 1024 * 1024),
      timeoutMs: int(env, 'DOCENT_URL_TIMEOUT_MS', 15_000, 100, 600_000),
      maxRedirects: 5,
    },
    discord: {
      token,
      applicationId: snowflake(env, 'DISCORD_APPLICATION_ID'),
      guildId: snowflake(env, 'DISCORD_GUILD_ID'),
      apiUrl: url(env, 'DISCORD_API_URL', undefined),
      cdnUrl: url(env, 'DISCORD_CDN_URL', undefined),
      moderatorRoleIds: roles,
      moderatorChannelId: snowflake(env, 'MODERATOR_CHANNEL_ID'),
      messageContentIntent: bool(env, 'DISCORD_MESSAGE_CONTENT_INTENT', false),
      rateLimitPerMinute: int(env, 'DISCORD_RATE_LIMIT_PER_MINUTE', 6, 1, 1000),
      maxInFlight: int(env, 'DISCORD_MAX_IN_FLIGHT', 4, 1, 100),
      maxUploadBytes: int(env, 'DISCORD_MAX_UPLOAD_BYTES', 2 * 1024 * 1024, 1024, 100 * 1024 * 1024),
      feedbackFile: resolve(str(env, 'DOCENT_FEEDBACK_FILE') ?? '.docent/feedback.jsonl'),
      autoAnswerChannelIds: autoChannels,
      autoAnswerMinSupport: fraction(env, 'DOCENT_AUTO_ANSWER_MIN_SUPPORT', 0.5),
      moderatorPingRoleId: snowflake(env, 'MODERATOR_PING_ROLE_ID'),
      guildCollections: guildCollections(env, 'DOCENT_GUILD_COLLECTIONS'),
      shardCount: shardCount(env, 'DISCORD_SHARD_COUNT'),
    },
  };
  // the bot's collections are checked now (their folders must not overlap), not on first use
  for (const name of new Set(Object.values(config.discord.guildCollections))) configForCollection(config, name);
  return config;
}

/**
 * The index that belongs to a corpus folder: DOCENT_INDEX_DIR for the configured corpus, else
 * `indexes/<folder name>-<first 12 hex of the sha256 of its absolute path>` next to
 * DOCENT_INDEX_DIR (`.docent/indexes/docs-3f2a9c1b0e4d`), so `--corpus OTHER` never reads or
 * rebuilds the index of another corpus.
 */
export function indexDirForCorpus(config: Pick<Config, 'corpusDir' | 'indexDir'>, corpusDir: string): string {
  const real = (p: string) => {
    try {
      return realpathSync(path.resolve(p));
    } catch {
      return path.resolve(p);
    }
  };
  const abs = real(corpusDir);
  if (abs === real(config.corpusDir)) return config.indexDir;
  const name = (path.basename(abs).replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'corpus').slice(0, 40);
  const hash = createHash('sha256').update(abs).digest('hex').slice(0, 12);
  return path.join(path.dirname(config.indexDir), 'indexes', `${name}-${hash}`);
}
