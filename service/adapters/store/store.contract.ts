/**
 * The store port's shared suite: every Store implementation runs exactly these tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyRecord, Store } from '../../ports/store.js';
import { StoreConflictError } from '../../ports/store.js';

/**
 * `reopen`, when given, opens the same database again (a restart): durable state must be there.
 */
export function describeStore(name: string, make: () => Promise<Store>, enabled = true, reopen?: () => Promise<Store>): void {
  describe.runIf(enabled)(`Store contract: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await make();
      await store.migrate();
    });
    afterAll(async () => {
      await store?.close();
    });

    const key = (id: string, hash: string): ApiKeyRecord => ({
      id, name: `key ${id}`, hash, prefix: hash.slice(0, 6), scopes: ['read', 'gate'], status: 'active', createdAt: 1000, updatedAt: 1000,
    });

    it('migrate() is idempotent and records each version once', async () => {
      await store.migrate();
      await store.migrate();
      expect(await store.migrations()).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('api keys: create, find by hash, update status and rotate, refuse a duplicate id', async () => {
      await store.createApiKey(key('k1', 'a'.repeat(64)));
      expect((await store.getApiKeyByHash('a'.repeat(64)))?.scopes).toEqual(['read', 'gate']);
      expect(await store.getApiKeyByHash('b'.repeat(64))).toBeNull();
      await expect(store.createApiKey(key('k1', 'c'.repeat(64)))).rejects.toBeInstanceOf(StoreConflictError);
      expect(await store.updateApiKey('k1', { status: 'disabled' }, 2000)).toBe(true);
      expect((await store.getApiKey('k1'))?.status).toBe('disabled');
      expect(await store.updateApiKey('k1', { hash: 'd'.repeat(64), prefix: 'dddddd' }, 3000)).toBe(true);
      expect(await store.getApiKeyByHash('a'.repeat(64))).toBeNull();
      expect((await store.getApiKeyByHash('d'.repeat(64)))?.updatedAt).toBe(3000);
      expect(await store.updateApiKey('missing', { status: 'revoked' }, 1)).toBe(false);
    });

    it('audit: ids increase, entries filter by target and page after an id', async () => {
      const a = await store.appendAudit({ at: 1, keyId: 'k1', action: 'release.create', target: 'release:r1', result: 'ok' });
      const b = await store.appendAudit({ at: 2, keyId: null, action: 'key.disable', target: 'key:k1', result: 'ok', detail: 'by admin' });
      expect(b).toBeGreaterThan(a);
      const forR1 = await store.listAudit({ target: 'release:r1' });
      expect(forR1.map((e) => e.action)).toEqual(['release.create']);
      const after = await store.listAudit({ afterId: a });
      expect(after[0]).toMatchObject({ id: b, detail: 'by admin', keyId: null });
    });

    it('audit: entries filter by key (null: the service), actions, result and time', async () => {
      const base = 5_000_000;
      await store.appendAudit({ at: base, keyId: 'kq', action: 'command.run', target: 'c1', result: 'ok' });
      await store.appendAudit({ at: base + 10, keyId: 'kq', action: 'command.start', target: 'c2', result: 'denied' });
      await store.appendAudit({ at: base + 20, keyId: 'kq', action: 'release.create', target: 'r', result: 'ok' });
      await store.appendAudit({ at: base + 30, keyId: null, action: 'command.run', target: 'c3', result: 'ok' });
      await store.appendAudit({ at: base + 40, keyId: 'kq', action: 'command.start', target: 'c4', result: 'ok' });
      const targets = async (q: Parameters<Store['listAudit']>[0]) => (await store.listAudit(q)).map((e) => e.target);
      expect(await targets({ keyId: 'kq', actions: ['command.run', 'command.start'], result: 'ok', since: base })).toEqual(['c1', 'c4']);
      expect(await targets({ keyId: 'kq', actions: ['command.run', 'command.start'], since: base + 5 })).toEqual(['c2', 'c4']);
      expect(await targets({ keyId: null, actions: ['command.run'], since: base })).toEqual(['c3']);
      expect(await targets({ keyId: 'kq', actions: [] })).toEqual([]);
    });

    it('audit: concurrent appends all land with distinct ids', async () => {
      const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendAudit({ at: i, keyId: null, action: 'x', target: 'concurrent', result: 'ok' })));
      expect(new Set(ids).size).toBe(20);
      expect((await store.listAudit({ target: 'concurrent' })).length).toBe(20);
    });

    it('releases: create, read, list with filters, optimistic update', async () => {
      const r = await store.createRelease({ id: 'r1', app: 'buy', environment: 'production', state: 'planned', spec: { batches: 3 }, createdAt: 10, updatedAt: 10 });
      expect(r.version).toBe(1);
      await store.createRelease({ id: 'r2', app: 'cart', environment: 'staging', state: 'planned', spec: {}, createdAt: 20, updatedAt: 20 });
      await expect(store.createRelease({ id: 'r1', app: 'x', environment: 'y', state: 'z', spec: {}, createdAt: 1, updatedAt: 1 })).rejects.toBeInstanceOf(StoreConflictError);
      expect((await store.listReleases({ app: 'buy' })).map((x) => x.id)).toEqual(['r1']);
      expect((await store.listReleases()).map((x) => x.id)).toEqual(['r2', 'r1']);
      const updated = await store.updateRelease('r1', 1, { state: 'deploying', spec: { batches: 3, current: 1 } }, 30);
      expect(updated).toMatchObject({ version: 2, state: 'deploying', spec: { batches: 3, current: 1 }, updatedAt: 30 });
      expect(await store.updateRelease('r1', 1, { state: 'paused', spec: {} }, 40)).toBeNull();
      expect((await store.getRelease('r1'))?.state).toBe('deploying');
    });

    it('releases: one active release per app and environment, enforced by the store', async () => {
      await store.createRelease({ id: 'a1', app: 'solo', environment: 'production', state: 'planned', spec: {}, createdAt: 1, updatedAt: 1 });
      await expect(store.createRelease({ id: 'a2', app: 'solo', environment: 'production', state: 'planned', spec: {}, createdAt: 2, updatedAt: 2 })).rejects.toBeInstanceOf(StoreConflictError);
      await store.createRelease({ id: 'a3', app: 'solo', environment: 'staging', state: 'planned', spec: {}, createdAt: 3, updatedAt: 3 });
      await store.updateRelease('a1', 1, { state: 'succeeded', spec: {} }, 4);
      await store.createRelease({ id: 'a4', app: 'solo', environment: 'production', state: 'planned', spec: {}, createdAt: 5, updatedAt: 5 });
    });

    it('releases: of two racing updates from the same version exactly one wins', async () => {
      await store.createRelease({ id: 'race', app: 'a', environment: 'e', state: 's0', spec: {}, createdAt: 1, updatedAt: 1 });
      const results = await Promise.all([
        store.updateRelease('race', 1, { state: 'left', spec: {} }, 2),
        store.updateRelease('race', 1, { state: 'right', spec: {} }, 2),
      ]);
      expect(results.filter((x) => x !== null)).toHaveLength(1);
    });

    it('leases: one owner at a time, renewable, taken over after expiry, released', async () => {
      expect(await store.acquireLease('r1', 'p1', 1000, 0)).toBe(true);
      expect(await store.acquireLease('r1', 'p2', 1000, 500)).toBe(false);
      expect(await store.acquireLease('r1', 'p1', 1000, 900)).toBe(true);
      expect(await store.acquireLease('r1', 'p2', 1000, 1500)).toBe(false);
      expect(await store.acquireLease('r1', 'p2', 1000, 1900)).toBe(true);
      await store.releaseLease('r1', 'p1');
      expect(await store.acquireLease('r1', 'p1', 1000, 2000)).toBe(false);
      await store.releaseLease('r1', 'p2');
      expect(await store.acquireLease('r1', 'p1', 1000, 2000)).toBe(true);
    });

    it('events: recorded once per event id, replays report duplicate and change nothing', async () => {
      expect(await store.recordEvent('r1', 'e1', { kind: 'batch-started', batch: 1 }, 5)).toBe('new');
      expect(await store.recordEvent('r1', 'e1', { kind: 'batch-started', batch: 99 }, 6)).toBe('duplicate');
      expect(await store.recordEvent('r2', 'e1', { kind: 'other' }, 7)).toBe('new');
      expect(await store.listEvents('r1')).toEqual([{ eventId: 'e1', payload: { kind: 'batch-started', batch: 1 }, at: 5 }]);
    });

    it('evaluations: save, read, feedback, list labeled only', async () => {
      await store.saveEvaluation({ id: 'ev1', releaseId: 'r1', batch: 1, createdAt: 100, decision: 'PASS', score: 12.5, input: { a: [1, null] }, verdict: { decision: 'PASS' }, feedback: null });
      await store.saveEvaluation({ id: 'ev2', releaseId: null, batch: null, createdAt: 200, decision: 'FAIL', score: 88, input: {}, verdict: {}, feedback: null });
      expect(await store.getEvaluation('ev1')).toMatchObject({ score: 12.5, input: { a: [1, null] }, feedback: null, batch: 1 });
      expect(await store.setFeedback('ev2', { correct: false, labels: ['latency'], note: null, at: 300, keyId: 'k1' })).toBe(true);
      expect(await store.setFeedback('nope', { correct: true, labels: [], note: null, at: 1, keyId: null })).toBe(false);
      expect((await store.listEvaluations({ labeledOnly: true })).map((e) => e.id)).toEqual(['ev2']);
      expect((await store.listEvaluations({ releaseId: 'r1' })).map((e) => e.id)).toEqual(['ev1']);
    });

    it('evaluations: listed oldest or newest first (ties by id), by release and batch, with or without inputs', async () => {
      const at = [500, 700, 600, 700, 800];
      for (const [i, createdAt] of at.entries()) {
        await store.saveEvaluation({ id: `ord-${i}`, releaseId: 'ordered', batch: i < 3 ? 1 : 2, createdAt, decision: i === 4 ? 'FAIL' : 'PASS', score: i, input: { n: i }, verdict: { decision: i === 4 ? 'FAIL' : 'PASS', reasons: [`r${i}`] }, feedback: null });
      }
      const ids = async (query: Parameters<Store['listEvaluations']>[0]) => (await store.listEvaluations(query)).map((e) => e.id);
      expect(await ids({ releaseId: 'ordered' })).toEqual(['ord-0', 'ord-2', 'ord-1', 'ord-3', 'ord-4']);
      expect(await ids({ releaseId: 'ordered', order: 'oldest' })).toEqual(['ord-0', 'ord-2', 'ord-1', 'ord-3', 'ord-4']);
      expect(await ids({ releaseId: 'ordered', order: 'newest' })).toEqual(['ord-4', 'ord-3', 'ord-1', 'ord-2', 'ord-0']);
      expect(await ids({ releaseId: 'ordered', order: 'newest', limit: 2 })).toEqual(['ord-4', 'ord-3']);
      expect(await ids({ releaseId: 'ordered', batch: 1, order: 'newest', limit: 1 })).toEqual(['ord-1']);
      expect(await ids({ releaseId: 'ordered', batch: 2 })).toEqual(['ord-3', 'ord-4']);
      expect(await ids({ releaseId: 'ordered', batch: 3 })).toEqual([]);
      expect(await ids({ releaseId: 'nothing-here', order: 'newest' })).toEqual([]);
      // Across releases the newest come first too (ev1…ev2 of the test above are older).
      expect((await ids({ order: 'newest', limit: 3 }))).toEqual(['ord-4', 'ord-3', 'ord-1']);

      const [latest] = await store.listEvaluations({ releaseId: 'ordered', order: 'newest', limit: 1, withInput: false });
      expect(latest).toEqual({ id: 'ord-4', releaseId: 'ordered', batch: 2, createdAt: 800, decision: 'FAIL', score: 4, input: null, verdict: { decision: 'FAIL', reasons: ['r4'] }, feedback: null });
      const [full] = await store.listEvaluations({ releaseId: 'ordered', order: 'newest', limit: 1, withInput: true });
      expect(full.input).toEqual({ n: 4 });
    });

    it('retention: old unlabeled inputs go (verdicts stay), labeled ones and blobs still referenced stay', async () => {
      const DEPLOYED = 1_700_000_000_000;
      // Retention is store-wide: the rows earlier tests saved (created before T) go first, unasserted.
      const T = 1_000_000;
      await store.pruneEvaluationInputs(T);
      // A case as the gate records it: 30 minutes of history (one shared blob per batch) and a window.
      const caseOf = (history: number, window: number) => ({
        app: 'cart', release: { deployedAt: DEPLOYED }, step: 60_000, start: DEPLOYED - 30 * 60_000,
        metrics: [{ name: 'rt', released: { a1: Array.from({ length: 30 + window }, (_, i) => history + i) }, unreleased: { b1: Array.from({ length: 30 + window }, (_, i) => i) } }],
      });
      const save = (id: string, createdAt: number, input: unknown) =>
        store.saveEvaluation({ id, releaseId: 'ret', batch: 1, createdAt, decision: 'PASS', score: 1, input, verdict: { decision: 'PASS', reasons: [id] }, feedback: null });
      await save('ret-old-1', T + 1_000, caseOf(1, 3)); // batch A, old
      await save('ret-old-2', T + 1_100, caseOf(1, 4)); // batch A, old
      await save('ret-labeled', T + 1_200, caseOf(2, 3)); // batch B, old but labeled
      await store.setFeedback('ret-labeled', { correct: true, labels: [], note: null, at: T + 1_300, keyId: null });
      await save('ret-shared-old', T + 1_300, caseOf(3, 3)); // batch C: one old evaluation…
      await save('ret-shared-new', T + 9_000, caseOf(3, 5)); // …and one new, sharing its blob
      await save('ret-plain', T + 1_400, { anything: [1, 2] }); // not a case: no blob
      const inputsBefore = await store.getEvaluation('ret-shared-new');

      expect(await store.pruneEvaluationInputs(T + 5_000)).toEqual({ inputs: 4, blobs: 1 });
      for (const id of ['ret-old-1', 'ret-old-2', 'ret-shared-old', 'ret-plain']) {
        const e = await store.getEvaluation(id);
        expect(e?.input, id).toBeNull();
        expect(e?.verdict, id).toEqual({ decision: 'PASS', reasons: [id] });
      }
      expect((await store.getEvaluation('ret-labeled'))?.input).toEqual(caseOf(2, 3));
      // Batch C's blob is still read by its newer evaluation.
      expect(await store.getEvaluation('ret-shared-new')).toEqual(inputsBefore);
      expect((inputsBefore?.input as { metrics: unknown[] }).metrics).toHaveLength(1);
      // A second pass finds nothing more; a later one takes the rest but the labeled input.
      expect(await store.pruneEvaluationInputs(T + 5_000)).toEqual({ inputs: 0, blobs: 0 });
      expect(await store.pruneEvaluationInputs(T + 10_000)).toEqual({ inputs: 1, blobs: 1 });
      expect((await store.getEvaluation('ret-labeled'))?.input).toEqual(caseOf(2, 3));
      // A batch judged again after its blob went writes it anew.
      await save('ret-again', T + 20_000, caseOf(1, 6));
      expect((await store.getEvaluation('ret-again'))?.input).toEqual(caseOf(1, 6));
      expect(await store.pruneEvaluationInputs(T + 10_000)).toEqual({ inputs: 0, blobs: 0 });
    });

    it('preheat jobs: recorded by key, replaced by a later job, null for an unknown key, kept across a reopen', async () => {
      expect(await store.getPreheatJob('rel-1:preheat')).toBeNull();
      await store.setPreheatJob('rel-1:preheat', '41', 1000);
      await store.setPreheatJob('rel-2:preheat', 'job-b', 1000);
      expect(await store.getPreheatJob('rel-1:preheat')).toBe('41');
      await store.setPreheatJob('rel-1:preheat', '42', 2000);
      expect(await store.getPreheatJob('rel-1:preheat')).toBe('42');
      expect(await store.getPreheatJob('rel-2:preheat')).toBe('job-b');
      if (reopen) {
        await store.close();
        store = await reopen();
        await store.migrate();
        expect(await store.getPreheatJob('rel-1:preheat')).toBe('42');
      }
    });
  });
}
