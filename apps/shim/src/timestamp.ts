import type { google } from '@kata-ts/protocols';

export function toTimestamp(date: Date): google.Timestamp {
  const ms = date.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}
