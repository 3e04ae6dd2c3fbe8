/**
 * Builds the OpenAPI 3.1 document from the route declarations' zod schemas, so the document and
 * the validation can never disagree.
 */
import { z } from 'zod';
import type { RouteSpec } from './route.js';

const errorSchema = z.object({
  status: z.number().int(),
  code: z.string(),
  field: z.string(),
  reason: z.string(),
  issues: z.array(z.object({ field: z.string(), reason: z.string() })).optional(),
});

const toJson = (schema: z.ZodType): unknown => {
  try {
    const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    return rest;
  } catch {
    return {};
  }
};

export function openApiDocument(routes: RouteSpec[], info: { title: string; version: string }): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const params = [...r.path.matchAll(/:([A-Za-z]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = r.query ? toJson(r.query) as { properties?: Record<string, unknown>; required?: string[] } : undefined;
    for (const [name, schema] of Object.entries(query?.properties ?? {})) params.push({ name, in: 'query', required: (query?.required ?? []).includes(name), schema: schema as { type: string } });
    paths[path] ??= {};
    paths[path][r.method] = {
      summary: r.summary,
      tags: [r.tag],
      ...(r.scope ? { security: [{ apiKey: [] }], 'x-scope': r.scope } : {}),
      ...(params.length ? { parameters: params } : {}),
      ...(r.body && !r.rawBody ? { requestBody: { required: true, content: { 'application/json': { schema: toJson(r.body) } } } } : {}),
      ...(r.rawBody ? { requestBody: { required: true, content: { 'text/plain': { schema: { type: 'string' } } } } } : {}),
      responses: {
        '200': { description: 'OK', ...(r.response ? { content: { 'application/json': { schema: toJson(r.response) } } } : {}) },
        default: { description: 'Error', content: { 'application/json': { schema: toJson(errorSchema) } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info,
    components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'slk_… API key' } } },
    paths,
  };
}
