/** Builds expected wire bytes in tests: numbers are literal bytes, strings their ASCII bytes. */
export function wire(...parts: Array<number | string>): number[] {
  return parts.flatMap((p) => (typeof p === 'number' ? [p] : [...Buffer.from(p, 'ascii')]));
}
