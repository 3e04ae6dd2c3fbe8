import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createP2P } from './select.js';

const newRoot = (): string => mkdtempSync(join(tmpdir(), 'sluice-p2p-select-'));

describe('createP2P(config, deps)', () => {
  it('builds the adapter its kind names, passing the rest as that adapter’s config', () => {
    expect(createP2P({ kind: 'local', root: newRoot(), pollIntervalMs: 50 }, {})).toMatchObject({ name: 'local', pollIntervalMs: 50 });
    expect(createP2P({ kind: 'dragonfly', baseUrl: 'http://manager:8080', token: 't' }, {}).name).toBe('dragonfly');
    expect(() => createP2P({ kind: 'direct-http' }, {})).toThrow(/kind: p2p config: needs an agent/);
    expect(() => createP2P({ kind: 'dragonfly', baseUrl: 'http://m', token: 't', verifyCacheDir: '/c' }, {})).toThrow(/verifyCacheDir: p2p config: needs an agent/);
    expect(() => createP2P({ kind: 'bittorrent' }, {})).toThrow(/p2p config: kind: /);
    expect(() => createP2P({ kind: 'dragonfly', baseUrl: 'http://m' }, {})).toThrow(/dragonfly config: token/);
  });
});
