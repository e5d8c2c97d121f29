/**
 * Fetching one URL for the corpus, guarded: only http(s), only public addresses (`url-guard.ts`,
 * checked on every redirect hop, which are followed by hand, and the connection pinned to the
 * checked addresses), a size limit (read as the body streams, after decompression), a time limit
 * for the whole fetch, a redirect limit, and conditional requests for a re-sync. Every failure is
 * a value with a code and a message fit for a moderator, never a thrown stack trace.
 */
import { Agent, fetch, type Response } from 'undici';
import { readBodyCapped } from '../http-body.js';
import type { Result } from '../types.js';
import { formatBytes } from './loaders/bytes.js';
import { checkHost, pinnedLookup, type GuardOptions } from './url-guard.js';

export type FetchErrorCode =
  | 'URL_INVALID'
  | 'URL_REFUSED_PRIVATE'
  | 'URL_DNS_FAILED'
  | 'URL_UNREACHABLE'
  | 'URL_TOO_LARGE'
  | 'URL_TIMEOUT'
  | 'URL_TOO_MANY_REDIRECTS'
  | 'URL_HTTP_STATUS'
  | 'URL_CANCELLED';

export interface FetchLimits {
  /** Largest body read, bytes. */
  maxBytes: number;
  /** The whole fetch (every hop and the body), ms. */
  timeoutMs: number;
  maxRedirects: number;
}

export interface FetchOptions extends FetchLimits, GuardOptions {
  /** Validators of the copy we have: sent as If-None-Match / If-Modified-Since. */
  etag?: string;
  lastModified?: string;
  /** Stops the fetch (the bot is stopping): URL_CANCELLED. */
  signal?: AbortSignal;
}

export type Fetched =
  | { status: 'not-modified'; url: string }
  | {
      status: 'ok';
      /** The URL asked for (normalised, no fragment). */
      url: string;
      /** Where the last redirect led. */
      finalUrl: string;
      bytes: Buffer;
      /** The media type, lower case, without parameters ('' when the server sent none). */
      contentType: string;
      /** The `charset` parameter of the content type, lower case, when there is one. */
      charset?: string;
      etag?: string;
      lastModified?: string;
    };

type Fail = { ok: false; code: FetchErrorCode; message: string };
const fail = (code: FetchErrorCode, message: string): Fail => ({ ok: false, code, message });

const USER_AGENT = 'Docent/0.1 (document sync)';
const ACCEPT = 'text/html, application/xhtml+xml, text/markdown, text/plain, application/pdf, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1';

/**
 * Checks a URL a person typed: absolute http(s), no user name or password (page URLs are stored
 * in front matter and shown in citations). Returns it normalised, without its fragment.
 */
export function normalizeUrl(raw: string): Result<string, 'URL_INVALID'> {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return { ok: false, code: 'URL_INVALID', message: 'is not an absolute URL (expected http:// or https://…)' };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { ok: false, code: 'URL_INVALID', message: `is a ${u.protocol.slice(0, 20)} URL; only http and https are fetched` };
  if (u.username || u.password) return { ok: false, code: 'URL_INVALID', message: 'holds a user name or password; page URLs are stored and shown in citations, so Docent does not fetch those' };
  u.hash = '';
  if (u.href.length > 2048) return { ok: false, code: 'URL_INVALID', message: 'is longer than 2048 characters' };
  return { ok: true, value: u.href };
}

/** Fetches `rawUrl` under the guard and the limits. Never throws. */
export async function fetchUrl(rawUrl: string, opts: FetchOptions): Promise<Result<Fetched, FetchErrorCode>> {
  const start = normalizeUrl(rawUrl);
  if (!start.ok) return start;
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  try {
    return await follow(start.value, opts, signal);
  } catch (err) {
    if (opts.signal?.aborted) return fail('URL_CANCELLED', 'the fetch was stopped (Docent is shutting down)');
    if (signal.aborted || isTimeout(err)) return fail('URL_TIMEOUT', `no complete answer within ${seconds(opts.timeoutMs)} (DOCENT_URL_TIMEOUT_MS)`);
    return fail('URL_UNREACHABLE', `could not be fetched: ${networkReason(err)}`);
  }
}

