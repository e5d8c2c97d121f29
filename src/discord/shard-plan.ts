/**
 * How many shards `start:sharded` runs and in which groups they start: DISCORD_SHARD_COUNT, or for
 * `auto` the count Discord recommends in GET /gateway/bot; shards start `max_concurrency` at a
 * time (Discord's identify buckets), the next group one identify window later.
 */
import type { Config } from '../config.js';

export interface ShardPlan {
  count: number;
  /** Shards that may identify at once (Discord's `max_concurrency`). */
  concurrency: number;
  /** Where the count came from, for the start-up log. */
  source: 'DISCORD_SHARD_COUNT' | 'Discord';
}

/** The shard count (DISCORD_SHARD_COUNT, or Discord's recommendation for `auto`) and identify concurrency. */
export function planShards(config: Config, gateway: { shards: number; session_start_limit: { max_concurrency: number } }): ShardPlan {
  const configured = config.discord.shardCount;
  const count = configured === 'auto' ? Math.max(1, gateway.shards) : configured;
  return { count, concurrency: Math.max(1, gateway.session_start_limit.max_concurrency), source: configured === 'auto' ? 'Discord' : 'DISCORD_SHARD_COUNT' };
}

/** Shard ids in the order and groups they start: one group per identify window, `concurrency` at a time. */
export function spawnBatches(plan: Pick<ShardPlan, 'count' | 'concurrency'>): number[][] {
  const batches: number[][] = [];
  for (let i = 0; i < plan.count; i += plan.concurrency) batches.push(Array.from({ length: Math.min(plan.concurrency, plan.count - i) }, (_, k) => i + k));
  return batches;
}
