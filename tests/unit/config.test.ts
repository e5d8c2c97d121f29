import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ConfigError, type UserError } from '../../src/errors.js';
import { ROOT } from '../support/temp-project.js';

function example(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path.join(ROOT, '.env.example'), 'utf8').split('\n')) {
    const m = /^#?\s*([A-Z][A-Z0-9_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = line.startsWith('#') ? '' : m[2];
  }
  return env;
}

describe('config', () => {
  it('GIVEN no variables THEN the offline defaults', () => {
    const c = loadConfig({}, { cwd: '/srv/docent' });
    expect(c.embedder).toBe('glove');
    expect(c.corpusDir).toBe('/srv/docent/corpus');
    expect(c.indexDir).toBe('/srv/docent/.docent/index');
    expect(c.topK).toBe(5);
    expect(c.discord.token).toBeUndefined();
    expect(c.discord.messageContentIntent).toBe(false);
  });

  it('GIVEN .env.example as it is THEN it loads, sets each variable once (dotenv keeps the last), and it documents every variable the config reads', () => {
    const env = example();
    const names = [...readFileSync(path.join(ROOT, '.env.example'), 'utf8').matchAll(/^([A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
    expect(() => loadConfig(env)).not.toThrow();
    const source = readFileSync(path.join(ROOT, 'src/config.ts'), 'utf8');
    const read = [...source.matchAll(/\(env, '([A-Z0-9_]+)'/g)].map((m) => m[1]);
    expect(read.length).toBeGreaterThan(20);
    for (const name of read) expect(Object.keys(env), `${name} is missing from .env.example`).toContain(name);
  });

  it.each([
    ['DOCENT_TOP_K', 'lots', /DOCENT_TOP_K: expected a whole number from 1 to 50, got "lots"/],
    ['DOCENT_TOP_K', '0', /DOCENT_TOP_K: expected a whole number from 1 to 50, got 0/],
    ['DOCENT_EMBEDDER', 'bert', /DOCENT_EMBEDDER: expected glove, hash, ollama:<model> or openai:<model>/],
    ['OLLAMA_BASE_URL', 'localhost:11434', /OLLAMA_BASE_URL: expected an http\(s\) URL/],
    ['DISCORD_GUILD_ID', '12ab', /DISCORD_GUILD_ID: expected a Discord id/],
    ['MODERATOR_ROLE_IDS', '123456789012345678,nope', /MODERATOR_ROLE_IDS: expected comma-separated Discord role ids, got "nope"/],
    ['DISCORD_MESSAGE_CONTENT_INTENT', 'maybe', /DISCORD_MESSAGE_CONTENT_INTENT: expected true or false/],
    ['DOCENT_ANSWER_THRESHOLD', '1.5', /DOCENT_ANSWER_THRESHOLD: expected a number from 0 to 1/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: expected one of debug, info, warn, error/],
  ])('GIVEN %s=%s THEN a ConfigError names the variable and what is expected', (name, value, message) => {
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

  it('GIVEN a token THEN a config error elsewhere never echoes it', () => {
    const token = 'MTIz.secret-token-value.abc';
    try {
      loadConfig({ DISCORD_TOKEN: token, DOCENT_TOP_K: 'x' });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain(token);
    }
  });
});

describe('config errors never echo a secret', () => {
  const TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GhOstT.k3y_s3cr3t-ab1234567890xyzXYZ';
  const error = (env: Record<string, string>): ConfigError => {
    try {
      loadConfig(env);
    } catch (e) {
      return e as ConfigError;
    }
    throw new Error('no ConfigError');
  };

  it('GIVEN a bot token pasted into MODERATOR_ROLE_IDS THEN the error names the variable and what is wrong, and does not print the token', () => {
    const err = error({ MODERATOR_ROLE_IDS: `123456789012345678,${TOKEN}` });
    expect(err.variable).toBe('MODERATOR_ROLE_IDS');
    expect(err.message).toBe(`MODERATOR_ROLE_IDS: expected comma-separated Discord role ids, got a ${TOKEN.length}-character value that looks like a secret (not shown)`);
  });

  it.each([
    ['the configured Discord token, elsewhere', { DISCORD_TOKEN: 'not-token-shaped-but-secret', DOCENT_TOP_K: 'not-token-shaped-but-secret' }, 'DOCENT_TOP_K'],
    ['a long mixed-case key', { DISCORD_GUILD_ID: 'ghp_9sKq2LmX7vB4nT1pRz8YwC3dF6hJ0aE5uGiO' }, 'DISCORD_GUILD_ID'],
  ])('GIVEN %s THEN it is described, not echoed', (_what, env, variable) => {
    const err = error(env);
    expect(err.variable).toBe(variable);
    expect(err.message).toMatch(/looks like a secret \(not shown\)$/);
    expect(err.message).not.toContain(Object.values(env).at(-1));
  });

  it('GIVEN user:password@ in a bad URL THEN the error shows the URL without the credentials', () => {
    const err = error({ OLLAMA_BASE_URL: 'ftp://admin:hunter2-pass@models.example:11434' });
    expect(err.message).toBe('OLLAMA_BASE_URL: expected an http(s) URL, got "ftp://[redacted]@models.example:11434"');
  });
});

describe('sharding', () => {
  it('GIVEN no DISCORD_SHARD_COUNT THEN auto, and re-reads CURRENT at most every 250 ms', () => {
    const c = loadConfig({});
    expect(c.discord.shardCount).toBe('auto');
    expect(c.refreshMs).toBe(250);
  });

  it('GIVEN DISCORD_SHARD_COUNT=4 and DOCENT_REFRESH_MS=0 THEN four shards and a check on every question', () => {
    const c = loadConfig({ DISCORD_SHARD_COUNT: '4', DOCENT_REFRESH_MS: '0' });
    expect(c.discord.shardCount).toBe(4);
    expect(c.refreshMs).toBe(0);
  });

  it.each(['two', '0', '-1', '1.5', '20000'])('GIVEN DISCORD_SHARD_COUNT=%s THEN a config error that names the variable and says what it expects', (v) => {
    const err = (() => {
      try {
        loadConfig({ DISCORD_SHARD_COUNT: v });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(`DISCORD_SHARD_COUNT: expected auto (Discord's recommendation) or a whole number of shards from 1 to 10000, got "${v}"`);
  });
});

describe('DATABASE_URL', () => {
  it('GIVEN a password with a stray % or given as ?password= THEN the config loads and the password is a secret either way', async () => {
    const { redact } = await import('../../src/log.js');
    expect(loadConfig({ DOCENT_STORE: 'postgres', DATABASE_URL: 'postgres://u:p%ss-9Zq@db/docent' }).store).toBe('postgres');
    expect(redact('login p%ss-9Zq failed')).not.toContain('p%ss-9Zq');
    loadConfig({ DOCENT_STORE: 'postgres', DATABASE_URL: 'postgres://u@db/docent?password=qv7-Secret' });
    expect(redact('login qv7-Secret failed')).not.toContain('qv7-Secret');
  });
});

describe('cliConfig', () => {
  it('GIVEN the postgres store THEN --corpus and --index are refused (they would re-index the shared collection from another folder), --collection is the way', async () => {
    const { cliConfig } = await import('../../src/cli/common.js');
    const env = { DOCENT_STORE: 'postgres', DATABASE_URL: 'postgres://docent:secret-pw@db.example:5432/docent' };
    for (const over of [{ corpus: '/tmp/drafts' }, { index: '/tmp/idx' }]) {
      const err = (() => {
        try {
          cliConfig(over, env);
        } catch (e) {
          return e as { code: string; message: string };
        }
      })();
      expect(err?.code).toBe('BAD_OPTION');
      expect(err?.message).toContain('with DOCENT_STORE=postgres, keep other documents apart with --collection NAME');
    }
    expect(cliConfig({}, env)).toMatchObject({ store: 'postgres', collection: 'default' });
  });

  it('GIVEN --corpus and --index with spaces and non-ASCII letters THEN the paths are used as written', async () => {
    const { cliConfig } = await import('../../src/cli/common.js');
    const c = cliConfig({ corpus: 'my docs/ü', index: '/tmp/an index' }, {});
    expect(c.corpusDir).toBe(path.resolve('my docs/ü'));
    expect(c.indexDir).toBe('/tmp/an index');
  });

  it('GIVEN --collection THEN that collection\'s folders; a mistyped, missing or misnamed one, or one with --corpus, is refused with its code', async () => {
    const { cliConfig } = await import('../../src/cli/common.js');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'docent-cli-collection-'));
    try {
      mkdirSync(path.join(dir, 'acme'));
      const env = { DOCENT_COLLECTIONS_DIR: dir, DOCENT_INDEX_DIR: '/srv/state/index' };
      expect(cliConfig({ collection: 'acme' }, env)).toMatchObject({ collection: 'acme', corpusDir: path.join(dir, 'acme'), indexDir: '/srv/state/collection-indexes/acme' });
      const code = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          return [(err as UserError).code, (err as Error).message];
        }
        return null;
      };
      expect(code(() => cliConfig({ collection: 'acmee' }, env))).toEqual(['COLLECTION_MISSING', expect.stringContaining(`There is no collection "acmee": its folder ${path.join(dir, 'acmee')} does not exist.`)]);
      // ingest creates it
      expect(cliConfig({ collection: 'acmee', create: true }, env).corpusDir).toBe(path.join(dir, 'acmee'));
      expect(code(() => cliConfig({ collection: 'Acme' }, env))).toEqual(['COLLECTION_NAME_INVALID', expect.stringMatching(/^--collection: expected a collection name/)]);
      expect(code(() => cliConfig({ collection: 'acme', corpus: 'docs' }, env))?.[0]).toBe('BAD_OPTION');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('URL sources', () => {
  it.each([
    [undefined, null],
    ['off', null],
    ['30m', 1_800_000],
    ['6h', 21_600_000],
    ['1d', 86_400_000],
    ['90s', 90_000],
    ['1.5h', 5_400_000],
  ])('GIVEN DOCENT_SYNC_INTERVAL=%s THEN the bot syncs every %s ms', (value, ms) => {
    expect(loadConfig(value === undefined ? {} : { DOCENT_SYNC_INTERVAL: value }).urls.syncIntervalMs).toBe(ms);
  });

  it.each(['30', 'soon', '10s', '8d', '-5m'])('GIVEN DOCENT_SYNC_INTERVAL=%s THEN start-up names the variable and the expected form', (value) => {
    expect(() => loadConfig({ DOCENT_SYNC_INTERVAL: value })).toThrow(`DOCENT_SYNC_INTERVAL: expected a duration from 1m to 7d such as 30m, 6h or 1d (s, m, h, d), or off, got "${value}"`);
  });

  it('GIVEN no URL variables THEN private addresses are refused, 50 sitemap pages, and the upload limit is the page limit', () => {
    expect(loadConfig({}).urls).toEqual({ syncIntervalMs: null, sitemapMaxPages: 50, allowPrivate: false, maxBytes: 2 * 1024 * 1024, timeoutMs: 15_000, maxRedirects: 5 });
    expect(loadConfig({ DISCORD_MAX_UPLOAD_BYTES: '4096' }).urls.maxBytes).toBe(4096);
    expect(loadConfig({ DISCORD_MAX_UPLOAD_BYTES: '4096', DOCENT_URL_MAX_BYTES: '8192' }).urls.maxBytes).toBe(8192);
    expect(() => loadConfig({ DOCENT_ALLOW_PRIVATE_URLS: 'sometimes' })).toThrow('DOCENT_ALLOW_PRIVATE_URLS: expected true or false, got "sometimes"');
  });
});
