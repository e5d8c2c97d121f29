import { randomBytes } from 'node:crypto';
import fsSync from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { UserError } from '../errors.js';

/**
 * One writer per index directory, on `proper-lockfile`: the lock is the directory
 * `<index>/.lock`, taken atomically, kept fresh by an mtime heartbeat while held, and judged
 * stale when its holder is gone. proper-lockfile runs the protocol (take, stale → remove → take
 * again, heartbeat, compromise detection, release on exit); the file operations it calls are
 * ours (its `fs` option), for two reasons:
 *
 * - **No double holders when a stale lock is cleared.** proper-lockfile removes a stale lock with
 *   `rmdir(path)`, so of two processes that both judged the same lock stale, the slower one can
 *   remove the lock the faster one has just taken, and both hold it (moxystudio/node-proper-lockfile
 *   #121; reproduced here in 14 of 300 rounds). Here a lock directory is never empty: it is born
 *   complete, with a `holder-<token>.json` inside, by renaming a prepared directory into place
 *   (`rename` onto a non-empty directory fails, so this is as atomic as `mkdir`), and a stale
 *   lock is removed by unlinking *that* holder file by its unique name, then `rmdir`, which fails
 *   on a fresh lock. Whatever the interleaving, a remover can only ever delete the lock it judged.
 * - **Who holds it, and whether they are gone.** The holder file names the purpose, pid, host and
 *   start time (for the `INDEX_LOCKED` message). On the same host and pid namespace, a holder is
 *   gone when its process is (pid gone, a zombie, or reused: its start time differs from the one
 *   recorded, or, for a lock that recorded none, the process started after the lock was taken), so a
 *   SIGKILLed build on this machine is taken over at once and a live one is never, however busy
 *   its event loop. A holder on another host or container (another hostname, or another pid
 *   namespace, e.g. a recreated container) is judged by the heartbeat alone: stale once the
 *   holder file's mtime is older than `staleMs`.
 */

export interface LockInfo {
  purpose: string;
  pid: number;
  host: string;
  /** When the lock was taken (ISO time). */
  startedAt: string;
  /** Linux pid namespace of the holder (`pid:[4026531836]`): pids only mean something inside one. */
  pidNs?: string;
  /** Linux start time of the holder process (clock ticks since boot): a reused pid has another. */
  pidStart?: string;
  /** Unique per acquisition; the holder file is named after it. */
  token?: string;
}

export interface LockHandle {
  readonly purpose: string;
  readonly info: LockInfo;
  /** Aborted when this process loses the lock while holding it (its heartbeat failed); the reason is an `INDEX_LOCK_LOST` error. */
  readonly signal: AbortSignal;
  /** Resolves while the lock is still ours (checked on disk); else throws `INDEX_LOCK_LOST`. */
  ensureHeld(): Promise<void>;
  /** Gives the lock up (idempotent; a lost lock is left to its new holder). */
  release(): Promise<void>;
}

export interface LockOptions {
  /** A lock of another host or container whose heartbeat is older than this is stale (ms; at least 2000, default 30000). */
  staleMs?: number;
  /** Heartbeat interval (ms; at least 1000, at most staleMs / 2; default 5000). */
  updateMs?: number;
}

const LOCK_NAME = '.lock';
export const DEFAULT_LOCK_STALE_MS = 30_000;
const HOLDER_RE = /^holder-[\w-]+\.json$/;

/** Tokens of the locks this process holds (a same-process contender must not take them for a previous incarnation's). */
export const liveTokens = new Set<string>();

