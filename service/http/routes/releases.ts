/**
 * Release orders and deployment events. A deployment system that drives its own rollout reports
 * what it did (batch started, hosts done, batch finished) under event ids; a repeated event changes
 * nothing. One active release per app and environment.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { metricCategories } from '../../../src/datasets/case.js';
import type { ReleaseRecord, Store } from '../../ports/store.js';
import { StoreConflictError } from '../../ports/store.js';
import { HttpError } from '../errors.js';
import { route, type RouteSpec } from '../route.js';

export const environments = ['test', 'staging', 'production', 'beta'] as const;
const terminal = new Set(['succeeded', 'failed', 'aborted', 'rolled_back']);

export const releaseOrderSchema = z.object({
  id: z.string().min(1).max(200).optional(),
  app: z.string().min(1).max(200),
  environment: z.enum(environments),
  version: z.string().min(1).max(200),
  artifact: z.object({ url: z.url(), digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256:<64 hex digits>') }),
  hosts: z.array(z.object({ name: z.string().min(1), datacenter: z.string().min(1), group: z.string().min(1).optional() })).min(1).max(100_000),
  batching: z.discriminatedUnion('by', [
    z.object({ by: z.literal('datacenter'), batches: z.number().int().min(1) }),
    z.object({ by: z.literal('group'), batches: z.number().int().min(1) }),
    z.object({ by: z.literal('count'), size: z.number().int().min(1) }),
    z.object({ by: z.literal('percentage'), percent: z.number().gt(0).max(100) }),
  ]),
  pause: z.enum(['after-first', 'after-every', 'never']).default('after-first'),
  observationMinutes: z.number().int().min(1).max(24 * 60).default(10),
  scheduledAt: z.number().int().optional(),
  metrics: z.array(z.object({ name: z.string().min(1), category: z.enum(metricCategories), direction: z.enum(['up', 'down', 'both']), critical: z.boolean().default(false) })).default([]),
  policy: z.record(z.string(), z.unknown()).optional(),
}).superRefine((order, ctx) => {
  const seen = new Set<string>();
  order.hosts.forEach((h, i) => {
    if (seen.has(h.name)) ctx.addIssue({ code: 'custom', path: ['hosts', i, 'name'], message: `host "${h.name}" is listed twice` });
    seen.add(h.name);
  });
});
export type ReleaseOrder = z.output<typeof releaseOrderSchema>;

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

// `revision` counts the record's updates; the release's own version is `order.version`.
const view = (r: ReleaseRecord) => ({ id: r.id, app: r.app, environment: r.environment, state: r.state, revision: r.version, createdAt: r.createdAt, updatedAt: r.updatedAt, ...(r.spec as object) });

export function releaseRoutes(store: Store, now: () => number): RouteSpec[] {
  return [
    route({
      method: 'post', path: '/v1/releases', summary: 'Create a release order', tag: 'releases', scope: 'operate', audit: 'release.create',
      body: releaseOrderSchema,
      handler: async ({ body }) => {
        const active = (await store.listReleases({ app: body.app, environment: body.environment, limit: 1000 })).find((r) => !terminal.has(r.state));
        if (active) throw new HttpError(409, 'conflict', 'body.app', `release ${active.id} of ${body.app} in ${body.environment} is still ${active.state}; one active release per app and environment`);
        const id = body.id ?? `rel-${randomUUID()}`;
        const progress: Progress = { batches: {} };
        try {
          const record = await store.createRelease({ id, app: body.app, environment: body.environment, state: 'planned', spec: { order: body, progress }, createdAt: now(), updatedAt: now() });
          return { status: 201, body: view(record), target: `release:${id}` };
        } catch (error) {
          if (error instanceof StoreConflictError) throw new HttpError(409, 'conflict', 'body.id', `release ${id} exists`);
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
      method: 'post', path: '/v1/releases/:id/events', summary: 'Report a deployment event; a repeated event id changes nothing', tag: 'releases', scope: 'operate', audit: 'release.event',
      body: eventSchema,
      handler: async ({ params, body }) => {
        const record = await store.getRelease(params.id);
        if (!record) throw new HttpError(404, 'not_found', 'id', `no release ${params.id}`);
        const spec = record.spec as { order: ReleaseOrder; progress: Progress };
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
          const updated = await store.updateRelease(params.id, current.version, { state: terminal.has(current.state) ? current.state : state, spec: s }, now());
          if (updated) return { body: { duplicate: false, release: view(updated) }, target: `release:${params.id}` };
        }
        throw new HttpError(409, 'conflict', 'id', `release ${params.id} changed too often to apply the event; retry`);
      },
    }),
  ];
}
