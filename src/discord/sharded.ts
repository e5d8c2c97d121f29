/**
 * `npm run start:sharded` (`docent bot --sharded`): the bot under discord.js's `ShardingManager`,
 * one process per shard, each running what `npm start` runs (`main.js` beside this file) over the
 * same corpus and index folder. This process holds the one rate limiter the shards ask, logs the
 * shards' lifecycle, respawns a shard whose process dies, and stops them all on SIGINT/SIGTERM.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShardingManager } from 'discord.js';
import { errorMessage, UserError } from '../errors.js';
import { createLogger, redact, type Logger } from '../log.js';
import { loadStartConfig } from './errors.js';
import { fetchGatewayBot } from './gateway.js';
import { AnswerLimiter } from './limiter.js';
import { LimiterHost } from './shard-limiter.js';
import { planShards, type ShardPlan } from './shard-plan.js';
import { superviseShards } from './shard-supervisor.js';

async function main(): Promise<void> {
  const config = loadStartConfig();
  if (!config) return;
  const logger: Logger = createLogger({ level: config.logLevel, base: { app: 'docent', component: 'shard-manager' } });

  let plan: ShardPlan;
  try {
    plan = planShards(config, await fetchGatewayBot(config));
  } catch (err) {
    process.stderr.write(err instanceof UserError ? `${err.message}\n` : redact(`The bot could not start: ${errorMessage(err)}\n`));
    process.exitCode = 1;
    return;
  }

  const self = fileURLToPath(import.meta.url);
  // the same entry as `npm start`: main.js compiled, main.ts under tsx (whose loader is in execArgv)
  const file = path.join(path.dirname(self), `main${path.extname(self)}`);
  const manager = new ShardingManager(file, {
    token: config.discord.token,
    totalShards: plan.count,
    shardList: [...Array(plan.count).keys()],
    mode: 'process',
    // the supervisor turns it on once every shard has started
    respawn: false,
    execArgv: process.execArgv,
  });
  const host = new LimiterHost(new AnswerLimiter(config.discord.rateLimitPerMinute, config.discord.maxInFlight), logger);
  const supervisor = superviseShards(manager, plan, host, logger);

  const stop = async (reason: string, exitCode: number) => {
    await supervisor.stop(reason);
    process.exitCode = process.exitCode || exitCode;
    // a pending identify wait must not keep a stopped manager alive
    setTimeout(() => process.exit(), 2_000).unref();
  };
  // `on`, not `once`: a second Ctrl-C while stopping is ignored rather than killing the manager
  // and orphaning shards halfway through their shutdown
  process.on('SIGINT', () => void stop('SIGINT', 0));
  process.on('SIGTERM', () => void stop('SIGTERM', 0));
  void supervisor.crashed.then(() => stop('crash loop', 1));

  const started = await supervisor.start();
  if (started.outcome === 'failed') {
    process.stderr.write(`Shard ${started.shards.join(', ')} exited before it was ready (its output is above); the other shards were stopped.\n`);
    await stop('a shard could not start', 1);
  }
}

await main();