function readLinkSafe(p: string): string | undefined {
  try {
    return fsSync.readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** State and start time of a process from /proc; null when there is no such process, undefined without /proc. */
function procStat(pid: number): { state: string; start: string } | null | undefined {
  if (!HAS_PROC) return undefined;
  let text: string;
  try {
    text = fsSync.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid … starttime …": comm may hold spaces and parentheses
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], start: fields[19] };
}

const HAS_PROC = fsSync.existsSync('/proc/self/stat');
const PID_NS = readLinkSafe('/proc/self/ns/pid');
const SELF_START = procStat(process.pid)?.start;

/** Boot time (ms since the epoch) and clock ticks per second, to turn a /proc start time into a date; null without /proc. */
const CLOCK = (() => {
  try {
    const btime = Number(/^btime (\d+)$/m.exec(fsSync.readFileSync('/proc/stat', 'utf8'))?.[1]);
    const selfTicks = Number(SELF_START);
    const selfStartedSec = (Date.now() - process.uptime() * 1000) / 1000 - btime;
    if (!btime || !selfTicks || selfStartedSec <= 0) return null;
    // USER_HZ is 100 on nearly every Linux; measured against our own start in case it is not
    const hz = [100, 250, 300, 1000].reduce((best, h) => (Math.abs(selfTicks / h - selfStartedSec) < Math.abs(selfTicks / best - selfStartedSec) ? h : best), 100);
    return { bootMs: btime * 1000, hz };
  } catch {
    return null;
  }
})();

/** When a process started (ms since the epoch, to about a second), from /proc; undefined when unknown. */
function startedAtMs(start: string): number | undefined {
  return CLOCK && /^\d+$/.test(start) ? CLOCK.bootMs + (Number(start) / CLOCK.hz) * 1000 : undefined;
}

/** Is a process with this pid running on this host (EPERM: running, not ours)? */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * `local-alive` / `local-dead` when this host can tell, `remote` when only the heartbeat can. A
 * live pid is the holder only if it is the same process: the start time recorded with the lock
 * matches, or (a lock that recorded none) the process started before the lock was taken; a pid
 * reused by a later process would otherwise block every writer forever. Without /proc to tell,
 * the heartbeat decides.
 */
function holderState(info: LockInfo | null): 'local-alive' | 'local-dead' | 'remote' {
  if (!info || !Number.isInteger(info.pid)) return 'remote';
  if (info.host !== os.hostname()) return 'remote';
  if (info.pidNs !== undefined && PID_NS !== undefined && info.pidNs !== PID_NS) return 'remote';
  if (info.pid === process.pid) return info.token !== undefined && liveTokens.has(info.token) ? 'local-alive' : 'local-dead';
  const st = procStat(info.pid);
  if (st === undefined) return pidAlive(info.pid) ? 'remote' : 'local-dead';
  if (st === null || st.state === 'Z' || st.state === 'X') return 'local-dead';
  if (info.pidStart !== undefined) return st.start === info.pidStart ? 'local-alive' : 'local-dead';
  const started = startedAtMs(st.start);
  const taken = Date.parse(info.startedAt);
  if (started === undefined || !Number.isFinite(taken)) return 'remote';
  // a second or two of slack: /proc's boot time is in whole seconds
  return started > taken + 2000 ? 'local-dead' : 'local-alive';
}

type Seen =
  | { kind: 'none' }
  /** the current layout: a directory with one holder file (or, abandoned mid-removal, none) */
  | { kind: 'dir'; entries: string[]; info: LockInfo | null; holder: string | null; mtimeMs: number }
  /** a lock file of an earlier Docent (pid lock), still honoured */
  | { kind: 'legacy'; info: LockInfo | null; mtimeMs: number };

function parseInfo(text: string): LockInfo | null {
  try {
    const info = JSON.parse(text) as LockInfo;
    return info && typeof info === 'object' && Number.isInteger(info.pid) ? info : null;
  } catch {
    return null;
  }
}

const isCode = (err: unknown, ...codes: string[]) => codes.includes((err as NodeJS.ErrnoException)?.code ?? '');

async function inspect(lockPath: string): Promise<Seen> {
  try {
    const st = await fs.lstat(lockPath);
    if (!st.isDirectory()) return { kind: 'legacy', info: parseInfo(await fs.readFile(lockPath, 'utf8')), mtimeMs: st.mtimeMs };
    const entries = await fs.readdir(lockPath);
    const holder = entries.find((n) => HOLDER_RE.test(n)) ?? null;
    if (!holder) return { kind: 'dir', entries, info: null, holder, mtimeMs: st.mtimeMs };
    const file = path.join(lockPath, holder);
    const [text, hst] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    return { kind: 'dir', entries, info: parseInfo(text), holder, mtimeMs: hst.mtimeMs };
  } catch (err) {
    // gone, or changing under us (released, or an earlier version's file replaced by a lock
    // directory): the caller looks again
    if (isCode(err, 'ENOENT', 'ENOTDIR', 'EISDIR')) return { kind: 'none' };
    throw err;
  }
}

/** Who this process is, as a lock records it (the Postgres store's lock row holds the same). */
export function holderInfo(purpose: string, token: string): LockInfo {
  const info: LockInfo = { purpose, pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), token };
  if (PID_NS) info.pidNs = PID_NS;
  if (SELF_START) info.pidStart = SELF_START;
  return info;
}

