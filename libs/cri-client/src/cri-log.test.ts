import { describe, expect, it } from 'vitest';
import { criLogText, parseCriLog } from './cri-log';

const LOG = [
  '2026-11-24T07:32:01.123456789Z stdout F 6.1.0-28-amd64',
  '2026-11-24T07:32:01.2Z stderr F oops',
  '2026-11-24T07:32:01.3Z stdout P part-',
  '2026-11-24T07:32:01.4Z stdout F two',
  '2026-11-24T07:32:01.5Z stdout F ',
  '',
].join('\n');

describe('CRI log format', () => {
  it('parses time, stream, tag and content', () => {
    expect(parseCriLog(LOG)[0]).toEqual({ time: '2026-11-24T07:32:01.123456789Z', stream: 'stdout', tag: 'F', content: '6.1.0-28-amd64' });
    expect(parseCriLog(LOG)).toHaveLength(5);
  });

  it('rebuilds one stream, joining partial lines', () => {
    expect(criLogText(LOG)).toBe('6.1.0-28-amd64\npart-two\n\n');
    expect(criLogText(LOG, 'stderr')).toBe('oops\n');
  });
});
