/**
 * The web UI: plain HTML pages and ES modules from `service/web/`, plus d3 from its package. The
 * pages are public (they hold no data); the data comes from the API, which the page calls with a
 * key the user types once and keeps in sessionStorage — never in a URL, so never in a log.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';
import { HttpError } from '../errors.js';
import { route, type RouteSpec } from '../route.js';

/** Where the pages and modules live (next to the service's sources; no build step). */
export const webRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

/** d3's browser bundle, found the way Node finds the package (works when hoisted too). */
const d3Bundle = (): string => join(dirname(createRequire(import.meta.url).resolve('d3')), '..', 'dist', 'd3.min.js');

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Only scripts and styles from this origin, no inline code, no framing: a report shows strings
 * from metric names and notes, so a slip in escaping must not become script.
 */
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/** An asset name the UI may serve: a plain file name with a known type, nothing that walks folders. */
export function isAssetName(name: string): boolean {
  return /^[a-z][a-z0-9-]*\.(js|css)$/.test(name);
}

/**
 * The UI's routes: `/` and `/ui` (releases), `/ui/releases/:id`, `/ui/evaluations/:id` (the
 * report), `/ui/assets/:file` and `/ui/vendor/d3.min.js`. Files are read once and kept.
 */
export function webRoutes(options: { root?: string } = {}): RouteSpec[] {
  const root = options.root ?? webRoot;
  const cache = new Map<string, string>();
  const read = (path: string): string => {
    let text = cache.get(path);
    if (text === undefined) {
      text = readFileSync(path, 'utf8');
      cache.set(path, text);
    }
    return text;
  };
  const send = (res: Response, path: string, cacheControl: string, body = read(path)) => {
    res.setHeader('content-security-policy', contentSecurityPolicy);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', cacheControl);
    const type = types[path.slice(path.lastIndexOf('.'))] ?? 'application/octet-stream';
    return { text: { contentType: type, body } };
  };
  // Every page is the same shell (page.html) around its own module.
  const page = (path: string, script: string, summary: string): RouteSpec =>
    route({
      method: 'get', path, summary, tag: 'web', scope: null,
      handler: ({ res }) => {
        const shell = join(root, 'page.html');
        return send(res, shell, 'no-cache', read(shell).replace('%MODULE%', script));
      },
    });
  return [
    page('/', 'releases.js', 'Web UI: releases (filter by app, environment, state)'),
    page('/ui', 'releases.js', 'Web UI: releases (filter by app, environment, state)'),
    page('/ui/releases/:id', 'release.js', 'Web UI: one release — batches, events and evaluations on a timeline'),
    page('/ui/evaluations/:id', 'report.js', 'Web UI: the evaluation report — overview, feedback, anomalies by category, release, charts'),
    route({
      method: 'get', path: '/ui/assets/:file', summary: 'Web UI scripts and styles', tag: 'web', scope: null,
      handler: ({ params, res }) => {
        if (!isAssetName(params.file)) throw new HttpError(404, 'not_found', 'path', `no asset ${params.file}`);
        try {
          return send(res, join(root, params.file), 'no-cache');
        } catch {
          throw new HttpError(404, 'not_found', 'path', `no asset ${params.file}`);
        }
      },
    }),
    route({
      method: 'get', path: '/ui/vendor/d3.min.js', summary: 'd3 (browser bundle) for the web UI charts', tag: 'web', scope: null,
      handler: ({ res }) => send(res, d3Bundle(), 'public, max-age=86400'),
    }),
  ];
}
