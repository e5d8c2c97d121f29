import type {
  AutocompleteInteraction,
  ChatInputCommandInteraction,
  MessageContextMenuCommandInteraction,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
  RESTPostAPIContextMenuApplicationCommandsJSONBody,
} from 'discord.js';
import type { BotContext } from '../context.js';

/** One slash command: its registration data and its handler. */
export interface Command {
  data: { name: string; toJSON(): RESTPostAPIChatInputApplicationCommandsJSONBody };
  /** Checked at run time before `execute` (Manage Server or a moderator role). */
  moderatorOnly?: boolean;
  execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void>;
  autocomplete?(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void>;
}

/** One message context-menu command (a message's ⋯ → Apps → its name): registration data and handler. */
export interface MessageCommand {
  data: { name: string; toJSON(): RESTPostAPIContextMenuApplicationCommandsJSONBody };
  /** Checked at run time before `execute` (Manage Server or a moderator role). */
  moderatorOnly?: boolean;
  execute(interaction: MessageContextMenuCommandInteraction, ctx: BotContext): Promise<void>;
}

/** The loader's check: a module's default export must be a command. */
export function isCommand(value: unknown): value is Command {
  const v = value as Partial<Command> | null;
  return !!v && typeof v === 'object' && typeof v.execute === 'function' && !!v.data && typeof v.data.name === 'string' && typeof v.data.toJSON === 'function';
}
