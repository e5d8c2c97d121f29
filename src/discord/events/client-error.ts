import { Events } from 'discord.js';
import type { Event } from './index.js';

/** Without a listener, an 'error' event would crash the process. */
export default {
  name: Events.Error,
  execute(ctx, err) {
    ctx.logger.error('discord client error', { err });
  },
} satisfies Event<Events.Error>;
