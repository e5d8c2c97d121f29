#!/usr/bin/env node
/**
 * `docent <command> [options]` — `npx docent ask --json "…"`, and what `npm run ask|repl|ingest`
 * and `npm start` run: the compiled CLIs in dist/ (`npm run build`; `npm ci` builds them).
 * Prints nothing of its own on stdout, so `npx docent ask --json "…" | jq` gets only JSON.
 * Developers run the TypeScript sources directly with `npm run dev:ask` (and dev:repl, …).
 */
import path from 'node:path';
import fs from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMMANDS = {
  ask: { file: 'cli/ask.js', dev: 'dev:ask', what: 'one answer with its sources (--json: JSON only on stdout)' },
  repl: { file: 'cli/repl.js', dev: 'dev:repl', what: 'interactive session with follow-ups' },
  ingest: { file: 'cli/ingest.js', dev: 'dev:ingest', what: '(re)build the index' },
  bot: { file: 'discord/main.js', dev: 'dev:start', what: 'the Discord bot (needs DISCORD_TOKEN; --sharded: one process per shard)' },
  gaps: { file: 'cli/gaps.js', dev: 'dev:gaps', what: 'unanswered and 👎 questions, grouped, most asked first' },
};
const USAGE = `Usage: docent <command> [options]    (docent <command> --help for its options)

Commands
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)}${c.what}`).join('\n')}

ask, repl, ingest and gaps take --collection NAME: that collection's documents (collections/NAME/)
instead of the default corpus; a Discord server reads the one DOCENT_GUILD_COLLECTIONS gives it.

Examples
  npx docent ask "What is Wukong?"
  npx docent ask --json "When did the Qwen app launch?" | jq .answered
  npx docent ingest --collection acme && npx docent ask --collection acme "How do I reset my password?"
  npx docent bot --sharded            (DISCORD_SHARD_COUNT=auto|N)`;

const [name] = process.argv.splice(2, 1);
let command = Object.hasOwn(COMMANDS, name ?? '') ? COMMANDS[name] : undefined;
if (name === 'bot' && process.argv.includes('--sharded')) {
  // `docent bot --sharded`: the sharding manager, which runs discord/main.js once per shard
  process.argv.splice(process.argv.indexOf('--sharded'), 1);
  command = { file: 'discord/sharded.js', dev: 'dev:start:sharded' };
}
if (!command) {
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE + '\n');
  } else {
    process.stderr.write(`docent: unknown command "${name}"\n\n${USAGE}\n`);
    process.exitCode = 2;
  }
} else {
  const target = path.join(root, 'dist', command.file);
  if (!fs.existsSync(target)) {
    process.stderr.write(`docent: ${path.relative(root, target)} is not built. Run \`npm run build\` (npm ci does it), or \`npm run ${command.dev}\` to run the TypeScript sources.\n`);
    process.exitCode = 1;
  } else {
    const stale = await import(pathToFileURL(path.join(root, 'dist/cli/build-status.js')).href).then(
      (m) => m.staleSources(root),
      () => [], // a dist/ built before the check existed
    );
    if (stale.length) {
      process.stderr.write(`docent: warning: src/ changed since the last build (${stale.slice(0, 3).join(', ')}${stale.length > 3 ? ', …' : ''}); running the compiled dist/. \`npm run build\` updates it; \`npm run ${command.dev}\` runs the sources.\n`);
    }
    await import(pathToFileURL(target).href);
  }
}
