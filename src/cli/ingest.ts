import cliProgress from 'cli-progress';
import { createEmbeddings } from '../embeddings/index.js';
import { buildIndex, type BuildProgress } from '../ingest/build.js';
import { rollbackIndex } from '../pipeline.js';
import { cliConfig, cliLogger, parseCli, runMain } from './common.js';

const USAGE = `Usage
  npm run ingest -- [options]

Options
  --corpus DIR   corpus folder (default: DOCENT_CORPUS_DIR or ./corpus)
  --index DIR    index folder (default: DOCENT_INDEX_DIR or ./.docent/index)
  --force        write a new generation even if nothing changed
  --rollback     switch back to the previous index generation and exit
  --quiet        no progress bar
  -h, --help

Examples
  npm run ingest
  npm run ingest -- --corpus ./docs --index ./.docent/docs-index
  npm run ingest -- --rollback`;

const STAGE: Record<BuildProgress['stage'], string> = { load: 'reading', chunk: 'chunking', embed: 'embedding', index: 'indexing', write: 'writing' };

await runMain(async () => {
  const args = parseCli(process.argv.slice(2), {
    corpus: { type: 'string' },
    index: { type: 'string' },
    force: { type: 'boolean', default: false },
    rollback: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  }, USAGE);
  if (!args) return;
  const v = args.values;
  if (v.help) return void process.stdout.write(USAGE + '\n');
  const config = cliConfig({ corpus: v.corpus, index: v.index });
  if (v.rollback) {
    const g = await rollbackIndex(config.indexDir);
    process.stdout.write(`Rolled back: ${g} is serving now.\n`);
    return;
  }
  const logger = cliLogger(config);
  const embeddings = await createEmbeddings(config);
  const tty = process.stderr.isTTY && !v.quiet;
  const bar = tty ? new cliProgress.SingleBar({ format: '{stage} [{bar}] {value}/{total} {detail}', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic) : null;
  let shown: string | null = null;
  const onProgress = (p: BuildProgress) => {
    if (!bar) return;
    const payload = { stage: STAGE[p.stage].padEnd(9), detail: (p.detail ?? '').slice(0, 40) };
    if (shown !== p.stage) {
      if (shown) bar.stop();
      bar.start(Math.max(1, p.total), p.done, payload);
      shown = p.stage;
    } else bar.update(p.done, payload);
  };
  const r = await buildIndex({ config, embeddings, logger, onProgress, force: v.force, purpose: 'npm run ingest' });
  bar?.stop();
  const files = r.added.length + r.changed.length + r.unchanged.length;
  const out = [
    r.noChange
      ? `Index is up to date (${r.generation}): nothing changed, nothing re-embedded.`
      : `Built ${r.generation}: ${r.chunks} chunks, ${r.embedded} embedded, ${r.chunks - r.embedded} reused.`,
    `Files read: ${files + r.skipped.length} (indexed ${files}: ${r.added.length} added, ${r.changed.length} changed, ${r.unchanged.length} unchanged; ${r.removed.length} removed)`,
    ...(r.skipped.length ? [`Skipped ${r.skipped.length}:`, ...r.skipped.map((s) => `  ${s.source}: ${s.message} (${s.code})`)] : []),
    `Time: ${(r.ms / 1000).toFixed(2)} s`,
  ];
  process.stdout.write(out.join('\n') + '\n');
});
