export { DiscordStandIn, MANAGE_GUILD_PERMISSIONS, MEMBER_PERMISSIONS, shardForGuild, type RecordedFrame, type RecordedRequest, type StandInOptions } from './server.js';
export { snowflake } from './snowflake.js';