/** True when this host can tell that the lock's holder process is gone (a SIGKILLed build on this machine is taken over at once). */
export function holderIsGone(info: LockInfo): boolean {
  return holderState(info) === 'local-dead';
}

function isStale(seen: Exclude<Seen, { kind: 'none' }>, staleMs: number): boolean {
  if (seen.kind === 'dir' && seen.entries.length === 0) return true; // abandoned mid-removal: never a live lock
  if (seen.kind === 'dir' && !seen.holder) return Date.now() - seen.mtimeMs > staleMs;
  const state = holderState(seen.info);
  if (state !== 'remote') return state === 'local-dead';
  return Date.now() - seen.mtimeMs > staleMs;
}

const errno = (code: string, message: string) => Object.assign(new Error(message), { code });

/** The `fs` that proper-lockfile drives for one acquisition (see the comment at the top). */
function lockFs(lockPath: string, holderName: string, info: LockInfo, staleMs: number, state: { held: boolean; seen: LockInfo | null }) {
  const holderPath = path.join(lockPath, holderName);
  const done = <T>(p: Promise<T>, cb: (err: Error | null, v?: T) => void) => void p.then((v) => cb(null, v), (e: Error) => cb(e));

  /** "mkdir": a complete lock directory renamed into place; EEXIST when there is one. */
  async function take(): Promise<void> {
    const tmp = `${lockPath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await fs.mkdir(tmp);
    try {
      await fs.writeFile(path.join(tmp, holderName), JSON.stringify(info));
      liveTokens.add(info.token!);
      await fs.rename(tmp, lockPath);
      state.held = true;
    } catch (err) {
      liveTokens.delete(info.token!);
      await fs.rm(tmp, { recursive: true, force: true });
      // a lock directory (never empty) or an earlier version's lock file is in the way
      if (isCode(err, 'EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EISDIR')) throw errno('EEXIST', `${lockPath} exists`);
      throw err;
    }
  }

  /** "stat" while contending: mtime 0 when the lock is stale, now when it is not (the verdict is ours). */
  async function judge(): Promise<{ mtime: Date }> {
    const seen = await inspect(lockPath);
    if (seen.kind === 'none') throw errno('ENOENT', `${lockPath} is gone`);
    if (seen.info) state.seen = seen.info;
    return { mtime: isStale(seen, staleMs) ? new Date(0) : new Date() };
  }

  /** "rmdir" while contending: removes the lock only if it is still the stale one, by its holder file's name. */
  async function clearStale(): Promise<void> {
    const seen = await inspect(lockPath);
    if (seen.kind === 'none') return;
    if (seen.info) state.seen = seen.info;
    const locked = errno('ELOCKED', 'Lock file is already being held');
    if (!isStale(seen, staleMs)) throw locked;
    if (seen.kind === 'legacy') {
      // unlink never removes a directory, so this cannot hit a lock taken meanwhile
      await fs.unlink(lockPath).catch((err) => {
        if (!isCode(err, 'ENOENT')) throw locked;
      });
      return;
    }
    for (const name of seen.entries) {
      await fs.unlink(path.join(lockPath, name)).catch((err) => {
        if (!isCode(err, 'ENOENT')) throw err;
      });
    }
    await fs.rmdir(lockPath).catch((err) => {
      if (isCode(err, 'ENOENT')) return;
      if (isCode(err, 'ENOTEMPTY', 'EEXIST')) throw locked; // someone took it meanwhile
      throw err;
    });
  }

  /** "rmdir" while holding (release): our holder file, then the directory if it is still empty. */
  async function giveUp(): Promise<void> {
    state.held = false;
    try {
      await fs.unlink(holderPath);
    } catch (err) {
      if (isCode(err, 'ENOENT')) return; // not ours any more
      throw err;
    }
    await fs.rmdir(lockPath).catch((err) => {
      if (!isCode(err, 'ENOENT', 'ENOTEMPTY', 'EEXIST')) throw err;
    });
  }

  return {
    mkdir: (_p: string, cb: (err: Error | null) => void) => done(take(), cb),
    stat: (_p: string, cb: (err: Error | null, st?: unknown) => void) => done(state.held ? fs.stat(holderPath) : judge(), cb),
    utimes: (_p: string, atime: Date, mtime: Date, cb: (err: Error | null) => void) =>
      done(state.held ? fs.utimes(holderPath, atime, mtime) : Promise.reject(errno('ENOENT', 'not held')), cb),
    rmdir: (_p: string, cb: (err: Error | null) => void) => done(state.held ? giveUp() : clearStale(), cb),
    /** on process exit (proper-lockfile's signal-exit hook) */
    rmdirSync: () => {
      if (!state.held) return;
      state.held = false;
      try {
        fsSync.unlinkSync(holderPath);
        fsSync.rmdirSync(lockPath);
      } catch {
        // not ours any more, or not empty
      }
    },
  };
}

export function lockedError(holder: LockInfo | null, staleMs: number): UserError {
  if (!holder) {
    return new UserError('INDEX_LOCKED', `Another re-index is running (its lock cannot be read; it is cleared ${staleMs / 1000} s after its last change). Try again when it has finished.`);
  }
  const remote = holderState(holder) === 'remote';
  return new UserError(
    'INDEX_LOCKED',
    `Another re-index is running (${holder.purpose}, pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}). Try again when it has finished.` +
      (remote ? ` If that host or container is gone, its lock is cleared ${staleMs / 1000} s after its last heartbeat.` : ''),
  );
}

/**
 * Takes the index lock for `purpose` ("npm run ingest", "upload of a.md" …) or throws
 * `INDEX_LOCKED` naming the holder. The handle keeps the lock fresh until `release()`; if the
 * lock is lost meanwhile (its heartbeat failed), `handle.signal` is aborted and `ensureHeld()` throws
 * `INDEX_LOCK_LOST` (nothing crashes: the build checks before it switches).
 */
export async function acquireLock(indexDir: string, purpose: string, opts: LockOptions = {}): Promise<LockHandle> {
  await fs.mkdir(indexDir, { recursive: true });
  const staleMs = Math.max(2000, opts.staleMs ?? DEFAULT_LOCK_STALE_MS);
  const updateMs = Math.max(1000, Math.min(opts.updateMs ?? 5000, staleMs / 2));
  const lockPath = path.join(indexDir, LOCK_NAME);
  const token = `${process.pid}-${randomBytes(6).toString('hex')}`;
  const info = holderInfo(purpose, token);
  const holderName = `holder-${token}.json`;
  const state = { held: false, seen: null as LockInfo | null };
  const lost = new AbortController();
  let released = false;
  const lostError = (cause?: unknown) =>
    new UserError(
      'INDEX_LOCK_LOST',
      `The index lock (${purpose}) was lost${cause instanceof Error ? ` (${cause.message})` : ''}, so nothing was switched. Try again.`,
      { cause },
    );
  let unlock: () => Promise<void>;
  try {
    unlock = await lockfile.lock(indexDir, {
      lockfilePath: lockPath,
      realpath: false,
      stale: staleMs,
      update: updateMs,
      retries: 0,
      fs: lockFs(lockPath, holderName, info, staleMs, state),
      onCompromised: (err) => {
        // proper-lockfile's default throws from a timer (the process would crash): record it,
        // and let our holder file go so that no one waits for a lock we no longer use
        state.held = false;
        lost.abort(lostError(err));
        liveTokens.delete(token);
        void fs.unlink(path.join(lockPath, holderName)).then(() => fs.rmdir(lockPath)).catch(() => {});
      },
    });
  } catch (err) {
    if (isCode(err, 'ELOCKED')) throw lockedError(state.seen ?? (await readLock(indexDir)), staleMs);
    throw err;
  }
  return {
    purpose,
    info,
    signal: lost.signal,
    async ensureHeld() {
      if (released) throw new UserError('INDEX_LOCK_LOST', `The index lock (${purpose}) was already released.`);
      if (!lost.signal.aborted) {
        try {
          await fs.access(path.join(lockPath, holderName));
        } catch (err) {
          lost.abort(lostError(err));
        }
      }
      lost.signal.throwIfAborted();
    },
    async release() {
      if (released) return;
      released = true;
      try {
        await unlock();
      } catch (err) {
        // already released by a lost heartbeat: nothing of ours is left to remove
        if (!isCode(err, 'ERELEASED', 'ENOTACQUIRED')) throw err;
      } finally {
        liveTokens.delete(token);
      }
    },
  };
}

/** Who holds the index lock (null when no one does or it cannot be read). */
export async function readLock(indexDir: string): Promise<LockInfo | null> {
  const seen = await inspect(path.join(indexDir, LOCK_NAME)).catch(() => ({ kind: 'none' }) as const);
  return seen.kind === 'none' ? null : seen.info;
}
