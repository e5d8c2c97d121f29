import { MAX_TURNS, remember } from '../conversation.js';
import type { Turn } from '../types.js';
import { LRUCache } from 'lru-cache';

/** One conversation with the bot: the turns so far, oldest first. */
export interface Conversation {
  id: string;
  turns: Turn[];
}

/**
 * In-memory conversation state, reachable by several keys: each bot answer message
 * (`msg:<id>`), a thread the bot opened (`thread:<id>`) and a DM channel (`dm:<id>`).
 * Bounded: least recently used keys go first, and keys expire after `ttlMs` without use.
 */
export class ConversationStore {
  private readonly byKey: LRUCache<string, Conversation>;
  private seq = 0;
  constructor(opts: { maxKeys?: number; ttlMs?: number; maxTurns?: number; now?: () => number } = {}) {
    this.byKey = new LRUCache({ max: opts.maxKeys ?? 2000, ttl: opts.ttlMs ?? 60 * 60_000, updateAgeOnGet: true, ...(opts.now ? { perf: { now: opts.now }, ttlResolution: 0 } : {}) });
    this.maxTurns = opts.maxTurns ?? MAX_TURNS;
  }
  private readonly maxTurns: number;

  find(...keys: Array<string | undefined>): Conversation | undefined {
    for (const k of keys) {
      if (k === undefined) continue;
      const c = this.byKey.get(k);
      if (c) return c;
    }
    return undefined;
  }

  create(): Conversation {
    return { id: `c${++this.seq}`, turns: [] };
  }

  /** Appends a finished turn (keeping the last `maxTurns`, the pipeline's policy) and makes it reachable by `keys`. */
  record(conv: Conversation, turn: Turn, keys: string[]): void {
    // a copy: an answer's text is cut from the documents of the generation that answered, and a
    // turn kept for an hour must not keep that generation's texts in memory
    conv.turns = remember(conv.turns, structuredClone(turn), this.maxTurns);
    for (const k of keys) this.byKey.set(k, conv);
  }

  link(conv: Conversation, key: string): void {
    this.byKey.set(key, conv);
  }
}
