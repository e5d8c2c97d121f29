/**
 * The bot keeps its index fresh on its own: it watches the corpus folder (DOCENT_WATCH), and after
 * a change (debounced) asks the pipeline's one staleness check, `docent.ensureFresh()`, which
 * re-indexes what changed. The re-index report goes to the moderator channel; so does a change
 * the bot leaves alone (a generation pinned by /rollback) or cannot index (a failed build, after
 * which the previous generation keeps serving).
 */
import { watchCorpus, type CorpusWatcher } from '../ingest/watch.js';
import { notifyModerators } from './answer-flow.js';
import type { BotContext } from './context.js';
import { renderFreshnessProblem, renderReport } from './format.js';

/** Another writer holds the index lock: check again after this long (ms, at least the debounce). */
const RETRY_MS = 2000;

export function startCorpusWatch(ctx: BotContext): CorpusWatcher | null {
  const { config, logger } = ctx;
  if (config.watch === 'off') return null;
  // the same problem is posted once, not after every event
  let lastProblem = '';
  const watcher: CorpusWatcher = watchCorpus(
    config.corpusDir,
    async () => {
      const f = await ctx.docent.ensureFresh({ purpose: 'automatic re-index (the bot saw the corpus change)' });
      if (f.action === 'fresh') return;
      if (f.action === 'busy') {
        logger.info('corpus changed while another re-index runs; checking again after it', { generation: f.status.generation });
        watcher.retry(Math.max(RETRY_MS, config.watchDebounceMs));
        return;
      }
      if (f.action === 'reindexed') {
        lastProblem = '';
        logger.info('corpus changed: re-indexed', { generation: f.report.generation, added: f.report.added.length, changed: f.report.changed.length, removed: f.report.removed.length });
        if (!f.report.noChange) await notifyModerators(ctx, renderReport('Corpus changed — re-indexed automatically', f.report));
        return;
      }
      const text = renderFreshnessProblem(f);
      logger.warn('corpus differs from the serving index', { action: f.action, generation: f.status.generation });
      if (text && text !== lastProblem) {
        lastProblem = text;
        await notifyModerators(ctx, text);
      }
    },
    { mode: config.watch, debounceMs: config.watchDebounceMs, pollMs: config.watchPollMs, logger },
  );
  return watcher;
}
