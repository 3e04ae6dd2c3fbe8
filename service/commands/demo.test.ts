import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from './demo.js';

describe('sluice demo (npm start)', () => {
  it('ingests a simulated fleet and gates two releases: the good one passes, the bad one fails', async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await main(['--exit', '--port', '0', '--hosts', '80', '--data', join(mkdtempSync(join(tmpdir(), 'sluice-demo-')), 'demo')]);
      expect(code).toBe(0);
    } finally {
      log.mockRestore();
      write.mockRestore();
    }
    const text = lines.join('\n');
    expect(text).toMatch(/release rel-good-2\.4\.1 batch 1 .*: PASS/);
    expect(text).toMatch(/release rel-bad-2\.5\.0 batch 1 .*: FAIL/);
    expect(text).toMatch(/report: http:\/\/127\.0\.0\.1:\d+\/ui\/evaluations\/ev-/);
    expect(text).not.toMatch(/slk_[a-z0-9]+_[A-Za-z0-9_-]{10,}/);
  }, 120_000);
});
