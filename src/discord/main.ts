/**
 * `npm start`: the Discord bot over the real pipeline.
 * Without DISCORD_TOKEN it explains how to set it (and how to ask without Discord) and exits 1.
 */
import { errorMessage, UserError } from '../errors.js';
import { createLogger, redact, type Logger } from '../log.js';
import type { DocentApi } from '../pipeline.js';
import { createBot, type Bot } from './bot.js';
import { loadStartConfig } from './errors.js';
import { fetchGatewayBot } from './gateway.js';

async function main(): Promise<void> {
  const config = loadStartConfig();
  if (!config) return;
  // a shard of `start:sharded` says which one in every line
  const shard = process.env.SHARDING_MANAGER && process.env.SHARDS ? { shard: Number(process.env.SHARDS) } : {};
  const logger: Logger = createLogger({ level: config.logLevel, base: { app: 'docent', ...shard } });

  let docent: DocentApi | undefined;
  let bot: Bot | undefined;
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info('shutting down', { signal });
    await bot?.stop().catch((err: unknown) => logger.error('client shutdown failed', { err }));
    await docent?.close().catch((err: unknown) => logger.error('pipeline shutdown failed', { err }));
    process.exitCode = process.exitCode ?? 0;
    // a shard's channel to its manager (discord.js listens on it) must not keep it alive either
    process.channel?.unref();
    // Lingering sockets or timers must not keep a stopped bot alive.
    setTimeout(() => process.exit(), 2_000).unref();
  };
  // `on`, not `once`: a listener must stay registered while the signal is handled, or
  // signal-exit (used by proper-lockfile) sees none left and re-raises the signal, killing the
  // process before the shutdown finishes (shutdown() ignores repeats itself)
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection', { err: reason }));
  // a shard of `start:sharded` whose manager is gone (killed, crashed) stops instead of living on unmanaged
  if (process.env.SHARDING_MANAGER && process.send) process.on('disconnect', () => void shutdown('manager disconnected'));

  try {
    // fails fast on a rejected token, before the (slow) pipeline opens
    await fetchGatewayBot(config);
    const { Docent } = await import('../pipeline.js');
    docent = await Docent.open(config, { logger });
    if (shuttingDown) {
      await docent.close();
      return;
    }
    bot = createBot({ config, docent, logger });
    await bot.start();
    logger.info('docent bot running', { commands: bot.context.commands.size });
  } catch (err) {
    if (err instanceof UserError) process.stderr.write(`${err.message}\n`);
    else {
      process.stderr.write(redact(`The bot could not start: ${errorMessage(err)}\n`));
      logger.error('start failed', { err });
    }
    process.exitCode = 1;
    await bot?.stop().catch(() => {});
    await docent?.close().catch(() => {});
  }
}

await main();
