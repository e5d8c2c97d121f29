/**
 * `npm run deploy-commands`: registers Docent's slash commands and its message command ("Add to Docent") with Discord
 * (in DISCORD_GUILD_ID when set — instant — otherwise globally, which can take up to an hour).
 */
import { loadConfig } from '../src/config.js';
import { errorMessage, UserError } from '../src/errors.js';
import { addSecret } from '../src/log.js';
import { deployCommands } from '../src/discord/deploy.js';

try {
  const config = loadConfig();
  addSecret(config.discord.token);
  const r = await deployCommands(config);
  const where = r.scope === 'guild' ? `guild ${r.guildId}` : 'all servers (global; may take up to an hour to appear)';
  process.stdout.write(`Registered ${r.names.length} commands for application ${r.applicationId} in ${where}: ${r.labels.join(' ')}\n`);
} catch (err) {
  const status = (err as { status?: number }).status;
  if (err instanceof UserError) process.stderr.write(`${err.message}\n`);
  else if (status === 401) process.stderr.write('Discord rejected DISCORD_TOKEN (401 Unauthorized). Check the token in .env.\n');
  else process.stderr.write(`Could not register the commands: ${errorMessage(err)}\n`);
  process.exitCode = 1;
}
