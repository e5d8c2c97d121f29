/**
 * The bot's entry points as processes: `npm start` without a token, `src/discord/main.ts` with a
 * token Discord rejects, and `npm run deploy-commands` against the stand-in.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createBot } from '../../src/discord/bot.js';
import { deployCommands } from '../../src/discord/deploy.js';
import { silentLogger } from '../../src/log.js';
import { DiscordStandIn } from '../support/discord-stand-in/index.js';
import { FakeDocent } from '../support/fake-docent.js';
import { cleanEnv } from '../support/bot-process.js';
import { DIST_BOT } from '../support/dist.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The bot runs compiled, as `npm start` runs it; scripts run as `node --import <tsx loader> script`
// (one process) rather than through the tsx CLI, which starts a second node and relays signals to it.
const tsxLoader = pathToFileURL(path.join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const tsxArgs = (script: string) => ['--import', tsxLoader, path.join(root, script)];

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`timed out: ${cmd} ${args.join(' ')}\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let standIn: DiscordStandIn;
let dir: string;
beforeAll(async () => {
  standIn = await DiscordStandIn.start();
  dir = await mkdtemp(path.join(os.tmpdir(), 'docent-discord-proc-'));
});
afterAll(async () => {
  await standIn?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('without DISCORD_TOKEN exits non-zero, says to set it in .env and points to npm run ask / npm run repl (no stack)', async () => {
    const r = await run('npm', ['start', '--silent'], { cwd: root, env: cleanEnv({ DISCORD_TOKEN: '' }) });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('DISCORD_TOKEN is not set, so the Discord bot cannot start.');
    expect(r.stderr).toContain('Set DISCORD_TOKEN=<your bot token> in .env');
    expect(r.stderr).toContain('npm run ask');
    expect(r.stderr).toContain('npm run repl');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('with a token Discord rejects (401) fails fast with a clear message and never prints the token', async () => {
    const bad = await DiscordStandIn.start({ invalidToken: true });
    try {
      const token = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.not-a-real-token-but-a-secret-one';
      const t0 = Date.now();
      const r = await run(process.execPath, [DIST_BOT], {
        cwd: dir,
        env: cleanEnv({ DISCORD_TOKEN: token, DISCORD_API_URL: bad.apiUrl, DOCENT_EMBEDDER: 'hash' }),
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('Discord rejected DISCORD_TOKEN (401 Unauthorized).');
      expect(r.stderr).toContain('Reset Token');
      expect(r.stderr + r.stdout).not.toContain(token);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      // fails fast rather than retrying the login (a generous bound: it includes a cold start)
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(bad.requests.map((q) => `${q.method} ${q.path} ${q.status}`)).toEqual(['GET /api/v10/gateway/bot 401']);
    } finally {
      await bad.close();
    }
  });

  it('createBot().start() maps discord.js TokenInvalid to DISCORD_TOKEN_INVALID', async () => {
    const bad = await DiscordStandIn.start({ invalidToken: true });
    try {
      const config = loadConfig({ DISCORD_TOKEN: 'MTIz.bad.token-value', DISCORD_API_URL: bad.apiUrl, DOCENT_FEEDBACK_FILE: path.join(dir, 'fb.jsonl') }, { cwd: dir });
      const bot = createBot({ config, docent: new FakeDocent(), logger: silentLogger });
      await expect(bot.start()).rejects.toMatchObject({ code: 'DISCORD_TOKEN_INVALID' });
      await bot.stop();
    } finally {
      await bad.close();
    }
  });
});

describe('npm run deploy-commands', () => {
  it('registers every command in DISCORD_GUILD_ID, fetching the application id; moderator commands need Manage Server', async () => {
    const after = standIn.mark();
    const r = await run(process.execPath, tsxArgs('scripts/deploy-commands.ts'), {
      cwd: dir,
      env: cleanEnv({ DISCORD_TOKEN: standIn.token, DISCORD_API_URL: standIn.apiUrl, DISCORD_GUILD_ID: standIn.guildId }),
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `Registered 12 commands for application ${standIn.applicationId} in guild ${standIn.guildId}: /ask /sources /why /help /reindex /add /remove /rollback /gaps /stats /solved "Add to Docent" (message menu)\n`,
    );
    const reqs = standIn.requests.slice(after);
    expect(reqs[0].path).toBe('/api/v10/oauth2/applications/@me');
    const put = reqs.find((q) => q.method === 'PUT')!;
    expect(put.path).toBe(`/api/v10/applications/${standIn.applicationId}/guilds/${standIn.guildId}/commands`);
    const byName = Object.fromEntries((put.body as Array<{ name: string; default_member_permissions?: string | null }>).map((c) => [c.name, c]));
    for (const mod of ['reindex', 'add', 'remove', 'rollback', 'gaps', 'stats', 'Add to Docent']) expect(byName[mod].default_member_permissions).toBe('32');
    expect(byName['Add to Docent']).toMatchObject({ type: 3, contexts: [0] });
    for (const open of ['ask', 'sources', 'why', 'help']) expect(byName[open].default_member_permissions ?? null).toBeNull();
  });

  it('registers globally without DISCORD_GUILD_ID, using DISCORD_APPLICATION_ID', async () => {
    const after = standIn.mark();
    const config = loadConfig({ DISCORD_TOKEN: standIn.token, DISCORD_API_URL: standIn.apiUrl, DISCORD_APPLICATION_ID: standIn.applicationId }, { cwd: dir });
    const res = await deployCommands(config);
    expect(res).toMatchObject({ scope: 'global', applicationId: standIn.applicationId });
    expect(standIn.requests.slice(after).map((q) => `${q.method} ${q.path}`)).toEqual([`PUT /api/v10/applications/${standIn.applicationId}/commands`]);
  });
});

describe('npm start with a valid token', () => {
  it('opens the real pipeline, logs in, and on SIGTERM disconnects and exits 0 without printing the token', async () => {
    const { cp } = await import('node:fs/promises');
    const work = await mkdtemp(path.join(os.tmpdir(), 'docent-discord-run-'));
    await cp(path.join(root, 'corpus'), path.join(work, 'corpus'), { recursive: true });
    // one process, so SIGTERM reaches the bot itself (the tsx CLI's relay races under load)
    const child = spawn(process.execPath, [DIST_BOT], {
      cwd: work,
      env: cleanEnv({ DISCORD_TOKEN: standIn.token, DISCORD_API_URL: standIn.apiUrl, DOCENT_EMBEDDER: 'hash', LOG_LEVEL: 'debug' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let onOutput = () => {};
    const collect = (d: Buffer) => {
      out += d.toString();
      onOutput();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const exited = new Promise<number | string | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
    try {
      // started when it says so (or failed when it exits first); 60 s is only a safety net
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`bot did not start within 60 s:\n${out}`)), 60_000);
        onOutput = () => {
          if (out.includes('docent bot running')) {
            clearTimeout(timer);
            resolve();
          }
        };
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`bot exited (${code}) before it started:\n${out}`));
        });
        onOutput();
      });
      // It answers while running.
      const after = standIn.mark();
      const q = standIn.injectMessage({ content: `<@${standIn.botUser.id}> What is Wukong?`, mentionBot: true });
      const reply = await standIn.waitForRequest((r) => r.body?.message_reference?.message_id === q.id && r.status === 200, { after });
      expect(reply.body.content).toContain('Wukong');
      child.kill('SIGTERM');
      expect(await exited, out).toBe(0);
      expect(out).toContain('"msg":"shutting down"');
      expect(out).toContain('"msg":"discord client stopped"');
      expect(out).not.toContain(standIn.token);
    } finally {
      child.kill('SIGKILL');
      await rm(work, { recursive: true, force: true });
    }
  });
});
