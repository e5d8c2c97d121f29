import { closestLine } from '../answer/refusal.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { indexDirForCorpus, loadConfig, type Config, type Env } from '../config.js';
import { configForCollection, validateCollectionName } from '../collections.js';
import { errorMessage, isUserError, UserError } from '../errors.js';
import { changedNames, describeChanges } from '../ingest/freshness.js';
import { createLogger, redact, type Logger } from '../log.js';
import type { DocentApi, Freshness } from '../pipeline.js';
import type { AnswerResult } from '../types.js';
import { inertName } from '../text/inert.js';
import { citationLink } from '../text/text-fragment.js';

/** Parses argv; on a bad option prints the message and usage, sets exitCode 2 and returns null. */
export function parseCli<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`${errorMessage(err)}\n\n${usage}\n`);
    process.exitCode = 2;
    return null;
  }
}

/**
 * Config from env with --collection or --corpus/--index overrides; `--corpus` alone uses that
 * corpus's own index. `--collection NAME` serves that collection's folders
 * (`configForCollection`); unless `create` (ingest builds a new, empty collection), its
 * documents folder must exist, so a mistyped name is an error rather than an empty collection.
 */
export function cliConfig(over: { corpus?: string; index?: string; collection?: string; create?: boolean }, env?: Env): Config {
  const loaded = loadConfig(env);
  if (over.collection !== undefined) {
    if (over.corpus !== undefined || over.index !== undefined) throw new UserError('BAD_OPTION', '--collection names a collection\'s own folders; use it without --corpus and --index');
    const name = validateCollectionName(over.collection);
    if (!name.ok) throw new UserError(name.code, `--collection: ${name.message}`);
    const cfg = configForCollection(loaded, name.value);
    if (!over.create && !existsSync(cfg.corpusDir)) {
      throw new UserError(
        'COLLECTION_MISSING',
        `There is no collection "${name.value}": its folder ${cfg.corpusDir} does not exist. Create it with \`npm run ingest -- --collection ${name.value}\` and put its documents there.`,
      );
    }
    return cfg;
  }
  if (loaded.store === 'postgres' && (over.corpus !== undefined || over.index !== undefined)) {
    // locally another folder gets an index of its own; in Postgres it would re-index the shared
    // collection from that folder, for every process that serves it
    throw new UserError('BAD_OPTION', `--corpus and --index are for the local store; with DOCENT_STORE=postgres, keep other documents apart with --collection NAME (collection "${loaded.collection}" is shared by every process that serves it).`);
  }
  const cfg = { ...loaded };
  if (over.corpus && !over.index) cfg.indexDir = indexDirForCorpus(cfg, over.corpus);
  if (over.corpus) cfg.corpusDir = path.resolve(over.corpus);
  if (over.index) cfg.indexDir = path.resolve(over.index);
  return cfg;
}

export function cliLogger(cfg?: Config): Logger {
  // terminals get warnings and errors unless LOG_LEVEL asks for more
  return createLogger({ level: process.env.LOG_LEVEL ? (cfg?.logLevel ?? 'warn') : 'warn' });
}

/** Runs a CLI main: user errors print their message (exit 1), others their stack (exit 1). */
export async function runMain(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    // secrets registered with the logger (API keys) are scrubbed from stacks too
    if (isUserError(err)) process.stderr.write(redact(`error: ${err.message}\n`));
    else process.stderr.write(redact(`error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`));
    process.exitCode = 1;
  }
}

