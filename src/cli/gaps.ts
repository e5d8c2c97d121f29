/**
 * `npm run gaps`: the unanswered and 👎 questions from the questions database, similar ones
 * grouped (the configured embedder), with count, last asked and jump link, most asked first.
 */
import fs from 'node:fs';
import { validateCollectionName } from '../collections.js';
import { createEmbeddings } from '../embeddings/index.js';
import { UserError } from '../errors.js';
import { listGaps } from '../insights/gaps.js';
import { renderGaps } from '../insights/report.js';
import { InsightsStore } from '../insights/store.js';
import { loadConfig } from '../config.js';
import { parseCli, runMain } from './common.js';

const USAGE = `Usage
  npm run gaps -- [options]

Options
  --db FILE          the questions database (default: DOCENT_INSIGHTS_DB or .docent/insights.db)
  --collection NAME  the questions of collection NAME (default: DOCENT_DEFAULT_COLLECTION)
  --similarity X     merge questions at least this similar, 0-1 (default: DOCENT_GAP_SIMILARITY or 0.8)
  --limit N          most groups shown (default 50)
  --json             print the groups as JSON
  -h, --help         show this help

Examples
  npm run gaps
  npm run gaps -- --json --similarity 0.9
  npm run gaps -- --collection acme`;

await runMain(async () => {
  const args = parseCli(process.argv.slice(2), {
    db: { type: 'string' },
    collection: { type: 'string' },
    similarity: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  }, USAGE);
  if (!args) return;
  const { values } = args;
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const config = loadConfig();
  const file = values.db ?? config.insightsDb;
  const collection = validateCollectionName(values.collection ?? config.collection);
  if (!collection.ok) throw new UserError(collection.code, `--collection: ${collection.message}`);
  const similarity = values.similarity === undefined ? config.gapSimilarity : Number(values.similarity);
  if (!(similarity >= 0 && similarity <= 1) || values.similarity === '') throw new UserError('BAD_OPTION', `--similarity expects a number from 0 to 1, got "${values.similarity}"`);
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UserError('BAD_OPTION', `--limit expects a whole number of at least 1, got "${values.limit}"`);
  if (!fs.existsSync(file)) {
    if (values.json) process.stdout.write('[]\n');
    else process.stdout.write(`No questions logged yet (${file} does not exist; the bot creates it on its first question).\n`);
    return;
  }
  const store = await InsightsStore.open(file, { defaultCollection: config.collections.default });
  try {
    const groups = await listGaps(store, await createEmbeddings(config), similarity, { collection: collection.value });
    if (values.json) process.stdout.write(JSON.stringify(groups.slice(0, limit), null, 2) + '\n');
    else process.stdout.write(renderGaps(groups, { max: limit, maxChars: Infinity }) + '\n');
  } finally {
    await store.close();
  }
});
