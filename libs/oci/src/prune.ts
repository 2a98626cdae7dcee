/**
 * Drops undefined fields and the objects left empty by that, so the JSON holds only what was
 * asked for. Arrays keep their elements; bigints and other leaves pass through.
 */
export function prune<T>(value: T): T {
  if (Array.isArray(value)) return value.map(prune) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const pruned = prune(v);
    if (pruned && typeof pruned === 'object' && !Array.isArray(pruned) && Object.keys(pruned).length === 0) continue;
    out[k] = pruned;
  }
  return out as T;
}
