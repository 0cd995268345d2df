// /app/schedules: create a weekly or monthly schedule (weekday 0 = Sunday … 6, or day 1–31;
// hour 0–23; an IANA time zone; recipients, the user alone unless given), and list them, each
// as a card (schedule-card.js) to edit, pause, send and delete.

import { startApp } from '../app.js';
import { get, post, isMissingEndpoint } from '../api.js';
import { $, h, replace, notice } from '../dom.js';
import { onSubmit } from '../forms.js';
import { timeZones } from '../timezones.js';
import { scheduleCard, describe, hourLabel, ordinal, WEEKDAYS } from '../schedule-card.js';
import { readBilling, limitOf, showLimit, watchRecipients } from '../plan-limit.js';

const user = await startApp();

const form = $('#new-schedule');
const list = $('#schedules');
// recipients is the plan's recipients per schedule ({max, planName}) once GET /api/billing
// has answered, for the create form and each card's edit form.
let recipients = null;

fillSelects();
onSubmit(form, 'Creating…', async (v) => {
  const body = { cadence: v.cadence, hour: Number(v.hour), timezone: v.timezone, compare: v.compare || 'previous_period', attach_csv: form.elements.attach_csv.checked };
  if (v.cadence === 'weekly') body.weekday = Number(v.weekday);
  else body.day = Number(v.day);
  const to = (v.recipients || '').split(/[\s,;]+/).filter(Boolean);
  if (to.length) body.recipients = to;
  await post('/api/schedules', body);
  form.elements.recipients.value = '';
  await load(`Schedule created: ${describe({ ...body })}.`);
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

async function load(message) {
  let schedules;
  try {
    ({ schedules } = await get('/api/schedules'));
  } catch (err) {
    replace(list, isMissingEndpoint(err)
      ? notice('info', 'Schedules are not available on this server yet.')
      : notice('error', err.message));
    return;
  }
  readBilling().then(planHints);
  if (message) list.before(flash('success', message));
  if (!schedules || schedules.length === 0) {
    replace(list, h('div', { class: 'empty' }, h('h3', null, 'No schedules yet'), h('p', null, 'Create one above and a report will be e-mailed every week or month.')));
    return;
  }
  replace(list, h('div', { class: 'stack' }, schedules.map((sc) => scheduleCard(sc, user, load, () => recipients))));
}

// planHints shows the schedules limit above Create and, the first time, counts the
// recipients typed into the create form against the plan.
function planHints(b) {
  showLimit(form, 'schedules', 'schedules', b);
  const l = limitOf(b, 'recipients_per_schedule');
  if (!l || recipients) return;
  recipients = { max: l.max, planName: l.planName };
  watchRecipients(form, $('#recipients-hint'), 'Reports are e-mailed to you. ', user.email, l.max, l.planName);
}

// flash shows one message above the list, replacing the previous one.
function flash(kind, text) {
  document.getElementById('schedules-flash')?.remove();
  const el = notice(kind, text);
  el.id = 'schedules-flash';
  return el;
}
