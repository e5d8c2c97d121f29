/**
 * One writer per collection across processes and machines, behind the local lock's `LockHandle`:
 * a lease row in `docent_locks` (holder token, purpose, host, pid, heartbeat time). Session
 * advisory locks would not do: PGlite's socket server runs every connection on one session, so
 * they exclude nothing there, and a pooled connection may be dropped and replaced under us. The
 * row works on both: taken by an insert that only one process can make, kept fresh by a
 * heartbeat, judged stale after `staleMs` without one (or at once when this host can tell that
 * the holder process is gone, as locally), taken over by deleting exactly the stale token, and
 * checked again inside the switch transaction (`fence`), so a holder that lost it never switches.
 */
import { randomBytes } from 'node:crypto';
import { UserError } from '../../errors.js';
import { DEFAULT_LOCK_STALE_MS, holderInfo, holderIsGone, liveTokens, lockedError, type LockHandle, type LockInfo, type LockOptions } from '../lock.js';
import type { Db, Queryable } from './db.js';

export async function acquirePgLock(db: Db, collection: string, purpose: string, opts: LockOptions = {}): Promise<LockHandle> {
  const staleMs = Math.max(2000, opts.staleMs ?? DEFAULT_LOCK_STALE_MS);
  const updateMs = Math.max(1000, Math.min(opts.updateMs ?? 5000, staleMs / 2));
  const token = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const info = holderInfo(purpose, token);
  liveTokens.add(token);
  let taken = false;
  try {
    for (let attempt = 0; attempt < 3 && !taken; attempt++) {
      const ins = await db.query(
        'INSERT INTO docent_locks (collection, token, holder, heartbeat_at) VALUES ($1, $2, $3, now()) ON CONFLICT (collection) DO NOTHING RETURNING token',
        [collection, token, JSON.stringify(info)],
      );
      if (ins.rowCount) {
        taken = true;
        break;
      }
      const cur = (
        await db.query<{ token: string; holder: LockInfo; stale: boolean }>(
          'SELECT token, holder, now() - heartbeat_at > make_interval(secs => $2::float8 / 1000) AS stale FROM docent_locks WHERE collection = $1',
          [collection, staleMs],
        )
      ).rows[0];
      if (!cur) continue; // released meanwhile
      if (!cur.stale && !holderIsGone(cur.holder)) throw lockedError(cur.holder, staleMs);
      // stale: remove exactly the lock we judged (a fresh one taken meanwhile has another token)
      await db.query('DELETE FROM docent_locks WHERE collection = $1 AND token = $2', [collection, cur.token]);
    }
    if (!taken) throw lockedError((await readPgLock(db, collection)) ?? null, staleMs);
  } catch (err) {
    liveTokens.delete(token);
    throw err;
  }

  const lost = new AbortController();
  let released = false;
  const lostError = (why: string) => new UserError('INDEX_LOCK_LOST', `The index lock (${purpose}) was lost (${why}), so nothing was switched. Try again.`);
  const beat = setInterval(() => {
    db.query('UPDATE docent_locks SET heartbeat_at = now() WHERE collection = $1 AND token = $2', [collection, token]).then(
      (r) => {
        if (!r.rowCount && !released) {
          lost.abort(lostError('another process took it over'));
          clearInterval(beat);
        }
      },
      () => {}, // the database is away: the next beat tries again (others judge us by the heartbeat's age)
    );
  }, updateMs);
  beat.unref();
  return {
    purpose,
    info,
    signal: lost.signal,
    async ensureHeld() {
      if (released) throw new UserError('INDEX_LOCK_LOST', `The index lock (${purpose}) was already released.`);
      if (!lost.signal.aborted) {
        const r = await db.query('SELECT 1 FROM docent_locks WHERE collection = $1 AND token = $2', [collection, token]);
        if (!r.rowCount) lost.abort(lostError('another process took it over'));
      }
      lost.signal.throwIfAborted();
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      try {
        await db.query('DELETE FROM docent_locks WHERE collection = $1 AND token = $2', [collection, token]);
      } catch {
        // the database is away: the lease goes stale (on this host at once: the token is no longer live)
      } finally {
        liveTokens.delete(token);
      }
    },
  };
}

/** Inside the switch transaction: the lease is still ours (else `INDEX_LOCK_LOST`, and the transaction rolls back). */
export async function fence(client: Queryable, collection: string, lock: LockHandle): Promise<void> {
  const r = await client.query('SELECT 1 FROM docent_locks WHERE collection = $1 AND token = $2 FOR UPDATE', [collection, lock.info.token]);
  if (!r.rowCount) throw new UserError('INDEX_LOCK_LOST', `The index lock (${lock.purpose}) was lost (another process took it over), so nothing was switched. Try again.`);
}

export async function readPgLock(db: Db, collection: string): Promise<LockInfo | null> {
  return (await db.query<{ holder: LockInfo }>('SELECT holder FROM docent_locks WHERE collection = $1', [collection])).rows[0]?.holder ?? null;
}
