/**
 * Admin endpoints for API keys and the audit log. The plain key is in the create and rotate
 * answers only; listings show the redacted prefix.
 */
import { z } from 'zod';
import { createKey, rotateKey, SCOPES, setKeyStatus } from '../../auth/api-keys.js';
import type { ApiKeyRecord, Scope, Store } from '../../ports/store.js';
import { HttpError } from '../errors.js';
import { route, type RouteSpec } from '../route.js';

const scopeSchema = z.enum(SCOPES as [Scope, ...Scope[]]);
const publicKey = (k: ApiKeyRecord) => ({ id: k.id, name: k.name, prefix: k.prefix, scopes: k.scopes, status: k.status, createdAt: k.createdAt, updatedAt: k.updatedAt });

export function keyRoutes(store: Store, now: () => number): RouteSpec[] {
  const statusRoute = (verb: 'disable' | 'enable' | 'revoke', status: ApiKeyRecord['status']) =>
    route({
      method: 'post', path: `/v1/keys/:id/${verb}`, summary: `${verb[0].toUpperCase()}${verb.slice(1)} an API key`, tag: 'keys', scope: 'admin', audit: `key.${verb}`,
      handler: async ({ params }) => {
        if (!(await setKeyStatus(store, params.id, status, now()))) throw new HttpError(404, 'not_found', 'id', `no active or disabled key ${params.id}`);
        return { body: publicKey((await store.getApiKey(params.id))!), target: `key:${params.id}` };
      },
    });
  return [
    route({
      method: 'post', path: '/v1/keys', summary: 'Create an API key (the plain key is returned once)', tag: 'keys', scope: 'admin', audit: 'key.create',
      body: z.object({ name: z.string().min(1).max(200), scopes: z.array(scopeSchema).min(1) }),
      handler: async ({ body }) => {
        const issued = await createKey(store, body.name, body.scopes, now());
        return { status: 201, body: { ...publicKey(issued.record), key: issued.key }, target: `key:${issued.record.id}` };
      },
    }),
    route({
      method: 'get', path: '/v1/keys', summary: 'List API keys', tag: 'keys', scope: 'admin',
      handler: async () => ({ body: { keys: (await store.listApiKeys()).map(publicKey) } }),
    }),
    route({
      method: 'post', path: '/v1/keys/:id/rotate', summary: 'Rotate an API key: a new secret, the old one stops working', tag: 'keys', scope: 'admin', audit: 'key.rotate',
      handler: async ({ params }) => {
        const issued = await rotateKey(store, params.id, now());
        if (!issued) throw new HttpError(404, 'not_found', 'id', `no active or disabled key ${params.id}`);
        return { body: { ...publicKey(issued.record), key: issued.key }, target: `key:${params.id}` };
      },
    }),
    statusRoute('disable', 'disabled'),
    statusRoute('enable', 'active'),
    statusRoute('revoke', 'revoked'),
    route({
      method: 'get', path: '/v1/audit', summary: 'Read the audit log', tag: 'keys', scope: 'admin',
      query: z.object({ after: z.coerce.number().int().min(0).optional(), limit: z.coerce.number().int().min(1).max(1000).optional(), target: z.string().optional() }),
      handler: async ({ query }) => ({ body: { entries: await store.listAudit({ afterId: query.after, limit: query.limit, target: query.target }) } }),
    }),
  ];
}
