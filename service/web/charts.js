// d3 charts for the report: one metric's series over time — the released hosts, their forecast band
// (before/after) or the unreleased hosts (released vs unreleased) — with the deployment marked.
// Series come from the verdict's `metrics[].plot`: { name, start, step, values (null = missing), role }.

const d3 = globalThis.d3;

const WIDTH = 640;
const HEIGHT = 260;
const MARGIN = { top: 26, right: 16, bottom: 28, left: 56 };
const TIMELINE_WIDTH = 1200;

/** 24-hour clock within two days, dates beyond (d3's default ticks say "06 AM"). */
function timeTicks(scale) {
  const [from, to] = scale.domain();
  return d3.timeFormat(to - from > 2 * 86_400_000 ? '%b %d' : to - from > 86_400_000 ? '%b %d %H:%M' : '%H:%M');
}

/** Points of a plot series as { t, v }, missing points kept as null so lines break there. */
export function points(series) {
  return series.values.map((v, i) => ({ t: series.start + i * series.step, v: v === null || !Number.isFinite(v) ? null : v }));
}

const label = { observed: 'released', forecast: 'forecast', control: 'unreleased', lower: 'band', upper: 'band' };

/**
 * Draws one chart into `container` and returns the SVG element. `kind` is 'beforeAfter' (forecast
 * band), 'releasedVsUnreleased' or 'againstPartner' (each group's metric over its partner). Paths carry `data-role` and `data-points` (points drawn).
 */
