import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { planShards, spawnBatches } from '../../src/discord/shard-plan.js';

const gateway = (shards: number, maxConcurrency: number) => ({ shards, session_start_limit: { max_concurrency: maxConcurrency } });

describe('planShards', () => {
  it('GIVEN DISCORD_SHARD_COUNT=auto THEN the count Discord recommends in GET /gateway/bot', () => {
    expect(planShards(loadConfig({}), gateway(3, 1))).toEqual({ count: 3, concurrency: 1, source: 'Discord' });
  });

  it('GIVEN DISCORD_SHARD_COUNT=2 THEN two shards whatever Discord recommends, started as its max_concurrency allows', () => {
    expect(planShards(loadConfig({ DISCORD_SHARD_COUNT: '2' }), gateway(1, 16))).toEqual({ count: 2, concurrency: 16, source: 'DISCORD_SHARD_COUNT' });
  });
});

describe('spawnBatches', () => {
  it('GIVEN max_concurrency 1 THEN one shard per identify window; with 2, two at a time', () => {
    expect(spawnBatches({ count: 3, concurrency: 1 })).toEqual([[0], [1], [2]]);
    expect(spawnBatches({ count: 5, concurrency: 2 })).toEqual([[0, 1], [2, 3], [4]]);
  });
});
