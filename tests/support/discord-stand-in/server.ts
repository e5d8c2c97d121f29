/**
 * A small Discord-compatible server for end-to-end tests: REST (v10) and gateway on 127.0.0.1.
 * The real discord.js Client connects to it with `rest.api` pointed at `apiUrl`. It records every
 * request and gateway frame, lets tests inject messages and interactions, wait for the bot's
 * requests, inject 429s/5xx, force a gateway reconnect (op 7 → RESUME with replay), and reject
 * tokens (invalid-token mode: every token but the accepted one gets 401).
 *
 * Several shards: each gateway connection identifies with `shard: [id, count]` and gets its own
 * session; a guild's events go only to shard `(guild_id >> 22) % count`, as Discord sends them,
 * and READY lists only that shard's guilds (DMs go to shard 0). `addGuild({ shard, of })` adds a
 * guild that lands on a chosen shard; GET /gateway/bot recommends `shards` (option, default 1).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ChannelType,
  ComponentType,
  GatewayDispatchEvents,
  GatewayIntentBits,
  GatewayOpcodes,
  InteractionType,
  MessageType,
  PermissionFlagsBits,
  type APIAttachment,
  type APIChannel,
  type APIGuildMember,
  type APIMessage,
  type APIUser,
  type GatewayReceivePayload,
  type GatewaySendPayload,
} from 'discord-api-types/v10';
import { WebSocketServer, type WebSocket } from 'ws';
import { snowflake } from './snowflake.js';

export interface RecordedRequest {
  method: string;
  /** Decoded path without the query, e.g. `/api/v10/webhooks/1/tok/messages/@original`. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (for multipart: the `payload_json` part), or null. */
  body: any;
  headers: http.IncomingHttpHeaders;
  status: number;
  /** The JSON the stand-in answered with. */
  response?: any;
  at: number;
}

export interface RecordedFrame {
  dir: 'in' | 'out';
  op: number;
  t?: string | null;
  s?: number | null;
  d: any;
  at: number;
}

interface Failure {
  match: (r: RecordedRequest) => boolean;
  status: number;
  retryAfter: number;
  remaining: number;
}

interface InteractionState {
  id: string;
  token: string;
  channelId: string;
  guildId?: string;
  originalId?: string;
  flags: number;
}

export interface StandInOptions {
  /** The token the stand-in accepts; any other gets 401 (invalid-token mode: accept none). */
  token?: string;
  /** Reject every token (GET /gateway/bot → 401). */
  invalidToken?: boolean;
  /** As for a bot whose privileged Message Content intent is off in the portal: identifying with it closes the gateway with 4014. */
  messageContentDisallowed?: boolean;
  /** The shard count GET /gateway/bot recommends (default 1). */
  shards?: number;
  /** `session_start_limit.max_concurrency` of GET /gateway/bot: shards that may identify at once (default 1). */
  maxConcurrency?: number;
}

/** One gateway session: a shard's connection (null while it reconnects) and its dispatches for RESUME. */
interface Session {
  shard: [number, number];
  id: string;
  ws: WebSocket | null;
  seq: number;
  log: Array<{ s: number; t: string; d: unknown }>;
}

/** The shard Discord delivers a guild's events to: `(guild_id >> 22) % shard_count`. */
export function shardForGuild(guildId: string, count: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(count));
}

type Json = Record<string, any>;

const EVERYONE_PERMISSIONS =
  PermissionFlagsBits.ViewChannel |
  PermissionFlagsBits.SendMessages |
  PermissionFlagsBits.SendMessagesInThreads |
  PermissionFlagsBits.CreatePublicThreads |
  PermissionFlagsBits.EmbedLinks |
  PermissionFlagsBits.ReadMessageHistory |
  PermissionFlagsBits.UseApplicationCommands;

export const MANAGE_GUILD_PERMISSIONS = (EVERYONE_PERMISSIONS | PermissionFlagsBits.ManageGuild).toString();
export const MEMBER_PERMISSIONS = EVERYONE_PERMISSIONS.toString();

export class DiscordStandIn {
  readonly token: string;
  readonly applicationId = snowflake();
  readonly guildId = snowflake();
  readonly channelId = snowflake();
  readonly moderatorChannelId = snowflake();
  readonly moderatorRoleId = snowflake();
  /** A help text channel and a forum channel (tests configure them for auto-answer). */
  readonly helpChannelId = snowflake();
  readonly forumChannelId = snowflake();
  readonly botUser: APIUser;
  readonly alice: APIUser;
  readonly bob: APIUser;
  readonly requests: RecordedRequest[] = [];
  readonly frames: RecordedFrame[] = [];
  /** Every message in the stand-in (the bot's and injected ones) by id. */
  readonly messages = new Map<string, APIMessage>();
  readonly channels = new Map<string, APIChannel>();
  invalidToken: boolean;
  messageContentDisallowed: boolean;
  readonly recommendedShards: number;
  readonly maxConcurrency: number;

