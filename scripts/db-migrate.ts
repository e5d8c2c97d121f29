/**
 * `npm run db:migrate`: applies the Postgres store's pending migrations to DATABASE_URL (the
 * store also applies them at start-up; this is for a deploy step that runs them first).
 */
import { loadConfig } from '../src/config.js';
import { errorMessage, UserError } from '../src/errors.js';
import { Db } from '../src/index/postgres/db.js';
import { migrate } from '../src/index/postgres/migrations.js';
import { redact } from '../src/log.js';

// through the config: DATABASE_URL is checked (an error names the variable, never the value) and
// its password registered as a secret before anything can print it
let url: string | undefined;
try {
  url = loadConfig().databaseUrl;
} catch (err) {
  process.stderr.write(`db:migrate: ${errorMessage(err)}\n`);
  process.exitCode = 2;
}
if (!url) {
  if (!process.exitCode) process.stderr.write('db:migrate: set DATABASE_URL to postgres://user:password@host:5432/database\n');
  process.exitCode ||= 2;
} else {
  const db = Db.create(url);
  try {
    const applied = await migrate(db);
    process.stdout.write(applied.length ? `applied ${applied.join(', ')} to ${db.where}\n` : `${db.where} is up to date\n`);
  } catch (err) {
    process.stderr.write(redact(`db:migrate: ${err instanceof UserError ? err.message : (err as Error).message}\n`));
    process.exitCode = 1;
  } finally {
    await db.end();
  }
}
