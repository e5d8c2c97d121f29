import { UserError } from '../errors.js';

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
