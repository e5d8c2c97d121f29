import type { Config } from '../../config.js';
import { UserError } from '../../errors.js';
import type { IndexStore } from '../index-store.js';

/** The Postgres + pgvector store (being built). */
export class PostgresStore {
  static async open(_config: Pick<Config, 'databaseUrl' | 'collection' | 'efSearch'>): Promise<IndexStore> {
    throw new UserError('STORE_UNAVAILABLE', 'DOCENT_STORE=postgres is not available in this build yet; use DOCENT_STORE=local.');
  }
}
