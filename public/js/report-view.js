// The body of a report — status notices, then per section its KPI cards, charts and top
// tables, or why it is missing — shared by the app's report page and the share-link viewer
// (/shared). Both show the same report, partial and failed sections included: a viewer is
// never shown less than what went wrong, only without the owner's reconnect links.

import { h, notice, loading } from './dom.js';
import { metricValue, change, cell, day, providerName, providerMark } from './format.js';
import { lineChart } from './chart.js';

// reportBody returns the nodes below the report's heading. viewer (a share link's visitor)
// replaces the owner's "Reconnect" links with a neutral note.
export function reportBody(r, { viewer = false } = {}) {
  const p = r.period || {};
  const busy = r.status === 'queued' || r.status === 'running';
  const body = [];
  if (busy) {
    body.push(h('div', { class: 'card progress-panel' },
      loading(r.status === 'queued' ? (viewer ? 'The report is queued…' : 'Your report is queued…') : (viewer ? 'Gathering the numbers…' : 'Gathering your numbers…')),
      h('p', { class: 'muted' }, viewer ? 'This usually takes a few seconds. Reload the page in a moment.'
        : 'This usually takes a few seconds. The page updates by itself when the report is ready.'),
    ));
  } else if (r.status === 'failed') {
    body.push(notice('error', h('strong', null, 'This report could not be made. '),
      r.error ? `${r.error} ` : 'The reasons are below. ',
      viewer ? 'Its owner has been shown how to fix it.'
        : ['Reconnect what needs it on the ', h('a', { href: '/app/integrations' }, 'Integrations'), ' page, then create the report again.']));
  } else if (r.status === 'partial') {
    body.push(notice('warn', 'Some sections could not be included; each one says why below.'));
  }
  const sections = r.sections || [];
  if (!busy && sections.length === 0) {
    body.push(h('div', { class: 'empty' },
      h('h3', null, 'Nothing to show'),
      viewer ? h('p', null, 'No integration was connected when this report was made.')
        : h('p', null, 'No integration was connected when this report was made. ', h('a', { href: '/app/integrations' }, 'Connect one'), ', then create a new report.'),
    ));
  }
  // Heading ids: sec-<provider>, then sec-<provider>-2… for a provider's further sources.
  const seen = new Map();
  for (const sec of sections) {
    const n = (seen.get(sec.provider) || 0) + 1;
    seen.set(sec.provider, n);
    body.push(section(sec, n > 1 ? `sec-${sec.provider}-${n}` : `sec-${sec.provider}`, p, viewer));
  }
  return body;
}

export function days(start, end) {
  return Math.round((day(end) - day(start)) / 86_400_000) + 1;
}

function section(sec, hid, period, viewer) {
  const name = providerName(sec.provider);
  // Several sources of one provider make several sections: the heading names the source.
  const source = sec.source && (sec.source.name || sec.source.id);
  const compareName = period.compare === 'previous_year' ? 'A year earlier' : 'Period before';
  const failed = sec.status && sec.status !== 'ok' && sec.status !== 'ready';
  const units = new Map((sec.metrics || []).map((m) => [m.key, m]));
  return h('section', { class: 'section', 'aria-labelledby': hid },
    h('div', { class: 'section-head' },
      h('span', { class: 'provider-mark', 'aria-hidden': 'true' }, providerMark(sec.provider)),
      h('h2', { id: hid }, name, source ? h('span', { class: 'section-source' }, ` · ${source}`) : null),
      failed ? h('span', { class: 'badge status-failed' }, 'Not included') : null,
    ),
    sec.time_zone && !failed ? h('p', { class: 'section-zone muted' }, `Days in ${sec.time_zone}`) : null,
    // Why a figure may differ from the provider's own pages (docs/metrics.md, "Notes").
    sec.notes && sec.notes.length ? h('ul', { class: 'section-notes', 'aria-label': `Notes on ${name}` },
      sec.notes.map((n) => h('li', { dataset: { note: n.code } }, n.text))) : null,
    failed || sec.error ? notice('warn',
      h('strong', null, `${name} could not be included. `), sec.error || 'The provider did not answer.', ' ',
      viewer ? null : h('a', { href: '/app/integrations', class: 'no-print' }, `Reconnect ${name}`)) : null,
    sec.metrics && sec.metrics.length ? h('ul', { class: 'kpi-grid', 'aria-label': `${name} metrics` }, sec.metrics.map(kpi)) : null,
    sec.series && sec.series.length ? h('div', { class: 'chart-grid' }, sec.series.map((se) => {
      const m = units.get(se.key);
      return lineChart({
        title: se.label || (m && m.label) || se.key, points: se.points, unit: se.unit || (m && m.unit) || 'count',
        previous: se.previous, start: period.start, previousStart: period.previous_start, compareName,
      });
    })) : null,
    sec.tables && sec.tables.length ? h('div', { class: 'table-grid' }, sec.tables.map(topTable)) : null,
  );
}

