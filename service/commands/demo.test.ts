import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from './demo.js';

describe('sluice demo (npm start)', () => {
  it('runs a good release to success and rolls a bad one back in its first batch, printing each step, verdict, report and release page', async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const dataDir = join(mkdtempSync(join(tmpdir(), 'sluice-demo-')), 'demo');
    let code: number;
    try {
      code = await main(['--exit', '--port', '0', '--hosts', '80', '--data', dataDir]);
    } finally {
      log.mockRestore();
    }
    const text = lines.join('\n');
    expect(code, text).toBe(0);
    expect(text).toMatch(/fleet of 80 hosts in 4 datacenters/);
    // Every batch of the good release passes; the bad one fails in batch 1 and is rolled back.
    for (const k of [1, 2, 3, 4]) expect(text).toMatch(new RegExp(`batch ${k} deployed on 20 of 20 hosts`));
    expect(text.match(/batch \d verdict: PASS/g)).toHaveLength(4);
    expect(text).toMatch(/batch 1 verdict: FAIL, score \d+/);
    expect(text).toMatch(/observing → rolling_back: batch 1 FAIL/);
    expect(text).toMatch(/release rel-buy2-2\.4\.1 succeeded; hosts now run 2\.4\.1 on 80/);
    expect(text).toMatch(/release rel-buy2-2\.5\.0 rolled_back; hosts now run 2\.4\.1 on 80/);
    expect(text.match(/report: http:\/\/127\.0\.0\.1:\d+\/ui\/evaluations\/ev-[0-9a-f-]+/g)).toHaveLength(5);
    expect(text).toMatch(/release page: http:\/\/127\.0\.0\.1:\d+\/ui\/releases\/rel-buy2-2\.5\.0/);
    // The key is in a file only its owner reads, never in the output.
    const key = readFileSync(join(dataDir, 'admin.key'), 'utf8').trim();
    expect(statSync(join(dataDir, 'admin.key')).mode & 0o777).toBe(0o600);
    expect(text).not.toContain(key);
    expect(text).not.toMatch(/slk_[a-z0-9]+_[A-Za-z0-9_-]{10,}/);
  }, 120_000);
});
