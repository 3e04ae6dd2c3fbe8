// The evaluation report, laid out like the seed's 异常检测报告: overview with feedback, anomalies by
// category with each metric's deviation score, the release, then charts per flagged metric
// (before/after against the forecast band, released vs unreleased) with the deployment marked.
import { api, badge, el, frame, pathId, score, showError, time } from './common.js';
import { drawChart } from './charts.js';

const id = pathId();

frame(`Report ${id}`, async (main) => {
  const record = await api(`/v1/evaluations/${encodeURIComponent(id)}`);
  const verdict = record.verdict;
  const release = record.releaseId ? await api(`/v1/releases/${encodeURIComponent(record.releaseId)}`).catch(() => null) : null;
  main.replaceChildren(
    el('h1', {}, 'Release evaluation ', badge(verdict.decision)),
    overview(record, verdict),
    anomalies(verdict),
    releaseInfo(record, verdict, release),
    comparisons(verdict),
    allMetrics(verdict),
  );
  for (const chart of main.querySelectorAll('[data-chart]')) chart.dispatchEvent(new Event('draw'));
});

function overview(record, verdict) {
  const feedback = el('div', { class: 'feedback', id: 'feedback' });
  renderFeedback(feedback, record, verdict);
  return el('section', { class: 'card', id: 'overview' },
    el('h2', {}, 'Overview'),
    el('p', { class: 'big' }, el('strong', { id: 'anomaly-count' }, String(verdict.anomalies)), verdict.anomalies === 1 ? ' anomaly' : ' anomalies'),
    el('dl', { class: 'facts' },
      el('dt', {}, 'App'), el('dd', {}, verdict.app),
      el('dt', {}, 'Anomalous'), el('dd', { id: 'anomalous' }, verdict.anomalous ? 'yes' : 'no'),
      el('dt', {}, 'Decision'), el('dd', {}, badge(verdict.decision), ` (${basisText[verdict.basis] ?? verdict.basis})`),
      el('dt', {}, 'Anomaly score'), el('dd', { id: 'score' }, score(verdict.score)),
      el('dt', {}, 'Analysis interval'), el('dd', {}, `${time(verdict.analysis.from)} to ${time(verdict.analysis.to)}`),
      el('dt', {}, 'Result review'), el('dd', {}, feedback),
    ),
    verdict.reasons.length ? el('ul', { class: 'reasons' }, verdict.reasons.map((r) => el('li', {}, r))) : null,
  );
}

const basisText = { score: 'batch score against the thresholds', critical: 'a critical metric', insufficient_data: 'too little data', traffic: 'too little traffic' };

/** Correct / Incorrect buttons; after a click, what was stored. */
function renderFeedback(container, record, verdict) {
  container.replaceChildren();
  if (record.feedback) {
    container.append(el('span', { class: `verdict-${record.feedback.correct ? 'correct' : 'incorrect'}`, id: 'feedback-state' },
      `Marked ${record.feedback.correct ? 'correct' : 'incorrect'} at ${time(record.feedback.at)}`),
    ' ', el('button', { type: 'button', class: 'link', onclick: () => renderButtons(container, record, verdict) }, 'change'));
    return;
  }
  renderButtons(container, record, verdict);
}

function renderButtons(container, record, verdict) {
  // Which metrics showed the fault: the flagged ones by default, editable before answering.
  const flagged = new Set([...verdict.metrics.filter((m) => m.anomalous).map((m) => m.name), ...(verdict.logs?.anomalous ? ['logs'] : [])]);
  const names = [...verdict.metrics.map((m) => m.name), ...(verdict.logs ? ['logs'] : [])];
  const boxes = names.map((name) => el('input', { type: 'checkbox', name: 'label', value: name, checked: flagged.has(name) }));
  const labels = el('details', { class: 'labels' }, el('summary', {}, 'metrics that showed the fault'),
    el('div', {}, boxes.map((box) => el('label', {}, box, ' ', el('code', {}, box.value)))));
  const note = el('input', { type: 'text', name: 'note', placeholder: 'note (optional)', maxlength: 2000, size: 24 });
  const message = el('span', { class: 'muted', role: 'status' });
  const send = async (correct) => {
    // The recording is labeled bad when the gate flagged it and was right, or passed it and was
    // wrong (the library's rule); only then do metric labels mean something.
    const bad = correct === (verdict.decision !== 'PASS');
    const chosen = bad ? boxes.filter((b) => b.checked).map((b) => b.value) : [];
    message.textContent = 'Saving…';
    try {
      const answer = await api(`/v1/evaluations/${encodeURIComponent(record.id)}/feedback`, {
        method: 'POST', body: { correct, labels: chosen, ...(note.value.trim() ? { note: note.value.trim() } : {}) },
      });
      record.feedback = answer.feedback;
      renderFeedback(container, record, verdict);
    } catch (error) {
      showError(message, error);
    }
  };
  container.replaceChildren(
    el('button', { type: 'button', id: 'feedback-correct', class: 'good', onclick: () => send(true) }, 'Correct'),
    el('button', { type: 'button', id: 'feedback-incorrect', class: 'bad', onclick: () => send(false) }, 'Incorrect'),
    note, labels, message,
  );
}

