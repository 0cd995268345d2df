// /app/schedules: create a weekly or monthly schedule (weekday 0 = Sunday … 6, or day 1–31;
// hour 0–23; an IANA time zone), list them with their next run, delete one.

import { startApp } from '../app.js';
import { get, post, del, isMissingEndpoint } from '../api.js';
import { $, h, replace, notice, confirmDialog } from '../dom.js';
import { onSubmit } from '../forms.js';
import { dateTime, ago } from '../format.js';
import { timeZones } from '../timezones.js';

const user = await startApp();

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const form = $('#new-schedule');
const list = $('#schedules');

fillSelects();
onSubmit(form, 'Creating…', async (v) => {
  const body = { cadence: v.cadence, hour: Number(v.hour), timezone: v.timezone, compare: v.compare || 'previous_period' };
  if (v.cadence === 'weekly') body.weekday = Number(v.weekday);
  else body.day = Number(v.day);
  await post('/api/schedules', body);
  list.before(flash('success', `Schedule created: ${describe({ ...body })}.`));
  await load();
});
await load();

function fillSelects() {
  replace($('#weekday'), WEEKDAYS.map((d, i) => h('option', { value: i, selected: i === 1 }, d)));
  replace($('#day'), Array.from({ length: 31 }, (_, i) => h('option', { value: i + 1 }, ordinal(i + 1))));
  replace($('#hour'), Array.from({ length: 24 }, (_, i) => h('option', { value: i, selected: i === 8 }, hourLabel(i))));
  const tz = user.timezone || 'UTC';
  replace($('#timezone'), timeZones().map((z) => h('option', { value: z, selected: z === tz }, z.replaceAll('_', ' '))));
  if (!timeZones().includes(tz)) $('#timezone').prepend(h('option', { value: tz, selected: true }, tz));
  const sync = () => {
    const weekly = form.elements.cadence.value === 'weekly';
    $('#weekday-field').hidden = !weekly;
    $('#day-field').hidden = weekly;
    $('#weekday').disabled = !weekly;
    $('#day').disabled = weekly;
  };
  for (const r of form.elements.cadence) r.addEventListener('change', sync);
  sync();
}

async function load() {
  let schedules;
  try {
    ({ schedules } = await get('/api/schedules'));
  } catch (err) {
    replace(list, isMissingEndpoint(err)
      ? notice('info', 'Schedules are not available on this server yet.')
      : notice('error', err.message));
    return;
  }
  if (!schedules || schedules.length === 0) {
    replace(list, h('div', { class: 'empty' }, h('h3', null, 'No schedules yet'), h('p', null, 'Create one above and a report will be waiting for you every week or month.')));
    return;
  }
  replace(list, h('div', { class: 'card table-card' }, h('div', { class: 'table-wrap' }, h('table', { class: 'stack-sm' },
    h('caption', { class: 'visually-hidden' }, 'Your schedules'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Runs'),
      h('th', { scope: 'col' }, 'Report covers'),
      h('th', { scope: 'col' }, 'Next run'),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    h('tbody', null, schedules.map((sc) => h('tr', { dataset: { schedule: sc.id } },
      h('th', { scope: 'row' }, describe(sc)),
      h('td', { 'data-label': 'Covers' }, sc.cadence === 'weekly' ? 'Last 7 days' : 'Last month'),
      h('td', { 'data-label': 'Next run' }, dateTime(sc.next_run_at, sc.timezone), h('br'), h('span', { class: 'small muted' }, ago(sc.next_run_at))),
      h('td', { class: 'actions' }, h('button', {
        type: 'button', class: 'btn btn-small btn-quiet btn-danger-quiet', 'aria-label': `Delete the schedule “${describe(sc)}”`,
        onclick: () => remove(sc),
      }, 'Delete')))),
    )))));
}

async function remove(sc) {
  const ok = await confirmDialog({ title: 'Delete this schedule?', body: `“${describe(sc)}” will stop. Reports it already made are kept.`, confirm: 'Delete schedule', danger: true });
  if (!ok) return;
  try {
    await del(`/api/schedules?id=${encodeURIComponent(sc.id)}`);
  } catch (err) {
    list.before(flash('error', err.message));
    return;
  }
  await load();
}

// describe: "Every Monday at 08:00 (Europe/Paris)".
function describe(sc) {
  const when = sc.cadence === 'weekly'
    ? `Every ${typeof sc.weekday === 'number' ? WEEKDAYS[sc.weekday] : sc.weekday}`
    : `Monthly on the ${ordinal(sc.day)}`;
  const against = sc.compare === 'previous_year' ? ', against a year earlier' : '';
  return `${when} at ${hourLabel(sc.hour)} (${sc.timezone})${against}`;
}

function hourLabel(hh) { return `${String(hh).padStart(2, '0')}:00`; }

function ordinal(n) {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : { 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th';
  return `${n}${suffix}`;
}

// flash shows one message above the list, replacing the previous one.
function flash(kind, text) {
  document.getElementById('schedules-flash')?.remove();
  const el = notice(kind, text);
  el.id = 'schedules-flash';
  return el;
}
