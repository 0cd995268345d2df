// /app/reports/{id} (vercel.json rewrites it to this page): one report — a KPI card per
// metric, a chart per daily series, the top-N tables, and why a section is missing. While the
// report is queued or running, the page checks again every two seconds by itself.

import { startApp } from '../app.js';
import { get, del } from '../api.js';
import { $, h, replace, notice, loading, confirmDialog } from '../dom.js';
import { compareLabel, dateTime, statusLabel } from '../format.js';
import { reportBody, days } from '../report-view.js';
import { sharePanel } from '../share-panel.js';

await startApp();

const root = $('#report');
const id = reportId();
const POLL_MS = 2000;
let timer = 0;

if (!id) {
  replace(root, notFound());
} else {
  await load();
}

// reportId reads the id from /app/reports/{id}, or from ?id= when the page is opened at its
// own path (/app/report?id=…), as the rewrite passes it.
function reportId() {
  const m = window.location.pathname.match(/^\/app\/reports\/([^/]+)\/?$/);
  if (m) return decodeURIComponent(m[1]);
  return new URLSearchParams(window.location.search).get('id') || '';
}

async function load() {
  clearTimeout(timer);
  let report;
  try {
    report = await get(`/api/reports/${encodeURIComponent(id)}`);
  } catch (err) {
    replace(root, err.status === 404 ? notFound() : notice('error', err.message, ' ', retryButton()));
    return;
  }
  render(report);
  if (report.status === 'queued' || report.status === 'running') timer = setTimeout(load, POLL_MS);
}

function render(r) {
  const title = r.title || 'Report';
  document.title = `${title} · Metriqs`;
  const p = r.period || {};
  const busy = r.status === 'queued' || r.status === 'running';
  // The server's Content-Disposition names the file; this is the fallback of older browsers.
  const csvName = `metriqs-${p.start || id}${p.end ? `-to-${p.end}` : ''}.csv`;

  const head = h('div', { class: 'page-head' },
    h('div', null,
      h('h1', null, title),
      h('p', { class: 'report-meta' },
        h('span', { class: `badge status-${r.status}` }, statusLabel(r.status)),
        p.start ? h('span', null, `${days(p.start, p.end)} days`) : null,
        p.previous_start ? h('span', null, compareLabel(p)) : null,
      ),
    ),
    busy ? null : h('div', { class: 'page-actions' },
      h('a', { class: 'btn', href: `/api/reports/${encodeURIComponent(id)}?format=csv`, download: csvName }, 'Download CSV'),
      h('button', { type: 'button', class: 'btn', onclick: () => window.print() }, 'Print or save as PDF'),
      h('button', { type: 'button', class: 'btn btn-quiet btn-danger-quiet', onclick: remove }, 'Delete'),
    ),
  );
  const printed = h('p', { class: 'print-only small muted' },
    `Metriqs report · made ${dateTime(r.completed_at || r.created_at)}`);

  const body = reportBody(r);
  if (!busy) body.push(sharePanel(id));

  replace(root, head, printed, ...body);
}

function notFound() {
  return h('div', { class: 'empty' },
    h('h1', null, 'Report not found'),
    h('p', null, 'It may have been deleted, or the link is incomplete.'),
    h('p', null, h('a', { class: 'btn btn-primary', href: '/app' }, 'See all reports')),
  );
}

function retryButton() {
  return h('button', { type: 'button', class: 'btn btn-small', onclick: () => { replace(root, loading()); load(); } }, 'Try again');
}

async function remove() {
  const ok = await confirmDialog({ title: 'Delete this report?', body: 'The report and its figures will be removed. This cannot be undone.', confirm: 'Delete report', danger: true });
  if (!ok) return;
  try {
    await del(`/api/reports/${encodeURIComponent(id)}`);
    window.location.assign('/app');
  } catch (err) {
    root.prepend(notice('error', err.message));
  }
}
