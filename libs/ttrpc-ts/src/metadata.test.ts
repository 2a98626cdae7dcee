import { describe, expect, it } from 'vitest';
import { mergeToKeyValues, metadataFromKeyValues, toMetadata } from './metadata';

describe('metadata', () => {
  it('accepts objects and maps, lower-cases keys and keeps every value', () => {
    expect(toMetadata({ 'Containerd-Namespace-Ttrpc': 'default', a: ['1', '2'] })).toEqual(
      new Map([
        ['containerd-namespace-ttrpc', ['default']],
        ['a', ['1', '2']],
      ]),
    );
    expect(toMetadata(new Map([['K', ['v']]]))).toEqual(new Map([['k', ['v']]]));
    expect(toMetadata(undefined).size).toBe(0);
  });

  it('groups repeated wire keys in order', () => {
    const md = metadataFromKeyValues([
      { key: 'x', value: '1' },
      { key: 'Y', value: '2' },
      { key: 'X', value: '3' },
    ]);
    expect(md).toEqual(
      new Map([
        ['x', ['1', '3']],
        ['y', ['2']],
      ]),
    );
  });

  it('per-call keys replace the defaults, one KeyValue per value', () => {
    const defaults = toMetadata({ ns: 'default', keep: 'yes' });
    expect(mergeToKeyValues(defaults, toMetadata({ ns: ['k8s.io', 'other'] }))).toEqual([
      { key: 'keep', value: 'yes' },
      { key: 'ns', value: 'k8s.io' },
      { key: 'ns', value: 'other' },
    ]);
    expect(mergeToKeyValues(defaults, undefined)).toEqual([
      { key: 'ns', value: 'default' },
      { key: 'keep', value: 'yes' },
    ]);
  });
});
