import fs from 'node:fs/promises';
import { Docent } from '../pipeline.js';
import { UserError } from '../errors.js';
import { cliConfig, cliLogger, corpusGuard, formatAnswer, parseCli, runMain, toJson } from './common.js';

const USAGE = `Usage
  npm run ask -- [options] "question"
  npm run ask -- --json --questions FILE.jsonl [options]

Options
  --corpus DIR       corpus folder (default: DOCENT_CORPUS_DIR or ./corpus); alone, it uses that
                     corpus's own index (.docent/indexes/<name>-<hash>)
  --index DIR        index folder (default: DOCENT_INDEX_DIR or ./.docent/index)
  --collection NAME  answer from that collection (collections/NAME/; default:
                     DOCENT_DEFAULT_COLLECTION, the corpus in DOCENT_CORPUS_DIR)
  --no-reindex       if the corpus changed since the index was built, answer from the index
                     anyway and warn (default: re-index first, with a note on stderr)
  --k N              how many retrieved chunks to return (default 5)
  --json             print JSON only on stdout (logs go to stderr)
  --questions FILE   answer every line of a JSONL file ({"id","question"}), one JSON line each
  -h, --help         show this help

Examples
  npm run ask -- "What is Wukong?"
  npm run ask -- --json --k 3 "When did the Qwen app launch?"
  npm run ask -- --collection acme "How do I reset my password?"`;

await runMain(async () => {
  const args = parseCli(process.argv.slice(2), {
    corpus: { type: 'string' },
    index: { type: 'string' },
    collection: { type: 'string' },
    k: { type: 'string' },
    json: { type: 'boolean', default: false },
    questions: { type: 'string' },
    'no-reindex': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  }, USAGE);
  if (!args) return;
  const { values, positionals } = args;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const question = positionals.join(' ').trim();
  if (!values.questions && !question) {
    process.stderr.write(`error: no question given\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  let k: number | undefined;
  if (values.k !== undefined) {
    k = Number(values.k);
    if (!Number.isInteger(k) || k < 1 || k > 50) throw new UserError('BAD_OPTION', `--k expects a whole number from 1 to 50, got "${values.k}"`);
  }
  const config = cliConfig({ corpus: values.corpus, index: values.index, collection: values.collection });
  const logger = cliLogger(config);
  const docent = await Docent.open(config, { logger });
  await corpusGuard(docent, { reindex: !values['no-reindex'], purpose: 'npm run ask (corpus changed)' })();

  if (values.questions) {
    const text = await fs.readFile(values.questions, 'utf8').catch((err) => {
      throw new UserError('QUESTIONS_UNREADABLE', `cannot read ${values.questions}: ${(err as Error).message}`);
    });
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    for (const [i, line] of lines.entries()) {
      let item: { id?: unknown; question?: unknown };
      try {
        item = JSON.parse(line) as typeof item;
      } catch {
        process.stdout.write(JSON.stringify({ line: i + 1, error: 'not valid JSON' }) + '\n');
        continue;
      }
      if (typeof item.question !== 'string') {
        process.stdout.write(JSON.stringify({ ...(item.id !== undefined ? { id: item.id } : {}), line: i + 1, error: 'no "question" string' }) + '\n');
        continue;
      }
      try {
        const r = await docent.answer(item.question, { k });
        process.stdout.write(JSON.stringify(toJson(r, item.id)) + '\n');
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        process.stdout.write(JSON.stringify({ ...(item.id !== undefined ? { id: item.id } : {}), question: item.question, error: err.message, code: err.code }) + '\n');
      }
    }
  } else {
    const r = await docent.answer(question, { k });
    process.stdout.write(values.json ? JSON.stringify(toJson(r), null, 2) + '\n' : formatAnswer(r) + '\n');
  }
  await docent.close();
});