function kpi(m) {
  const c = change(m);
  const foot = m.snapshot
    ? [h('span', { class: 'badge' }, 'Now'), h('span', null, 'Current value, no history')]
    : [
      h('span', { class: `badge badge-${c.tone}`, title: c.words },
        h('span', { 'aria-hidden': 'true' }, c.text), h('span', { class: 'visually-hidden' }, c.words)),
      h('span', null, `vs ${metricValue(m.previous, m.unit)}`),
    ];
  return h('li', { class: 'card kpi', dataset: { metric: m.key } },
    h('p', { class: 'kpi-label' }, m.label || m.key),
    h('p', { class: 'kpi-value' }, metricValue(m.value, m.unit)),
    h('p', { class: 'kpi-foot' }, foot),
  );
}

function topTable(t) {
  const numeric = (v) => /^[\s\d.,%+\-−$€£¥]+$/.test(String(v)) && /\d/.test(String(v));
  const rows = t.rows || [];
  // A list compared with the period before (tables[].previous) gets a change column for its
  // first figure: the row's value then, and the change as the KPI cards show it.
  const prev = Array.isArray(t.previous) && t.previous.length === rows.length ? t.previous : null;
  const cols = prev ? [...(t.columns || []), 'Change'] : (t.columns || []);
  const changeCell = (r, j) => {
    const num = (x) => Number(String(x).replace(/,/g, ''));
    const v = num(r[1]); const p = num(prev[j]);
    const c = change({ value: v, previous: p, unit: 'count', higher_is_better: true,
      change_pct: p > 0 ? Math.round((v - p) / p * 10000) / 100 : null });
    return h('td', { class: 'num', dataset: { previous: prev[j] } },
      h('span', { class: `badge badge-${c.tone}`, title: `${c.words} (before: ${cell(prev[j])})` },
        h('span', { 'aria-hidden': 'true' }, c.text), h('span', { class: 'visually-hidden' }, `${c.words}, from ${cell(prev[j])}`)));
  };
  // A list of more than four columns (Search Console's queries with their change) takes the
  // whole row: in half of it, it would scroll sideways.
  return h('div', { class: cols.length > 4 ? 'card table-card table-card-wide' : 'card table-card' }, h('div', { class: 'table-wrap' }, h('table', null,
    h('caption', null, t.title || t.key),
    h('thead', null, h('tr', null, cols.map((c, i) => h('th', { scope: 'col', class: i > 0 && rows.length && (i >= rows[0].length || rows.every((r) => numeric(r[i]))) ? 'num' : null }, c)))),
    h('tbody', null, rows.length
      ? rows.map((r, j) => h('tr', null, r.map((c, i) => h('td', { class: i > 0 && numeric(c) ? 'num' : null }, cell(c))), prev ? changeCell(r, j) : null))
      : h('tr', null, h('td', { colspan: Math.max(cols.length, 1), class: 'muted' }, 'Nothing in this period.'))),
  )));
}

