import { explainAnalysis } from '../answer/explain.js';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { errorMessage, isUserError } from '../errors.js';
import { redact } from '../log.js';
import { remember } from '../conversation.js';
import { Docent } from '../pipeline.js';
import type { AnswerResult, Turn } from '../types.js';
import { cliConfig, cliLogger, corpusGuard, formatAnswer, parseCli, runMain } from './common.js';
import { commandAlias, handleCtrlC } from './repl-input.js';
import { inertName } from '../text/inert.js';

const USAGE = `Usage
  npm run repl -- [--corpus DIR] [--index DIR] [--collection NAME] [--no-reindex]

Ask questions one after another; follow-ups ("When was it announced?") use the conversation.
--collection NAME asks collection NAME (collections/NAME/) instead of the default one.

Commands
  :why         how the last question was read (answer type, focus, corrections) and the chunks the
              reader saw: lexical, dense and fused ranks and scores
  :sources     the indexed documents
  :k N         how many chunks to retrieve (now {k})
  :new         forget the conversation (start a new topic)
  :reindex     rebuild the index from the corpus (the old one serves until the new one is ready)
  :help        this help (also help)
  :quit        leave (also quit, exit, Ctrl-D, or Ctrl-C twice on an empty line)

Ctrl-C clears a half-typed line.`;

function why(r: AnswerResult | null): string {
  if (!r) return 'Ask a question first.';
  const f = (x: number | null, d = 3) => (x === null ? '—' : x.toFixed(d));
  const rows = r.retrieved.map((h) => {
    const c = h.chunk;
    const snippet = c.text.replace(/\s+/g, ' ').slice(0, 90);
    return `#${h.rank}  fused ${f(h.score)} | lexical ${h.lexicalRank ?? '—'} (${f(h.lexicalScore, 2)}) | dense ${h.denseRank ?? '—'} (${f(h.denseScore)})\n    ${inertName(c.source)}${c.headings.length ? ' › ' + inertName(c.headings.join(' › ')) : ''}, lines ${c.lineStart}–${c.lineEnd}\n    ${snippet}…`;
  });
  const understood = r.analysis ? [`Understood: ${explainAnalysis(r.analysis)}`] : [];
  return [`Question: ${r.question}  (generation ${r.generation}, support ${f(r.support ?? null)})`, ...understood, ...rows].join('\n');
}

await runMain(async () => {
  const args = parseCli(process.argv.slice(2), { corpus: { type: 'string' }, index: { type: 'string' }, collection: { type: 'string' }, 'no-reindex': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, USAGE);
  if (!args) return;
  const config = cliConfig({ corpus: args.values.corpus, index: args.values.index, collection: args.values.collection });
  if (args.values.help) return void process.stdout.write(USAGE.replace('{k}', String(config.topK)) + '\n');
  const logger = cliLogger(config);
  const docent = await Docent.open(config, { logger });
  // before each question: re-index a changed corpus (a note on stderr), or warn with --no-reindex
  const ensureFresh = corpusGuard(docent, { reindex: !args.values['no-reindex'], purpose: 'npm run repl (corpus changed)' });
  const historyFile = path.join(path.dirname(config.indexDir), 'repl_history');
  let saved: string[] = [];
  try {
    saved = fs.readFileSync(historyFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500);
  } catch {
    // first session
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY, history: saved, historySize: 500, prompt: 'docent> ' });
  handleCtrlC(rl, process.stdout);
  let k = config.topK;
  let last: AnswerResult | null = null;
  let turns: Turn[] = [];
  const print = (s: string) => process.stdout.write(s + '\n');
  print(`Docent — ${docent.sources().length} document(s), index ${docent.generation}. Ask a question, or :help.`);
  rl.prompt();
  for await (const line of rl) {
    const input = commandAlias(line.trim());
    if (input && process.stdin.isTTY) fs.promises.appendFile(historyFile, input + '\n').catch(() => {});
    try {
      if (!input) {
        // nothing
      } else if (input === ':quit' || input === ':q' || input === ':exit') {
        break;
      } else if (input === ':help') {
        print(USAGE.replace('{k}', String(k)));
      } else if (input === ':why') {
        print(why(last));
      } else if (input === ':sources') {
        for (const s of docent.sources()) print(`${inertName(s.title)} — ${inertName(s.source)} (${s.chunks} chunks, indexed ${s.indexedAt})`);
      } else if (input === ':new') {
        turns = [];
        print('New conversation.');
      } else if (input.startsWith(':k')) {
        const n = Number(input.slice(2).trim());
        if (Number.isInteger(n) && n >= 1 && n <= 50) {
          k = n;
          print(`k = ${k}`);
        } else print(':k expects a whole number from 1 to 50');
      } else if (input === ':reindex') {
        const r = await docent.reindex({ purpose: 'repl :reindex' });
        print(r.noChange ? `Up to date (${r.generation}).` : `Now serving ${r.generation}: ${r.added.length} added, ${r.changed.length} changed, ${r.removed.length} removed, ${r.unchanged.length} unchanged; ${r.embedded} chunks embedded in ${r.ms} ms.`);
        for (const s of r.skipped) print(`  skipped ${inertName(s.source)}: ${s.message}`);
      } else if (input.startsWith(':')) {
        print(`Unknown command ${input}. Try :help.`);
      } else {
        await ensureFresh();
        last = await docent.answer(input, { k, history: turns });
        turns = remember(turns, { question: last.question, answer: last.answer });
        print(formatAnswer(last));
      }
    } catch (err) {
      // a failed command or question never ends the session
      print(`error: ${isUserError(err) ? err.message : redact(errorMessage(err))}`);
      if (!isUserError(err)) logger.debug('repl command failed', { error: err });
    }
    rl.prompt();
  }
  rl.close();
  await docent.close();
});