function anomalies(verdict) {
  const section = el('section', { class: 'card', id: 'anomalies' }, el('h2', {}, 'Anomaly detection report'));
  if (verdict.categories.length === 0 && !verdict.logs?.anomalous) {
    section.append(el('p', { class: 'muted' }, 'No metric deviates.'));
    return section;
  }
  const list = el('ul', { class: 'categories' });
  for (const category of verdict.categories) {
    list.append(el('li', { class: 'category' },
      el('span', { class: 'warn' }, '⚠ '), el('strong', {}, `${category.category} anomaly`), ` ${score(category.score)}`,
      el('ul', {}, category.metrics.map((m) => el('li', { class: 'metric', 'data-metric': m.name },
        el('span', { class: 'cross' }, '⊗ '), 'metric ', el('code', {}, m.name), ` deviates ${m.direction} from its baseline `,
        el('strong', {}, score(m.score)), ' ', el('a', { href: `#chart-${slug(m.name)}` }, 'details')))),
    ));
  }
  if (verdict.logs?.anomalous) {
    list.append(el('li', { class: 'category' }, el('span', { class: 'warn' }, '⚠ '), el('strong', {}, 'log anomaly'), ` ${score(verdict.logs.score)}`,
      el('ul', {}, (verdict.logs.reasons ?? []).map((r) => el('li', {}, r)))));
  }
  section.append(list);
  return section;
}

function releaseInfo(record, verdict, release) {
  const input = record.input ?? { metrics: [] };
  const hosts = (side) => [...new Set((input.metrics ?? []).flatMap((m) => Object.keys(m[side] ?? {})))].sort();
  const released = hosts('released');
  const unreleased = hosts('unreleased');
  const number = verdict.release.batch ?? record.batch;
  // Releases Sluice drives list their batches (deployed, observed until, state); a deployment
  // system's reports key them by number (started, finished).
  const batches = release?.progress?.batches;
  const driven = Array.isArray(batches) ? batches.find((b) => b.batch === number) : null;
  const batch = driven ? { started: driven.deployedAt, finished: driven.verdict?.at ?? (driven.state === 'observing' ? undefined : driven.observedUntil), state: driven.state } : batches?.[String(number)];
  const hostList = (names) => el('details', {}, el('summary', {}, `${names.length} hosts`), el('p', { class: 'hosts' }, names.join(', ') || '—'));
  return el('section', { class: 'card', id: 'release' },
    el('h2', {}, 'Release information'),
    el('table', { class: 'info' }, el('tbody', {},
      el('tr', {}, el('th', {}, 'App'), el('td', {}, verdict.app), el('th', {}, 'Release'), el('td', {},
        verdict.release.id ? (release ? el('a', { href: `/ui/releases/${encodeURIComponent(verdict.release.id)}` }, verdict.release.id) : verdict.release.id) : '—')),
      el('tr', {}, el('th', {}, 'Batch'), el('td', {}, String(number ?? '—'), batch?.state ? [' ', badge(batch.state)] : null), el('th', {}, 'Release state'), el('td', {}, release ? badge(release.state) : el('span', { class: 'muted' }, record.releaseId ? 'no release order' : '—'))),
      el('tr', {}, el('th', {}, 'Version'), el('td', {}, verdict.release.version ?? release?.order?.version ?? '—'), el('th', {}, 'Deployed at'), el('td', {}, time(verdict.release.deployedAt))),
      el('tr', {}, el('th', {}, 'Batch started'), el('td', {}, time(batch?.started)), el('th', {}, 'Batch finished'), el('td', {}, time(batch?.finished))),
      el('tr', {}, el('th', {}, 'Released hosts'), el('td', {}, hostList(released)), el('th', {}, 'Control (unreleased) hosts'), el('td', {}, hostList(unreleased))),
      el('tr', {}, el('th', {}, 'Evaluated'), el('td', {}, time(record.createdAt)), el('th', {}, 'Evaluation'), el('td', {}, el('code', {}, record.id))),
    )),
  );
}

