import { PermissionFlagsBits, type Interaction } from 'discord.js';

/**
 * A moderator has Manage Server in this guild or one of the configured moderator roles.
 * Checked at run time on every moderator command (default_member_permissions can be changed by
 * server admins, so it is only a first filter).
 */
export function isModerator(interaction: Interaction, moderatorRoleIds: readonly string[]): boolean {
  if (!interaction.inGuild()) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
  const roles = interaction.member.roles;
  const ids = Array.isArray(roles) ? roles : [...roles.cache.keys()];
  return ids.some((id) => moderatorRoleIds.includes(id));
}

export const NOT_MODERATOR_MESSAGE =
  'Only moderators can do that (Manage Server permission or a moderator role). Ask a moderator of this server.';
