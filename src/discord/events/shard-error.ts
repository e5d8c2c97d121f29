import { Events } from 'discord.js';
import type { Event } from './index.js';

/** Gateway connection errors; discord.js reconnects by itself, so these are logged only. */
export default {
  name: Events.ShardError,
  execute(ctx, err, shardId) {
    ctx.logger.warn('discord gateway error', { shardId, err });
  },
} satisfies Event<Events.ShardError>;
