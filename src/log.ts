/**
 * Structured logs: one JSON object a line on stderr (stdout stays free for answers and --json).
 * Every secret registered with `addSecret` (the Discord token, API keys, passwords in URLs) and
 * anything shaped like a token, key or URL credential is replaced by "[redacted]" in messages,
 * fields and stack traces before anything is written.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

const secrets = new Set<string>();

export function addSecret(value: string | undefined): void {
  if (value && value.length >= 6) secrets.add(value);
}

/**
 * Secrets recognised by their shape, registered or not: a Discord bot token (base64 user id,
 * timestamp, HMAC), a JWT, an `sk-…` API key, Bearer/Basic credentials, and the `user:password@`
 * of a URL. Each pattern starts at the start of a run of token characters or has bounded
 * repetitions, so a pass stays linear in the text (it runs on every log line and reply).
 */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]{0,30}:\/\/)[^\s/?#@]{0,256}@/gi;
const SHAPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/(?<![\w-])[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}(?![\w-])/g, '[redacted]'],
  [/(?<![\w-])eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/g, '[redacted]'],
  [/(?<![\w-])sk-[A-Za-z0-9_-]{16,}/g, '[redacted]'],
  [/\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/g, 'Bearer [redacted]'],
  [/\bBasic\s+[A-Za-z0-9+/]{12,}={0,2}/g, 'Basic [redacted]'],
  [URL_CREDENTIALS, '$1[redacted]@'],
];

/** `text` without any registered secret and without anything shaped like one. */
export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  for (const [re, by] of SHAPES) out = out.replace(re, by);
  return out;
}

/**
 * A query parameter whose name says it carries a secret (`token`, `access_token`, `api_key`,
 * `sig`, `X-Amz-Signature`, `password` …). Names are bounded, so a pass stays linear.
 */
const SECRET_QUERY = /([?&;](?:[\w~.-]{0,40}[_.-])?(?:token|api_?key|apikey|key|secret|password|passwd|pwd|sig|signature|auth|credentials?|session(?:_?id)?)=)[^&#\s]*/gi;

/**
 * A URL as it may be logged or shown: `https://user:pass@host/v1?token=abc` →
 * `https://[redacted]@host/v1?token=[redacted]`.
 */
export function redactUrl(url: string): string {
  return url.replace(URL_CREDENTIALS, '$1[redacted]@').replace(SECRET_QUERY, '$1[redacted]');
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

function serialize(v: unknown): unknown {
  if (v instanceof Error) {
    return { name: v.name, message: v.message, code: (v as { code?: unknown }).code, stack: v.stack, cause: v.cause === undefined ? undefined : serialize(v.cause) };
  }
  return v;
}

export function createLogger(
  opts: { level?: Level; write?: (line: string) => void; base?: Record<string, unknown> } = {},
): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const write = opts.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const base = opts.base ?? {};
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < min) return;
    const rec: Record<string, unknown> = { time: new Date().toISOString(), level, msg, ...base };
    if (fields) for (const [k, v] of Object.entries(fields)) rec[k] = serialize(v);
    write(redact(JSON.stringify(rec)));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger({ ...opts, base: { ...base, ...fields } }),
  };
}

/** A logger that drops everything (tests, --quiet). */
export const silentLogger: Logger = createLogger({ write: () => {} });