const slug = (name) => name.replace(/[^A-Za-z0-9_-]+/g, '-');

function comparisons(verdict) {
  const flagged = verdict.metrics.filter((m) => m.plot);
  const section = el('section', { class: 'card', id: 'comparison' }, el('h2', {}, 'Live data comparison'));
  if (flagged.length === 0) {
    section.append(el('p', { class: 'muted' }, 'No flagged metric to plot.'));
    return section;
  }
  // Two tabs like the seed's 前后对比 | 未发布对比; all are drawn, one is shown. A third when released
  // hosts without a past were judged against a partner metric (their levels alone differ by size).
  const tabs = el('div', { class: 'tabs', role: 'tablist' });
  const body = el('div', { class: 'charts show-beforeAfter' });
  const views = [['beforeAfter', 'Before / after'], ['releasedVsUnreleased', 'Released vs unreleased']];
  if (flagged.some((m) => m.plot.againstPartner)) views.push(['againstPartner', 'Against a partner metric']);
  for (const [kind, text] of views) {
    tabs.append(el('button', {
      type: 'button', role: 'tab', 'data-kind': kind, class: kind === 'beforeAfter' ? 'active' : '',
      onclick: (event) => {
        body.className = `charts show-${kind}`;
        for (const b of tabs.children) b.classList.toggle('active', b === event.currentTarget);
      },
    }, text));
  }
  for (const metric of flagged) {
    const figure = el('figure', { class: 'metric-chart', id: `chart-${slug(metric.name)}` },
      el('figcaption', {}, el('code', {}, metric.name), ` — ${metric.category}, deviation ${score(metric.score)} (${metric.direction})`));
    for (const [kind, text] of views) {
      if (!metric.plot[kind]) {
        figure.append(el('div', { class: `view view-${kind}` }, el('p', { class: 'muted small' }, 'No partner metric judged this one.')));
        continue;
      }
      const holder = el('div', { class: `view view-${kind}`, 'data-chart': kind });
      const title = kind === 'againstPartner' ? `${metric.name}: against ${metric.views?.partner?.partner ?? 'its partner'}` : `${metric.name}: ${text}`;
      holder.addEventListener('draw', () => drawChart(holder, metric.plot[kind], { deployedAt: metric.plot.deployedAt, title, kind }), { once: true });
      figure.append(holder);
    }
    if (metric.reasons?.length) figure.append(el('ul', { class: 'reasons small' }, metric.reasons.map((r) => el('li', {}, r))));
    const hosts = [...(metric.views?.perHost?.hosts ?? [])].sort((a, b) => b.score - a.score).slice(0, 5);
    if (hosts.length) {
      figure.append(el('table', { class: 'hostfindings' },
        el('thead', {}, el('tr', {}, el('th', {}, 'released host'), el('th', {}, 'change beyond the unreleased hosts\' median'), el('th', {}, 'score'))),
        el('tbody', {}, hosts.map((h) => el('tr', {}, el('td', {}, el('code', {}, h.host)),
          el('td', { class: 'num' }, `${h.excessChange >= 0 ? '+' : ''}${(h.excessChange * 100).toFixed(1)} %`), el('td', { class: 'num' }, score(h.score)))))));
    }
    body.append(figure);
  }
  section.append(tabs, body);
  return section;
}

function allMetrics(verdict) {
  return el('section', { class: 'card', id: 'metrics' },
    el('h2', {}, 'All metrics'),
    el('table', { class: 'list' },
      el('thead', {}, el('tr', {}, ['metric', 'category', 'critical', 'status', 'score', 'direction', 'aggregation'].map((h) => el('th', {}, h)))),
      el('tbody', {}, [...verdict.metrics].sort((a, b) => b.score - a.score).map((m) => el('tr', { class: m.anomalous ? 'anomalous' : '' },
        el('td', {}, el('code', {}, m.name)), el('td', {}, m.category), el('td', {}, m.critical ? 'yes' : ''),
        el('td', { title: m.reason ?? '' }, m.status === 'ok' ? (m.anomalous ? 'anomalous' : 'ok') : `no data: ${m.reason ?? ''}`),
        el('td', { class: 'num' }, score(m.score)), el('td', {}, m.direction), el('td', {}, m.aggregation)))),
    ),
  );
}
