import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCase, v1Preset } from '../../datasets/generator/index.js';
import { SluiceError } from '../../src/core/errors.js';
import { toCaseJson } from '../../src/datasets/case.js';
import { evaluate } from '../../src/gate/evaluate.js';
import type { GateRunner } from '../../src/gate/runner.js';
import { gateWorkers } from '../../src/gate/workers.js';
import { sqliteStore } from '../adapters/store/sqlite.js';
import { HttpError } from '../http/errors.js';
import type { Store } from '../ports/store.js';
import { judgeCase } from './judge.js';

let store: Store;
beforeAll(async () => {
  store = sqliteStore(':memory:');
  await store.migrate();
});
afterAll(async () => {
  await store.close();
});

describe('judgeCase', () => {
  it('judges on worker threads with the series lent, and records the case as it came', async () => {
    const gate = gateWorkers({ workers: 1, move: true });
    try {
      const c = generateCase(v1Preset, 20_600, 'level shift up');
      const asSent = toCaseJson(c);
      const expected = evaluate(c, {});
      const judged = await judgeCase(c, {}, [], { store, gate, now: () => 1 });
      expect(judged.verdict).toEqual(expected);
      const record = await store.getEvaluation(judged.id);
      expect(record?.input).toEqual(asSent);
      expect(record?.decision).toBe('FAIL');
    } finally {
      await gate.close();
    }
  });

  it('answers 503 and records nothing when the runner cannot judge; a bad policy stays a SluiceError naming the field', async () => {
    const broken: GateRunner = { evaluate: () => Promise.reject(new SluiceError('unavailable', '', 'the gate worker stopped: out of memory')), close: async () => undefined };
    const c = generateCase(v1Preset, 20_601, 'normal');
    const before = (await store.listEvaluations({ limit: 1000 })).length;
    const error = await judgeCase(c, {}, [], { store, gate: broken, now: () => 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 503, code: 'unavailable', reason: 'the gate could not judge the batch: the gate worker stopped: out of memory' });
    expect((await store.listEvaluations({ limit: 1000 })).length).toBe(before);
    const policyError = await judgeCase(c, { sensitivity: -1 }, [], { store, gate: broken, now: () => 3 }).catch((e: unknown) => e);
    expect(policyError).toBeInstanceOf(SluiceError);
    expect((policyError as SluiceError).path).toBe('sensitivity');
  });

  it('passes on an unknown detector from a worker as the SluiceError it is (a 400 for the caller, not a 503)', async () => {
    const gate = gateWorkers({ workers: 1 });
    try {
      const c = generateCase(v1Preset, 20_602, 'normal');
      const policy = { views: { beforeAfter: { detectors: [{ name: 'nope' }] } } };
      const inThread = (() => {
        try {
          evaluate(c, policy);
        } catch (e) {
          return e as SluiceError;
        }
      })();
      const error = await judgeCase(c, policy, [], { store, gate, now: () => 4 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SluiceError);
      expect(error).toMatchObject({ code: 'unknown_detector', path: inThread?.path, message: inThread?.message });
    } finally {
      await gate.close();
    }
  });
});
