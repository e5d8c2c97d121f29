import { MessageFlags, type InteractionReplyOptions } from 'discord.js';
import type { OutgoingMessage } from './format.js';

/** Nothing the bot sends may ping: not @everyone, roles or users quoted from a document. */
export const NO_MENTIONS = { parse: [] as [] };

export function safe<T extends object>(payload: T): T & { allowedMentions: typeof NO_MENTIONS } {
  return { ...payload, allowedMentions: NO_MENTIONS };
}

export function ephemeral(content: string): InteractionReplyOptions & { flags: MessageFlags.Ephemeral } {
  return { content, flags: MessageFlags.Ephemeral, allowedMentions: NO_MENTIONS };
}

/** Payload for a message: empty content becomes undefined (Discord rejects ""). */
export function toPayload(m: OutgoingMessage) {
  return safe({ content: m.content === '' ? undefined : m.content, embeds: m.embeds ?? [], components: m.components ?? [] });
}
