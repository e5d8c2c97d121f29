/**
 * The one HTTP client of the remote models (the embedders and the LLM answerer), with the error
 * handling they share: timeouts, a short retry on 429/502/503/504, a size-capped streaming read
 * of the reply (a misbehaving endpoint cannot fill memory or hold the event loop), credentials
 * in the URL sent as Basic auth and never shown, and every failure turned into a `UserError`
 * whose message names the URL and what to check, never the API key.
 */
import { UserError } from '../errors.js';
import { readBodyCapped } from '../http-body.js';
import { normalizeInPlace } from '../text/vector.js';
import { redact, redactUrl } from '../log.js';

export interface PostOptions {
  /** Provider name for messages, e.g. "Ollama". */
  label: string;
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Scrubbed from every message (the API key). */
  secret?: string;
  /** What to check when the endpoint cannot be reached, e.g. "that Ollama is running". */
  unreachableHint: string;
  /** What to check on HTTP 401/403. */
  authHint: string;
  /** Provider-specific message for an HTTP status (e.g. Ollama's 404 "model not found"). */
  statusHint?: (status: number, serverMessage: string) => string | undefined;
  retries?: number;
  /** What the endpoint is, for messages (default "embedding endpoint"). */
  what?: string;
  /** Error code of every failure (default `EMBEDDER_UNAVAILABLE`). */
  code?: string;
  /** The variable that sets `timeoutMs`, named when it is exceeded (default DOCENT_EMBED_TIMEOUT_MS). */
  timeoutVariable?: string;
  /** Largest reply read, in bytes (default 64 MiB); a longer one is abandoned mid-stream. */
  maxBytes?: number;
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;

function scrub(text: string, secret: string | undefined): string {
  let out = text;
  if (secret) out = out.split(secret).join('[redacted]');
  return redact(out.replace(/\b(sk-|Bearer\s+)[\w-]{6,}/g, '$1[redacted]'));
}

/** A reply that grew past its cap; the rest of it was never read. */
class ReplyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the reply is larger than ${maxBytes} bytes`);
    this.name = 'ReplyTooLargeError';
  }
}

/** A response body as UTF-8, at most `maxBytes` of it (`readBodyCapped`). */
async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const read = await readBodyCapped(res, maxBytes);
  if (!read.ok) throw new ReplyTooLargeError(maxBytes);
  return new TextDecoder().decode(read.body);
}

/**
 * `url` without its `user:password@` (fetch refuses such URLs, and they must not be shown) and
 * the Basic authorization header they stand for.
 */
function splitCredentials(url: string): { url: string; authorization?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url };
  }
  if (!u.username && !u.password) return { url };
  const basic = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  return { url: u.toString(), authorization: `Basic ${basic}` };
}

/** Best-effort error text from a JSON or plain-text error body, one line, at most 200 chars. */
function serverMessage(body: string): string {
  let msg = body;
  try {
    const j = JSON.parse(body) as { error?: unknown; message?: unknown };
    const e = j.error;
    if (typeof e === 'string') msg = e;
    else if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') msg = (e as { message: string }).message;
    else if (typeof j.message === 'string') msg = j.message;
  } catch {
    // not JSON: keep the text
  }
  msg = msg.replace(/\s+/g, ' ').trim();
  return msg.length > 200 ? msg.slice(0, 197) + '...' : msg;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** POSTs `body` as JSON to `url` and returns the parsed JSON answer. */
export async function postJson(url: string, body: unknown, opts: PostOptions): Promise<unknown> {
  const shownUrl = redactUrl(scrub(url, opts.secret));
  const what = opts.what ?? 'embedding endpoint';
  const code = opts.code ?? 'EMBEDDER_UNAVAILABLE';
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const fail = (message: string, cause?: unknown): UserError =>
    new UserError(code, scrub(message, opts.secret), cause === undefined ? undefined : { cause: scrubCause(cause, opts.secret) });
  const target = splitCredentials(url);
  const hasAuth = Object.keys(opts.headers ?? {}).some((h) => h.toLowerCase() === 'authorization');
  const headers = { 'content-type': 'application/json', accept: 'application/json', ...(target.authorization && !hasAuth ? { authorization: target.authorization } : {}), ...opts.headers };
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    const signal = AbortSignal.timeout(opts.timeoutMs);
    const timedOut = (err: unknown) => {
      const name = (err as { name?: string }).name;
      return name === 'TimeoutError' || name === 'AbortError' || signal.aborted;
    };
    const timeoutMessage = () => `${opts.label} ${what} ${shownUrl} did not answer within ${opts.timeoutMs} ms. Check ${opts.unreachableHint}, or raise ${opts.timeoutVariable ?? 'DOCENT_EMBED_TIMEOUT_MS'}.`;
    let res: Response;
    try {
      res = await fetch(target.url, { method: 'POST', headers, body: JSON.stringify(body), signal });
    } catch (err) {
      if (timedOut(err)) throw fail(timeoutMessage(), err);
      const errCode = (err as { cause?: { code?: string } }).cause?.code;
      throw fail(`Cannot reach the ${opts.label} ${what} ${shownUrl}${errCode ? ` (${errCode})` : ''}. Check ${opts.unreachableHint}.`, err);
    }
    let text: string;
    try {
      text = await readCapped(res, maxBytes);
    } catch (err) {
      if (err instanceof ReplyTooLargeError) {
        throw fail(`${opts.label} ${what} ${shownUrl} sent a reply larger than ${maxBytes} bytes (HTTP ${res.status}); it was cut off unread.`);
      }
      if (timedOut(err)) throw fail(timeoutMessage(), err);
      throw fail(`${opts.label} ${what} ${shownUrl} broke off its answer (HTTP ${res.status}). Check ${opts.unreachableHint}.`, err);
    }
    if (res.ok) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw fail(`${opts.label} ${what} ${shownUrl} answered with something that is not JSON. Check that the URL points at the API itself.`);
      }
    }
    if (RETRY_STATUS.has(res.status) && attempt < retries) {
      const after = Number(res.headers.get('retry-after'));
      await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 5000) : 250 * 2 ** attempt);
      continue;
    }
    const msg = serverMessage(text);
    const detail = msg ? `: ${msg}` : '';
    if (res.status === 401 || res.status === 403) {
      throw fail(`${opts.label} ${what} ${shownUrl} refused the request (HTTP ${res.status}${detail}). Check ${opts.authHint}.`);
    }
    const hint = opts.statusHint?.(res.status, msg);
    throw fail(`${opts.label} ${what} ${shownUrl} answered HTTP ${res.status}${detail}.${hint ? ' ' + hint : ''}`);
  }
}

/** A cause safe to log: same name and message, scrubbed. */
function scrubCause(cause: unknown, secret: string | undefined): unknown {
  if (!(cause instanceof Error)) return cause;
  const e = new Error(scrub(cause.message, secret));
  e.name = cause.name;
  return e;
}

/** Copies `v` into a new L2-normalized number[]; throws when it is not a finite vector of `dims`. */
export function toUnitVector(v: unknown, dims: number | undefined, what: string): number[] {
  if (!Array.isArray(v) || v.length === 0 || (dims !== undefined && v.length !== dims)) {
    const got = Array.isArray(v) ? `${v.length} numbers` : typeof v;
    throw new UserError('EMBEDDER_UNAVAILABLE', `${what} returned a vector of ${got}${dims !== undefined ? `, expected ${dims}` : ''} (did the model change?).`);
  }
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new UserError('EMBEDDER_UNAVAILABLE', `${what} returned a vector with a non-numeric value.`);
  }
  return normalizeInPlace((v as number[]).slice());
}

/** Embeds `documents` in consecutive batches of `size` with one `request` per batch, in order. */
export async function inBatches(documents: string[], size: number, request: (batch: string[]) => Promise<number[][]>): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < documents.length; i += size) out.push(...(await request(documents.slice(i, i + size))));
  return out;
}
