// /app: the list of reports and the "New report" form.

import { startApp } from '../app.js';
import { get, post, del, isMissingEndpoint } from '../api.js';
import { $, $$, h, replace, notice, confirmDialog } from '../dom.js';
import { onSubmit } from '../forms.js';
import { dateTime, dayRange, periodLabel, statusLabel } from '../format.js';
import { readBilling, limitOf } from '../plan-limit.js';

const user = await startApp();
for (const el of $$('[data-user-tz]')) el.textContent = user.timezone || 'UTC';

const form = $('#new-report');
const range = $('#custom-range');
const list = $('#reports');
let pollTimer = 0;

setUpRange();
onSubmit(form, 'Creating…', async (v) => {
  const period = v.period === 'custom' ? { start: v.start, end: v.end } : v.period;
  let res;
  try {
    res = await post('/api/reports', { period, compare: v.compare || 'previous_period' });
  } catch (err) {
    if (err.code === 'plan_limit') showReportLimits(); // the count as it is now
    throw err;
  }
  window.location.assign(`/app/reports/${encodeURIComponent(res.id)}`);
});

showIntegrationsHint();
showReportLimits();
await load();

function setUpRange() {
  const today = new Date();
  const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  const weekAgo = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 14);
  $('#start').max = iso(today);
  $('#end').max = iso(today);
  $('#start').value = iso(weekAgo);
  $('#end').value = iso(yesterday);
  const sync = () => {
    const custom = form.elements.period.value === 'custom';
    range.hidden = !custom;
    $('#start').disabled = !custom;
    $('#end').disabled = !custom;
  };
  for (const r of form.elements.period) r.addEventListener('change', sync);
  sync();
}

// load draws the list, and polls while a report is still being made.
async function load() {
  clearTimeout(pollTimer);
  let reports;
  try {
    ({ reports } = await get('/api/reports'));
  } catch (err) {
    replace(list, isMissingEndpoint(err)
      ? notice('info', 'Reports are not available on this server yet.')
      : notice('error', err.message));
    return;
  }
  if (!reports || reports.length === 0) {
    replace(list, h('div', { class: 'empty' },
      h('h3', null, 'No reports yet'),
      h('p', null, 'Pick a period above and create your first report. It takes a few seconds.'),
    ));
    return;
  }
  replace(list, h('div', { class: 'card table-card' }, h('div', { class: 'table-wrap' }, table(reports))));
  if (reports.some((r) => r.status === 'queued' || r.status === 'running')) {
    pollTimer = setTimeout(load, 3000);
  }
}

function table(reports) {
  return h('table', { class: 'stack-sm' },
    h('caption', { class: 'visually-hidden' }, 'Your reports, newest first'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Report'),
      h('th', { scope: 'col' }, 'Compared with'),
      h('th', { scope: 'col' }, 'Status'),
      h('th', { scope: 'col' }, 'Created'),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
    )),
    h('tbody', null, reports.map((r) => h('tr', null,
      h('th', { scope: 'row' }, h('a', { href: `/app/reports/${encodeURIComponent(r.id)}` }, r.title || 'Report')),
      h('td', { 'data-label': 'Compared with' }, comparedWith(r.period)),
      h('td', { 'data-label': 'Status' }, h('span', { class: `badge status-${r.status}` }, statusLabel(r.status))),
      h('td', { 'data-label': 'Created' }, dateTime(r.created_at)),
      h('td', { class: 'actions' }, h('button', {
        type: 'button', class: 'btn btn-small btn-quiet btn-danger-quiet',
        'aria-label': `Delete ${r.title || 'report'}`,
        onclick: () => remove(r),
      }, 'Delete')),
    ))),
  );
}

function comparedWith(p) {
  if (p && p.previous_start) return dayRange(p.previous_start, p.previous_end);
  return periodLabel(p);
}

async function remove(r) {
  const ok = await confirmDialog({ title: 'Delete this report?', body: `“${r.title || 'Report'}” will be removed. This cannot be undone.`, confirm: 'Delete report', danger: true });
  if (!ok) return;
  try {
    await del(`/api/reports/${encodeURIComponent(r.id)}`);
  } catch (err) {
    list.prepend(notice('error', err.message));
    return;
  }
  await load();
}

// showIntegrationsHint points a new customer at the integrations page when nothing is
// connected yet, since a report of nothing is not much use.
async function showIntegrationsHint() {
  try {
    const { integrations } = await get('/api/integrations');
    if (!integrations.some((i) => i.status === 'connected')) {
      replace($('#hint'), notice('info', 'Nothing is connected yet. ', h('a', { href: '/app/integrations' }, 'Connect an integration'), ' so your reports have numbers in them.'));
    }
  } catch {
    // The hint is a nicety; the page works without it.
  }
}

// showReportLimits fills the form's reserved #limit-reports line from GET /api/billing:
// "Reports this month: 18 of 60 on the Free plan", and disables Create where the API would
// answer 402 — at the month's limit, or when a report would read more connected
// integrations than the plan allows in one report (after a downgrade: they stay connected).
async function showReportLimits() {
  const b = await readBilling();
  const month = limitOf(b, 'reports_per_month');
  const sources = limitOf(b, 'sources_per_report', 'integrations');
  if (!month || !sources) return;
  const el = $('#limit-reports');
  const tooMany = sources.used > sources.max;
  el.dataset.full = String(month.full);
  el.dataset.sources = String(tooMany);
  const billing = h('a', { href: '/app/settings#billing' }, 'Settings › Billing');
  if (tooMany) {
    replace(el, `A report would read your ${sources.used} connected integrations; the ${sources.planName} plan allows ${sources.max} in one. Disconnect one on `,
      h('a', { href: '/app/integrations' }, 'Integrations'), ', or upgrade in ', billing, '.');
  } else {
    replace(el, `Reports this month: ${month.used} of ${month.max} on the ${month.planName} plan`, month.full ? [' — upgrade in ', billing, ' for more.'] : '.');
  }
  $('button[type=submit]', form).disabled = month.full || tooMany;
}
