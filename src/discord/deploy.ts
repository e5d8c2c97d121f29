import { ApplicationCommandType, REST, Routes, type RESTGetCurrentApplicationResult, type RESTPutAPIApplicationCommandsResult } from 'discord.js';
import type { Config } from '../config.js';
import { restOptions } from './bot.js';
import { commands, messageCommands } from './command-list.js';
import { DiscordStartError, TOKEN_MISSING_MESSAGE } from './errors.js';

export interface DeployResult {
  scope: 'guild' | 'global';
  applicationId: string;
  guildId?: string;
  names: string[];
  /** How members find each: `/ask` for a slash command, `"Add to Docent" (message menu)` for a message command. */
  labels: string[];
}

/**
 * Registers every slash command and message context-menu command: in DISCORD_GUILD_ID when set (instant), else globally.
 * The application id comes from DISCORD_APPLICATION_ID or GET /oauth2/applications/@me.
 */
export async function deployCommands(config: Config): Promise<DeployResult> {
  const token = config.discord.token;
  if (!token) throw new DiscordStartError('DISCORD_TOKEN_MISSING', TOKEN_MISSING_MESSAGE);
  const rest = new REST(restOptions(config)).setToken(token);
  const applicationId =
    config.discord.applicationId ?? ((await rest.get(Routes.oauth2CurrentApplication())) as RESTGetCurrentApplicationResult).id;
  const body = [...commands.map((c) => c.data.toJSON()), ...messageCommands.map((c) => c.data.toJSON())];
  const guildId = config.discord.guildId;
  const route = guildId ? Routes.applicationGuildCommands(applicationId, guildId) : Routes.applicationCommands(applicationId);
  const registered = (await rest.put(route, { body })) as RESTPutAPIApplicationCommandsResult;
  const labels = registered.map((c) => (c.type === ApplicationCommandType.Message ? `"${c.name}" (message menu)` : `/${c.name}`));
  return { scope: guildId ? 'guild' : 'global', applicationId, guildId, names: registered.map((c) => c.name), labels };
}
