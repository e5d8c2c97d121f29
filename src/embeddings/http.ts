/**
 * The one HTTP call the remote embedders make, with the error handling they share: timeouts,
 * a short retry on 429/502/503/504, and every failure turned into a `UserError`
 * `EMBEDDER_UNAVAILABLE` whose message names the URL and what to check, never the API key.
 */
import { UserError } from '../errors.js';

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
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);

function scrub(text: string, secret: string | undefined): string {
  let out = text;
  if (secret) out = out.split(secret).join('[redacted]');
  return out.replace(/\b(sk-|Bearer\s+)[\w-]{6,}/g, '$1[redacted]');
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
  const shownUrl = scrub(url, opts.secret);
  const fail = (message: string, cause?: unknown): UserError =>
    new UserError('EMBEDDER_UNAVAILABLE', scrub(message, opts.secret), cause === undefined ? undefined : { cause: scrubCause(cause, opts.secret) });
  const retries = opts.retries ?? 2;
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...opts.headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw fail(`${opts.label} embedding endpoint ${shownUrl} did not answer within ${opts.timeoutMs} ms. Check ${opts.unreachableHint}, or raise DOCENT_EMBED_TIMEOUT_MS.`, err);
      }
      const code = (err as { cause?: { code?: string } }).cause?.code;
      throw fail(`Cannot reach the ${opts.label} embedding endpoint ${shownUrl}${code ? ` (${code})` : ''}. Check ${opts.unreachableHint}.`, err);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw fail(`${opts.label} embedding endpoint ${shownUrl} broke off its answer (HTTP ${res.status}). Check ${opts.unreachableHint}.`, err);
    }
    if (res.ok) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw fail(`${opts.label} embedding endpoint ${shownUrl} answered with something that is not JSON. Check that the URL points at the API itself.`);
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
      throw fail(`${opts.label} embedding endpoint ${shownUrl} refused the request (HTTP ${res.status}${detail}). Check ${opts.authHint}.`);
    }
    const hint = opts.statusHint?.(res.status, msg);
    throw fail(`${opts.label} embedding endpoint ${shownUrl} answered HTTP ${res.status}${detail}.${hint ? ' ' + hint : ''}`);
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
  let ss = 0;
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new UserError('EMBEDDER_UNAVAILABLE', `${what} returned a vector with a non-numeric value.`);
    ss += x * x;
  }
  const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
  return (v as number[]).map((x) => x * inv);
}

/** Embeds `documents` in consecutive batches of `size` with one `request` per batch, in order. */
export async function inBatches(documents: string[], size: number, request: (batch: string[]) => Promise<number[][]>): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < documents.length; i += size) out.push(...(await request(documents.slice(i, i + size))));
  return out;
}
