// A line chart for one daily series, drawn as SVG by our own code (no library, nothing inline
// for the CSP to refuse): y axis with round ticks, x axis with dates, a hover and keyboard
// read-out, and the same numbers as a table for screen readers and for reading exact values.

import { h, s } from './dom.js';
import { metricValue, dayLabel, day } from './format.js';

// The drawing's width in SVG units. On a phone it is about the width the chart is shown at, so
// that its 11px tick labels stay 11 CSS px rather than shrinking with a 600-unit drawing
// (they were 6px tall on a 360px screen); elsewhere the chart is at least 460px wide.
const W = typeof window !== 'undefined' && window.innerWidth < 700 ? Math.max(260, window.innerWidth - 80) : 600;
const H = W < 600 ? 200 : 230;
const M = { top: 12, right: 14, bottom: 30, left: 58 };
const DAY = 86_400_000;

let seq = 0;

// clean keeps the drawable points, in date order; shift (ms) moves them onto another span.
function clean(points, shift = 0) {
  return (points || []).filter((p) => p && p.date && Number.isFinite(p.value))
    .map((p) => ({ date: p.date, value: p.value, t: day(p.date).getTime() + shift }))
    .sort((a, b) => a.t - b.t);
}

// lineChart returns a <figure> for points ([{date: "YYYY-MM-DD", value}]) in unit. previous,
// the same series over the comparison span (which starts on previousStart, the current one on
// start), is drawn as a second, dashed line: day i of the comparison over day i of the period.
// The legend names both lines in words and by their dash, so colour is never the only cue.
export function lineChart({ title, points, unit = 'count', previous = [], start, previousStart, compareName = 'Compared period' }) {
  const id = `chart-${++seq}`;
  const pts = clean(points);
  const shift = start && previousStart ? day(start).getTime() - day(previousStart).getTime() : 0;
  const prev = shift ? clean(previous, shift) : [];
  const readout = h('p', { class: 'chart-readout', id: `${id}-readout`, 'aria-live': 'polite' });
  const fig = h('figure', { class: 'card chart' }, h('figcaption', { id: `${id}-title` }, title), readout);
  if (pts.length === 0) {
    readout.textContent = 'No data for this period.';
    return fig;
  }

  const iw = W - M.left - M.right;
  const ih = H - M.top - M.bottom;
  const t0 = Math.min(pts[0].t, prev.length ? prev[0].t : Infinity);
  const t1 = Math.max(pts[pts.length - 1].t, prev.length ? prev[prev.length - 1].t : -Infinity);
  const x = (t) => (t1 === t0 ? M.left + iw / 2 : M.left + ((t - t0) / (t1 - t0)) * iw);
  const { lo, hi, ticks } = yScale([...pts, ...prev].map((p) => p.value), unit);
  // Search position reads best at the top (1 is first), as Search Console draws it.
  const invert = unit === 'position';
  const y = (v) => {
    const f = (v - lo) / (hi - lo || 1);
    return M.top + (invert ? f : 1 - f) * ih;
  };

  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`, role: 'img', tabindex: '0', focusable: 'true',
    'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-readout`,
    preserveAspectRatio: 'xMidYMid meet',
  });

  // Grid lines and y labels.
  for (const v of ticks) {
    svg.append(
      s('line', { class: 'chart-grid-line', x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }),
      s('text', { class: 'chart-tick', x: M.left - 8, y: y(v), 'text-anchor': 'end', 'dominant-baseline': 'middle' }, metricValue(v, unit, { compact: true })),
    );
  }
  svg.append(s('line', { class: 'chart-axis', x1: M.left, x2: W - M.right, y1: M.top + ih, y2: M.top + ih }));

  // X labels: at most six dates, evenly spread, always the first and the last; fewer on a
  // narrow drawing, about 55 units apart at least, so that "Nov 22" and "Nov 27" never touch.
  const n = pts.length;
  const k = Math.min(n, 6, Math.max(2, Math.floor(iw / 55)));
  const shown = new Set(Array.from({ length: k }, (_, i) => (k === 1 ? 0 : Math.round((i * (n - 1)) / (k - 1)))));
  for (const i of shown) {
    const anchor = n === 1 ? 'middle' : i === 0 ? 'start' : i === n - 1 ? 'end' : 'middle';
    svg.append(s('text', { class: 'chart-tick', x: x(pts[i].t), y: H - 8, 'text-anchor': anchor }, dayLabel(pts[i].date, { short: true })));
  }

  // The comparison line beneath, then the line, the area under it, and a dot for a lone point.
  const path = (list) => list.map((p, i) => `${i ? 'L' : 'M'}${x(p.t).toFixed(1)} ${y(p.value).toFixed(1)}`).join(' ');
  const d = path(pts);
  const base = invert ? M.top + ih : y(Math.max(lo, Math.min(0, hi)));
  const [a0, a1] = [pts[0].t, pts[pts.length - 1].t];
  if (prev.length) svg.append(s('path', { class: 'chart-line-previous', d: path(prev) }));
  svg.append(
    s('path', { class: 'chart-area', d: `${d} L${x(a1).toFixed(1)} ${base.toFixed(1)} L${x(a0).toFixed(1)} ${base.toFixed(1)} Z` }),
    s('path', { class: 'chart-line', d }),
  );
  if (n === 1) svg.append(s('circle', { class: 'chart-dot', cx: x(a0), cy: y(pts[0].value), r: 4 }));

  // Hover and keyboard read-out.
  const guide = s('line', { class: 'chart-guide', y1: M.top, y2: M.top + ih, visibility: 'hidden' });
  const dot = s('circle', { class: 'chart-dot', r: 4.5, visibility: 'hidden' });
  const hit = s('rect', { class: 'chart-hit', x: M.left, y: M.top, width: iw, height: ih });
  svg.append(guide, dot, hit);

  const summary = () => {
    const last = pts[n - 1];
    readout.replaceChildren(
      'Latest: ', h('strong', null, metricValue(last.value, unit)), ` on ${dayLabel(last.date)}. `,
      h('span', { class: 'no-print' }, 'Hover or use the arrow keys to read each day.'),
    );
  };
  let current = -1;
  const show = (i) => {
    current = Math.max(0, Math.min(n - 1, i));
    const p = pts[current];
    guide.setAttribute('x1', x(p.t));
    guide.setAttribute('x2', x(p.t));
    dot.setAttribute('cx', x(p.t));
    dot.setAttribute('cy', y(p.value));
    guide.setAttribute('visibility', 'visible');
    dot.setAttribute('visibility', 'visible');
    const q = prev.find((o) => o.t === p.t);
    readout.replaceChildren(h('strong', null, metricValue(p.value, unit)), ` on ${dayLabel(p.date, { weekday: true })}`,
      q ? ` · ${compareName}: ${metricValue(q.value, unit)} on ${dayLabel(q.date, { weekday: true })}` : '');
  };
  const hide = () => {
    current = -1;
    guide.setAttribute('visibility', 'hidden');
    dot.setAttribute('visibility', 'hidden');
    summary();
  };
  const nearest = (clientX) => {
    const box = svg.getBoundingClientRect();
    const vx = ((clientX - box.left) / box.width) * W;
    let best = 0;
    for (let i = 1; i < n; i++) if (Math.abs(x(pts[i].t) - vx) < Math.abs(x(pts[best].t) - vx)) best = i;
    return best;
  };
  svg.addEventListener('pointermove', (ev) => show(nearest(ev.clientX)));
  svg.addEventListener('pointerleave', hide);
  svg.addEventListener('focus', () => show(current < 0 ? n - 1 : current));
  svg.addEventListener('blur', hide);
  svg.addEventListener('keydown', (ev) => {
    const moves = { ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0, End: n - 1 };
    if (!(ev.key in moves)) return;
    ev.preventDefault();
    show(moves[ev.key]);
  });
  summary();

  fig.append(svg);
  if (prev.length) fig.append(legend(compareName));
  fig.append(dataTable(title, pts, unit, prev, compareName));
  return fig;
}

