/**
 * Release orders, their progress, operators' actions and deployment events. A release is driven
 * by the orchestrator (`driver: 'sluice'`, the default) or by a deployment system that reports
 * what it did (`driver: 'external'`: batch started, hosts done, batch finished) under event ids;
 * a repeated event changes nothing. One active release per app and environment.
 */
import { z } from 'zod';
import { ActionError, type Orchestrator } from '../../orchestrator/index.js';
import { createRelease } from '../../orchestrator/create.js';
import { environments, mainCommand, releaseOrderSchema, resolveOrder, type ReleaseOrder } from '../../orchestrator/order.js';
import type { CommandGate } from '../../safety/index.js';
import { isTerminal, releaseActions } from '../../orchestrator/state.js';
import type { ReleaseRecord, Store } from '../../ports/store.js';
import { StoreConflictError } from '../../ports/store.js';
import { HttpError } from '../errors.js';
import { route, type RouteSpec } from '../route.js';

export { environments, releaseOrderSchema, type ReleaseOrder };

const eventSchema = z.object({
  eventId: z.string().min(1).max(200),
  type: z.enum(['batch_started', 'hosts_done', 'batch_finished']),
  batch: z.number().int().min(1),
  hosts: z.array(z.string().min(1)).default([]),
  /** Epoch ms the event happened (default: when it arrived). */
  at: z.number().int().optional(),
});

interface Progress {
  batches: Record<string, { started?: number; finished?: number; hostsDone: string[] }>;
}

const actionSchema = z.object({ action: z.enum(releaseActions), reason: z.string().min(1).max(2000).optional() });

// `revision` counts the record's updates; the release's own version is `order.version`.
const view = (r: ReleaseRecord) => ({ id: r.id, app: r.app, environment: r.environment, state: r.state, revision: r.version, createdAt: r.createdAt, updatedAt: r.updatedAt, ...(r.spec as object) });

/**
 * The release endpoints. Without an orchestrator (a service that only gates) releases can still
 * be created and reported on, but actions answer 503. With `commands` (the safety layer), an
 * order whose deploy or rollback the whitelist would refuse is refused when it arrives.
 */