async function follow(url: string, opts: FetchOptions, signal: AbortSignal): Promise<Result<Fetched, FetchErrorCode>> {
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    // the lookup is inside the fetch's time limit: a resolver that never answers is a URL_TIMEOUT
    const checked = await checkHost(current.hostname, { ...opts, signal });
    if (!checked.ok) return hop === 0 ? checked : { ...checked, message: `it redirects to ${current.href}, and ${checked.message}` };
    const agent = new Agent({ connect: { lookup: pinnedLookup(checked.value) as never }, connections: 1 });
    let res: Response;
    try {
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: ACCEPT };
      if (opts.etag) headers['if-none-match'] = opts.etag;
      if (opts.lastModified) headers['if-modified-since'] = opts.lastModified;
      res = await fetch(current, { redirect: 'manual', headers, signal, dispatcher: agent });
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        await res.body?.cancel().catch(() => {});
        const location = res.headers.get('location');
        if (!location) return fail('URL_HTTP_STATUS', `the server answered ${res.status} (a redirect) without saying where to`);
        if (hop >= opts.maxRedirects) return fail('URL_TOO_MANY_REDIRECTS', `it redirects more than ${opts.maxRedirects} times`);
        let next: URL;
        try {
          next = new URL(location, current);
        } catch {
          return fail('URL_HTTP_STATUS', 'the server redirects to a URL that cannot be read');
        }
        if (next.protocol !== 'http:' && next.protocol !== 'https:') return fail('URL_INVALID', `it redirects to a ${next.protocol.slice(0, 20)} URL; only http and https are fetched`);
        if (next.username || next.password) return fail('URL_INVALID', 'it redirects to a URL with a user name or password');
        next.hash = '';
        current = next;
        continue;
      }
      if (res.status === 304) {
        await res.body?.cancel().catch(() => {});
        if (!opts.etag && !opts.lastModified) return fail('URL_HTTP_STATUS', 'the server answered 304 Not Modified to a request that was not conditional');
        return { ok: true, value: { status: 'not-modified', url } };
      }
      if (res.status < 200 || res.status > 299) {
        await res.body?.cancel().catch(() => {});
        return fail('URL_HTTP_STATUS', `the server answered ${res.status}${reason(res.statusText)}`);
      }
      const body = await readLimited(res, opts.maxBytes);
      if (!body.ok) return body;
      return {
        ok: true,
        value: {
          status: 'ok',
          url,
          finalUrl: current.href,
          bytes: body.value,
          contentType: (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase(),
          charset: /;\s*charset="?([\w.:-]+)"?/i.exec(res.headers.get('content-type') ?? '')?.[1]?.toLowerCase(),
          etag: res.headers.get('etag') ?? undefined,
          lastModified: res.headers.get('last-modified') ?? undefined,
        },
      };
    } finally {
      void agent.close().catch(() => {});
    }
  }
}

/** The body, read until it passes `max` bytes (then cancelled: `readBodyCapped`). */
async function readLimited(res: Response, max: number): Promise<Result<Buffer, FetchErrorCode>> {
  const read = await readBodyCapped(res, max);
  if (read.ok) return { ok: true, value: read.body };
  return fail('URL_TOO_LARGE', `the page is${read.declared === undefined ? '' : ` ${formatBytes(read.declared)},`} over the ${formatBytes(max)} limit (DOCENT_URL_MAX_BYTES)`);
}

function isTimeout(err: unknown): boolean {
  for (let e = err as { name?: string; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
  }
  return false;
}

/** The most specific reason a fetch failed (undici wraps the socket error in `cause`). */
function networkReason(err: unknown): string {
  let e = err as { message?: string; code?: string; cause?: unknown } | undefined;
  let reason = e?.message ?? String(err);
  for (let i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (e.code) return `${e.code}${e.message && !e.message.startsWith(e.code) ? ` (${e.message.slice(0, 120)})` : ''}`;
    if (e.message) reason = e.message;
  }
  return reason.slice(0, 200);
}

/** A status line's reason phrase as the server sent it, cut to plain words (it is shown to moderators). */
function reason(text: string): string {
  const t = text.replace(/[^\w .,'-]/g, '').slice(0, 60).trim();
  return t ? ` ${t}` : '';
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
