/**
 * The bot keeps URL documents in sync (DOCENT_SYNC_INTERVAL): every interval it fetches each one
 * again with its validators (`syncUrls`), re-indexes once when pages changed, and posts a summary
 * to the moderator channel, as the corpus watcher does for its re-indexes. A pass where nothing
 * changed posts nothing; failures are posted when they differ from the last ones posted, not on
 * every pass. One pass at a time; a pass is never a crash.
 */
import { isUserError } from '../errors.js';
import { syncUrls, describeUrlRun, type UrlRun } from '../ingest/url-sources.js';
import { listWebDocuments } from '../ingest/web-document.js';
import { inertName } from '../text/inert.js';
import { notifyModerators } from './answer-flow.js';
import type { BotContext } from './context.js';
import { renderReport } from './format.js';

/**
 * Runs `fn` after `firstMs`, then every `ms`; returns a function that stops it. Injectable so
 * tests fire a pass themselves.
 */
export type Schedule = (fn: () => void, ms: number, firstMs: number) => () => void;

const intervalSchedule: Schedule = (fn, ms, firstMs) => {
  let every: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    every = setInterval(fn, ms);
    every.unref();
    fn();
  }, firstMs);
  first.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
};

/**
 * When the first pass is due: an interval after the oldest `fetched_at` of the URL documents, at
 * once when that is past (0). Counting from the start instead, a bot restarted more often than
 * DOCENT_SYNC_INTERVAL (a deploy a day, a 1-day interval) never synced at all.
 */
export async function firstPassDelay(corpusDir: string, ms: number, now: Date): Promise<number> {
  const times = (await listWebDocuments(corpusDir)).map((d) => Date.parse(d.fetchedAt));
  if (times.length === 0) return ms;
  // a fetched_at that cannot be read counts as long ago
  const oldest = Math.min(...times.map((t) => (Number.isNaN(t) ? -Infinity : t)));
  return Math.max(0, Math.min(ms, oldest + ms - now.getTime()));
}

export interface UrlSync {
  /** One sync pass now (or the one already running); resolves with its outcome, or null when it could not run. */
  runNow(): Promise<UrlRun | null>;
  /** Stops the timer and the pass under way (its fetches cancelled, nothing written; a write already under the lock finishes), and resolves once it has ended. */
  stop(): Promise<void>;
}

/** A run's lines for Discord: URLs in <…> (no link previews), titles and paths inert. */
export function describeUrlRunForDiscord(run: UrlRun): string {
  return describeUrlRun(run, { link: (u) => `<${u}>`, name: (s) => `\`${inertName(s)}\`` }).join('\n');
}

/**
 * Starts the timer when DOCENT_SYNC_INTERVAL is set (null otherwise): the first pass when the
 * oldest URL document is due (`firstPassDelay`), then every interval.
 */
export async function startUrlSync(ctx: BotContext, opts: { track: (work: Promise<unknown>) => void; schedule?: Schedule; now?: () => Date }): Promise<UrlSync | null> {
  const ms = ctx.config.urls.syncIntervalMs;
  if (ms === null) return null;
  const firstMs = await firstPassDelay(ctx.config.corpusDir, ms, (opts.now ?? (() => new Date()))());
  let running: Promise<UrlRun | null> | null = null;
  const stopping = new AbortController();
  let lastFailures = '';
  // the error last posted: a full disk or a refused write fails every pass the same way until
  // someone acts, and is posted once (again when it changes, or after a pass that succeeded)
  let lastError = '';
  const pass = async (): Promise<UrlRun | null> => {
    let run: UrlRun;
    try {
      run = await syncUrls({ docent: ctx.docent, config: ctx.config, signal: stopping.signal }, { by: 'URL sync (DOCENT_SYNC_INTERVAL)' });
    } catch (err) {
      if (stopping.signal.aborted) {
        ctx.logger.info('URL sync stopped with the bot; nothing was written');
        return null;
      }
      // a busy index or a full disk: nothing was written, the next pass tries again
      ctx.logger.warn('URL sync could not write its changes', { err });
      const why = isUserError(err) ? err.message : 'an unexpected error (logged)';
      const key = isUserError(err) ? `${err.code} ${why}` : `unexpected ${err instanceof Error ? err.message : String(err)}`;
      if (key !== lastError) {
        lastError = key;
        await notifyModerators(ctx, `🔄 URL sync: the changed pages could not be written — ${why}. The next pass tries again (this error is not posted again until it changes).`);
      }
      return null;
    }
    lastError = '';
    const failed = run.pages.filter((p) => p.status === 'failed');
    // a page that failed or was skipped for the same reason as last time is not posted again
    const failures = run.pages.filter((p) => p.status === 'failed' || p.status === 'skipped').map((p) => `${p.url} ${p.source ?? ''} ${p.code}`).sort().join('\n');
    ctx.logger.info('URL sync', { pages: run.pages.length, changed: run.pages.filter((p) => p.status === 'updated').length, failed: failed.length, generation: run.report?.generation });
    const changed = run.report !== null && !run.report.noChange;
    if (changed || failures !== lastFailures) {
      lastFailures = failures;
      const text = `🔄 URL sync: ${describeUrlRunForDiscord(run)}`;
      await notifyModerators(ctx, run.report ? `${text}\n${renderReport('Re-indexed', run.report)}` : text);
    }
    return run;
  };
  const runNow = () => {
    if (stopping.signal.aborted) return Promise.resolve(null);
    if (!running) {
      running = pass().finally(() => (running = null));
      opts.track(running);
    }
    return running;
  };
  const stopTimer = (opts.schedule ?? intervalSchedule)(() => void runNow(), ms, firstMs);
  return {
    runNow,
    async stop() {
      stopTimer();
      stopping.abort();
      await running;
    },
  };
}
