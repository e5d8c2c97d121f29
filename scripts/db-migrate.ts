/**
 * `npm run db:migrate`: applies the Postgres store's pending migrations to DATABASE_URL (the
 * store also applies them at start-up; this is for a deploy step that runs them first).
 */
import 'dotenv/config';
import { UserError } from '../src/errors.js';
import { Db } from '../src/index/postgres/db.js';
import { migrate } from '../src/index/postgres/migrations.js';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('db:migrate: set DATABASE_URL to postgres://user:password@host:5432/database\n');
  process.exitCode = 2;
} else {
  const db = Db.create(url);
  try {
    const applied = await migrate(db);
    process.stdout.write(applied.length ? `applied ${applied.join(', ')} to ${db.where}\n` : `${db.where} is up to date\n`);
  } catch (err) {
    process.stderr.write(`db:migrate: ${err instanceof UserError ? err.message : (err as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await db.end();
  }
}