export function releaseRoutes(store: Store, now: () => number, orchestrator?: Orchestrator, commands?: Pick<CommandGate, 'resolve'>): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/v1/releases', summary: 'Create a release order', tag: 'releases', scope: 'operate', audit: 'release.create',
      body: releaseOrderSchema,
      handler: async ({ body }) => {
        if (commands && body.driver === 'sluice') {
          const order = resolveOrder(body);
          for (const which of ['deploy', 'rollback'] as const) {
            const resolved = commands.resolve(mainCommand(order.commands[which], order, body.id ?? 'new'));
            if (!resolved.ok) throw new HttpError(400, 'invalid_input', `body.commands.${which}`, `the command whitelist refuses it: ${resolved.reason}`);
          }
        }
        const active = (await store.listReleases({ app: body.app, environment: body.environment, limit: 1000 })).find((r) => !isTerminal(r.state));
        if (active) throw new HttpError(409, 'conflict', 'body.app', `release ${active.id} of ${body.app} in ${body.environment} is still ${active.state}; one active release per app and environment`);
        try {
          const record = await createRelease(store, body, now());
          orchestrator?.notify();
          return { status: 201, body: view(record), target: `release:${record.id}` };
        } catch (error) {
          if (error instanceof StoreConflictError) throw new HttpError(409, 'conflict', 'body.id', `release ${body.id ?? ''} exists, or ${body.app} already has an active release in ${body.environment}`);
          throw error;
        }
      },
    }),
    route({
      method: 'get', path: '/v1/releases', summary: 'List releases, filtered by app, environment and state', tag: 'releases', scope: 'read',
      query: z.object({ app: z.string().optional(), environment: z.enum(environments).optional(), state: z.string().optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }),
      handler: async ({ query }) => ({ body: { releases: (await store.listReleases(query)).map(view) } }),
    }),
    route({
      method: 'get', path: '/v1/releases/:id', summary: 'Read a release order and its progress', tag: 'releases', scope: 'read',
      handler: async ({ params }) => {
        const record = await store.getRelease(params.id);
        if (!record) throw new HttpError(404, 'not_found', 'id', `no release ${params.id}`);
        return { body: { ...view(record), events: await store.listEvents(params.id) } };
      },
    }),
    route({
      method: 'post', path: '/v1/releases/:id/actions', summary: 'Approve (= resume), pause, abort or roll back a release', tag: 'releases', scope: 'operate', audit: 'release.action',
      body: actionSchema,
      handler: async ({ params, body, key }) => {
        if (!orchestrator) throw new HttpError(503, 'unavailable', 'id', 'this service runs no orchestrator');
        // Audited under the action's own name, with the person's reason, whether allowed or not.
        const audit = (result: 'ok' | 'error', detail: string) =>
          store.appendAudit({ at: now(), keyId: key?.id ?? null, action: `release.${body.action}`, target: `release:${params.id}`, result, detail });
        try {
          const record = await orchestrator.act(params.id, body.action, key?.id ?? 'unknown', body.reason);
          await audit('ok', `${body.reason ?? ''} → ${record.state}`.trim());
          return { body: { ...view(record), events: await store.listEvents(params.id) }, target: `release:${params.id}` };
        } catch (error) {
          if (!(error instanceof ActionError)) throw error;
          await audit('error', error.message);
          throw new HttpError(error.code === 'not_found' ? 404 : 409, error.code, error.code === 'not_found' ? 'id' : 'body.action', error.message);
        }
      },
    }),
    route({
      method: 'post', path: '/v1/releases/:id/events', summary: 'Report a deployment event; a repeated event id changes nothing', tag: 'releases', scope: 'operate', audit: 'release.event',
      body: eventSchema,
      handler: async ({ params, body }) => {
        const record = await store.getRelease(params.id);
        if (!record) throw new HttpError(404, 'not_found', 'id', `no release ${params.id}`);
        const spec = record.spec as { order: ReleaseOrder; progress: Progress };
        if (spec.order.driver !== 'external') throw new HttpError(409, 'conflict', 'id', `release ${params.id} is driven by sluice; events come from releases with driver 'external'`);
        const known = new Set(spec.order.hosts.map((h) => h.name));
        const stranger = body.hosts.findIndex((h) => !known.has(h));
        if (stranger >= 0) throw new HttpError(400, 'invalid_input', `body.hosts.${stranger}`, `host "${body.hosts[stranger]}" is not part of release ${params.id}`);
        const at = body.at ?? now();
        if ((await store.recordEvent(params.id, body.eventId, body, at)) === 'duplicate') {
          return { body: { duplicate: true, release: view(record) }, target: `release:${params.id}` };
        }
        // Apply the event to the progress; retry on a concurrent update of the same release.
        for (let attempt = 0; attempt < 20; attempt++) {
          const current = attempt === 0 ? record : await store.getRelease(params.id);
          if (!current) break;
          const s = structuredClone(current.spec) as { order: ReleaseOrder; progress: Progress };
          const batch = (s.progress.batches[String(body.batch)] ??= { hostsDone: [] });
          if (body.type === 'batch_started') batch.started ??= at;
          if (body.type === 'batch_finished') batch.finished ??= at;
          for (const h of body.hosts) if (!batch.hostsDone.includes(h)) batch.hostsDone.push(h);
          const state = body.type === 'batch_finished' ? `observing` : `deploying`;
          const updated = await store.updateRelease(params.id, current.version, { state: isTerminal(current.state) ? current.state : state, spec: s }, now());
          if (updated) return { body: { duplicate: false, release: view(updated) }, target: `release:${params.id}` };
        }
        throw new HttpError(409, 'conflict', 'id', `release ${params.id} changed too often to apply the event; retry`);
      },
    }),
  ];
}
