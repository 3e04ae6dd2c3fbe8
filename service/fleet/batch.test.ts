import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/gate/evaluate.js';
import { fleetBatch } from './batch.js';
import { versionEffectSchema } from './model.js';

describe('the gate on the simulated fleet\'s batches', () => {
  // Batches a chance-quiet control once failed: the did detector divided the released aggregate's
  // noise by the unreleased one's, and a few calm minutes of the control made an ordinary window
  // look several times as noisy (error rate at minutes 9 and 10, heap at 9, orders at 7).
  const cases = [
    { at: Date.UTC(2026, 11, 7, 11, 18), minutes: [9, 10] },
    { at: Date.UTC(2026, 11, 3, 13, 34), minutes: [9] },
    { at: Date.UTC(2026, 11, 7, 18, 5), minutes: [7] },
  ];
  for (const { at, minutes } of cases) {
    it(`deployed at ${new Date(at).toISOString()}: no FAIL at minute${minutes.length > 1 ? 's' : ''} ${minutes.join(', ')}`, () => {
      for (const minute of minutes) {
        const verdict = evaluate(fleetBatch({ deployedAt: at, minutes: minute }));
        expect(verdict.decision, `minute ${minute}: ${verdict.reasons.join('; ')}`).not.toBe('FAIL');
      }
    });
  }

  it('all 40 hosts released at once (no unreleased hosts): one host\'s chance rough minutes are not a FAIL of the batch', () => {
    // Each released host is judged against the others; at 10:10 host app-et2-016's order counts ran
    // 112, 66, 102, 56, 89, 125 (its own noise, three times as rough as its hour before). Judged
    // against its own few history windows it failed the batch (61.1); the bands now come from every
    // host's windows, since the view takes the largest score over the hosts.
    const verdict = evaluate(fleetBatch({ hosts: 40, released: 40, control: 0, deployedAt: Date.UTC(2026, 10, 27, 10, 10), minutes: 6 }));
    expect(verdict.decision, verdict.reasons.join('; ')).toBe('PASS');
  });

  it('all 40 hosts released at once, at the day\'s peak: the peak\'s ordinary noise is not a burst', () => {
    // rpc.qps summed over 40 hosts dipped at the deployment minute while the same minute the day
    // before had been high: 7.0 σ of the before/after forecast against a band of 5.6, when σ was
    // the whole day's (traffic, and its noise, are 1.6 times the average at this hour). In units
    // of the hour's own noise it is ordinary.
    const at = Date.UTC(2026, 11, 4, 5, 36);
    for (const minutes of [3, 4]) {
      const verdict = evaluate(fleetBatch({ hosts: 40, released: 40, control: 0, deployedAt: at, minutes }));
      expect(verdict.decision, `minute ${minutes}: ${verdict.reasons.join('; ')}`).not.toBe('FAIL');
    }
  });

  it('all 40 hosts released at once: chance moves of a forecast from one day before are not a FAIL', () => {
    // With two days of history the before/after forecast is the day before, re-anchored, and a
    // window's residuals share the anchor's error: their mean varies about twice as much as
    // σ/√n. Against σ/√n, app.error_rate (critical) failed at minute 12 (1.46 σ against a band
    // of 1.20), and jvm heap at minutes 8 and 10, with a host's chance shift agreeing.
    for (const [at, minutes] of [[Date.UTC(2026, 11, 3, 18, 24), 12], [Date.UTC(2026, 11, 2, 5, 13), 10]] as const) {
      const verdict = evaluate(fleetBatch({ hosts: 40, released: 40, control: 0, deployedAt: at, minutes }));
      expect(verdict.decision, `${new Date(at).toISOString()} minute ${minutes}: ${verdict.reasons.join('; ')}`).not.toBe('FAIL');
    }
  });

  it('all 40 hosts released at once: the largest of forty hosts\' chance shifts is not a FAIL', () => {
    // Each released host is judged against the others and the view takes the largest score: at a
    // band of 4 standard errors for one comparison, one host's chance shift of the critical error
    // rate (minute 12) or of rpc.qps (minute 10) failed the batch at 60.1-60.2.
    for (const [at, minutes] of [[Date.UTC(2026, 11, 3, 8, 5), 12], [Date.UTC(2026, 11, 8, 22, 16), 10]] as const) {
      const verdict = evaluate(fleetBatch({ hosts: 40, released: 40, control: 0, deployedAt: at, minutes }));
      expect(verdict.decision, `${new Date(at).toISOString()} minute ${minutes}: ${verdict.reasons.join('; ')}`).not.toBe('FAIL');
    }
  });

  it('all 40 hosts released at once in the morning\'s rise: noise growing with the traffic is not a FAIL', () => {
    // 06:57 and 05:02 at the fleet's UTC+8, when its traffic (and the noise of requests and
    // orders, a share of it) rises fastest relative to its level: each host's window is rougher
    // than its hour before by the traffic's own ratio. Against their own past nothing cancels that,
    // and rpc.qps failed at minutes 11–13 (spread 61.5–72.1) until the roughness was also taken
    // relative to the level.
    for (const [at, minutes] of [[Date.UTC(2026, 11, 9, 22, 57), [11, 12, 13]], [Date.UTC(2026, 11, 10, 21, 2), [13]]] as const) {
      for (const minute of minutes) {
        const verdict = evaluate(fleetBatch({ hosts: 40, released: 40, control: 0, deployedAt: at, minutes: minute }));
        expect(verdict.decision, `${new Date(at).toISOString()} minute ${minute}: ${verdict.reasons.join('; ')}`).not.toBe('FAIL');
      }
    }
  });

  it('all 40 hosts released at once, a quarter of them crashing in the window: the crashed hosts count with the points they have, and the batch is INCONCLUSIVE', () => {
    // 10 hosts stop 7.5 minutes after the deployment. Judged against the other released hosts with
    // the whole window's standard error, app-su18-014's cpu roughness over its 7 differences
    // scored 60.5 at minute 13 and failed a healthy version.
    const effect = versionEffectSchema.parse({ latency: 1, errorRate: 0, cpu: 1, fatal: '', crashShare: 0.25, crashAfterMinutes: 7.5 });
    const verdict = evaluate(fleetBatch({ hosts: 40, released: 40, control: 0, deployedAt: Date.UTC(2026, 11, 10, 12, 12), minutes: 13, effect }));
    expect(verdict.decision, verdict.reasons.join('; ')).toBe('INCONCLUSIVE');
    expect(verdict.reasons.join('\n')).toMatch(/10 of 40 released hosts \(.*app-su18-014.*\) stopped reporting/);
  });

  it('the fleet\'s bad build (latency ×1.4, error rate +2.5 points, CPU ×1.15, a new fatal exception) fails from minute 3', () => {
    const effect = versionEffectSchema.parse({});
    for (const at of [Date.UTC(2026, 11, 3, 4, 0), Date.UTC(2026, 11, 3, 16, 30)]) {
      expect(evaluate(fleetBatch({ deployedAt: at, minutes: 3, effect })).decision).toBe('FAIL');
    }
  });
});
