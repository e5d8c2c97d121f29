/**
 * What the sharding manager process does with discord.js's `ShardingManager`: starts the shards in
 * identify batches, serves them the one rate limiter, logs their lifecycle, lets discord.js respawn
 * a shard whose process dies (only once every shard has started), and stops them all.
 * `src/discord/sharded.ts` is the entry point that wires it to the configuration and signals.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Shard, ShardingManager } from 'discord.js';
import type { Logger } from '../log.js';
import { LimiterHost, type IpcChannel } from './shard-limiter.js';
import { spawnBatches, type ShardPlan } from './shard-plan.js';

/** Tuning of the supervision; tests shorten the waits. */
export interface SupervisorOptions {
  /** Between identify batches: Discord allows one identify per bucket per 5 s; discord.js waits 5.5 s. */
  identifyIntervalMs: number;
  /** A shard that dies this often within `withinMs` is not respawned again: everything stops. */
  crashLoop: { deaths: number; withinMs: number };
  /** How long a shard may take to stop on SIGTERM before it is killed. */
  stopGraceMs: number;
}

export const DEFAULT_SUPERVISOR_OPTIONS: SupervisorOptions = {
  identifyIntervalMs: 5_500,
  crashLoop: { deaths: 5, withinMs: 60_000 },
  stopGraceMs: 10_000,
};

export interface ShardSupervisor {
  /**
   * Spawns every shard and resolves once all are ready (`ok`), or with the shards that exited
   * before they were ready, after stopping the others (`failed`); `stopped` if `stop()` came first.
   */
  start(): Promise<{ outcome: 'ok' } | { outcome: 'failed'; shards: number[] } | { outcome: 'stopped' }>;
  /** Stops every shard (SIGTERM, then SIGKILL after the grace time); respawns stop first. */
  stop(reason: string): Promise<void>;
  /** Resolves when the supervision has ended by itself: a crash loop stopped everything. */
  readonly crashed: Promise<void>;
}

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

/**
 * Supervises `manager`'s shards for `plan`. The manager must be built with `respawn: false`:
 * respawning starts once every shard has been ready once, so a shard that cannot start (a damaged
 * index, a bad file) stops the lot instead of being respawned forever.
 */
export function superviseShards(manager: ShardingManager, plan: ShardPlan, host: LimiterHost, logger: Logger, options: Partial<SupervisorOptions> = {}): ShardSupervisor {
  const o = { ...DEFAULT_SUPERVISOR_OPTIONS, ...options };
  manager.respawn = false;
  let stopping: Promise<void> | null = null;
  const stopped = new AbortController();
  let crashed!: () => void;
  const crashedPromise = new Promise<void>((resolve) => (crashed = resolve));

  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      manager.respawn = false;
      stopped.abort();
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
          }, o.stopGraceMs);
          await exited;
          clearTimeout(timer);
        }),
      );
      logger.info('all shards stopped');
    })();
    return stopping;
  };

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
      // its answers in flight will never be released by it
      host.shardGone(shard.id);
      // discord.js respawns it right after this event when manager.respawn is on
      const respawn = manager.respawn && !stopping;
      (respawn || !stopping ? logger.warn : logger.info).call(logger, 'shard died', { shardId: shard.id, ...exitOf(child), respawn });
      if (!respawn) return;
      const now = Date.now();
      deaths.push(now);
      while (deaths.length && now - deaths[0] > o.crashLoop.withinMs) deaths.shift();
      if (deaths.length >= o.crashLoop.deaths) {
        logger.error('shard keeps dying: stopping every shard', { shardId: shard.id, deaths: deaths.length, withinMs: o.crashLoop.withinMs });
        void stop('crash loop').then(crashed);
      }
    });
  });

  return {
    crashed: crashedPromise,
    stop,
    async start() {
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
        if (stopping) return { outcome: 'stopped' };
        const failed = started.filter((s) => s.outcome === 'death').map((s) => s.id);
        if (failed.length) {
          logger.error('shard exited before it was ready: stopping the others', { shards: failed });
          await stop('a shard could not start');
          return { outcome: 'failed', shards: failed };
        }
        if (i < batches.length - 1) {
          // a stop does not wait for the identify window
          await sleep(o.identifyIntervalMs, undefined, { signal: stopped.signal }).catch(() => {});
          if (stopping) return { outcome: 'stopped' };
        }
      }
      manager.respawn = true;
      logger.info('all shards ready', { shards: plan.count });
      return { outcome: 'ok' };
    },
  };
}
