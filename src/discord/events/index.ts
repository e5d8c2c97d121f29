import type { ClientEvents } from 'discord.js';
import type { BotContext } from '../context.js';

/** One client event handler. */
export interface Event<K extends keyof ClientEvents = keyof ClientEvents> {
  name: K;
  once?: boolean;
  execute(ctx: BotContext, ...args: ClientEvents[K]): Promise<void> | void;
}

export type AnyEvent = { [K in keyof ClientEvents]: Event<K> }[keyof ClientEvents];

export function isEvent(value: unknown): value is AnyEvent {
  const v = value as Partial<Event> | null;
  return !!v && typeof v === 'object' && typeof v.name === 'string' && typeof v.execute === 'function';
}