export function drawChart(container, seriesList, { deployedAt, title, kind }) {
  const all = seriesList.flatMap(points);
  const known = all.filter((p) => p.v !== null);
  const svg = d3.select(container).append('svg')
    .attr('viewBox', `0 0 ${WIDTH} ${HEIGHT}`)
    .attr('class', `chart chart-${kind}`)
    .attr('role', 'img')
    .attr('aria-label', title);
  if (known.length === 0) {
    svg.append('text').attr('x', WIDTH / 2).attr('y', HEIGHT / 2).attr('text-anchor', 'middle').attr('class', 'empty').text('no data to plot');
    return svg.node();
  }
  const x = d3.scaleTime()
    .domain(d3.extent([...all.map((p) => p.t), deployedAt]))
    .range([MARGIN.left, WIDTH - MARGIN.right]);
  const [low, high] = d3.extent(known, (p) => p.v);
  const pad = (high - low) * 0.08 || Math.abs(high) * 0.1 || 1;
  const y = d3.scaleLinear().domain([low - pad, high + pad]).nice().range([HEIGHT - MARGIN.bottom, MARGIN.top]);

  // Before and after the deployment, shaded differently as in the seed's report (发布前 / 发布后).
  const cut = Math.min(Math.max(x(deployedAt), MARGIN.left), WIDTH - MARGIN.right);
  svg.append('rect').attr('class', 'zone-after').attr('x', cut).attr('y', MARGIN.top).attr('width', WIDTH - MARGIN.right - cut).attr('height', HEIGHT - MARGIN.top - MARGIN.bottom);
  svg.append('text').attr('class', 'zone-label').attr('x', cut - 6).attr('y', MARGIN.top + 12).attr('text-anchor', 'end').text('before');
  svg.append('text').attr('class', 'zone-label').attr('x', cut + 6).attr('y', MARGIN.top + 12).text('after');

  svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${HEIGHT - MARGIN.bottom})`).call(d3.axisBottom(x).ticks(6).tickFormat(timeTicks(x)));
  // Ratios near 1 read badly with SI prefixes (0.82 as 820m).
  svg.append('g').attr('class', 'axis').attr('transform', `translate(${MARGIN.left},0)`).call(d3.axisLeft(y).ticks(5).tickFormat(d3.format(kind === 'againstPartner' ? '.3~g' : '~s')));

  const byRole = (role) => seriesList.find((s) => s.role === role);
  const lower = byRole('lower');
  const upper = byRole('upper');
  if (lower && upper) {
    // The band: lower and upper share start and step (both come from one forecast).
    const up = points(upper);
    const band = points(lower).map((p, i) => ({ t: p.t, lo: p.v, hi: up[i]?.v ?? null }));
    const area = d3.area().defined((p) => p.lo !== null && p.hi !== null).x((p) => x(p.t)).y0((p) => y(p.lo)).y1((p) => y(p.hi));
    svg.append('path').datum(band).attr('class', 'band').attr('data-role', 'band')
      .attr('data-points', band.filter((p) => p.lo !== null && p.hi !== null).length).attr('d', area);
  }
  const line = d3.line().defined((p) => p.v !== null).x((p) => x(p.t)).y((p) => y(p.v));
  for (const series of seriesList) {
    if (series.role === 'lower' || series.role === 'upper') continue;
    const role = series.role ?? 'observed';
    const data = points(series);
    svg.append('path').datum(data).attr('class', `line line-${role}`).attr('data-role', role)
      .attr('data-points', data.filter((p) => p.v !== null).length).attr('d', line);
  }

  svg.append('line').attr('class', 'deploy').attr('x1', cut).attr('x2', cut).attr('y1', MARGIN.top - 4).attr('y2', HEIGHT - MARGIN.bottom);
  svg.append('text').attr('class', 'deploy-label').attr('x', cut).attr('y', MARGIN.top - 8).attr('text-anchor', 'middle').text('deployment');

  // Legend: one entry per drawn role.
  const roles = [...new Set(seriesList.map((s) => label[s.role ?? 'observed'] ?? s.name))];
  const legend = svg.append('g').attr('class', 'legend').attr('transform', `translate(${MARGIN.left + 4},${MARGIN.top - 14})`);
  roles.forEach((name, i) => {
    const g = legend.append('g').attr('transform', `translate(${i * 92},0)`);
    g.append('rect').attr('class', `swatch swatch-${name}`).attr('width', 12).attr('height', 4).attr('y', -2);
    g.append('text').attr('x', 16).attr('y', 3).text(name);
  });
  return svg.node();
}

/**
 * The release timeline: one row per batch — a bar from start to finish (to the last event while
 * running), a dot per deployment event, a diamond per evaluation (linked to its report).
 * `batches`: [{ batch, started?, finished?, state? }] (state colours the bar); `events`:
 * [{ t, batch, type, id }]; `evaluations`: [{ t, batch, decision, href, verdict? }] (the batch's
 * deciding evaluation is drawn larger).
 */
export function drawTimeline(container, { batches, events, evaluations }) {
  const rows = [...new Set([...batches.map((b) => b.batch), ...events.map((e) => e.batch), ...evaluations.map((e) => e.batch ?? 1)])].sort((a, b) => a - b);
  const times = [...batches.flatMap((b) => [b.started, b.finished]), ...events.map((e) => e.t), ...evaluations.map((e) => e.t)].filter((t) => Number.isFinite(t));
  const height = MARGIN.top + MARGIN.bottom + Math.max(1, rows.length) * 34;
  const WIDTH = TIMELINE_WIDTH;
  const svg = d3.select(container).append('svg').attr('viewBox', `0 0 ${WIDTH} ${height}`).attr('class', 'chart timeline').attr('role', 'img').attr('aria-label', 'release timeline');
  if (times.length === 0) {
    svg.append('text').attr('x', WIDTH / 2).attr('y', height / 2).attr('text-anchor', 'middle').attr('class', 'empty').text('no events yet');
    return svg.node();
  }
  let [from, to] = d3.extent(times);
  if (to - from < 60_000) { from -= 30_000; to += 30_000; }
  const x = d3.scaleTime().domain([from, to]).range([MARGIN.left, WIDTH - MARGIN.right]).nice();
  const y = d3.scaleBand().domain(rows).range([MARGIN.top, height - MARGIN.bottom]).padding(0.3);
  svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${height - MARGIN.bottom})`).call(d3.axisBottom(x).ticks(8).tickFormat(timeTicks(x)));
  svg.append('g').attr('class', 'axis').attr('transform', `translate(${MARGIN.left},0)`).call(d3.axisLeft(y).tickFormat((b) => `batch ${b}`));
  const last = d3.max(times);
  svg.append('g').selectAll('rect').data(batches.filter((b) => Number.isFinite(b.started))).join('rect')
    .attr('class', (b) => `batch-bar ${b.finished ? 'finished' : 'running'}${b.state ? ` state-${b.state}` : ''}`)
    .attr('x', (b) => x(b.started)).attr('y', (b) => y(b.batch))
    .attr('width', (b) => Math.max(2, x(b.finished ?? last) - x(b.started))).attr('height', y.bandwidth());
  svg.append('g').selectAll('circle').data(events.filter((e) => Number.isFinite(e.t))).join('circle')
    .attr('class', (e) => `event event-${e.type}`).attr('cx', (e) => x(e.t)).attr('cy', (e) => y(e.batch) + y.bandwidth() / 2).attr('r', 5)
    .append('title').text((e) => `${e.type} (${e.id})`);
  const marks = svg.append('g').selectAll('a').data(evaluations.filter((e) => Number.isFinite(e.t))).join('a').attr('href', (e) => e.href);
  marks.append('path').attr('class', (e) => `evaluation decision-${e.decision.toLowerCase()}${e.verdict ? ' verdict' : ''}`)
    .attr('d', (e) => d3.symbol(d3.symbolDiamond, e.verdict ? 220 : 110)())
    .attr('transform', (e) => `translate(${x(e.t)},${y(e.batch ?? rows[0]) - 2})`);
  marks.append('title').text((e) => `${e.verdict ? 'verdict' : 'evaluation'}: ${e.decision}`);
  return svg.node();
}
