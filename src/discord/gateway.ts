/**
 * GET /gateway/bot at DISCORD_API_URL (or Discord's): checks the token before anything slow starts,
 * and tells the sharding manager Discord's recommended shard count and identify concurrency.
 * discord.js's own `fetchRecommendedShardCount` always asks discord.com, so a Discord-compatible
 * server (Spacebar, the test stand-in) would never be asked.
 */
import { REST, Routes, type RESTGetAPIGatewayBotResult } from 'discord.js';
import type { Config } from '../config.js';
import { errorMessage } from '../errors.js';
import { restOptions } from './bot.js';
import { DiscordStartError, tokenInvalidError } from './errors.js';

/** Rejects with `DISCORD_TOKEN_INVALID` on a 401 and `DISCORD_UNREACHABLE` when Discord cannot be reached. */
export async function fetchGatewayBot(config: Config): Promise<RESTGetAPIGatewayBotResult> {
  // discord.js strips a pasted "Bot " prefix on login; do the same here.
  const token = config.discord.token!.replace(/^(Bot|Bearer)\s+/i, '');
  const rest = new REST({ ...restOptions(config), retries: 1, timeout: 15_000 }).setToken(token);
  try {
    return (await rest.get(Routes.gatewayBot())) as RESTGetAPIGatewayBotResult;
  } catch (err) {
    if ((err as { status?: number }).status === 401) throw tokenInvalidError();
    throw new DiscordStartError('DISCORD_UNREACHABLE', `Could not reach Discord at ${config.discord.apiUrl ?? 'https://discord.com/api'}: ${errorMessage(err)}`);
  }
}
