// One release: its order and state, the operator's actions (approve / resume, pause, abort, roll
// back), its batches on a timeline with each batch's verdict and score linked to the report, the
// state transitions, and the deployment events a deployment system reported. While the release
// is running the page re-reads it every few seconds.
import { ApiError, api, badge, el, frame, pathId, score, time } from './common.js';
import { drawTimeline } from './charts.js';

const id = pathId();
const REFRESH_MS = 3000;
const terminal = new Set(['succeeded', 'failed', 'aborted', 'rolled_back']);

// States each action is allowed in: the orchestrator's table (service/orchestrator/machine.ts);
// the API answers 409 for anything else, so a stale page cannot do harm, only show the answer.
const actions = [
  { action: 'approve', label: 'Approve / resume', states: ['paused'], title: 'continue with the next step' },
  { action: 'pause', label: 'Pause', states: ['planned', 'preheating', 'deploying', 'observing'], title: 'stop after the current step and wait for a person' },
  { action: 'abort', label: 'Abort', states: ['planned', 'preheating', 'deploying', 'observing', 'paused'], title: 'stop here; hosts keep what they run', confirm: true },
  { action: 'rollback', label: 'Roll back', states: ['preheating', 'deploying', 'observing', 'paused'], title: 'return every released host to the previous version', confirm: true },
];

let shownRevision = null;
let refresh = null;

frame(`Release ${id}`, async (main) => {
  clearTimeout(refresh);
  shownRevision = null;
  await load(main);
});

async function load(main, message) {
  const release = await api(`/v1/releases/${encodeURIComponent(id)}`);
  const { evaluations } = await api(`/v1/evaluations?release=${encodeURIComponent(id)}&order=oldest`);
  render(main, release, evaluations, message);
  shownRevision = release.revision;
  schedule(main, release);
}

/** Re-reads a running release now and then; redraws only when it changed. */
function schedule(main, release) {
  clearTimeout(refresh);
  if (terminal.has(release.state)) return;
  refresh = setTimeout(async () => {
    try {
      const current = await api(`/v1/releases/${encodeURIComponent(id)}`);
      if (current.revision !== shownRevision) {
        const note = document.getElementById('action-message');
        await load(main, note && note.textContent ? { text: note.textContent, error: note.classList.contains('error') } : undefined);
        return;
      }
      schedule(main, current);
    } catch {
      schedule(main, release); // a failed poll is retried; the data shown stays
    }
  }, REFRESH_MS);
}

