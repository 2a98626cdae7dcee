/**
 * ttrpc metadata: one KeyValue per value on the wire, a key may repeat. Keys are lower-cased
 * both ways, as Go's ttrpc MD.Set/Get do, so `Containerd-Namespace-Ttrpc` still reaches Go peers.
 */
export type Metadata = Map<string, string[]>;

/** What callers may pass: a Map, or a plain object of one value or a list per key. */
export type MetadataInit = Metadata | Readonly<Record<string, string | readonly string[]>>;

export interface KeyValueLike {
  key: string;
  value: string;
}

export function toMetadata(init: MetadataInit | undefined): Metadata {
  const md: Metadata = new Map();
  if (init === undefined) return md;
  const entries = init instanceof Map ? init.entries() : Object.entries(init);
  for (const [key, value] of entries) {
    const values = typeof value === 'string' ? [value] : [...value];
    const k = key.toLowerCase();
    md.set(k, [...(md.get(k) ?? []), ...values]);
  }
  return md;
}

export function metadataFromKeyValues(pairs: readonly KeyValueLike[]): Metadata {
  const md: Metadata = new Map();
  for (const pair of pairs) {
    const key = pair.key.toLowerCase();
    const values = md.get(key);
    if (values) values.push(pair.value);
    else md.set(key, [pair.value]);
  }
  return md;
}

/** Default metadata overlaid with per-call metadata: a key set per call replaces the default's values. */
export function mergeToKeyValues(defaults: Metadata, overrides: Metadata | undefined): KeyValueLike[] {
  const pairs: KeyValueLike[] = [];
  for (const [key, values] of defaults) {
    if (overrides?.has(key)) continue;
    for (const value of values) pairs.push({ key, value });
  }
  if (overrides) for (const [key, values] of overrides) for (const value of values) pairs.push({ key, value });
  return pairs;
}
