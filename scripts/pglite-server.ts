/**
 * A Postgres with pgvector on 127.0.0.1, for developing and testing the Postgres store without
 * installing Postgres: PGlite (Postgres compiled to WebAssembly) served over the wire protocol.
 * In memory unless `--data DIR` is given.
 *
 * Usage:   npx tsx scripts/pglite-server.ts [--port 5433] [--data DIR]
 * Then:    DOCENT_STORE=postgres DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres npm run ask -- "…"
 */
import { startPgliteServer } from '../tests/support/pglite-server.js';
import { ROOT } from '../tests/support/temp-project.js';

const args = process.argv.slice(2);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const server = await startPgliteServer({ port: Number(opt('--port') ?? 5433), dataDir: opt('--data'), cacheRoot: ROOT });
process.stdout.write(`PGlite (Postgres ${server.version}) with pgvector listening: DATABASE_URL=${server.url}\n`);
const stop = () => void server.stop().finally(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
