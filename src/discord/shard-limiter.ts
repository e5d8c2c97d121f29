/**
 * One rate limiter for every shard of `start:sharded`: the manager process holds the limiter
 * (`LimiterHost`), and each shard's `RemoteLimiter` asks it over the shard's IPC channel. A user's
 * per-minute limit and the in-flight cap then hold across shards, as they do in one process.
 *
 * A request carries an id and is answered by id, so concurrent questions cannot mix replies up;
 * a reply that does not come within `timeoutMs` is a refusal (`BUSY`), never a hang, and a grant
 * that arrives after that is handed straight back. Leases a shard held when it died are released
 * by the host, so a crash does not eat into the in-flight cap for good.
 */
import type { Client } from 'discord.js';
import { silentLogger, type Logger } from '../log.js';
import type { Acquired, AnswerLimits } from './limiter.js';

/** Tags this module's messages, so discord.js's own IPC messages (and others') pass by. */
const TAG = '_docentLimiter';

type Refusal = Exclude<Acquired, { ok: true }>;
type Grant = { ok: true; lease: number } | Refusal;
type LimiterMessage =
  | { [TAG]: 'acquire'; id: number; userId: string }
  | { [TAG]: 'acquired'; id: number; grant: Grant }
  | { [TAG]: 'release'; lease: number };

/** A shard's end of the IPC channel to the manager, or the manager's end to one shard. */
export interface IpcChannel {
  send(message: unknown): Promise<unknown>;
  /** Subscribes to every message; returns the unsubscribe. */
  onMessage(listener: (message: unknown) => void): () => void;
}

function limiterMessage(m: unknown): LimiterMessage | null {
  return typeof m === 'object' && m !== null && TAG in m ? (m as LimiterMessage) : null;
}

const BUSY: Refusal = { ok: false, code: 'BUSY' };

/** A shard's limiter: asks the manager's `LimiterHost`. */
export class RemoteLimiter implements AnswerLimits {
  private nextId = 1;
  private readonly pending = new Map<number, (grant: Grant) => void>();
  /** Requests that timed out: a grant that still comes is released at once. Bounded. */
  private readonly abandoned = new Set<number>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly channel: IpcChannel,
    private readonly opts: { timeoutMs?: number; logger?: Logger } = {},
  ) {
    this.unsubscribe = channel.onMessage((raw) => {
      const m = limiterMessage(raw);
      if (m?.[TAG] !== 'acquired') return;
      const settle = this.pending.get(m.id);
      if (settle) return settle(m.grant);
      if (this.abandoned.delete(m.id) && m.grant.ok) this.release(m.grant.lease);
    });
  }

  tryAcquire(userId: string): Promise<Acquired> {
    const id = this.nextId++;
    const timeoutMs = this.opts.timeoutMs ?? 1000;
    return new Promise<Acquired>((resolve) => {
      const done = (grant: Grant) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (!grant.ok) return resolve(grant);
        let released = false;
        resolve({
          ok: true,
          release: () => {
            if (!released) this.release(grant.lease);
            released = true;
          },
        });
      };
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.abandoned.add(id);
        if (this.abandoned.size > 1000) this.abandoned.delete(this.abandoned.values().next().value!);
        (this.opts.logger ?? silentLogger).warn('the sharding manager did not answer the rate limiter in time: refused as busy', { timeoutMs });
        resolve(BUSY);
      }, timeoutMs);
      this.pending.set(id, done);
      this.channel.send({ [TAG]: 'acquire', id, userId } satisfies LimiterMessage).catch((err: unknown) => {
        // the channel is closed (the manager is gone): nobody will answer
        (this.opts.logger ?? silentLogger).warn('could not ask the sharding manager for a rate-limit token: refused as busy', { err });
        done(BUSY);
      });
    });
  }

  /** Stops listening; questions still waiting are refused. */
  close(): void {
    this.unsubscribe();
    for (const settle of [...this.pending.values()]) settle(BUSY);
  }

  private release(lease: number): void {
    // a lost release is handed back when this shard's process ends (the host releases its leases)
    this.channel.send({ [TAG]: 'release', lease } satisfies LimiterMessage).catch(() => {});
  }
}

/** The manager's side: serves one limiter to every shard attached. */
export class LimiterHost {
  private nextLease = 1;
  /** Granted leases by shard, to release those of a shard that died. */
  private readonly leases = new Map<number | string, Map<number, () => void>>();

  constructor(
    private readonly limiter: AnswerLimits,
    private readonly logger: Logger = silentLogger,
  ) {}

  /**
   * Serves `shard`'s requests on `channel` until the returned detach is called (when the shard's
   * process ends), which also releases every lease that process held.
   */
  attach(shard: number | string, channel: IpcChannel): () => void {
    const held = new Map<number, () => void>();
    this.leases.set(shard, held);
    const unsubscribe = channel.onMessage((raw) => {
      const m = limiterMessage(raw);
      if (m?.[TAG] === 'release') {
        held.get(m.lease)?.();
        held.delete(m.lease);
      } else if (m?.[TAG] === 'acquire') {
        void this.grant(m.userId, held).then((grant) =>
          channel.send({ [TAG]: 'acquired', id: m.id, grant } satisfies LimiterMessage).catch(() => {
            // the shard will never see it: do not keep its in-flight slot
            if (grant.ok) {
              held.get(grant.lease)?.();
              held.delete(grant.lease);
            }
          }),
        );
      }
    });
    return () => {
      unsubscribe();
      this.releaseAll(held);
      if (this.leases.get(shard) === held) this.leases.delete(shard);
    };
  }

  /** Releases what `shard` holds (its process died); it keeps being served once respawned. */
  shardGone(shard: number | string): void {
    const held = this.leases.get(shard);
    if (held) this.releaseAll(held);
  }

  private releaseAll(held: Map<number, () => void>): void {
    for (const release of held.values()) release();
    held.clear();
  }

  private async grant(userId: string, held: Map<number, () => void>): Promise<Grant> {
    let got: Acquired;
    try {
      got = await this.limiter.tryAcquire(userId);
    } catch (err) {
      this.logger.warn('rate limiter failed: refused as busy', { err });
      return BUSY;
    }
    if (!got.ok) return got;
    const lease = this.nextLease++;
    held.set(lease, got.release);
    return { ok: true, lease };
  }
}

/** The shard's IPC channel to its manager, or null when this client is not a shard of one. */
export function managerChannel(client: Client): IpcChannel | null {
  const util = client.shard;
  if (!util) return null;
  const parent = (util.parentPort ?? process) as unknown as NodeJS.EventEmitter;
  return {
    send: (message) => util.send(message),
    onMessage(listener) {
      parent.on('message', listener);
      return () => parent.off('message', listener);
    },
  };
}