  private server!: http.Server;
  private wss!: WebSocketServer;
  private port = 0;
  /** Sessions by shard id (the latest IDENTIFY of each shard). */
  private sessions = new Map<number, Session>();
  private intents = 0;
  /** Guilds besides the main one (`addGuild`), by id. */
  private extraGuilds = new Map<string, string>();
  private failures: Failure[] = [];
  private waiters: Array<{ pred: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void; from: number }> = [];
  private holds: Array<{ pred: (r: RecordedRequest) => boolean; arrive: (r: RecordedRequest) => void; opened: Promise<void> }> = [];
  private interactions = new Map<string, InteractionState>();
  private files = new Map<string, Buffer>();
  private dmChannels = new Map<string, string>();

  private constructor(opts: StandInOptions) {
    this.token = opts.token ?? `MTE${randomBytes(18).toString('base64url')}.standin.${randomBytes(20).toString('base64url')}`;
    this.invalidToken = opts.invalidToken ?? false;
    this.messageContentDisallowed = opts.messageContentDisallowed ?? false;
    this.recommendedShards = opts.shards ?? 1;
    this.maxConcurrency = opts.maxConcurrency ?? 1;
    this.botUser = { id: snowflake(), username: 'Docent', discriminator: '0', global_name: null, avatar: null, bot: true };
    this.alice = { id: snowflake(), username: 'alice', discriminator: '0', global_name: 'Alice', avatar: null };
    this.bob = { id: snowflake(), username: 'bob', discriminator: '0', global_name: 'Bob', avatar: null };
    for (const [id, name] of [
      [this.channelId, 'general'],
      [this.moderatorChannelId, 'moderators'],
      [this.helpChannelId, 'help'],
    ] as const) {
      this.channels.set(id, { id, type: ChannelType.GuildText, name, guild_id: this.guildId, position: 0, permission_overwrites: [], parent_id: null, nsfw: false } as APIChannel);
    }
    this.channels.set(this.forumChannelId, {
      id: this.forumChannelId,
      type: ChannelType.GuildForum,
      name: 'questions',
      guild_id: this.guildId,
      position: 0,
      permission_overwrites: [],
      parent_id: null,
      nsfw: false,
      available_tags: [],
      default_reaction_emoji: null,
      default_sort_order: null,
      default_forum_layout: 0,
      flags: 0,
    } as unknown as APIChannel);
  }

  static async start(opts: StandInOptions = {}): Promise<DiscordStandIn> {
    const s = new DiscordStandIn(opts);
    await s.listen();
    return s;
  }

  /** What DISCORD_API_URL should be (discord.js appends `/v10`). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.port}/gateway`;
  }

  private async listen(): Promise<void> {
    this.server = http.createServer((req, res) => void this.onHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, req.url ?? ''));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ───────────────────────────── test API ─────────────────────────────

  /** Index to pass as `after` so a wait only sees requests made from now on. */
  mark(): number {
    return this.requests.length;
  }