// legend names each line beside a sample of its stroke (solid, dashed).
function legend(compareName) {
  const sample = (cls) => s('svg', { class: 'chart-key', viewBox: '0 0 24 8', width: 24, height: 8, 'aria-hidden': 'true' },
    s('line', { class: cls, x1: 0, x2: 24, y1: 4, y2: 4 }));
  return h('ul', { class: 'chart-legend' },
    h('li', null, sample('chart-line'), 'This period (solid)'),
    h('li', null, sample('chart-line-previous'), `${compareName} (dashed)`));
}

function dataTable(title, pts, unit, prev = [], compareName = '') {
  const byT = new Map(prev.map((p) => [p.t, p]));
  return h('details', { class: 'chart-data' },
    h('summary', null, 'Show the daily figures'),
    h('div', { class: 'table-wrap' }, h('table', null,
      h('caption', { class: 'visually-hidden' }, title),
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col', class: 'num' }, 'Value'),
        prev.length ? h('th', { scope: 'col', class: 'num' }, compareName) : null)),
      h('tbody', null, pts.map((p) => h('tr', null,
        h('td', null, dayLabel(p.date, { weekday: true })),
        h('td', { class: 'num' }, metricValue(p.value, unit)),
        prev.length ? h('td', { class: 'num' }, byT.has(p.t) ? metricValue(byT.get(p.t).value, unit) : '—') : null,
      ))),
    )),
  );
}

// yScale picks a range and about four round tick values. Counts and money start at zero, so
// a small change does not look like a cliff; rates and positions use their own range.
function yScale(values, unit) {
  let min = Math.min(...values);
  let max = Math.max(...values);
  const fromZero = unit === 'count' || String(unit).startsWith('currency:');
  if (fromZero) {
    min = Math.min(0, min);
    max = Math.max(0, max);
  }
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    if (!fromZero || min !== 0) min -= pad;
    max += pad;
  }
  const step = niceStep((max - min) / 4);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step;
  const ticks = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(Number(v.toFixed(10)));
  return { lo, hi, ticks };
}

function niceStep(raw) {
  const exp = Math.floor(Math.log10(raw));
  const f = raw / 10 ** exp;
  const nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10;
  return nice * 10 ** exp;
}
