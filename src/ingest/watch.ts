/**
 * Watches a corpus folder and runs a check after it changes: file-system events (`fs.watch`,
 * recursive) debounced, or, where events are not available (or DOCENT_WATCH=poll), the check on a
 * timer. The check itself (`Docent.ensureFresh()`) decides whether anything changed, so a
 * spurious event costs one cheap check, and a missed one is caught by the next.
 */
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger, type Logger } from '../log.js';

export interface WatchOptions {
  /** `auto`: events, falling back to polling; `poll`: polling only. */
  mode: 'auto' | 'poll';
  /** Quiet time after the last event before the check runs, ms. */
  debounceMs: number;
  /** Interval of the check when polling, ms. */
  pollMs: number;
  logger?: Logger;
}

export interface CorpusWatcher {
  /** `events` while fs.watch works, `poll` otherwise. */
  readonly mode: 'events' | 'poll';
  /** Resolves once no check is scheduled or running (tests wait on it instead of sleeping). */
  settled(): Promise<void>;
  /** Runs the check again after `ms` (e.g. another writer held the index lock). */
  retry(ms: number): void;
  close(): Promise<void>;
}

/**
 * Starts watching `dir` and runs `check` once at start (the corpus may have changed while nothing
 * watched), then after every burst of changes. Checks never overlap: a change during a check
 * schedules one more.
 */
export function watchCorpus(dir: string, check: () => Promise<void>, opts: WatchOptions): CorpusWatcher {
  const logger = opts.logger ?? silentLogger;
  let mode: 'events' | 'poll' = 'poll';
  let fsWatcher: fs.FSWatcher | null = null;
  let poller: NodeJS.Timeout | null = null;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let retryMs: number | null = null;
  let closed = false;
  const waiters: Array<() => void> = [];

  const settle = () => {
    if (!timer && !running && !again) for (const w of waiters.splice(0)) w();
  };
  const run = () => {
    timer = null;
    if (closed) return settle();
    if (running) {
      again = true;
      return;
    }
    running = check()
      .catch((err: unknown) => logger.error('corpus check failed', { err }))
      .finally(() => {
        running = null;
        if (again) schedule(opts.debounceMs);
        else if (retryMs !== null) schedule(retryMs);
        again = false;
        retryMs = null;
        settle();
      });
  };
  function schedule(ms: number): void {
    if (closed) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(run, ms);
  }

  const startPolling = (why: string) => {
    mode = 'poll';
    if (closed || poller) return;
    logger.info('watching the corpus by polling', { dir, everyMs: opts.pollMs, why });
    poller = setInterval(() => {
      if (!timer && !running) run();
    }, opts.pollMs);
  };

  if (opts.mode === 'auto') {
    try {
      fsWatcher = fs.watch(dir, { recursive: true }, (_event, name) => {
        // names the corpus walk ignores (".git/…", ".upload.tmp") change nothing that is indexed
        const rel = name ? String(name) : '';
        if (rel && rel.split(/[\\/]/).some((part) => part.startsWith('.'))) return;
        schedule(opts.debounceMs);
      });
      fsWatcher.on('error', (err) => {
        logger.warn('corpus watch failed; polling instead', { dir, err });
        fsWatcher?.close();
        fsWatcher = null;
        startPolling('fs.watch failed');
      });
      mode = 'events';
      logger.info('watching the corpus for changes', { dir: path.resolve(dir), debounceMs: opts.debounceMs });
    } catch (err) {
      // recursive watching is unavailable on some platforms; a missing folder may appear later
      startPolling(`fs.watch unavailable: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } else {
    startPolling('DOCENT_WATCH=poll');
  }
  schedule(0);

  return {
    get mode() {
      return mode;
    },
    settled() {
      return !timer && !running && !again ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve));
    },
    retry(ms: number) {
      // asked for from inside the check: scheduled once the check is over
      if (running) retryMs = ms;
      else schedule(ms);
    },
    async close() {
      closed = true;
      fsWatcher?.close();
      if (poller) clearInterval(poller);
      if (timer) clearTimeout(timer);
      timer = null;
      again = false;
      await running;
      settle();
    },
  };
}