  /**
   * Resolves with the first request from index `after` on that matches `pred`, once it has been
   * answered. Tests order events by these waits; `timeoutMs` (default 30 s) is only a safety net
   * for a request that never comes.
   */
  waitForRequest(pred: (r: RecordedRequest) => boolean, opts: { after?: number; timeoutMs?: number } = {}): Promise<RecordedRequest> {
    const from = opts.after ?? 0;
    const found = this.requests.slice(from).find((r) => r.status !== 0 && pred(r));
    if (found) return Promise.resolve(found);
    const timeoutMs = opts.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const waiter = { pred, resolve: (r: RecordedRequest) => { clearTimeout(timer); resolve(r); }, from };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`stand-in: no matching request within ${timeoutMs} ms; last requests:\n${this.requests.slice(-8).map((r) => `  ${r.method} ${r.path} ${r.status}`).join('\n')}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /**
   * Holds the answer to the next request matching `pred`: `arrived` resolves with the request as
   * soon as it has come in, and the stand-in answers it only after `release()` (the client sees a
   * slow Discord, for exactly as long as the test wants).
   */
  hold(pred: (r: RecordedRequest) => boolean): { arrived: Promise<RecordedRequest>; release(): void } {
    let arrive!: (r: RecordedRequest) => void;
    let release!: () => void;
    const arrived = new Promise<RecordedRequest>((r) => (arrive = r));
    const opened = new Promise<void>((r) => (release = r));
    this.holds.push({ pred, arrive, opened });
    return { arrived, release };
  }

  /** Requests that send content (messages, interaction responses, webhook messages). */
  contentRequests(): RecordedRequest[] {
    return this.requests.filter((r) => {
      if (r.method !== 'POST' && r.method !== 'PATCH') return false;
      const b = r.path.includes('/callback') ? r.body?.data : r.body;
      return !!b && (typeof b.content === 'string' || Array.isArray(b.embeds));
    });
  }

  /** The next `count` requests matching `match` fail with `status` (429 carries Retry-After). */
  failNext(match: (r: RecordedRequest) => boolean, opts: { status: number; count?: number; retryAfterSeconds?: number }): void {
    this.failures.push({ match, status: opts.status, retryAfter: opts.retryAfterSeconds ?? 1, remaining: opts.count ?? 1 });
  }

  /** Tells every connected shard to reconnect (op 7); dispatches until it resumes are replayed then. */
  reconnect(): void {
    for (const session of this.sessions.values()) {
      const ws = session.ws;
      session.ws = null;
      if (ws) this.send(ws, { op: GatewayOpcodes.Reconnect, d: null, t: null, s: null } as unknown as GatewayReceivePayload);
    }
  }

  get connected(): boolean {
    return [...this.sessions.values()].some((s) => s.ws !== null);
  }

  /** Whether shard `id` has a session whose connection is open. */
  shardConnected(id: number): boolean {
    return !!this.sessions.get(id)?.ws;
  }

  /**
   * Another guild the bot is in, with one text channel (`general`), whose id puts it on shard
   * `shard` of `of` (Discord's formula; any shard without them). Members of every guild are the
   * same users. Sent to a connected shard as GUILD_CREATE (and with READY on every identify);
   * messages and interactions in its channel (`channelId:`) come from it.
   */
  addGuild(opts: { shard?: number; of?: number; name?: string } = {}): { guildId: string; channelId: string } {
    let guildId = '';
    for (let at = Date.now(); ; at++) {
      guildId = snowflake(at);
      if (opts.of === undefined || shardForGuild(guildId, opts.of) === (opts.shard ?? 0)) break;
    }
    this.extraGuilds.set(guildId, opts.name ?? `Stand-in Guild ${this.extraGuilds.size + 2}`);
    const channelId = snowflake();
    this.channels.set(channelId, { id: channelId, type: ChannelType.GuildText, name: 'general', guild_id: guildId, position: 0, permission_overwrites: [], parent_id: null, nsfw: false } as APIChannel);
    const count = this.sessions.values().next().value?.shard[1] ?? 1;
    const session = this.sessions.get(shardForGuild(guildId, count));
    if (session) this.dispatchTo(session, GatewayDispatchEvents.GuildCreate, this.guildPayload(guildId));
    return { guildId, channelId };
  }

  /** A member who is not alice or bob (each test user its own rate limit). */
  addUser(username: string): APIUser {
    return { id: snowflake(), username, discriminator: '0', global_name: username, avatar: null };
  }

  guildMember(user: APIUser, opts: { roles?: string[]; permissions?: string } = {}): APIGuildMember & { permissions?: string } {
    return {
      user,
      roles: opts.roles ?? [],
      joined_at: '2026-01-01T00:00:00.000Z',
      deaf: false,
      mute: false,
      flags: 0,
      nick: null,
      avatar: null,
      premium_since: null,
      pending: false,
      communication_disabled_until: null,
      ...(opts.permissions ? { permissions: opts.permissions } : {}),
    } as unknown as APIGuildMember & { permissions?: string };
  }

  /**
   * A user's message arrives (MESSAGE_CREATE). Like Discord, content is blanked unless the bot has
   * the Message Content intent, is mentioned, or it is a DM.
   */
  injectMessage(opts: {
    content: string;
    author?: APIUser;
    channelId?: string;
    mentionBot?: boolean;
    replyTo?: string;
    dm?: boolean;
    mentions?: APIUser[];
    /** The message's id (a forum post's first message has its thread's id). */
    id?: string;
    /** Sent through a webhook (`webhook_id` set, a bot-flagged author). */
    webhookId?: string;
  }): APIMessage {
    const author = opts.author ?? this.alice;
    const dm = opts.dm ?? false;
    const channelId = dm ? this.dmChannelFor(author) : (opts.channelId ?? this.channelId);
    const channel = this.channels.get(channelId);
    const guildId = dm ? undefined : ((channel as { guild_id?: string } | undefined)?.guild_id ?? this.guildId);
    const mentions = [...(opts.mentions ?? [])];
    const ref = opts.replyTo ? this.messages.get(opts.replyTo) : undefined;
    if (opts.mentionBot) mentions.push(this.botUser);
    // A reply pings the replied-to author by default, which puts them in `mentions`.
    if (ref && !mentions.some((u) => u.id === ref.author.id)) mentions.push(ref.author);
    const msg = {
      id: opts.id ?? snowflake(),
      channel_id: channelId,
      author,
      content: opts.content,
      ...(opts.webhookId ? { webhook_id: opts.webhookId } : {}),
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions,
      mention_roles: [],
      attachments: [],
      embeds: [],
      pinned: false,
      type: ref ? MessageType.Reply : MessageType.Default,
      flags: 0,
      components: [],
      ...(ref ? { message_reference: { type: 0, message_id: ref.id, channel_id: ref.channel_id, guild_id: guildId }, referenced_message: ref } : {}),
    } as unknown as APIMessage;
    this.messages.set(msg.id, msg);
    const mentioned = mentions.some((u) => u.id === this.botUser.id);
    const canRead = dm || mentioned || (this.intents & GatewayIntentBits.MessageContent) !== 0;
    const delivered = canRead ? msg : { ...msg, content: '', embeds: [], attachments: [], components: [] };
    this.dispatch(GatewayDispatchEvents.MessageCreate, {
      ...delivered,
      // Discord sends the channel's type; discord.js needs it to build an uncached DM channel.
      channel_type: channel?.type ?? ChannelType.DM,
      ...(guildId ? { guild_id: guildId, member: { ...this.guildMember(author), user: undefined } } : {}),
    });
    return msg;
  }

  /**
   * A member opens a post in a forum channel: THREAD_CREATE for the post's thread (named `title`),
   * then its first message, whose id is the thread's, as Discord does.
   */
  injectForumPost(opts: { title: string; content: string; author?: APIUser; forumId?: string }): { thread: APIChannel; message: APIMessage } {
    const author = opts.author ?? this.alice;
    const thread = this.createThread(opts.forumId ?? this.forumChannelId, snowflake(), opts.title, author.id);
    const message = this.injectMessage({ content: opts.content, author, channelId: thread.id, id: thread.id });
    return { thread, message };
  }

  /** An attachment served by the stand-in (its CDN). */
  addAttachment(name: string, bytes: Buffer, opts: { declaredSize?: number; contentType?: string } = {}): APIAttachment {
    const id = snowflake();
    this.files.set(`/attachments/${id}/${name}`, bytes);
    return {
      id,
      filename: name,
      size: opts.declaredSize ?? bytes.length,
      url: `${this.baseUrl}/attachments/${id}/${encodeURIComponent(name)}`,
      proxy_url: `${this.baseUrl}/attachments/${id}/${encodeURIComponent(name)}`,
      content_type: opts.contentType ?? 'text/markdown; charset=utf-8',
    };
  }

  /** A slash command is used (INTERACTION_CREATE, application command). */
  injectSlash(opts: {
    name: string;
    options?: Array<{ name: string; type: ApplicationCommandOptionType; value: string | boolean | number }>;
    user?: APIUser;
    permissions?: string;
    roles?: string[];
    channelId?: string;
    dm?: boolean;
    attachments?: APIAttachment[];
  }): InteractionState {
    const data: Json = { id: snowflake(), name: opts.name, type: ApplicationCommandType.ChatInput, options: opts.options ?? [] };
    if (opts.attachments?.length) data.resolved = { attachments: Object.fromEntries(opts.attachments.map((a) => [a.id, a])) };
    return this.injectInteraction(InteractionType.ApplicationCommand, data, opts);
  }

  injectAutocomplete(opts: { name: string; options: Array<{ name: string; type: ApplicationCommandOptionType; value: string; focused?: boolean }>; user?: APIUser; permissions?: string; roles?: string[] }): InteractionState {
    const data: Json = { id: snowflake(), name: opts.name, type: ApplicationCommandType.ChatInput, options: opts.options };
    return this.injectInteraction(InteractionType.ApplicationCommandAutocomplete, data, opts);
  }

  /**
   * A message command (a message's ⋯ → Apps → `name`) is used on `target`: INTERACTION_CREATE of an
   * application command of type Message. As Discord does, the target comes whole in `resolved`
   * (its text too, whatever the bot's intents).
   */
  injectMessageCommand(opts: { name: string; target: APIMessage; user?: APIUser; permissions?: string; roles?: string[] }): InteractionState {
    const data: Json = { id: snowflake(), name: opts.name, type: ApplicationCommandType.Message, target_id: opts.target.id, resolved: { messages: { [opts.target.id]: opts.target } } };
    return this.injectInteraction(InteractionType.ApplicationCommand, data, { ...opts, channelId: opts.target.channel_id });
  }

  /** A button on `message` is pressed (INTERACTION_CREATE, message component). */
  injectButton(opts: { customId: string; message: APIMessage; user?: APIUser; permissions?: string }): InteractionState {
    const data: Json = { custom_id: opts.customId, component_type: ComponentType.Button };
    return this.injectInteraction(InteractionType.MessageComponent, data, { ...opts, channelId: opts.message.channel_id, message: opts.message });
  }

  /** Messages the bot created in reply to / as response of an interaction, in order. */
  interactionMessages(state: InteractionState): APIMessage[] {
    return [...this.messages.values()].filter((m) => (m as Json).__interaction === state.id);
  }

  // ───────────────────────────── internals ─────────────────────────────

  private injectInteraction(
    type: InteractionType,
    data: Json,
    opts: { user?: APIUser; permissions?: string; roles?: string[]; channelId?: string; dm?: boolean; message?: APIMessage },
  ): InteractionState {
    const user = opts.user ?? this.alice;
    const id = snowflake();
    const token = `aW50ZXJhY3Rpb246${id}:${randomBytes(24).toString('base64url')}`;
    const dm = opts.dm ?? false;
    const channelId = dm ? this.dmChannelFor(user) : (opts.channelId ?? this.channelId);
    const channel = this.channels.get(channelId)!;
    const guildId = dm ? undefined : ((channel as { guild_id?: string }).guild_id ?? this.guildId);
    const state: InteractionState = { id, token, channelId, guildId, flags: 0 };
    this.interactions.set(token, state);
    const payload: Json = {
      id,
      application_id: this.applicationId,
      type,
      data,
      channel_id: channelId,
      channel,
      token,
      version: 1,
      locale: 'en-US',
      app_permissions: MANAGE_GUILD_PERMISSIONS,
      entitlements: [],
      authorizing_integration_owners: dm ? { '1': user.id } : { '0': guildId },
      context: dm ? 1 : 0,
      attachment_size_limit: 10 * 1024 * 1024,
      ...(opts.message ? { message: opts.message } : {}),
    };
    if (dm) payload.user = user;
    else {
      payload.guild_id = guildId;
      payload.guild_locale = 'en-US';
      payload.guild = { id: guildId, locale: 'en-US', features: [] };
      payload.member = this.guildMember(user, { roles: opts.roles, permissions: opts.permissions ?? MEMBER_PERMISSIONS });
    }
    this.dispatch(GatewayDispatchEvents.InteractionCreate, payload);
    return state;
  }

  private dmChannelFor(user: APIUser): string {
    let id = this.dmChannels.get(user.id);
    if (!id) {
      id = snowflake();
      this.dmChannels.set(user.id, id);
      this.channels.set(id, { id, type: ChannelType.DM, recipients: [user], last_message_id: null } as APIChannel);
    }
    return id;
  }

  private send(ws: WebSocket, payload: GatewayReceivePayload): void {
    this.frames.push({ dir: 'out', op: payload.op, t: (payload as Json).t ?? null, s: (payload as Json).s ?? null, d: payload.d, at: Date.now() });
    ws.send(JSON.stringify(payload));
  }

  /**
   * Sends a dispatch to the shard its guild belongs to (DMs: shard 0) now, or keeps it for replay
   * on RESUME while that shard is reconnecting.
   */
  dispatch(t: string, d: unknown): void {
    const guildId = (d as { guild_id?: string } | null)?.guild_id;
    const count = this.sessions.values().next().value?.shard[1] ?? 1;
    const session = this.sessions.get(guildId ? shardForGuild(guildId, count) : 0);
    if (session) this.dispatchTo(session, t, d);
  }

  private dispatchTo(session: Session, t: string, d: unknown): void {
    const s = ++session.seq;
    session.log.push({ s, t, d });
    if (session.log.length > 1000) session.log.shift();
    if (session.ws) this.send(session.ws, { op: GatewayOpcodes.Dispatch, t, s, d } as GatewayReceivePayload);
  }

  private onSocket(ws: WebSocket, url: string): void {
    this.frames.push({ dir: 'in', op: -1, t: 'CONNECT', d: { url }, at: Date.now() });
    ws.on('message', (raw) => {
      let msg: GatewaySendPayload;
      try {
        msg = JSON.parse(raw.toString());
      } catch {
        ws.close(4002, 'Error while decoding payload.');
        return;
      }
      this.frames.push({ dir: 'in', op: msg.op, d: msg.d, at: Date.now() });
      this.onGatewayMessage(ws, msg);
    });
    ws.on('close', () => {
      for (const session of this.sessions.values()) if (session.ws === ws) session.ws = null;
    });
    this.send(ws, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: 41_250 }, t: null, s: null });
  }

  private onGatewayMessage(ws: WebSocket, msg: GatewaySendPayload): void {
    switch (msg.op) {
      case GatewayOpcodes.Heartbeat:
        this.send(ws, { op: GatewayOpcodes.HeartbeatAck, d: undefined as never, t: null, s: null });
        return;
      case GatewayOpcodes.Identify: {
        if (this.invalidToken || msg.d.token !== this.token) {
          ws.close(4004, 'Authentication failed.');
          return;
        }
        if (this.messageContentDisallowed && (Number(msg.d.intents) & GatewayIntentBits.MessageContent) !== 0) {
          ws.close(4014, 'Disallowed intent(s).');
          return;
        }
        const shard: [number, number] = Array.isArray(msg.d.shard) ? [msg.d.shard[0], msg.d.shard[1]] : [0, 1];
        if (!(shard[1] >= 1 && shard[0] >= 0 && shard[0] < shard[1])) {
          ws.close(4010, 'Invalid shard.');
          return;
        }
        this.intents = Number(msg.d.intents);
        const session: Session = { shard, id: randomBytes(16).toString('hex'), ws, seq: 0, log: [] };
        this.sessions.set(shard[0], session);
        const guilds = [this.guildId, ...this.extraGuilds.keys()].filter((g) => shardForGuild(g, shard[1]) === shard[0]);
        this.dispatchTo(session, GatewayDispatchEvents.Ready, {
          v: 10,
          user: { ...this.botUser, verified: true, mfa_enabled: false, flags: 0 },
          guilds: guilds.map((id) => ({ id, unavailable: true })),
          session_id: session.id,
          resume_gateway_url: `ws://127.0.0.1:${this.port}/resume`,
          shard,
          application: { id: this.applicationId, flags: 0 },
        });
        for (const g of guilds) this.dispatchTo(session, GatewayDispatchEvents.GuildCreate, this.guildPayload(g));
        return;
      }
      case GatewayOpcodes.Resume: {
        const session = [...this.sessions.values()].find((x) => x.id === msg.d.session_id);
        if (!session || msg.d.token !== this.token) {
          this.send(ws, { op: GatewayOpcodes.InvalidSession, d: false, t: null, s: null });
          return;
        }
        session.ws = ws;
        for (const e of session.log.filter((e) => e.s > (msg.d.seq ?? 0))) {
          this.send(ws, { op: GatewayOpcodes.Dispatch, t: e.t, s: e.s, d: e.d } as GatewayReceivePayload);
        }
        this.dispatchTo(session, GatewayDispatchEvents.Resumed, {});
        return;
      }
      default:
        return;
    }
  }

  private guildPayload(guildId: string): Json {
    const everyone = { id: guildId, name: '@everyone', permissions: EVERYONE_PERMISSIONS.toString(), position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 };
    const modRole = { id: this.moderatorRoleId, name: 'Docent moderators', permissions: EVERYONE_PERMISSIONS.toString(), position: 1, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 };
    const main = guildId === this.guildId;
    return {
      id: guildId,
      name: main ? 'Stand-in Guild' : this.extraGuilds.get(guildId),
      icon: null,
      owner_id: this.bob.id,
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: main ? [everyone, modRole] : [everyone],
      emojis: [],
      stickers: [],
      features: [],
      mfa_level: 0,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      nsfw_level: 0,
      premium_progress_bar_enabled: false,
      joined_at: '2026-01-01T00:00:00.000Z',
      large: false,
      unavailable: false,
      member_count: 3,
      voice_states: [],
      members: [this.guildMember(this.botUser), this.guildMember(this.alice), this.guildMember(this.bob)],
      channels: [...this.channels.values()].filter((c) => (c as { guild_id?: string }).guild_id === guildId).map((c) => ({ ...c, guild_id: undefined })),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  private json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (status === 204) {
      res.writeHead(204, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text).toString(), ...headers });
    res.end(text);
  }

  private async readBody(req: http.IncomingMessage): Promise<any> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    if (raw.length === 0) return null;
    const ct = req.headers['content-type'] ?? '';
    if (ct.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': ct } }).formData();
      const payload = form.get('payload_json');
      const body = typeof payload === 'string' ? JSON.parse(payload) : {};
      body.__files = [...form.keys()].filter((k) => k !== 'payload_json');
      return body;
    }
    try {
      return JSON.parse(raw.toString('utf8'));
    } catch {
      return raw.toString('utf8');
    }
  }

  private async onHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      body: await this.readBody(req),
      headers: req.headers,
      status: 0,
      at: Date.now(),
    };
    this.requests.push(rec);
    const held = this.holds.find((x) => x.pred(rec));
    if (held) {
      this.holds = this.holds.filter((x) => x !== held);
      held.arrive(rec);
      await held.opened;
    }
    const reply = (status: number, body: unknown, headers?: Record<string, string>) => {
      rec.status = status;
      rec.response = body;
      this.json(res, status, body, headers);
      for (const w of [...this.waiters]) {
        if (this.requests.indexOf(rec) >= w.from && w.pred(rec)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(rec);
        }
      }
    };
    try {
      if (rec.path.startsWith('/attachments/')) {
        const file = this.files.get(rec.path.split('/').slice(0, 3).join('/') + '/' + rec.path.split('/').slice(3).join('/'));
        rec.status = file ? 200 : 404;
        if (!file) return reply(404, { message: 'Not found' });
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(file.length) });
        res.end(file);
        return;
      }
      const failure = this.failures.find((f) => f.remaining > 0 && f.match(rec));
      if (failure) {
        failure.remaining--;
        if (failure.status === 429) {
          return reply(
            429,
            { message: 'You are being rate limited.', retry_after: failure.retryAfter, global: false },
            {
              'Retry-After': String(failure.retryAfter),
              'X-RateLimit-Limit': '5',
              'X-RateLimit-Remaining': '0',
              'X-RateLimit-Reset': String(Date.now() / 1000 + failure.retryAfter),
              'X-RateLimit-Reset-After': String(failure.retryAfter),
              'X-RateLimit-Bucket': 'standin-bucket',
              'X-RateLimit-Scope': 'user',
            },
          );
        }
        return reply(failure.status, { message: `${failure.status}: Server Error`, code: 0 });
      }
      const m = /^\/api\/v10(\/.*)$/.exec(rec.path);
      if (!m) return reply(404, { message: '404: Not Found', code: 0 });
      const route = m[1];
      const isWebhook = route.startsWith('/webhooks/') || route.startsWith('/interactions/');
      if (!isWebhook) {
        const auth = req.headers.authorization ?? '';
        if (this.invalidToken || auth !== `Bot ${this.token}`) return reply(401, { message: '401: Unauthorized', code: 0 });
      }
      const out = this.route(req.method ?? 'GET', route, rec);
      return reply(out.status, out.body);
    } catch (err) {
      return reply(500, { message: `stand-in error: ${(err as Error).message}`, code: 0 });
    }
  }

  private route(method: string, route: string, rec: RecordedRequest): { status: number; body: unknown } {
    const body = rec.body ?? {};
    let p: RegExpExecArray | null;
    if (method === 'GET' && route === '/gateway/bot') {
      return {
        status: 200,
        body: { url: this.gatewayUrl, shards: this.recommendedShards, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: this.maxConcurrency } },
      };
    }
    if (method === 'GET' && route === '/gateway') return { status: 200, body: { url: this.gatewayUrl } };
    if (method === 'GET' && (route === '/oauth2/applications/@me' || route === '/applications/@me')) {
      return { status: 200, body: { id: this.applicationId, name: 'Docent', description: '', bot_public: false, bot_require_code_grant: false, flags: 0, verify_key: 'x', icon: null, team: null } };
    }
    if (method === 'GET' && route === '/users/@me') return { status: 200, body: this.botUser };
    if (method === 'PUT' && (p = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(route))) {
      const list = Array.isArray(body) ? body : [];
      return { status: 200, body: list.map((c: Json) => ({ ...c, id: snowflake(), application_id: p![1], guild_id: p![2], version: snowflake(), default_member_permissions: c.default_member_permissions ?? null })) };
    }
    if (method === 'POST' && (p = /^\/channels\/(\d+)\/typing$/.exec(route))) return { status: 204, body: null };
    if (method === 'GET' && (p = /^\/channels\/(\d+)$/.exec(route))) {
      const c = this.channels.get(p[1]);
      return c ? { status: 200, body: c } : { status: 404, body: { message: 'Unknown Channel', code: 10003 } };
    }
    if (method === 'GET' && (p = /^\/channels\/(\d+)\/messages$/.exec(route))) {
      if (!this.channels.has(p[1])) return { status: 404, body: { message: 'Unknown Channel', code: 10003 } };
      const limit = Number(rec.query.limit ?? 50);
      const inChannel = [...this.messages.values()].filter((m) => m.channel_id === p![1]).reverse().slice(0, limit);
      return { status: 200, body: inChannel };
    }
    if (method === 'GET' && (p = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(route))) {
      const m = this.messages.get(p[2]);
      if (!m || m.channel_id !== p[1]) return { status: 404, body: { message: 'Unknown Message', code: 10008 } };
      // as on the gateway: another member's text only with the Message Content intent (or when it mentions the bot)
      const readable = m.author.id === this.botUser.id || m.mentions.some((u) => u.id === this.botUser.id) || (this.intents & GatewayIntentBits.MessageContent) !== 0;
      return { status: 200, body: readable ? m : { ...m, content: '', embeds: [], attachments: [], components: [] } };
    }
    if (method === 'POST' && (p = /^\/channels\/(\d+)\/messages$/.exec(route))) {
      if (!this.channels.has(p[1])) return { status: 404, body: { message: 'Unknown Channel', code: 10003 } };
      return { status: 200, body: this.createBotMessage(p[1], body) };
    }
    if (method === 'POST' && (p = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(route))) {
      const parent = this.channels.get(p[1]);
      if (!parent) return { status: 404, body: { message: 'Unknown Channel', code: 10003 } };
      const thread = this.createThread(p[1], p[2], body.name, this.botUser.id, body.auto_archive_duration);
      return { status: 201, body: thread };
    }
    if (method === 'POST' && (p = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(route))) {
      const state = this.interactions.get(p[2]);
      if (!state || state.id !== p[1]) return { status: 404, body: { message: 'Unknown interaction', code: 10062 } };
      const type = body.type as number;
      state.flags = body.data?.flags ?? 0;
      let message: APIMessage | undefined;
      if (type === 4 || type === 5) {
        message = this.createBotMessage(state.channelId, type === 4 ? body.data ?? {} : { content: '', flags: (body.data?.flags ?? 0) | 128 }, state, false);
        state.originalId = message.id;
      }
      if (rec.query.with_response === 'true') {
        return { status: 200, body: { interaction: { id: state.id, type: 2, activity_instance_id: null, response_message_id: message?.id, response_message_loading: type === 5, response_message_ephemeral: (state.flags & 64) !== 0 }, resource: { type, message } } };
      }
      return { status: 204, body: null };
    }
    if ((p = /^\/webhooks\/(\d+)\/([^/]+)\/messages\/([^/]+)$/.exec(route))) {
      const state = this.interactions.get(p[2]);
      if (!state) return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
      const id = p[3] === '@original' ? state.originalId : p[3];
      const existing = id ? this.messages.get(id) : undefined;
      if (!existing) return { status: 404, body: { message: 'Unknown Message', code: 10008 } };
      if (method === 'GET') return { status: 200, body: existing };
      if (method === 'DELETE') {
        this.messages.delete(existing.id);
        return { status: 204, body: null };
      }
      if (method === 'PATCH') {
        const updated = { ...existing, ...pick(body, ['content', 'embeds', 'components']), edited_timestamp: new Date().toISOString(), flags: (existing.flags ?? 0) & ~128 } as APIMessage;
        this.messages.set(updated.id, updated);
        return { status: 200, body: updated };
      }
    }
    if (method === 'POST' && (p = /^\/webhooks\/(\d+)\/([^/]+)$/.exec(route))) {
      const state = this.interactions.get(p[2]);
      if (!state) return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
      return { status: 200, body: this.createBotMessage(state.channelId, body, state, false) };
    }
    return { status: 404, body: { message: `404: Not Found (${method} ${route})`, code: 0 } };
  }

  /** A public thread under `parentId` (THREAD_CREATE dispatched). */
  private createThread(parentId: string, id: string, name: string, ownerId: string, autoArchive = 1440): APIChannel {
    const thread = {
      id,
      type: ChannelType.PublicThread,
      guild_id: (this.channels.get(parentId) as { guild_id?: string } | undefined)?.guild_id ?? this.guildId,
      parent_id: parentId,
      owner_id: ownerId,
      name,
      last_message_id: null,
      rate_limit_per_user: 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      flags: 0,
      thread_metadata: { archived: false, auto_archive_duration: autoArchive, archive_timestamp: new Date().toISOString(), locked: false },
    } as unknown as APIChannel;
    this.channels.set(thread.id, thread);
    this.dispatch(GatewayDispatchEvents.ThreadCreate, { ...thread, newly_created: true });
    return thread;
  }

  private createBotMessage(channelId: string, body: Json, interaction?: InteractionState, dispatch = true): APIMessage {
    const channel = this.channels.get(channelId) as { guild_id?: string } | undefined;
    const guildId = channel?.guild_id;
    const ref = body.message_reference ? this.messages.get(body.message_reference.message_id) : undefined;
    const msg = {
      id: snowflake(),
      channel_id: channelId,
      author: this.botUser,
      content: body.content ?? '',
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: body.embeds ?? [],
      components: body.components ?? [],
      pinned: false,
      type: ref ? MessageType.Reply : MessageType.Default,
      flags: body.flags ?? 0,
      ...(ref ? { message_reference: { type: 0, message_id: ref.id, channel_id: channelId, guild_id: guildId }, referenced_message: ref } : {}),
      ...(interaction ? { webhook_id: this.applicationId, application_id: this.applicationId } : {}),
    } as unknown as APIMessage;
    if (interaction) Object.defineProperty(msg, '__interaction', { value: interaction.id, enumerable: false });
    this.messages.set(msg.id, msg);
    const channelType = (channel as { type?: number } | undefined)?.type ?? ChannelType.GuildText;
    if (dispatch && guildId) this.dispatch(GatewayDispatchEvents.MessageCreate, { ...msg, guild_id: guildId, channel_type: channelType });
    else if (dispatch) this.dispatch(GatewayDispatchEvents.MessageCreate, { ...msg, channel_type: channelType });
    return msg;
  }
}

function pick(o: Json, keys: string[]): Json {
  return Object.fromEntries(keys.filter((k) => k in o).map((k) => [k, o[k]]));
}
