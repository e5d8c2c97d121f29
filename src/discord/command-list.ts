import add from './commands/add.js';
import addToDocent from './commands/add-to-docent.js';
import gaps from './commands/gaps.js';
import ask from './commands/ask.js';
import help from './commands/help.js';
import { isCommand, type Command, type MessageCommand } from './commands/index.js';
import reindex from './commands/reindex.js';
import remove from './commands/remove.js';
import rollback from './commands/rollback.js';
import solved from './commands/solved.js';
import sources from './commands/sources.js';
import stats from './commands/stats.js';
import why from './commands/why.js';

/** Every slash command, as registered by `npm run deploy-commands` and served by the bot. */
export const commands: Command[] = [ask, sources, why, help, reindex, add, remove, rollback, gaps, stats, solved].filter(isCommand);

/** Every message context-menu command, registered and served beside the slash commands. */
export const messageCommands: MessageCommand[] = [addToDocent];
