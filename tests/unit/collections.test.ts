import { describe, expect, it } from 'vitest';
import { collectionForGuild, configForCollection, validateCollectionName } from '../../src/collections.js';
import { loadConfig } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';

const A = '123456789012345678';
const B = '234567890123456789';

describe('collections', () => {
  it('GIVEN no collection variables THEN the default collection is DOCENT_CORPUS_DIR with DOCENT_INDEX_DIR, as before, and configForCollection returns that config as it is', () => {
    const c = loadConfig({ DOCENT_CORPUS_DIR: 'docs', DOCENT_INDEX_DIR: 'state/index' }, { cwd: '/srv/docent' });
    expect(c.collection).toBe('default');
    expect(configForCollection(c, 'default')).toBe(c);
    expect(c.corpusDir).toBe('/srv/docent/docs');
    expect(c.indexDir).toBe('/srv/docent/state/index');
  });

  it('GIVEN another collection THEN its documents are in DOCENT_COLLECTIONS_DIR/<name> and its index under the index root; the rest is shared', () => {
    const c = loadConfig({ DOCENT_INDEX_DIR: 'state/index', DOCENT_COLLECTIONS_DIR: 'per-server', DOCENT_EMBEDDER: 'hash' }, { cwd: '/srv/docent' });
    const acme = configForCollection(c, 'acme');
    expect(acme).toMatchObject({ collection: 'acme', corpusDir: '/srv/docent/per-server/acme', indexDir: '/srv/docent/state/collection-indexes/acme', embedder: 'hash', insightsDb: c.insightsDb });
    expect(configForCollection(c, 'beta').indexDir).toBe('/srv/docent/state/collection-indexes/beta');
    // the default collection named by DOCENT_DEFAULT_COLLECTION keeps the configured folders
    const named = loadConfig({ DOCENT_DEFAULT_COLLECTION: 'main' }, { cwd: '/srv/docent' });
    expect(configForCollection(named, 'main')).toBe(named);
    expect(configForCollection(named, 'default').corpusDir).toBe('/srv/docent/collections/default');
    expect(() => configForCollection(c, '../etc')).toThrow(/collection: expected a collection name/);
  });

  it('GIVEN a collections folder inside the default corpus (or the other way round) THEN it is refused, naming DOCENT_COLLECTIONS_DIR: the default collection would answer from the others’ documents', () => {
    const env = { DOCENT_CORPUS_DIR: '.', DOCENT_GUILD_COLLECTIONS: `${A}=acme` };
    expect(() => loadConfig(env, { cwd: '/srv/docent' })).toThrow(
      'DOCENT_COLLECTIONS_DIR: collection "acme"\'s folder /srv/docent/collections/acme overlaps DOCENT_CORPUS_DIR (/srv/docent), the default collection\'s documents; give the collections a folder of their own',
    );
    // not in use, it is not checked: an install that reads its working folder keeps working
    const plain = loadConfig({ DOCENT_CORPUS_DIR: '.' }, { cwd: '/srv/docent' });
    expect(() => configForCollection(plain, 'acme')).toThrow(ConfigError);
    expect(() => loadConfig({ DOCENT_COLLECTIONS_DIR: 'corpus/more', DOCENT_GUILD_COLLECTIONS: `${A}=acme` })).toThrow(/^DOCENT_COLLECTIONS_DIR: .* overlaps DOCENT_CORPUS_DIR/);
    expect(() => loadConfig({ DOCENT_COLLECTIONS_DIR: '.docent/collection-indexes', DOCENT_GUILD_COLLECTIONS: `${A}=acme` })).toThrow(/^DOCENT_COLLECTIONS_DIR: .* overlaps its own index/);
    // DOCENT_INDEX_DIR=index beside collections/: the indexes are not put inside the documents
    expect(configForCollection(loadConfig({ DOCENT_INDEX_DIR: 'index' }, { cwd: '/srv/docent' }), 'acme').indexDir).toBe('/srv/docent/collection-indexes/acme');
  });

  it.each(['acme', 'a', 'beta-2', 'x_y', '0day', 'a'.repeat(63)])('GIVEN the name %j THEN it is a valid collection name', (name) => {
    expect(validateCollectionName(name)).toEqual({ ok: true, value: name });
  });

  it.each(['', 'Acme', '-acme', '_x', 'a b', '../x', 'a/b', 'café', 'a'.repeat(64)])('GIVEN the name %j THEN it is refused with COLLECTION_NAME_INVALID', (name) => {
    const r = validateCollectionName(name);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.code).toBe('COLLECTION_NAME_INVALID');
  });

  it.each([
    ['DOCENT_DEFAULT_COLLECTION', 'Main', /^DOCENT_DEFAULT_COLLECTION: expected a collection name of lower-case letters, digits, _ and - .*, got "Main"$/],
    ['DOCENT_GUILD_COLLECTIONS', `${A}=acme,beta`, /^DOCENT_GUILD_COLLECTIONS: expected comma-separated <guild id>=<collection> pairs .*, got "beta"$/],
    ['DOCENT_GUILD_COLLECTIONS', `${A}=Acme`, new RegExp(`^DOCENT_GUILD_COLLECTIONS: expected a collection name .*, got "Acme" for guild ${A}$`)],
    ['DOCENT_GUILD_COLLECTIONS', `${A}=acme,${A}=beta`, new RegExp(`^DOCENT_GUILD_COLLECTIONS: guild ${A} is given twice \\(acme and beta\\)$`)],
  ])('GIVEN %s=%j THEN start-up stops with a message naming the variable', (name, value, message) => {
    let err: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).variable).toBe(name);
    expect((err as Error).message).toMatch(message);
  });

  it('GIVEN DOCENT_GUILD_COLLECTIONS THEN a mapped guild owns its collection, an unmapped one and a DM read the shared default without owning it; without it every guild owns the default', () => {
    const mapped = loadConfig({ DOCENT_GUILD_COLLECTIONS: ` ${A} = acme , ${B}=beta ` });
    expect(mapped.discord.guildCollections).toEqual({ [A]: 'acme', [B]: 'beta' });
    expect(collectionForGuild(mapped, A)).toEqual({ name: 'acme', own: true });
    expect(collectionForGuild(mapped, B)).toEqual({ name: 'beta', own: true });
    expect(collectionForGuild(mapped, '345678901234567890')).toEqual({ name: 'default', own: false });
    expect(collectionForGuild(mapped, null)).toEqual({ name: 'default', own: false });
    const one = loadConfig({});
    expect(collectionForGuild(one, A)).toEqual({ name: 'default', own: true });
  });
});
