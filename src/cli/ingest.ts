import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { createEmbeddings } from '../embeddings/index.js';
import { diskFullError } from '../errors.js';
import type { BuildProgress } from '../ingest/build.js';
import { changedNames, corpusStatus, describeChanges } from '../ingest/freshness.js';
import type { GenerationInfo, SwitchResult } from '../index/generations.js';
import { Docent, type ReindexReport } from '../pipeline.js';
import { inertName } from '../text/inert.js';
import { describeStore } from '../index/open-store.js';
import type { Config } from '../config.js';
import { redactUrl } from '../log.js';
import type { UrlRun } from '../ingest/url-sources.js';
import { cliConfig, cliLogger, parseCli, runMain } from './common.js';

const USAGE = `Usage
  npm run ingest -- [options]

Options
  --corpus DIR   corpus folder (default: DOCENT_CORPUS_DIR or ./corpus)
  --index DIR    index folder (default: DOCENT_INDEX_DIR or ./.docent/index)
  --collection NAME
                 act on collection NAME: documents in collections/NAME/ (DOCENT_COLLECTIONS_DIR),
                 index in .docent/collection-indexes/NAME; a new one is created empty. Every
                 option below works on it (default: DOCENT_DEFAULT_COLLECTION, the corpus above)
  --force        write a new generation even if nothing changed
  --list         list the kept generations (build time, chunks, documents, changes against
                 the previous one; * marks the current one) and exit
  --rollback     switch back to the previous index generation and exit
  --generation NAME
                 switch to any kept generation (older or newer, e.g. gen-000003) and exit
                 Either puts the corpus files back to what that generation was built from
                 (files it did not have are moved to the corpus's .docent-rolled-back/), so
                 the next change starts from what serves.
  --keep-corpus  with --rollback or --generation: leave the corpus as it is; the generation
                 is pinned: if the corpus differs from it, ask/repl/the bot say so but do not
                 re-index until the next \`npm run ingest\` or the next change to the corpus
  --add-url URL  fetch a page (HTML, Markdown, text or PDF) into the corpus as web/<host>-<path>.md,
                 with its url, fetched_at, etag and last_modified in front matter, and re-index;
                 a sitemap adds its pages (up to DOCENT_SITEMAP_MAX_PAGES). Re-adding a URL updates
                 its document. May be given several times
  --sync         fetch every URL document again (If-None-Match / If-Modified-Since); re-index
                 once if any changed. A page that fails keeps its last good copy. Exit code 1
                 when a page failed
  --quiet        no progress bar
  -h, --help

Examples
  npm run ingest
  npm run ingest -- --corpus ./docs --index ./.docent/docs-index
  npm run ingest -- --list
  npm run ingest -- --collection acme
  npm run ingest -- --collection acme --list
  npm run ingest -- --rollback
  npm run ingest -- --generation gen-000003
  npm run ingest -- --generation gen-000003 --keep-corpus
  npm run ingest -- --add-url https://docs.example.com/guide/install
  npm run ingest -- --add-url https://docs.example.com/sitemap.xml
  npm run ingest -- --sync`;

const STAGE: Record<BuildProgress['stage'], string> = { load: 'reading', chunk: 'chunking', embed: 'embedding', index: 'indexing', write: 'writing' };

