import { Events, type ChatInputCommandInteraction, type Interaction, type MessageContextMenuCommandInteraction, type RepliableInteraction } from 'discord.js';
import { SHARED_COLLECTION_MESSAGE } from '../../collections.js';
import { UserError } from '../../errors.js';
import { userMessageFor } from '../answer-flow.js';
import type { BotContext } from '../context.js';
import { HANDOFF_PREFIX, SOLVED_PREFIX, VOTE_PREFIX } from '../format.js';
import { handleAnswerButton } from '../handoff.js';
import { isModerator, NOT_MODERATOR_MESSAGE } from '../moderation.js';
import { ephemeral, safe } from '../safe-send.js';
import { handleVote } from '../vote.js';
import type { Event } from './index.js';

/** Shows a failure to the user: a UserError's message as is, otherwise a generic one (ephemeral). */
async function replyWithError(ctx: BotContext, interaction: RepliableInteraction, err: unknown): Promise<void> {
  const content = userMessageFor(err);
  try {
    if (interaction.deferred && !interaction.replied) {
      if (interaction.ephemeral) {
        await interaction.editReply(safe({ content }));
      } else {
        // A public "thinking…" cannot turn ephemeral: answer privately and drop the placeholder.
        await interaction.followUp(ephemeral(content));
        await interaction.deleteReply().catch(() => {});
      }
    } else if (interaction.replied) {
      await interaction.followUp(ephemeral(content));
    } else {
      await interaction.reply(ephemeral(content));
    }
  } catch (replyErr) {
    ctx.logger.warn('could not report an error to the user', { err: replyErr });
  }
}

/** Runs a slash or message command: gone commands and non-moderators are told so, privately. */
async function run<I extends ChatInputCommandInteraction | MessageContextMenuCommandInteraction>(
  ctx: BotContext,
  interaction: I,
  command: { moderatorOnly?: boolean; execute(interaction: I, ctx: BotContext): Promise<void> } | undefined,
): Promise<void> {
  if (!command) {
    await interaction.reply(ephemeral('That command is not available any more.'));
    return;
  }
  if (command.moderatorOnly && !isModerator(interaction, ctx.config.discord.moderatorRoleIds)) {
    ctx.logger.info('moderator command refused', { command: interaction.commandName, userId: interaction.user.id });
    await interaction.reply(ephemeral(NOT_MODERATOR_MESSAGE));
    return;
  }
  // moderators act on their own server's collection only: a server that reads the shared one
  // while others have their own may not change it, nor read its gaps and stats
  if (command.moderatorOnly && !ctx.collections.of(interaction.guildId).own) {
    ctx.logger.info('moderator command refused: shared collection', { command: interaction.commandName, userId: interaction.user.id, guildId: interaction.guildId });
    await interaction.reply(ephemeral(SHARED_COLLECTION_MESSAGE));
    return;
  }
  await command.execute(interaction, ctx);
}

async function handle(base: BotContext, interaction: Interaction): Promise<void> {
  // every command, button and autocomplete works on the collection of the server it comes from
  const ctx = await base.collections.forGuild(interaction.guildId);
  if (interaction.isChatInputCommand()) {
    await run(ctx, interaction, ctx.commands.get(interaction.commandName));
  } else if (interaction.isMessageContextMenuCommand()) {
    await run(ctx, interaction, ctx.messageCommands.get(interaction.commandName));
  } else if (interaction.isAutocomplete()) {
    const command = ctx.commands.get(interaction.commandName);
    // the shared collection's file names and generations are not offered where its moderators cannot act on them
    if (command?.moderatorOnly && !ctx.collections.of(interaction.guildId).own) await interaction.respond([]);
    else await command?.autocomplete?.(interaction, ctx);
  } else if (interaction.isButton() && interaction.customId.startsWith(VOTE_PREFIX)) {
    await handleVote(ctx, interaction);
  } else if (interaction.isButton() && (interaction.customId.startsWith(HANDOFF_PREFIX) || interaction.customId.startsWith(SOLVED_PREFIX))) {
    await handleAnswerButton(ctx, interaction);
  }
}

export default {
  name: Events.InteractionCreate,
  async execute(ctx, interaction) {
    try {
      await handle(ctx, interaction);
    } catch (err) {
      const command = interaction.isCommand() || interaction.isAutocomplete() ? interaction.commandName : undefined;
      if (err instanceof UserError) ctx.logger.info('interaction refused', { command, userId: interaction.user.id, code: err.code });
      else ctx.logger.error('interaction failed', { command, userId: interaction.user.id, err });
      if (interaction.isRepliable()) await replyWithError(ctx, interaction, err);
    }
  },
} satisfies Event<Events.InteractionCreate>;
