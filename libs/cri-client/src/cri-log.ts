export interface CriLogLine {
  time: string;
  stream: 'stdout' | 'stderr';
  /** `F` for a full line, `P` for a partial one (continued by the next entry). */
  tag: string;
  content: string;
}

/**
 * Parses the kubelet's CRI container log format the CRI plugin writes to log_directory/log_path:
 * `<RFC3339Nano time> <stdout|stderr> <F|P> <content>` per line.
 */
export function parseCriLog(text: string): CriLogLine[] {
  const lines: CriLogLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+) (stdout|stderr) ([^ ]+) ?(.*)$/.exec(line);
    if (m) lines.push({ time: m[1]!, stream: m[2] as CriLogLine['stream'], tag: m[3]!, content: m[4]! });
  }
  return lines;
}

/** Joins the log back into the stream's text (partial entries are concatenated, full ones end a line). */
export function criLogText(text: string, stream: CriLogLine['stream'] = 'stdout'): string {
  return parseCriLog(text)
    .filter((l) => l.stream === stream)
    .map((l) => (l.tag.startsWith('P') ? l.content : `${l.content}\n`))
    .join('');
}
