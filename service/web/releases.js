// The releases list with filters (app, environment, state). Filters live in the page's query
// string so a filtered list can be bookmarked; the API key never does.
import { api, badge, el, frame, score, time } from './common.js';

const RECENT = 50;

const environments = ['', 'test', 'staging', 'production', 'beta'];
const states = ['', 'planned', 'preheating', 'deploying', 'observing', 'paused', 'rolling_back', 'rolled_back', 'succeeded', 'failed', 'aborted'];

frame('Releases', async (main) => {
  const params = new URLSearchParams(location.search);
  const filter = { app: params.get('app') ?? '', environment: params.get('environment') ?? '', state: params.get('state') ?? '' };
  const query = new URLSearchParams(Object.entries(filter).filter(([, v]) => v));
  const [{ releases }, { evaluations }] = await Promise.all([
    api(`/v1/releases${query.toString() ? `?${query}` : ''}`),
    api(`/v1/evaluations?order=newest&limit=${RECENT}`),
  ]);
  // The latest evaluations, newest first (as the API lists them), including
  // those made without a release order (inline cases, the demo).
  const latest = evaluations;

  const app = el('input', { type: 'text', name: 'app', value: filter.app, placeholder: 'any app', size: 14 });
  const environment = el('select', { name: 'environment' }, environments.map((e) => el('option', { value: e, selected: e === filter.environment }, e || 'any environment')));
  const state = el('select', { name: 'state' }, states.map((s) => el('option', { value: s, selected: s === filter.state }, s || 'any state')));
  const form = el('form', { class: 'filters', id: 'filters' },
    el('label', {}, 'App ', app), el('label', {}, 'Environment ', environment), el('label', {}, 'State ', state),
    el('button', { type: 'submit' }, 'Filter'), el('a', { href: '/ui' }, 'clear'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const next = new URLSearchParams(Object.entries({ app: app.value.trim(), environment: environment.value, state: state.value }).filter(([, v]) => v));
    location.search = next.toString() ? `?${next}` : '';
  });

  const rows = releases.map((r) => el('tr', { 'data-release': r.id },
    el('td', {}, el('a', { href: `/ui/releases/${encodeURIComponent(r.id)}` }, r.id)),
    el('td', {}, r.app), el('td', {}, r.environment), el('td', {}, r.order?.version ?? '—'), el('td', {}, badge(r.state)),
    el('td', { class: 'num' }, String(r.order?.hosts?.length ?? '—')),
    el('td', {}, batchesDone(r)),
    el('td', {}, time(r.createdAt)), el('td', {}, time(r.updatedAt))));
  main.replaceChildren(
    el('h1', {}, 'Releases'),
    form,
    releases.length
      ? el('table', { class: 'list', id: 'releases' },
        el('thead', {}, el('tr', {}, ['release', 'app', 'environment', 'version', 'state', 'hosts', 'batches', 'created', 'updated'].map((h) => el('th', {}, h)))),
        el('tbody', {}, rows))
      : el('p', { class: 'muted', id: 'no-releases' }, 'No release matches.'),
    el('h2', { class: 'spaced' }, 'Latest evaluations'),
    latest.length
      ? el('table', { class: 'list', id: 'latest-evaluations' },
        el('thead', {}, el('tr', {}, ['evaluated', 'release', 'batch', 'decision', 'score', 'feedback', 'report'].map((h) => el('th', {}, h)))),
        el('tbody', {}, latest.map((e) => el('tr', { 'data-evaluation': e.id },
          el('td', {}, time(e.createdAt)),
          el('td', {}, e.releaseId ? el('a', { href: `/ui/releases/${encodeURIComponent(e.releaseId)}` }, e.releaseId) : '—'),
          el('td', {}, String(e.batch ?? '—')), el('td', {}, badge(e.decision)), el('td', { class: 'num' }, score(e.score)),
          el('td', {}, e.feedback ? (e.feedback.correct ? 'correct' : 'incorrect') : '—'),
          el('td', {}, el('a', { href: `/ui/evaluations/${encodeURIComponent(e.id)}` }, 'report'))))))
      : el('p', { class: 'muted' }, 'No evaluation yet.'),
  );
});

/** "2 of 5 passed" (releases Sluice drives) or "2 finished, 1 running" (reported by a deployment system). */
function batchesDone(r) {
  const batches = r.progress?.batches;
  if (Array.isArray(batches)) {
    if (batches.length === 0) return '—';
    const passed = batches.filter((b) => b.state === 'passed').length;
    const current = r.progress.currentBatch ? batches[r.progress.currentBatch - 1] : null;
    return `${passed} of ${batches.length} passed${current && current.state !== 'passed' ? `, batch ${current.batch} ${current.state.replace('_', ' ')}` : ''}`;
  }
  const reported = Object.values(batches ?? {});
  const finished = reported.filter((b) => b.finished).length;
  return reported.length ? `${finished} finished, ${reported.length - finished} running` : '—';
}
