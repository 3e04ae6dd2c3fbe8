/**
 * The web UI: its routes over HTTP (public pages with a strict content security policy, assets by
 * plain name only, d3 from its package), and the pages in a real Chromium against a running
 * service — the report of a bad batch with its charts drawn from the verdict's series, feedback
 * stored through the API, the releases list with filters and a release's timeline. The key is
 * typed into the page once and appears in no URL and no log line. Screenshots are kept as artifacts.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCase, v1Preset } from '../../../datasets/generator/index.js';
import type { CaseKind } from '../../../datasets/generator/presets.js';
import { toCaseJson } from '../../../src/datasets/case.js';
import type { Verdict } from '../../../src/gate/verdict.js';
import { createKey } from '../../auth/api-keys.js';
import { startService, type RunningService } from '../../main.js';
import { shouldRun } from '../../test/servers.js';
import { isAssetName } from './web.js';

const CHROMIUM = '/usr/bin/chromium';

let service: RunningService;
const logLines: string[] = [];
let readKey: string;
let gateKey: string;
let operateKey: string;

beforeAll(async () => {
  service = await startService({ dataDir: mkdtempSync(join(tmpdir(), 'sluice-web-')), port: 0 }, (line) => logLines.push(line));
  readKey = (await createKey(service.store, 'viewer', ['read'], 0)).key;
  gateKey = (await createKey(service.store, 'reviewer', ['gate'], 0)).key;
  operateKey = (await createKey(service.store, 'deployer', ['operate'], 0)).key;
});
afterAll(async () => {
  await service?.close();
});

const call = async (method: string, path: string, key: string, body?: unknown) => {
  const response = await fetch(`${service.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : null };
};

describe('web routes', () => {
  it('serve the pages without a key, with a content security policy that forbids inline script', async () => {
    for (const path of ['/', '/ui', '/ui/releases/rel-1', '/ui/evaluations/ev-1']) {
      const response = await fetch(`${service.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await response.text();
      expect(html).toContain('<script src="/ui/vendor/d3.min.js"></script>');
      expect(html).not.toMatch(/<script>(?!<\/script>)/);
    }
  });

  it('serve the modules, the stylesheet and d3; refuse names that are not plain asset names', async () => {
    const module = await fetch(`${service.url}/ui/assets/report.js`);
    expect(module.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await module.text()).toContain('/v1/evaluations/');
    expect((await fetch(`${service.url}/ui/assets/style.css`)).headers.get('content-type')).toMatch(/^text\/css/);
    const d3 = await fetch(`${service.url}/ui/vendor/d3.min.js`);
    expect(d3.status).toBe(200);
    expect((await d3.text()).length).toBeGreaterThan(100_000);
    for (const name of ['missing.js', 'report.html', '..%2Fmain.ts', '.hidden.js']) {
      const response = await fetch(`${service.url}/ui/assets/${name}`);
      expect(response.status, name).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'not_found' });
    }
    expect(['a.js', 'release-list.css'].every(isAssetName)).toBe(true);
    expect(['../x.js', 'x.ts', 'X.js', 'a/b.js', 'a.js.map', ''].some(isAssetName)).toBe(false);
  });
});

const browserCheck = { available: existsSync(CHROMIUM), reason: `no Chromium at ${CHROMIUM} (apt-get install chromium)` };

describe.skipIf(!shouldRun('web UI in Chromium', browserCheck))('web UI in Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  // Screenshots go where CI keeps them (SLUICE_ARTIFACTS), else to .sluice/artifacts in the checkout.
  const artifacts = resolve(process.env.SLUICE_ARTIFACTS ?? join('.sluice', 'artifacts'), 'web');
  const releaseId = 'rel-web-ui-1';
  let evaluationId: string;
  let releaseApp: string;
  let verdict: Verdict;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'sluice-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1360, height: 900 },
    });
    page = context.pages()[0] ?? await context.newPage();
    // Script errors and content-security-policy refusals surface here; both are bugs. Answers
    // with an error status are logged by the browser too; the pages handle those (tested below).
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/^Failed to load resource: the server responded with a status of 40[34]/.test(message.text())) problems.push(`console: ${message.text()}`);
    });

    // A release with a started and finished first batch, and the gate's verdict on that batch.
    const generated = toCaseJson(generateCase(v1Preset, 20_000, 'level shift up'));
    // Moved in time so its observation window ends now, as when a deployment system asks.
    const points = Object.values(generated.metrics[0].released)[0].length;
    const shift = Math.floor((Date.now() - (generated.start + points * generated.step)) / generated.step) * generated.step;
    const bad = { ...generated, start: generated.start + shift, release: { ...generated.release, deployedAt: generated.release.deployedAt + shift }, logs: generated.logs?.map((l) => ({ ...l, t: l.t + shift })) };
    releaseApp = bad.app;
    const released = Object.keys(bad.metrics[0].released);
    const unreleased = Object.keys(bad.metrics[0].unreleased);
    const order = {
      id: releaseId, app: bad.app, environment: 'production', version: '2.5.0',
      artifact: { url: 'https://artifacts.example/app-2.5.0.tgz', digest: `sha256:${'ab'.repeat(32)}` },
      hosts: [...released, ...unreleased].map((name, i) => ({ name, datacenter: `dc${i % 2}` })),
      batching: { by: 'count', size: released.length },
      driver: 'external', // a deployment system drives it and reports its events
    };
    expect((await call('POST', '/v1/releases', operateKey, order)).status).toBe(201);
    const deployedAt = bad.release.deployedAt;
    expect((await call('POST', `/v1/releases/${releaseId}/events`, operateKey, { eventId: 'e1', type: 'batch_started', batch: 1, at: deployedAt - 300_000 })).status).toBe(200);
    expect((await call('POST', `/v1/releases/${releaseId}/events`, operateKey, { eventId: 'e2', type: 'hosts_done', batch: 1, hosts: released, at: deployedAt - 60_000 })).status).toBe(200);
    expect((await call('POST', `/v1/releases/${releaseId}/events`, operateKey, { eventId: 'e3', type: 'batch_finished', batch: 1, at: deployedAt })).status).toBe(200);
    const evaluation = await call('POST', '/v1/gate/evaluate', gateKey, { case: { ...bad, release: { ...bad.release, id: releaseId, batch: 1, version: '2.5.0' } } });
    expect(evaluation.body).toMatchObject({ decision: 'FAIL' });
    evaluationId = evaluation.body.id;
    verdict = evaluation.body;
    console.log(`web UI screenshots: ${artifacts}`);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('the report asks for a key once, then draws the overview, anomalies by category, the release and a chart per flagged metric', async () => {
    await page.goto(`${service.url}/ui/evaluations/${evaluationId}`);
    await page.locator('#key-form input').fill(gateKey);
    await page.locator('#key-form button').click();
    await page.locator('#overview').waitFor();
    expect(await page.locator('#anomaly-count').textContent()).toBe(String(verdict.anomalies));
    expect(await page.locator('#score').textContent()).toBe(verdict.score.toFixed(1));
    expect(await page.locator('#anomalous').textContent()).toBe('yes');
    const flagged = verdict.metrics.filter((m) => m.plot);
    expect(flagged.length).toBeGreaterThan(0);
    for (const category of verdict.categories) {
      for (const m of category.metrics) expect(await page.locator(`#anomalies [data-metric="${m.name}"]`).textContent()).toContain(m.score.toFixed(1));
    }
    expect(await page.locator('#release').textContent()).toContain(releaseId);
    expect(await page.locator('#release').textContent()).toContain('observing');

    // One before/after and one released-vs-unreleased chart per flagged metric, with data.
    expect(await page.locator('svg.chart-beforeAfter').count()).toBe(flagged.length);
    expect(await page.locator('svg.chart-releasedVsUnreleased').count()).toBe(flagged.length);
    const first = flagged[0];
    const chart = page.locator(`#chart-${first.name.replace(/[^A-Za-z0-9_-]+/g, '-')}`);
    const observed = chart.locator('.chart-beforeAfter path[data-role="observed"]');
    const drawnPoints = Number(await observed.getAttribute('data-points'));
    expect(drawnPoints).toBe(first.plot!.beforeAfter[0].values.filter((v) => v !== null).length);
    expect(((await observed.getAttribute('d')) ?? '').split(/[ML]/).length - 1).toBeGreaterThanOrEqual(drawnPoints);
    if (first.plot!.beforeAfter.some((s) => s.role === 'lower')) expect(Number(await chart.locator('path[data-role="band"]').getAttribute('data-points'))).toBeGreaterThan(0);
    expect(Number(await chart.locator('.chart-releasedVsUnreleased path[data-role="control"]').getAttribute('data-points'))).toBeGreaterThan(0);
    expect(await chart.locator('line.deploy').count()).toBe(2);
    await page.screenshot({ path: join(artifacts, 'report.png'), fullPage: true });

    await page.locator('.tabs button[data-kind="releasedVsUnreleased"]').click();
    expect(await chart.locator('.chart-releasedVsUnreleased').isVisible()).toBe(true);
    expect(await chart.locator('.chart-beforeAfter').isVisible()).toBe(false);
    await page.locator('#comparison').screenshot({ path: join(artifacts, 'report-released-vs-unreleased.png') });
  });

  it('"Correct" stores the feedback with the flagged metrics as labels', async () => {
    await page.locator('#feedback-correct').click();
    await page.locator('#feedback-state').waitFor();
    expect(await page.locator('#feedback-state').textContent()).toMatch(/^Marked correct/);
    const stored = await call('GET', `/v1/evaluations/${evaluationId}`, readKey);
    expect(stored.body.feedback).toMatchObject({ correct: true, labels: [...verdict.metrics.filter((m) => m.anomalous).map((m) => m.name), ...(verdict.logs?.anomalous ? ['logs'] : [])] });
    // Reloading shows the stored answer (the key is still in this tab's sessionStorage).
    await page.reload();
    await page.locator('#feedback-state').waitFor();
  });

  it('the releases list filters by app, environment and state; the release page draws its timeline', async () => {
    await page.goto(`${service.url}/ui?environment=production`);
    await page.locator(`tr[data-release="${releaseId}"]`).waitFor();
    expect(await page.locator(`#latest-evaluations tr[data-evaluation="${evaluationId}"] a[href="/ui/evaluations/${evaluationId}"]`).count()).toBe(1);
    await page.screenshot({ path: join(artifacts, 'releases.png'), fullPage: true });
    await page.locator('#filters select[name="state"]').selectOption('succeeded');
    await page.locator('#filters button[type="submit"]').click();
    await page.locator('#no-releases').waitFor();
    expect(page.url()).toContain('state=succeeded');
    // The app filter: another app's name hides the release, its own shows it again.
    await page.goto(`${service.url}/ui?app=no-such-app`);
    await page.locator('#no-releases').waitFor();
    await page.locator('#filters input[name="app"]').fill(String(releaseApp));
    await page.locator('#filters button[type="submit"]').click();
    await page.locator(`tr[data-release="${releaseId}"]`).waitFor();
    expect(page.url()).toContain(`app=${encodeURIComponent(String(releaseApp))}`);

    await page.goto(`${service.url}/ui/releases/${releaseId}`);
    await page.locator('svg.timeline').waitFor();
    expect(await page.locator('main').textContent()).toContain('2.5.0');
    expect(await page.locator('svg.timeline circle.event').count()).toBe(3);
    expect(await page.locator('svg.timeline rect.batch-bar.finished').count()).toBe(1);
    const mark = page.locator('svg.timeline path.evaluation.decision-fail');
    expect(await mark.count()).toBe(1);
    expect(await page.locator('#evaluations td').filter({ hasText: 'correct' }).count()).toBe(1);
    await page.screenshot({ path: join(artifacts, 'release.png'), fullPage: true });
    await page.locator(`#evaluations a[href="/ui/evaluations/${evaluationId}"]`).click();
    await page.locator('#overview').waitFor();
    expect(problems).toEqual([]);
  });

  it('an INCONCLUSIVE report says why and plots nothing', async () => {
    // Every released host silent from the deployment on: no metric can be judged.
    const c = toCaseJson(generateCase(v1Preset, 20_003, 'normal'));
    const cut = Math.round((c.release.deployedAt - c.start) / c.step);
    for (const m of c.metrics) for (const host of Object.keys(m.released)) m.released[host] = m.released[host].map((v, i) => (i >= cut ? null : v));
    const evaluation = await call('POST', '/v1/gate/evaluate', gateKey, { case: c });
    expect(evaluation.body.decision).toBe('INCONCLUSIVE');
    await page.goto(`${service.url}/ui/evaluations/${evaluation.body.id}`);
    await page.locator('#overview').waitFor();
    expect(await page.locator('h1 .badge').textContent()).toBe('INCONCLUSIVE');
    expect(await page.locator('#overview .reasons').textContent()).toContain(evaluation.body.reasons[0]);
    expect(await page.locator('#comparison').textContent()).toContain('No flagged metric to plot.');
    expect(await page.locator('#metrics td').filter({ hasText: /^no data/ }).count()).toBe(c.metrics.length);
    expect(problems).toEqual([]);
  });

  it('released hosts without a past: a third tab draws each flagged metric over its partner metric', async () => {
    // v1-0703 with the released hosts new: order count down on them by less than hosts' sizes differ.
    const c = toCaseJson(generateCase(v1Preset, 703, 'level shift down'));
    const cut = Math.round((c.release.deployedAt - c.start) / c.step);
    for (const m of c.metrics) for (const host of Object.keys(m.released)) m.released[host] = m.released[host].map((v, i) => (i < cut ? null : v));
    const evaluation = await call('POST', '/v1/gate/evaluate', gateKey, { case: c });
    expect(evaluation.body.decision).toBe('FAIL');
    const withPartner = (evaluation.body as Verdict).metrics.filter((m) => m.plot?.againstPartner);
    expect(withPartner.map((m) => m.name)).toContain('business.order.count');
    await page.goto(`${service.url}/ui/evaluations/${evaluation.body.id}`);
    await page.locator('#comparison svg').first().waitFor();
    await page.locator('.tabs button[data-kind="againstPartner"]').click();
    const chart = page.locator('#chart-business-order-count .chart-againstPartner');
    expect(await chart.isVisible()).toBe(true);
    expect(await chart.getAttribute('aria-label')).toBe('business.order.count: against middleware.tddl.write.qps');
    // The unreleased hosts' ratio before and after the release, the new hosts' after it only.
    const orders = withPartner.find((m) => m.name === 'business.order.count')!;
    const [released, unreleased] = orders.plot!.againstPartner!;
    expect(Number(await chart.locator('path[data-role="observed"]').getAttribute('data-points'))).toBe(released.values.filter((v) => v !== null).length);
    expect(Number(await chart.locator('path[data-role="control"]').getAttribute('data-points'))).toBe(unreleased.values.filter((v) => v !== null).length);
    expect(unreleased.values.filter((v) => v !== null).length).toBeGreaterThan(released.values.filter((v) => v !== null).length);
    expect(await page.locator('#comparison .chart-beforeAfter').first().isVisible()).toBe(false);
    await page.locator('#comparison').screenshot({ path: join(artifacts, 'report-against-partner.png') });
    expect(problems).toEqual([]);
  });

  it('a read-only key can view but not judge; the key appears in no URL and no log line', async () => {
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(`${service.url}/ui/evaluations/${evaluationId}`);
    await page.locator('#key-form input').fill(readKey);
    await page.locator('#key-form button').click();
    await page.locator('#feedback button.link').click();
    await page.locator('#feedback-incorrect').click();
    await expect.poll(() => page.locator('#feedback [role="alert"]').textContent()).toMatch(/scope/);
    expect((await call('GET', `/v1/evaluations/${evaluationId}`, readKey)).body.feedback.correct).toBe(true);
    expect(page.url()).not.toContain(readKey);
    const secrets = [readKey, gateKey, operateKey].map((k) => k.slice(-12));
    expect(logLines.length).toBeGreaterThan(10);
    expect(logLines.filter((line) => secrets.some((s) => line.includes(s)))).toEqual([]);
  });
  it('a paused release: a read-only key sees the refusal; approve with an operate key resumes it, audited', async () => {
    // A release Sluice drives, paused because its last batch was INCONCLUSIVE: approving it
    // finishes the release (its resume point is `succeeded`).
    const pausedId = 'rel-web-ui-paused';
    const judged = async (kind: CaseKind, seed: number, batch: number, silent: boolean) => {
      const c = toCaseJson(generateCase(v1Preset, seed, kind));
      if (silent) {
        const cut = Math.round((c.release.deployedAt - c.start) / c.step);
        for (const m of c.metrics) for (const host of Object.keys(m.released)) m.released[host] = m.released[host].map((v, i) => (i >= cut ? null : v));
      }
      const response = await call('POST', '/v1/gate/evaluate', gateKey, { case: { ...c, release: { ...c.release, id: pausedId, batch, version: '3.1.0' } } });
      expect(response.status).toBe(200);
      return response.body as Verdict & { id: string };
    };
    const first = await judged('normal', 20_010, 1, false);
    const second = await judged('normal', 20_011, 2, true);
    expect(second.decision).toBe('INCONCLUSIVE');
    const t0 = Date.now() - 3_600_000;
    const minute = 60_000;
    const hosts = ['web-a1', 'web-a2', 'web-b1', 'web-b2'];
    const verdictOf = (v: Verdict & { id: string }, at: number) => ({ decision: v.decision, score: v.score, evaluationId: v.id, at, reasons: v.reasons });
    const transitions = [
      { from: 'planned', to: 'preheating', at: t0, reason: 'start', by: 'orchestrator' },
      { from: 'preheating', to: 'deploying', at: t0 + minute, reason: 'artifact preheated on 4 hosts', by: 'orchestrator' },
      { from: 'deploying', to: 'observing', at: t0 + 2 * minute, reason: 'batch 1 deployed on 2 of 2 hosts', by: 'orchestrator' },
      { from: 'observing', to: 'deploying', at: t0 + 12 * minute, reason: `batch 1 ${first.decision}`, by: 'orchestrator' },
      { from: 'deploying', to: 'observing', at: t0 + 13 * minute, reason: 'batch 2 deployed on 2 of 2 hosts', by: 'orchestrator' },
      { from: 'observing', to: 'paused', at: t0 + 14 * minute, reason: `batch 2 INCONCLUSIVE (score ${second.score.toFixed(0)})`, by: 'orchestrator' },
    ];
    const order = {
      id: pausedId, app: 'buy2', environment: 'production', version: '3.1.0', previousVersion: '3.0.9',
      artifact: { url: 'https://artifacts.example/buy2-3.1.0.tgz', digest: `sha256:${'cd'.repeat(32)}` },
      hosts: hosts.map((name) => ({ name, datacenter: name.slice(4, 5) })),
      batching: { by: 'datacenter', batches: 2 }, driver: 'sluice', pause: 'after-first', observationMinutes: 10, historyMinutes: 2880,
      commands: { deploy: { command: 'deploy', args: ['{app}', '{version}', '{digest}'] }, rollback: { command: 'rollback', args: ['{app}', '{previousVersion}'] }, timeoutSeconds: 600 },
      agentFailures: { retries: 2, tolerateFailedHosts: 0, onExceed: 'pause' }, metrics: [],
    };
    const progress = {
      currentBatch: 2, pausedReason: transitions.at(-1)!.reason, failedHosts: [], transitions,
      batches: [
        { batch: 1, hosts: hosts.slice(0, 2), state: 'passed', deployedAt: t0 + 2 * minute, observedUntil: t0 + 12 * minute, evaluations: [{ id: first.id, decision: first.decision, score: first.score, at: t0 + 12 * minute }], verdict: verdictOf(first, t0 + 12 * minute) },
        { batch: 2, hosts: hosts.slice(2), state: 'inconclusive', deployedAt: t0 + 13 * minute, observedUntil: t0 + 23 * minute, evaluations: [{ id: second.id, decision: 'INCONCLUSIVE', score: second.score, at: t0 + 14 * minute }], verdict: verdictOf(second, t0 + 14 * minute) },
      ],
    };
    await service.store.createRelease({ id: pausedId, app: 'buy2', environment: 'production', state: 'paused', spec: { order, progress, journal: { commands: [], resume: { state: 'succeeded', batch: null } } }, createdAt: t0, updatedAt: t0 + 14 * minute });

    // The page still holds the read-only key from the test before.
    await page.goto(`${service.url}/ui/releases/${pausedId}`);
    await page.locator('#batches').waitFor();
    expect(await page.locator('#state .badge').textContent()).toBe('paused');
    expect(await page.locator('#paused-reason').textContent()).toContain('INCONCLUSIVE');
    const enabled = async (action: string) => page.locator(`#actions button[data-action="${action}"]`).isEnabled();
    expect([await enabled('approve'), await enabled('pause'), await enabled('abort'), await enabled('rollback')]).toEqual([true, false, true, true]);
    // Each batch's verdict and score, linked to its report; the transitions; the timeline's bars and verdict marks.
    const row = (k: number) => page.locator(`#batches tr[data-batch="${k}"]`);
    expect(await row(1).locator('.verdict .badge').textContent()).toBe(first.decision);
    expect(await row(1).textContent()).toContain(first.score.toFixed(1));
    expect(await row(2).locator(`a[href="/ui/evaluations/${second.id}"]`).count()).toBe(1);
    expect(await page.locator('#transitions tbody tr').count()).toBe(transitions.length);
    expect(await page.locator('svg.timeline rect.batch-bar.state-passed').count()).toBe(1);
    expect(await page.locator('svg.timeline rect.batch-bar.state-inconclusive').count()).toBe(1);
    expect(await page.locator('svg.timeline path.evaluation.verdict').count()).toBe(2);

    await page.locator('#actions button[data-action="approve"]').click();
    await expect.poll(() => page.locator('#action-message').textContent()).toMatch(/operate/);
    expect(await page.locator('#action-message').getAttribute('role')).toBe('alert');
    expect((await service.store.getRelease(pausedId))?.state).toBe('paused');

    await page.locator('header button.link').click(); // forget the read-only key
    await page.locator('#key-form input').fill(operateKey);
    await page.locator('#key-form button').click();
    await page.locator('#actions').waitFor();
    await page.locator('#actions input[name="reason"]').fill('checked the dashboards by hand');
    await page.locator('#actions button[data-action="approve"]').click();
    await expect.poll(() => page.locator('#state .badge').textContent()).toBe('succeeded');
    expect(await page.locator('#action-message').textContent()).toMatch(/now succeeded/);
    expect([await enabled('approve'), await enabled('abort'), await enabled('rollback')]).toEqual([false, false, false]);
    const last = (await call('GET', `/v1/releases/${pausedId}`, readKey)).body.progress.transitions.at(-1);
    expect(last).toMatchObject({ from: 'paused', to: 'succeeded' });
    expect(last.by).not.toBe('orchestrator');
    const audit = await service.store.listAudit({ target: `release:${pausedId}` });
    expect(audit.filter((a) => a.action === 'release.approve').map((a) => a.result)).toContain('ok');
    await page.screenshot({ path: join(artifacts, 'release-approved.png'), fullPage: true });
    // The batch's report names the batch's state and when it was deployed.
    await page.locator(`#batches tr[data-batch="2"] a[href="/ui/evaluations/${second.id}"]`).click();
    await page.locator('#release').waitFor();
    expect(await page.locator('#release').textContent()).toContain('inconclusive');
    expect(await page.locator('#release').textContent()).not.toMatch(/Batch started—/);
    expect(problems).toEqual([]);
  });
});
