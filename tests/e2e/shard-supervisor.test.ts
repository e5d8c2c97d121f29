/**
 * The sharding manager's supervision against discord.js's real `ShardingManager`, whose shards
 * are tiny processes (tests/fixtures/fake-shard.mjs) that report ready the way a discord.js
 * client does: start order, respawn only after every shard started, a shard that cannot start,
 * a crash loop. Each step waits for what the supervisor logs.
 */
import path from 'node:path';
import { ShardingManager } from 'discord.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnswerLimiter } from '../../src/discord/limiter.js';
import { LimiterHost } from '../../src/discord/shard-limiter.js';
import { superviseShards, type ShardSupervisor } from '../../src/discord/shard-supervisor.js';
import { createLogger } from '../../src/log.js';
import { ROOT } from '../support/temp-project.js';

const FAKE_SHARD = path.join(ROOT, 'tests/fixtures/fake-shard.mjs');

type Line = Record<string, any>;

/** A logger whose lines tests wait for. */
function recordingLogger() {
  const lines: Line[] = [];
  const waiters = new Set<() => void>();
  const logger = createLogger({
    level: 'debug',
    write: (l) => {
      lines.push(JSON.parse(l));
      for (const w of [...waiters]) w();
    },
  });
  const waitFor = (pred: (l: Line) => boolean, after = 0) =>
    new Promise<Line>((resolve) => {
      const check = () => {
        const found = lines.slice(after).find(pred);
        if (found) {
          waiters.delete(check);
          resolve(found);
        }
      };
      waiters.add(check);
      check();
    });
  return { logger, lines, waitFor };
}

let supervisor: ShardSupervisor | undefined;
afterEach(async () => {
  await supervisor?.stop('test over');
  supervisor = undefined;
});

function setUp(opts: { count: number; concurrency: number; shardArgs?: string[] }) {
  const manager = new ShardingManager(FAKE_SHARD, { totalShards: opts.count, shardList: [...Array(opts.count).keys()], mode: 'process', respawn: false, token: 'not-a-token', shardArgs: opts.shardArgs ?? [] });
  const host = new LimiterHost(new AnswerLimiter(100, 4));
  const log = recordingLogger();
  supervisor = superviseShards(manager, { count: opts.count, concurrency: opts.concurrency, source: 'DISCORD_SHARD_COUNT' }, host, log.logger, { identifyIntervalMs: 0, crashLoop: { deaths: 3, withinMs: 60_000 } });
  return { manager, host, log, supervisor };
}

const pidOf = (log: ReturnType<typeof recordingLogger>, shardId: number) => log.lines.filter((l) => l.msg === 'shard spawned' && l.shardId === shardId).at(-1)!.pid as number;

describe('superviseShards', () => {
  it('GIVEN max_concurrency 1 THEN each shard starts once the one before is ready; then a killed shard is respawned and its leases released, and a crash loop stops every shard', async () => {
    const { manager, host, log, supervisor: s } = setUp({ count: 2, concurrency: 1 });
    const gone = vi.spyOn(host, 'shardGone');
    expect(await s.start()).toEqual({ outcome: 'ok' });
    expect(log.lines.filter((l) => /^shard (spawned|ready)$/.test(l.msg)).map((l) => `${l.msg} ${l.shardId}`)).toEqual(['shard spawned 0', 'shard ready 0', 'shard spawned 1', 'shard ready 1']);
    expect(manager.respawn).toBe(true);

    for (let death = 1; death <= 2; death++) {
      const after = log.lines.length;
      process.kill(pidOf(log, 1), 'SIGKILL');
      expect(await log.waitFor((l) => l.msg === 'shard died', after)).toMatchObject({ shardId: 1, signal: 'SIGKILL', respawn: true });
      await log.waitFor((l) => l.msg === 'shard ready' && l.shardId === 1, after);
      expect(gone).toHaveBeenLastCalledWith(1);
    }
    // the third death within the minute: no more respawns, every shard stopped
    const shard0 = manager.shards.get(0)!.process!;
    const shard0Exited = new Promise((resolve) => shard0.once('exit', resolve));
    process.kill(pidOf(log, 1), 'SIGKILL');
    await s.crashed;
    await shard0Exited;
    expect(log.lines.find((l) => l.msg === 'shard keeps dying: stopping every shard')).toMatchObject({ shardId: 1, deaths: 3 });
    expect(manager.respawn).toBe(false);
    expect(log.lines.at(-1)!.msg).toBe('all shards stopped');
  });

  it('GIVEN a shard that exits before it is ready THEN start reports it, the other shard is stopped and nothing is respawned', async () => {
    const { manager, log, supervisor: s } = setUp({ count: 2, concurrency: 2, shardArgs: ['--fail=1'] });
    expect(await s.start()).toEqual({ outcome: 'failed', shards: [1] });
    expect(log.lines.find((l) => l.msg === 'shard died')).toMatchObject({ shardId: 1, code: 3, respawn: false });
    // shard 0 was ready, and was told to stop (the fake exits 0 on SIGTERM)
    expect(log.lines.filter((l) => l.msg === 'shard died' && l.shardId === 0)).toEqual([expect.objectContaining({ code: 0, respawn: false })]);
    expect(log.lines.at(-1)!.msg).toBe('all shards stopped');
    expect(log.lines.filter((l) => l.msg === 'shard spawned' && l.shardId === 1)).toHaveLength(1);
    expect(manager.respawn).toBe(false);
  });
});
