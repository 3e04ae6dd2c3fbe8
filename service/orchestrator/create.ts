/**
 * Turning an accepted order into a stored release: defaults resolved, batches planned, an empty
 * journal. The API and tests create releases through here so both store the same shape.
 */
import { randomUUID } from 'node:crypto';
import type { ReleaseRecord, Store } from '../ports/store.js';
import { resolveOrder, type ParsedOrder } from './order.js';
import { planBatches } from './plan.js';
import { initialProgress, type ReleaseSpec } from './state.js';

/** The spec a new release starts with. External releases keep the event-driven progress shape. */
export function initialSpec(parsed: ParsedOrder): ReleaseSpec | { order: ReturnType<typeof resolveOrder>; progress: { batches: Record<string, never> } } {
  const order = resolveOrder(parsed);
  if (order.driver === 'external') return { order, progress: { batches: {} } };
  return { order, progress: initialProgress(planBatches(order.hosts, order.batching)), journal: { commands: [], resume: null } };
}

/**
 * Stores a new `planned` release; throws StoreConflictError when the id exists or the app
 * already has an active release in the environment (the store's unique index decides).
 */
export function createRelease(store: Store, parsed: ParsedOrder, now: number): Promise<ReleaseRecord> {
  const id = parsed.id ?? `rel-${randomUUID()}`;
  return store.createRelease({ id, app: parsed.app, environment: parsed.environment, state: 'planned', spec: initialSpec(parsed), createdAt: now, updatedAt: now });
}
