/**
 * The release API as a deployment system calls it, for end-to-end runs on a fleet world: submit an
 * order and wait for the release to end (or to wait for a person).
 */
import type { ReleaseOrderInput } from '../orchestrator/order.js';
import type { FleetWorld, ReleaseView } from './world.js';

export interface ReleaseClient {
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: ReleaseView & Record<string, unknown> }>;
  /**
   * Submits the order and polls (real time, every 100 ms) until the release is terminal — or
   * paused: returned with `untilPaused`, else an error naming the reason. Throws after `timeoutMs`.
   */
  release(order: ReleaseOrderInput, options?: { timeoutMs?: number; untilPaused?: boolean }): Promise<ReleaseView>;
}

/** A client of `world`'s service with the API key `key`. */
export function releaseClient(world: FleetWorld, key: string): ReleaseClient {
  const api: ReleaseClient['api'] = async (method, path, body) => {
    const response = await fetch(`${world.service.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as ReleaseView & Record<string, unknown> };
  };
  return {
    api,
    async release(order, { timeoutMs = 90_000, untilPaused = false } = {}) {
      const created = await api('POST', '/v1/releases', order);
      if (created.status !== 201) throw new Error(`POST /v1/releases answered ${created.status}: ${JSON.stringify(created.body)}`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const { body } = await api('GET', `/v1/releases/${order.id}`);
        if (['succeeded', 'failed', 'aborted', 'rolled_back'].includes(body.state)) return body;
        if (body.state === 'paused' && untilPaused) return body;
        if (body.state === 'paused') throw new Error(`release ${order.id} paused: ${body.progress.pausedReason}`);
        if (Date.now() > deadline) throw new Error(`release ${order.id} still ${body.state} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}
