/**
 * `npm run start:sharded` (`docent bot --sharded`): the bot under discord.js's `ShardingManager`,
 * one process per shard, each running what `npm start` runs (`main.js` beside this file) over the
 * same corpus and index folder. This process holds the one rate limiter the shards ask, logs the
 * shards' lifecycle, respawns a shard whose process dies, and stops them all on SIGINT/SIGTERM.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ShardingManager, type Shard } from 'discord.js';
import { loadConfig, type Config } from '../config.js';
import { errorMessage, UserError } from '../errors.js';
import { addSecret, createLogger, redact, type Logger } from '../log.js';
import { TOKEN_MISSING_MESSAGE } from './errors.js';
import { fetchGatewayBot } from './gateway.js';
import { AnswerLimiter } from './limiter.js';
import { LimiterHost, type IpcChannel } from './shard-limiter.js';
import { planShards, spawnBatches, type ShardPlan } from './shard-plan.js';

/** Discord lets each identify bucket start one session per 5 s; discord.js waits 5.5 s. */
const IDENTIFY_INTERVAL_MS = 5_500;
/** A shard that dies this often within a minute is not respawned again: the manager stops. */
const CRASH_LOOP = { deaths: 5, withinMs: 60_000 };
/** How long a shard may take to shut down on SIGTERM before it is killed. */
const STOP_GRACE_MS = 10_000;

function shardChannel(shard: Shard): IpcChannel {
  return {
    send: (message) => shard.send(message),
    onMessage(listener) {
      shard.on('message', listener);
      return () => shard.off('message', listener);
    },
  };
}

function exitOf(child: unknown): { code: number | null; signal: string | null } {
  const c = child as { exitCode?: number | null; signalCode?: string | null } | null;
  return { code: c?.exitCode ?? null, signal: c?.signalCode ?? null };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(redact(`Configuration error: ${errorMessage(err)}\n`));
    process.exitCode = 1;
    return;
  }
  if (!config.discord.token) {
    process.stderr.write(TOKEN_MISSING_MESSAGE + '\n');
    process.exitCode = 1;
    return;
  }
  addSecret(config.discord.token);
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
    // off until every shard has started once: a shard that cannot start (a damaged index, a bad
    // file) would otherwise be respawned forever
    respawn: false,
    execArgv: process.execArgv,
  });
  const host = new LimiterHost(new AnswerLimiter(config.discord.rateLimitPerMinute, config.discord.maxInFlight), logger);

  let stopping = false;
  const stopAll = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    manager.respawn = false;
    logger.info('stopping shards', { reason });
    await Promise.all(
      [...manager.shards.values()].map(async (shard) => {
        const child = shard.process;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          logger.warn('shard did not stop in time: killing it', { shardId: shard.id, pid: child.pid });
          child.kill('SIGKILL');
        }, STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
    logger.info('all shards stopped');
    process.exitCode = process.exitCode || exitCode;
    // a pending identify wait must not keep a stopped manager alive
    setTimeout(() => process.exit(), 2_000).unref();
  };
  // `on`, not `once`: a second Ctrl-C while stopping is ignored rather than killing the manager
  // and orphaning shards halfway through their shutdown
  process.on('SIGINT', () => void stopAll('SIGINT', 0));
  process.on('SIGTERM', () => void stopAll('SIGTERM', 0));

  manager.on('shardCreate', (shard) => {
    host.attach(shard.id, shardChannel(shard));
    const deaths: number[] = [];
    shard.on('spawn', (child: unknown) => logger.info('shard spawned', { shardId: shard.id, pid: (child as { pid?: number }).pid }));
    shard.on('ready', () => logger.info('shard ready', { shardId: shard.id }));
    // a shard that is stopping disconnects too: only news while running
    shard.on('disconnect', () => !stopping && logger.warn('shard disconnected from Discord', { shardId: shard.id }));
    shard.on('reconnecting', () => !stopping && logger.info('shard reconnecting to Discord', { shardId: shard.id }));
    shard.on('resume', () => logger.info('shard resumed', { shardId: shard.id }));
    shard.on('error', (err: unknown) => logger.error('shard error', { shardId: shard.id, err }));
    shard.on('death', (child: unknown) => {
      // its in-flight answers will never be released by it
      host.shardGone(shard.id);
      const now = Date.now();
      deaths.push(now);
      while (deaths.length && now - deaths[0] > CRASH_LOOP.withinMs) deaths.shift();
      const respawn = manager.respawn && !stopping;
      (stopping ? logger.info : logger.warn).call(logger, 'shard died', { shardId: shard.id, ...exitOf(child), respawn });
      if (respawn && deaths.length >= CRASH_LOOP.deaths) {
        logger.error('shard keeps dying: stopping every shard', { shardId: shard.id, deaths: deaths.length, withinMs: CRASH_LOOP.withinMs });
        void stopAll('crash loop', 1);
      }
    });
  });

  logger.info('starting shards', { shards: plan.count, from: plan.source, concurrency: plan.concurrency });
  const batches = spawnBatches(plan);
  for (const [i, batch] of batches.entries()) {
    const started = await Promise.all(
      batch.map(async (id) => {
        const shard = manager.createShard(id);
        // ready or dead, however long its first index build takes
        const outcome = new Promise<'ready' | 'death'>((resolve) => {
          shard.once('ready', () => resolve('ready'));
          shard.once('death', () => resolve('death'));
        });
        await shard.spawn(-1);
        return { id, outcome: await outcome };
      }),
    );
    const failed = started.filter((s) => s.outcome === 'death').map((s) => s.id);
    if (failed.length && !stopping) {
      process.stderr.write(`Shard ${failed.join(', ')} exited before it was ready (its output is above); stopping the other shards.\n`);
      await stopAll('a shard could not start', 1);
    }
    if (stopping) return;
    if (i < batches.length - 1) await new Promise((resolve) => setTimeout(resolve, IDENTIFY_INTERVAL_MS).unref());
    if (stopping) return;
  }
  manager.respawn = true;
  logger.info('all shards ready', { shards: plan.count });
}

await main();
