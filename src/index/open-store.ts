/**
 * The one place a store is chosen (`DOCENT_STORE`), like the embedder: the pipeline, the build
 * and the CLI only see the `IndexStore` interface. The Postgres store and its driver are imported
 * only when it is chosen, so the local path loads nothing of them.
 */
import { describeUrl, type Config } from '../config.js';
import type { IndexStore } from './index-store.js';
import { LocalStore } from './local-store.js';

export async function openStore(config: Pick<Config, 'store' | 'indexDir' | 'collection' | 'databaseUrl' | 'efSearch'>): Promise<IndexStore> {
  if (config.store === 'postgres') {
    const { PostgresStore } = await import('./postgres/store.js');
    return PostgresStore.open(config);
  }
  return new LocalStore(config.indexDir, config.collection);
}

/** Where the config's index is, for messages: the index folder, or the database (host and name, never the password) and collection. */
export function describeStore(config: Pick<Config, 'store' | 'indexDir' | 'collection' | 'databaseUrl'>): string {
  if (config.store !== 'postgres' || !config.databaseUrl) return config.indexDir;
  return `${describeUrl(config.databaseUrl)} (collection ${config.collection})`;
}