await runMain(async () => {
  const args = parseCli(process.argv.slice(2), {
    corpus: { type: 'string' },
    index: { type: 'string' },
    collection: { type: 'string' },
    force: { type: 'boolean', default: false },
    rollback: { type: 'boolean', default: false },
    generation: { type: 'string' },
    'keep-corpus': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
    'add-url': { type: 'string', multiple: true },
    sync: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  }, USAGE);
  if (!args) return;
  const v = args.values;
  if (v.help) return void process.stdout.write(USAGE + '\n');
  if ([v.list, v.rollback, v.generation !== undefined, v['add-url'] !== undefined, v.sync].filter(Boolean).length > 1) {
    process.stderr.write(`error: use one of --list, --rollback, --generation, --add-url and --sync\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const config = cliConfig({ corpus: v.corpus, index: v.index, collection: v.collection, create: true });
  const building = !v.list && !v.rollback && v.generation === undefined;
  if (v.collection !== undefined && building && !existsSync(config.corpusDir)) {
    // a new collection starts empty: its folder, then an empty first generation
    await mkdir(config.corpusDir, { recursive: true });
    process.stdout.write(`New collection "${config.collection}": its documents go in ${config.corpusDir}\n`);
  }
  if (v.list) return void process.stdout.write(renderList(describeStore(config), await Docent.listGenerations(config)));
  if (v['keep-corpus'] && !v.rollback && v.generation === undefined) {
    process.stderr.write(`error: --keep-corpus goes with --rollback or --generation\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (v.rollback || v.generation !== undefined) {
    const by = v.rollback ? 'npm run ingest -- --rollback' : `npm run ingest -- --generation ${v.generation}`;
    const r = await Docent.switchGeneration(config, v.rollback ? undefined : v.generation, { by, restore: !v['keep-corpus'] });
    const head = v.rollback ? `Rolled back: ${r.generation} is serving now.` : `Switched: ${r.generation} is serving now (was ${r.previous ?? 'none'}).`;
    const restored = restoreLine(config, r);
    process.stdout.write(`${head}\n${restored ? `${restored}\n` : ''}${await afterSwitch(config, r)}\n`);
    return;
  }
  if (v['add-url'] !== undefined || v.sync) return void (await urlSources(config, v['add-url'] ?? []));
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
  const r = await Docent.build(config, { embeddings, logger, onProgress, force: v.force, purpose: 'npm run ingest' }).catch((err: unknown) => {
    bar?.stop();
    throw diskFullError(err, describeStore(config), 'the re-index failed and the index is as it was') ?? err;
  });
  bar?.stop();
  process.stdout.write(buildSummary(r).join('\n') + '\n');
});

/** `--add-url` and `--sync`: through the pipeline's writeDocuments, as /add url: and the bot's sync. */
async function urlSources(config: Config, urls: string[]): Promise<void> {
  const { addUrl, describeUrlRun, syncUrls } = await import('../ingest/url-sources.js');
  const docent = await Docent.open(config, { logger: cliLogger(config) });
  const print = (head: string, run: UrlRun) => {
    const [count, ...lines] = describeUrlRun(run, { name: inertName });
    const build = run.report ? buildSummary(run.report) : ['Nothing to write: the index stays as it is.'];
    process.stdout.write([`${head} ${count}`, ...lines, ...build].join('\n') + '\n');
    if (run.pages.some((p) => p.status === 'failed')) process.exitCode = 1;
  };
  try {
    for (const url of urls) print(`Add ${redactUrl(url)}:`, await addUrl({ docent, config }, url, { by: 'npm run ingest -- --add-url' }));
    if (!urls.length) print('URL sync:', await syncUrls({ docent, config }, { by: 'npm run ingest -- --sync' }));
  } finally {
    await docent.close();
  }
}

/** What a build did, as `npm run ingest` prints it. */
function buildSummary(r: ReindexReport): string[] {
  const files = r.added.length + r.changed.length + r.unchanged.length;
  return [
    r.noChange
      ? `Index is up to date (${r.generation}): nothing changed, nothing re-embedded.`
      : `Built ${r.generation}: ${r.chunks} chunks, ${r.embedded} embedded, ${r.chunks - r.embedded} reused.`,
    `Files read: ${files + r.skipped.length} (indexed ${files}: ${r.added.length} added, ${r.changed.length} changed, ${r.unchanged.length} unchanged; ${r.removed.length} removed)`,
    ...(r.skipped.length ? [`Skipped ${r.skipped.length}:`, ...r.skipped.map((s) => `  ${s.source}: ${s.message} (${s.code})`)] : []),
    `Time: ${(r.ms / 1000).toFixed(2)} s`,
  ];
}

/** What a switch did to the corpus: "Restored the corpus to gen-000002: 1 put back (a.md); 1 set aside (b.md) in …", or why not; null when nothing was needed. */
function restoreLine(config: Config, r: SwitchResult): string | null {
  const x = r.restore;
  if (x.notRestored) return `The corpus was not restored: ${x.notRestored}.`;
  if (!x.restored.length && !x.setAside.length) return null;
  const names = (a: string[]) => a.slice(0, 3).join(', ') + (a.length > 3 ? `, … ${a.length - 3} more` : '');
  const parts = [
    x.restored.length ? `${x.restored.length} put back (${names(x.restored)})` : '',
    x.setAside.length ? `${x.setAside.length} set aside (${names(x.setAside)}) in ${path.join(config.corpusDir, x.folder!)}` : '',
  ].filter(Boolean);
  return `Restored the corpus to ${r.generation}: ${parts.join('; ')}.`;
}

/** After a switch: does the corpus still match the generation now serving? (It is pinned either way.) */
async function afterSwitch(config: Config, r: SwitchResult): Promise<string> {
  const s = await corpusStatus(config.corpusDir, r.manifest, r.pin);
  if (s.missing) return `The corpus folder ${config.corpusDir} is missing, so it cannot be compared.`;
  if (s.fresh) return `The corpus matches ${r.generation}.`;
  return (
    `The corpus differs from ${r.generation} (${describeChanges(s)}: ${changedNames(s)}). It stays pinned: ` +
    '`npm run ask`, the REPL and the bot answer from it and say so, without re-indexing, until the next `npm run ingest` or the next change to the corpus.'
  );
}

/** The table of `--list`: one generation a line, oldest first, * on the current one. */
function renderList(where: string, gens: GenerationInfo[]): string {
  if (gens.length === 0) return `No index generations in ${where}. Build one with \`npm run ingest\`.\n`;
  const rows = gens.map((g) => {
    const built = g.builtAt ? g.builtAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '?';
    const vs = g.damaged ? `damaged: ${g.damaged}` : g.changes ? `${g.changes.added.length} added, ${g.changes.changed.length} changed, ${g.changes.removed.length} removed` : 'oldest kept';
    const flags = [g.current ? 'current' : '', g.pinned ? 'pinned by a rollback' : ''].filter(Boolean).join(', ');
    return [g.current ? '*' : ' ', g.generation, built, String(g.chunks ?? '?'), String(g.documents ?? '?'), vs + (flags ? `  (${flags})` : '')];
  });
  const head = [' ', 'generation', 'built (UTC)', 'chunks', 'docs', 'vs previous'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 3 || i === 4 ? c.padStart(widths[i]) : i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [`Kept generations in ${where}, oldest first:`, line(head), ...rows.map(line)].join('\n') + '\n';
}