function render(main, release, evaluations, message) {
  const order = release.order ?? {};
  const progress = release.progress ?? {};
  const driven = Array.isArray(progress.batches);
  const batches = driven ? progress.batches : legacyBatches(progress);
  const events = (release.events ?? []).map((e) => ({ id: e.eventId, t: e.at, batch: e.payload?.batch, type: e.payload?.type, hosts: e.payload?.hosts ?? [] }));
  const reports = evaluations.map((e) => ({ ...e, href: reportHref(e.id) }));

  const timeline = el('div', { class: 'timeline-holder', id: 'timeline' });
  main.replaceChildren(...[
    el('h1', {}, `Release ${release.id} `, el('span', { id: 'state' }, badge(release.state))),
    el('section', { class: 'card' },
      el('dl', { class: 'facts' },
        el('dt', {}, 'App'), el('dd', {}, release.app),
        el('dt', {}, 'Environment'), el('dd', {}, release.environment),
        el('dt', {}, 'Version'), el('dd', {}, order.version ?? '—', order.previousVersion ? el('span', { class: 'muted' }, ` (rolls back to ${order.previousVersion})`) : null),
        el('dt', {}, 'Artifact'), el('dd', {}, el('code', {}, order.artifact?.url ?? '—'), ' ', el('code', { class: 'muted' }, order.artifact?.digest ?? '')),
        el('dt', {}, 'Hosts'), el('dd', {}, `${order.hosts?.length ?? 0} in ${new Set((order.hosts ?? []).map((h) => h.datacenter)).size} datacenters`,
          progress.failedHosts?.length ? el('span', { class: 'error' }, ` — ${progress.failedHosts.length} failed: ${progress.failedHosts.slice(0, 5).join(', ')}${progress.failedHosts.length > 5 ? ', …' : ''}`) : null),
        el('dt', {}, 'Batching'), el('dd', {}, batchingText(order.batching), `, pause ${order.pause ?? '—'}, observe ${order.observationMinutes ?? '—'} min`),
        el('dt', {}, 'Current batch'), el('dd', {}, progress.currentBatch ? `${progress.currentBatch} of ${batches.length}` : '—'),
        progress.pausedReason ? [el('dt', {}, 'Paused because'), el('dd', { id: 'paused-reason' }, progress.pausedReason)] : null,
        el('dt', {}, 'Created'), el('dd', {}, time(release.createdAt)),
        el('dt', {}, 'Updated'), el('dd', {}, time(release.updatedAt)),
      )),
    actionsCard(main, release, order, message, !driven),
    el('section', { class: 'card' }, el('h2', {}, 'Timeline'), timeline,
      el('p', { class: 'legend-text muted' }, driven
        ? 'Bars: each batch from its deployment to the end of its observation window, coloured by its state. Diamonds: the gate\'s evaluations (green PASS, red FAIL, grey INCONCLUSIVE); click one for its report.'
        : 'Bars: batches from start to finish. Dots: deployment events. Diamonds: evaluations (green PASS, red FAIL, grey INCONCLUSIVE); click one for its report.')),
    driven ? batchesCard(batches) : null,
    driven ? transitionsCard(progress.transitions ?? []) : null,
    el('section', { class: 'card', id: 'evaluations' }, el('h2', {}, 'Evaluations'),
      reports.length
        ? el('table', { class: 'list' },
          el('thead', {}, el('tr', {}, ['evaluated', 'batch', 'decision', 'score', 'feedback', 'report'].map((h) => el('th', {}, h)))),
          el('tbody', {}, reports.map((e) => el('tr', {},
            el('td', {}, time(e.createdAt)), el('td', {}, String(e.batch ?? '—')), el('td', {}, badge(e.decision)), el('td', { class: 'num' }, score(e.score)),
            el('td', {}, e.feedback ? (e.feedback.correct ? 'correct' : 'incorrect') : '—'),
            el('td', {}, el('a', { href: e.href }, 'report'))))))
        : el('p', { class: 'muted' }, 'No evaluation of this release yet.')),
    events.length || !driven
      ? el('section', { class: 'card', id: 'events' }, el('h2', {}, 'Events'),
        events.length
          ? el('table', { class: 'list' },
            el('thead', {}, el('tr', {}, ['at', 'batch', 'type', 'hosts', 'event id'].map((h) => el('th', {}, h)))),
            el('tbody', {}, events.map((e) => el('tr', {}, el('td', {}, time(e.t)), el('td', {}, String(e.batch)), el('td', {}, e.type),
              el('td', { title: e.hosts.join(', ') }, String(e.hosts.length)), el('td', {}, el('code', {}, e.id))))))
          : el('p', { class: 'muted' }, 'No deployment event yet.'))
      : null,
  ].filter(Boolean));
  const marks = driven
    ? batches.flatMap((b) => (b.evaluations ?? []).map((e) => ({ t: e.at, batch: b.batch, decision: e.decision, href: reportHref(e.id), verdict: b.verdict?.evaluationId === e.id })))
    : reports.map((e) => ({ t: e.createdAt, batch: e.batch ?? 1, decision: e.decision, href: e.href }));
  drawTimeline(timeline, {
    batches: driven ? batches.map((b) => ({ batch: b.batch, state: b.state, started: b.deployedAt, finished: b.state === 'deploying' || b.state === 'observing' ? undefined : b.observedUntil && b.verdict ? Math.min(b.observedUntil, b.verdict.at) : b.observedUntil })) : batches,
    events,
    evaluations: marks,
  });
}