/** The JSON shape of `ask --json` (one object, or one line per question in batch mode). */
export function toJson(r: AnswerResult, id?: unknown) {
  return {
    ...(id !== undefined ? { id } : {}),
    question: r.question,
    answered: r.answered,
    answer: r.answer,
    ...(r.refusal ? { refusal: r.refusal } : {}),
    ...(r.analysis ? { analysis: r.analysis } : {}),
    citations: r.citations.map((c) => ({ n: c.n, source: c.source, title: c.title, section: c.section, lines: c.lines, quote: c.quote, ...(c.url ? { url: c.url, link: citationLink(c) } : {}) })),
    retrieved: r.retrieved.map((h) => ({ chunkId: h.chunk.id, source: h.chunk.source, text: h.chunk.text, score: round(h.score) })),
    ms: r.ms,
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

/** Human-readable answer with its sources, for the terminal. */
export function formatAnswer(r: AnswerResult): string {
  const lines = [r.answer, ''];
  if (r.refusal?.closest.length) {
    lines.push('Closest passages:');
    for (const c of r.refusal.closest) lines.push(`  ${closestLine(c)}`);
  }
  if (r.citations.length) {
    lines.push('Sources:');
    for (const c of r.citations) {
      // a link is an http(s) URL normalised at load (no control characters): printed as it is, to be opened
      const link = c.url ? ` — ${citationLink(c)}` : '';
      lines.push(`  [${c.n}] ${inertName(c.title)}${c.section ? ` › ${inertName(c.section)}` : ''} — ${inertName(c.source)}, lines ${c.lines[0]}–${c.lines[1]}${link}`);
      lines.push(`      “${c.quote.length > 300 ? c.quote.slice(0, 299) + '…' : c.quote}”`);
    }
  }
  return lines.join('\n');
}

/** How the corpus differs, with the first few names: "1 added: quokka.md". */
function differs(f: Freshness): string {
  return `${describeChanges(f.status)}: ${changedNames(f.status)}`;
}

/** The staleness note for the terminal (the end of "re-indexing… " when `started`), or null. */
function freshnessLine(f: Freshness, started = false): string | null {
  const gen = f.status.generation;
  const why = (e: unknown) => (isUserError(e) ? e.message : redact(errorMessage(e))).replace(/\.$/, '');
  switch (f.action) {
    case 'fresh':
      return null;
    case 'reindexed':
      return f.report.noChange ? `done (nothing to re-index; ${f.report.generation})` : `done (${f.report.generation}, ${(f.report.ms / 1000).toFixed(1)} s)`;
    case 'busy':
      return `warning: the corpus differs from index ${gen} (${differs(f)}), but it cannot be re-indexed now: ${why(f.error)}. Answering from ${gen}.`;
    case 'failed':
      return started
        ? `failed: ${why(f.error)}. Answering from ${gen}, which still serves.`
        : `warning: the corpus differs from index ${gen} (${differs(f)}), but re-indexing failed: ${why(f.error)}. Answering from ${gen}, which still serves.`;
    case 'stale':
      return `warning: the corpus differs from index ${gen} (${differs(f)}); answering from it anyway (--no-reindex). \`npm run ingest\` updates it.`;
    case 'pinned':
      return `note: index ${gen} is pinned by a rollback (${f.status.pin?.by}, ${f.status.pin?.pinnedAt}); the corpus differs from it (${differs(f)}) and is not re-indexed until \`npm run ingest\` or the next corpus change.`;
    case 'missing':
      return `warning: the corpus folder ${f.status.corpusDir} is missing; answering from index ${gen}.`;
  }
}

/**
 * The CLI's side of "never stale": before answering, `docent.ensureFresh()` (the one check the
 * REPL and the bot use too) re-indexes a changed corpus, with a one-line note on stderr
 * ("corpus changed (1 added): re-indexing… done (gen-000002, 0.4 s)"), or with `reindex: false`
 * only warns. Returns a function to call before each question; a warning is printed once per
 * state, not before every question of a REPL session.
 */
export function corpusGuard(docent: DocentApi, opts: { reindex: boolean; purpose: string; write?: (s: string) => void }): () => Promise<void> {
  const write = opts.write ?? ((s: string) => void process.stderr.write(s));
  let last: string | null = null;
  return async () => {
    let started = false;
    const f = await docent.ensureFresh({
      reindex: opts.reindex,
      purpose: opts.purpose,
      onReindex: (s) => {
        started = true;
        write(`corpus changed (${describeChanges(s)}): re-indexing… `);
      },
    });
    const line = freshnessLine(f, started);
    // a started line is always finished; a warning is not repeated before every REPL question
    if (line && (started || line !== last)) write(line + '\n');
    last = started ? null : line;
  };
}
