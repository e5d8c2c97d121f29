import { loadConfig, type Config } from '../config.js';
import { errorMessage, UserError } from '../errors.js';
import { addSecret, redact } from '../log.js';

/** Start-up failures of the bot; their messages are safe to print as they are. */
export class DiscordStartError extends UserError {}

export const TOKEN_MISSING_MESSAGE = [
  'DISCORD_TOKEN is not set, so the Discord bot cannot start.',
  'Set DISCORD_TOKEN=<your bot token> in .env (see docs/DISCORD.md: "Run it in your Discord server").',
  'To ask questions without Discord, use `npm run ask -- "What is Wukong?"` or `npm run repl`.',
].join('\n');

export function tokenInvalidError(cause?: unknown): DiscordStartError {
  return new DiscordStartError(
    'DISCORD_TOKEN_INVALID',
    'Discord rejected DISCORD_TOKEN (401 Unauthorized). Copy a fresh token from the Developer Portal ' +
      '(your application → Bot → Reset Token) into DISCORD_TOKEN in .env and try again.',
    { cause },
  );
}

/**
 * The config of a bot process (`npm start`, the sharding manager), with the token registered as a
 * secret; or null after printing why it cannot start (a bad variable, no token) and setting exit code 1.
 */
export function loadStartConfig(): Config | null {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(redact(`Configuration error: ${errorMessage(err)}\n`));
    process.exitCode = 1;
    return null;
  }
  if (!config.discord.token) {
    process.stderr.write(TOKEN_MISSING_MESSAGE + '\n');
    process.exitCode = 1;
    return null;
  }
  addSecret(config.discord.token);
  return config;
}