/** The action buttons, each enabled only in the states the orchestrator allows it in. */
function actionsCard(main, release, order, message, reportedOnly) {
  const note = el('p', { id: 'action-message', role: 'status', class: message?.error ? 'error' : 'muted' }, message?.text ?? '');
  const reason = el('input', { type: 'text', name: 'reason', placeholder: 'reason (kept in the audit log)', size: 40, maxlength: 500 });
  const external = order.driver === 'external' || reportedOnly;
  const buttons = actions.map(({ action, label, states, title, confirm }) => {
    const allowed = !external && states.includes(release.state);
    const button = el('button', {
      type: 'button', 'data-action': action, disabled: !allowed,
      class: action === 'approve' ? 'good' : action === 'pause' ? '' : 'bad',
      title: allowed ? title : external ? 'a deployment system drives this release' : `not allowed while the release is ${release.state}`,
    }, label);
    button.addEventListener('click', async () => {
      // Abort and roll back ask for a second click: they cannot be undone.
      if (confirm && button.dataset.armed !== 'yes') {
        button.dataset.armed = 'yes';
        button.textContent = `Confirm: ${label.toLowerCase()}`;
        return;
      }
      for (const b of buttons) b.disabled = true;
      note.className = 'muted';
      note.textContent = `${label}…`;
      try {
        const body = { action, ...(reason.value.trim() ? { reason: reason.value.trim() } : {}) };
        const updated = await api(`/v1/releases/${encodeURIComponent(release.id)}/actions`, { method: 'POST', body });
        await load(main, { text: `${label}: the release is now ${updated.state}.` });
      } catch (error) {
        note.className = 'error';
        note.setAttribute('role', 'alert');
        note.textContent = actionError(error, label);
        for (const b of buttons) b.disabled = !(!external && actions.find((a) => a.action === b.dataset.action).states.includes(release.state));
      }
    });
    return button;
  });
  return el('section', { class: 'card', id: 'actions' },
    el('h2', {}, 'Actions'),
    external ? el('p', { class: 'muted' }, 'A deployment system drives this release and reports its events; Sluice only judges its batches.') : null,
    el('div', { class: 'feedback' }, buttons, reason),
    note);
}

function actionError(error, label) {
  if (!(error instanceof ApiError)) return `${label} failed: ${error.message}`;
  if (error.status === 403) return `${label} refused: ${error.message} — this API key lacks the operate scope; use a key with operate to act on releases.`;
  if (error.status === 409) return `${label} not allowed now: ${error.message}`;
  if (error.status === 401) return `${label} refused: ${error.message} — enter a valid API key above.`;
  return `${label} failed (${error.status}): ${error.message}`;
}

function batchesCard(batches) {
  return el('section', { class: 'card', id: 'batches' }, el('h2', {}, 'Batches'),
    batches.length
      ? el('table', { class: 'list' },
        el('thead', {}, el('tr', {}, ['batch', 'hosts', 'state', 'deployed', 'observed until', 'evaluations', 'verdict', 'score', 'report'].map((h) => el('th', {}, h)))),
        el('tbody', {}, batches.map((b) => el('tr', { 'data-batch': b.batch },
          el('td', {}, String(b.batch)),
          el('td', { class: 'num', title: (b.hosts ?? []).join(', ') }, String(b.hosts?.length ?? 0)),
          el('td', {}, badge(b.state)),
          el('td', {}, time(b.deployedAt)), el('td', {}, time(b.observedUntil)),
          el('td', { class: 'num' }, String(b.evaluations?.length ?? 0)),
          el('td', { class: 'verdict' }, b.verdict ? badge(b.verdict.decision) : '—', b.verdict?.reasons?.length ? el('ul', { class: 'reasons small' }, b.verdict.reasons.slice(0, 3).map((r) => el('li', {}, r))) : null),
          el('td', { class: 'num' }, b.verdict ? score(b.verdict.score) : '—'),
          el('td', {}, b.verdict && reportHref(b.verdict.evaluationId) ? el('a', { href: reportHref(b.verdict.evaluationId) }, 'report') : '—')))))
      : el('p', { class: 'muted' }, 'No batch planned.'));
}

function transitionsCard(transitions) {
  return el('section', { class: 'card', id: 'transitions' }, el('h2', {}, 'State transitions'),
    transitions.length
      ? el('table', { class: 'list' },
        el('thead', {}, el('tr', {}, ['at', 'from', 'to', 'by', 'reason'].map((h) => el('th', {}, h)))),
        el('tbody', {}, transitions.map((t) => el('tr', {},
          el('td', {}, time(t.at)), el('td', {}, badge(t.from)), el('td', {}, badge(t.to)), el('td', {}, t.by), el('td', {}, t.reason)))))
      : el('p', { class: 'muted' }, 'Not started yet.'));
}

/** A release a deployment system drives keeps `{ batches: { "1": { started, finished } } }`. */
function legacyBatches(progress) {
  return Object.entries(progress.batches ?? {}).map(([batch, b]) => ({ batch: Number(batch), ...b })).sort((a, b) => a.batch - b.batch);
}

/** The report of a stored evaluation; null for the placeholders of evaluations the gate could not make. */
function reportHref(evaluationId) {
  return evaluationId && !evaluationId.startsWith('none-') ? `/ui/evaluations/${encodeURIComponent(evaluationId)}` : null;
}

function batchingText(b) {
  if (!b) return '—';
  if (b.by === 'count') return `${b.size} hosts per batch`;
  if (b.by === 'percentage') return `${b.percent} % per batch`;
  return `${b.batches} batches by ${b.by}`;
}
