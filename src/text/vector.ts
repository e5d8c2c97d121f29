/**
 * Vector math shared by the embedders, search and the answerer (one copy, so every stage
 * computes a norm or a cosine the same way, to the last bit).
 */

/** L2-normalizes `v` in place and returns it; a zero vector is returned unchanged. */
export function normalizeInPlace<T extends { length: number; [i: number]: number }>(v: T): T {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] *= inv;
  }
  return v;
}

/** Dot product over the first `a.length` components. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Euclidean length. */
export function norm(v: ArrayLike<number>): number {
  return Math.sqrt(dot(v, v));
}

/** `v` scaled to unit length in a new array; a zero vector is returned as a copy. */
export function normalized(v: readonly number[]): number[] {
  const n = norm(v) || 1;
  return v.map((x) => x / n);
}

/** Cosine similarity (dot product of the normalized vectors). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
