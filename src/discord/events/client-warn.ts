import { Events } from 'discord.js';
import type { Event } from './index.js';

export default {
  name: Events.Warn,
  execute(ctx, message) {
    ctx.logger.warn('discord client warning', { message });
  },
} satisfies Event<Events.Warn>;
