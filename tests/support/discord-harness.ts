/**
 * Brings up the real discord.js client (through `createBot`) against the Discord stand-in,
 * with a temp directory for the feedback file and a recording logger.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config, type Env } from '../../src/config.js';
import { createBot, type Bot } from '../../src/discord/bot.js';
import type { Schedule } from '../../src/discord/url-sync.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { DocentApi } from '../../src/pipeline.js';
import { DiscordStandIn, type RecordedRequest, type StandInOptions } from './discord-stand-in/index.js';
import { FakeDocent } from './fake-docent.js';

export interface Harness<D extends DocentApi = FakeDocent> {
  standIn: DiscordStandIn;
  bot: Bot;
  docent: D;
  config: Config;
  dir: string;
  logs: string[];
  logger: Logger;
  stop(): Promise<void>;
}

export function standInEnv(standIn: DiscordStandIn, dir: string): Env {
  return {
    DISCORD_TOKEN: standIn.token,
    DISCORD_API_URL: standIn.apiUrl,
    DISCORD_APPLICATION_ID: standIn.applicationId,
    MODERATOR_ROLE_IDS: standIn.moderatorRoleId,
    MODERATOR_CHANNEL_ID: standIn.moderatorChannelId,
    DOCENT_FEEDBACK_FILE: path.join(dir, 'feedback.jsonl'),
    DOCENT_CORPUS_DIR: path.join(dir, 'corpus'),
    DOCENT_INDEX_DIR: path.join(dir, 'index'),
    DOCENT_CACHE_DIR: path.join(dir, 'cache'),
    DISCORD_RATE_LIMIT_PER_MINUTE: '1000',
    DISCORD_MAX_IN_FLIGHT: '50',
    DISCORD_MAX_UPLOAD_BYTES: '4096',
    // the corpus watcher is tested on its own (discord-corpus.test.ts sets DOCENT_WATCH=auto)
    DOCENT_WATCH: 'off',
  };
}

export async function startHarness<D extends DocentApi = FakeDocent>(
  opts: {
    /** Extra variables; a function receives the stand-in (for its channel and role ids). */
    env?: Env | ((standIn: DiscordStandIn) => Env);
    docent?: (config: Config, logger: Logger) => Promise<D> | D;
    openThreads?: boolean;
    standIn?: StandInOptions;
    /** The URL sync's timer (tests capture the pass and fire it themselves). */
    schedule?: Schedule;
  } = {},
): Promise<Harness<D>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docent-discord-'));
  const standIn = await DiscordStandIn.start(opts.standIn);
  const extra = typeof opts.env === 'function' ? opts.env(standIn) : opts.env;
  const config = loadConfig({ ...standInEnv(standIn, dir), ...extra }, { cwd: dir });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => logs.push(line) });
  const docent = (opts.docent ? await opts.docent(config, logger) : new FakeDocent()) as D;
  const bot = createBot({ config, docent, logger, openThreads: opts.openThreads, schedule: opts.schedule });
  await bot.start();
  return {
    standIn,
    bot,
    docent,
    config,
    dir,
    logs,
    logger,
    async stop() {
      await bot.stop();
      await docent.close();
      await standIn.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The content a recorded request sends (message body, callback data or webhook body). */
export function sentPayload(r: RecordedRequest): any {
  return r.path.endsWith('/callback') ? (r.body?.data ?? {}) : (r.body ?? {});
}

/** A reply the bot posted, successfully, to message `id`. */
export const isReplyTo = (id: string) => (r: RecordedRequest) => r.method === 'POST' && r.body?.message_reference?.message_id === id && r.status === 200;

export const isChannelMessage = (channelId: string) => (r: RecordedRequest) =>
  r.method === 'POST' && r.path === `/api/v10/channels/${channelId}/messages`;
