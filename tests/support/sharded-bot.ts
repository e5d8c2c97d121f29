/**
 * `bin/docent.js bot --sharded` as a process against the Discord stand-in: two shards (the count
 * the stand-in recommends), a guild on each, one corpus folder (a copy of the bundled one). The
 * end-to-end sharding tests over either store start it here.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { APIUser } from 'discord-api-types/v10';
import { cleanEnv, spawnLogged, type LoggedProcess } from './bot-process.js';
import { DiscordStandIn, type RecordedRequest } from './discord-stand-in/index.js';
import { BIN } from './dist.js';
import { ROOT } from './temp-project.js';

// not discord-harness's copy: importing it loads the whole bot into the test process, which only spawns it
export const isReplyTo = (id: string) => (r: RecordedRequest) => r.method === 'POST' && r.body?.message_reference?.message_id === id && r.status === 200;

export interface ShardedBot {
  standIn: DiscordStandIn;
  manager: LoggedProcess;
  /** The copied corpus's parent folder (the processes' cwd). */
  work: string;
  guild0: { guildId: string; channelId: string };
  guild1: { guildId: string; channelId: string };
  /** Mentions the bot with `question` in `channelId` and waits for its reply. */
  ask(user: APIUser, channelId: string, question: string): Promise<RecordedRequest>;
  stop(): Promise<void>;
}

/** Starts the manager with the stand-in's token and URL plus `env`, and waits for "all shards ready". */
export async function startShardedBot(env: Record<string, string>, prefix: string): Promise<ShardedBot> {
  // Discord's recommendation is 2 shards, both may identify at once
  const standIn = await DiscordStandIn.start({ shards: 2, maxConcurrency: 2 });
  const guild0 = standIn.addGuild({ shard: 0, of: 2 });
  const guild1 = standIn.addGuild({ shard: 1, of: 2 });
  const work = await mkdtemp(path.join(os.tmpdir(), prefix));
  await cp(path.join(ROOT, 'corpus'), path.join(work, 'corpus'), { recursive: true });
  // what `npm run start:sharded` runs (npm's own start-up left out)
  const manager = spawnLogged([BIN, 'bot', '--sharded'], {
    cwd: work,
    env: cleanEnv({ DISCORD_TOKEN: standIn.token, DISCORD_API_URL: standIn.apiUrl, DOCENT_EMBEDDER: 'hash', LOG_LEVEL: 'info', ...env }),
  });
  await manager.waitForLine((l) => l.msg === 'all shards ready');
  return {
    standIn,
    manager,
    work,
    guild0,
    guild1,
    async ask(user, channelId, question) {
      const after = standIn.mark();
      const q = standIn.injectMessage({ content: `<@${standIn.botUser.id}> ${question}`, mentionBot: true, author: user, channelId });
      return standIn.waitForRequest(isReplyTo(q.id), { after });
    },
    async stop() {
      manager.child.kill('SIGKILL');
      await standIn.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
