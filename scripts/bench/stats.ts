/** Small statistics helpers for the benchmark. */

export interface Latency {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { n: s.length, mean: round(mean, 4), p50: round(percentile(s, 50), 4), p95: round(percentile(s, 95), 4), p99: round(percentile(s, 99), 4), max: round(s[s.length - 1] ?? NaN, 4) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** |a ∩ b| / |b| (b is the exact answer). */
export function overlap<T>(a: T[], b: T[]): number {
  if (b.length === 0) return 1;
  const set = new Set(a);
  let hit = 0;
  for (const x of b) if (set.has(x)) hit++;
  return hit / b.length;
}

export function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Times `fn` over `items`, returning per-item milliseconds. */
export async function timeEach<T, R>(items: T[], fn: (item: T, i: number) => Promise<R> | R, onResult?: (r: R, i: number) => void): Promise<number[]> {
  const out: number[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const t = performance.now();
    const r = await fn(items[i], i);
    out[i] = performance.now() - t;
    onResult?.(r, i);
  }
  return out;
}

/** Size in bytes of every file under `dir`. */
export async function dirBytes(dir: string): Promise<number> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  let total = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(p);
    else if (e.isFile()) total += (await fs.stat(p)).size;
  }
  return total;
}

/**
 * `timeEach` that stops once `budgetMs` has passed and at least `min` items ran (all of them when
 * there are fewer): per-item milliseconds of the items that ran, in order.
 */
export async function timeWithin<T, R>(items: T[], budgetMs: number, min: number, fn: (item: T, i: number) => Promise<R> | R, onResult?: (r: R, i: number) => void): Promise<number[]> {
  const out: number[] = [];
  const start = performance.now();
  for (let i = 0; i < items.length; i++) {
    if (i >= min && performance.now() - start > budgetMs) break;
    const t = performance.now();
    const r = await fn(items[i], i);
    out.push(performance.now() - t);
    onResult?.(r, i);
  }
  return out;
}
