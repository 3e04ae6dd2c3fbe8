// One release: its order, state, batches and deployment events on a timeline, and the gate's
// evaluations of its batches with links to their reports.
import { api, badge, el, frame, pathId, score, time } from './common.js';
import { drawTimeline } from './charts.js';

const id = pathId();

frame(`Release ${id}`, async (main) => {
  const release = await api(`/v1/releases/${encodeURIComponent(id)}`);
  const { evaluations } = await api(`/v1/evaluations?release=${encodeURIComponent(id)}`);
  const order = release.order ?? {};
  const batches = Object.entries(release.progress?.batches ?? {}).map(([batch, b]) => ({ batch: Number(batch), ...b })).sort((a, b) => a.batch - b.batch);
  const events = release.events.map((e) => ({ id: e.eventId, t: e.at, batch: e.payload?.batch, type: e.payload?.type, hosts: e.payload?.hosts ?? [] }));
  const reports = evaluations.map((e) => ({ ...e, href: `/ui/evaluations/${encodeURIComponent(e.id)}` }));

  const timeline = el('div', { class: 'timeline-holder', id: 'timeline' });
  main.replaceChildren(
    el('h1', {}, `Release ${release.id} `, badge(release.state)),
    el('section', { class: 'card' },
      el('dl', { class: 'facts' },
        el('dt', {}, 'App'), el('dd', {}, release.app),
        el('dt', {}, 'Environment'), el('dd', {}, release.environment),
        el('dt', {}, 'Version'), el('dd', {}, order.version ?? '—'),
        el('dt', {}, 'Artifact'), el('dd', {}, el('code', {}, order.artifact?.url ?? '—'), ' ', el('code', { class: 'muted' }, order.artifact?.digest ?? '')),
        el('dt', {}, 'Hosts'), el('dd', {}, `${order.hosts?.length ?? 0} in ${new Set((order.hosts ?? []).map((h) => h.datacenter)).size} datacenters`),
        el('dt', {}, 'Batching'), el('dd', {}, batchingText(order.batching), `, pause ${order.pause ?? '—'}, observe ${order.observationMinutes ?? '—'} min`),
        el('dt', {}, 'Created'), el('dd', {}, time(release.createdAt)),
        el('dt', {}, 'Updated'), el('dd', {}, time(release.updatedAt)),
      )),
    el('section', { class: 'card' }, el('h2', {}, 'Timeline'), timeline,
      el('p', { class: 'legend-text muted' }, 'Bars: batches from start to finish. Dots: deployment events. Diamonds: evaluations (green PASS, red FAIL, grey INCONCLUSIVE); click one for its report.')),
    el('section', { class: 'card', id: 'evaluations' }, el('h2', {}, 'Evaluations'),
      reports.length
        ? el('table', { class: 'list' },
          el('thead', {}, el('tr', {}, ['evaluated', 'batch', 'decision', 'score', 'feedback', 'report'].map((h) => el('th', {}, h)))),
          el('tbody', {}, reports.map((e) => el('tr', {},
            el('td', {}, time(e.createdAt)), el('td', {}, String(e.batch ?? '—')), el('td', {}, badge(e.decision)), el('td', { class: 'num' }, score(e.score)),
            el('td', {}, e.feedback ? (e.feedback.correct ? 'correct' : 'incorrect') : '—'),
            el('td', {}, el('a', { href: e.href }, 'report'))))))
        : el('p', { class: 'muted' }, 'No evaluation of this release yet.')),
    el('section', { class: 'card', id: 'events' }, el('h2', {}, 'Events'),
      events.length
        ? el('table', { class: 'list' },
          el('thead', {}, el('tr', {}, ['at', 'batch', 'type', 'hosts', 'event id'].map((h) => el('th', {}, h)))),
          el('tbody', {}, events.map((e) => el('tr', {}, el('td', {}, time(e.t)), el('td', {}, String(e.batch)), el('td', {}, e.type),
            el('td', { title: e.hosts.join(', ') }, String(e.hosts.length)), el('td', {}, el('code', {}, e.id))))))
        : el('p', { class: 'muted' }, 'No deployment event yet.')),
  );
  drawTimeline(timeline, {
    batches,
    events,
    evaluations: reports.map((e) => ({ t: e.createdAt, batch: e.batch ?? 1, decision: e.decision, href: e.href })),
  });
});

function batchingText(b) {
  if (!b) return '—';
  if (b.by === 'count') return `${b.size} hosts per batch`;
  if (b.by === 'percentage') return `${b.percent} % per batch`;
  return `${b.batches} batches by ${b.by}`;
}
