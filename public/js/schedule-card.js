// One schedule on /app/schedules: what it does, who gets it (who added each, who
// unsubscribed), what is in its way, its last runs, and its actions — edit, pause/resume,
// "Send now", "Send a test to me", delete. Every change goes through PATCH /api/schedules.

import { get, post, patch, del, isMissingEndpoint } from './api.js';
import { $, h, replace, notice, confirmDialog } from './dom.js';
import { onSubmit } from './forms.js';
import { dateTime, ago, providerName } from './format.js';
import { timeZones } from './timezones.js';
import { watchRecipients } from './plan-limit.js';

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

// scheduleCard renders sc; reload is called after a change that alters the list; recipients
// returns the plan's recipients per schedule ({max, planName}), null while it is not known.
export function scheduleCard(sc, user, reload, recipients = () => null) {
  const title = describe(sc);
  const id = `sc-${sc.id}`;
  const runs = h('div', { class: 'runs' }, h('p', { class: 'loading small', role: 'status' }, 'Loading the last runs…'));
  const status = h('div', { class: 'card-status', 'aria-live': 'polite' });
  const editBox = h('div', { class: 'edit-box', hidden: true });
  const card = h('article', { class: 'card schedule', 'aria-labelledby': `${id}-title`, dataset: { schedule: sc.id } },
    h('div', { class: 'card-head' },
      h('h3', { id: `${id}-title` }, h('span', { class: 'schedule-title' }, title), sc.paused ? [' ', h('span', { class: 'badge badge-bad', dataset: { paused: '' } }, 'Paused')] : null)),
    problemNotice(sc),
    h('p', { class: 'small' }, sc.paused
      ? 'Paused: no reports are sent. Resuming starts at the next run time; missed runs are not sent late.'
      : [h('strong', null, 'Next run: '), dateTime(sc.next_run_at, sc.timezone), ` (${ago(sc.next_run_at)})`]),
    recipientList(sc, user),
    h('p', { class: 'small muted' }, sc.on_needs_reconnect === 'hold'
      ? 'When a source needs reconnecting, the run is held until you reconnect it (you are told).'
      : 'When a source needs reconnecting, the report is sent without it, labelled.'),
    h('div', { class: 'page-actions' },
      button('Edit', `Edit the schedule “${title}”`, () => toggleEdit(editBox, sc, user, reload, status, recipients()), { 'aria-expanded': 'false', 'aria-controls': `${id}-edit`, dataset: { edit: '' } }),
      button(sc.paused ? 'Resume' : 'Pause', `${sc.paused ? 'Resume' : 'Pause'} the schedule “${title}”`, () => change(sc, { paused: !sc.paused }, status, reload), { dataset: { pause: '' } }),
      button('Send now', `Send the schedule “${title}” now to its recipients`, () => run(sc, false, status, runs)),
      button('Send a test to me', `Send a test of “${title}” to you only`, () => run(sc, true, status, runs)),
      button('Delete', `Delete the schedule “${title}”`, () => remove(sc, status, reload), { class: 'btn btn-small btn-quiet btn-danger-quiet', dataset: { delete: '' } })),
    status, editBox,
    h('h4', null, 'Last runs'), runs);
  editBox.id = `${id}-edit`;
  loadRuns(sc, runs);
  return card;
}

function button(label, aria, onclick, extra = {}) {
  return h('button', { type: 'button', class: 'btn btn-small', 'aria-label': aria, onclick, ...extra }, label);
}

// problemNotice says what stands in the way of this schedule's reports.
function problemNotice(sc) {
  if (sc.paused_by_plan) {
    return notice('warn', 'Paused by your plan: your plan allows fewer active schedules than you have, so this one’s scheduled reports are not sent (“Send now” still works). Pause another schedule, or ',
      h('a', { href: '/app/settings#billing' }, 'upgrade in Settings › Billing'), '.');
  }
  if (sc.problem === 'no_sources') {
    return notice('warn', 'All your integrations are disconnected: this schedule’s reports would have nothing in them. ',
      h('a', { href: '/app/integrations' }, 'Connect an integration'), '.');
  }
  if (sc.problem === 'needs_reconnect') {
    const names = (sc.needs_reconnect || []).map(providerName).join(', ');
    return notice('warn', `Reconnect ${names}: `, sc.on_needs_reconnect === 'hold' ? 'runs are held until you do. ' : 'reports are sent without it until you do. ',
      h('a', { href: '/app/integrations' }, 'Integrations'), '.');
  }
  return null;
}

// recipientList names each recipient, the owner as "you", others with who added them.
function recipientList(sc, user) {
  const items = (sc.recipients || []).map((addr) => {
    const a = (sc.recipients_added || {})[addr] || {};
    const you = a.owner || addr.toLowerCase() === (user.email || '').toLowerCase();
    return h('li', { dataset: { recipient: addr } }, addr, you ? h('span', { class: 'muted' }, ' (you)')
      : a.at ? h('span', { class: 'small muted' }, ` — added by ${a.name || a.by} ${ago(a.at)}`) : null,
      h('span', { class: 'unsub small', dataset: { unsubFor: addr } }));
  });
  return h('div', null, h('h4', null, 'Recipients'), h('ul', { class: 'recipients' }, items));
}

async function change(sc, body, status, reload) {
  try {
    await patch(`/api/schedules?id=${encodeURIComponent(sc.id)}`, body);
  } catch (err) {
    replace(status, notice('error', err.message));
    return;
  }
  await reload(body.paused === true ? 'Schedule paused.' : body.paused === false ? 'Schedule resumed.' : 'Schedule saved.');
}

async function run(sc, test, status, runs) {
  let started;
  try {
    started = await post(`/api/schedules/run?id=${encodeURIComponent(sc.id)}`, test ? { test: true } : {});
  } catch (err) {
    replace(status, notice('error', isMissingEndpoint(err) ? 'Sending is not available on this server yet.' : err.message));
    return;
  }
  replace(status, notice('success', test ? 'A test is on its way to you.' : 'Sending now. The run shows below.'));
  // The run is recorded by a background job: look again until it is there and settled (or a
  // minute has passed), so the outcome per recipient shows without a reload.
  for (let i = 0; i < 30; i++) {
    const r = await loadRuns(sc, runs);
    const mine = (r || []).find((x) => x.id === (started && started.run_id));
    if (mine && !['queued', 'generating', 'sending'].includes(mine.status)) return;
    await new Promise((done) => setTimeout(done, 2000));
  }
}

async function remove(sc, status, reload) {
  const ok = await confirmDialog({ title: 'Delete this schedule?', body: `“${describe(sc)}” will stop. Reports it already made are kept.`, confirm: 'Delete schedule', danger: true });
  if (!ok) return;
  try {
    await del(`/api/schedules?id=${encodeURIComponent(sc.id)}`);
  } catch (err) {
    replace(status, notice('error', err.message));
    return;
  }
  await reload('Schedule deleted.');
}

const RUN_STATUS = { queued: 'Queued', sent: 'Sent', failed: 'Failed', bounced: 'Bounced', unsubscribed: 'Unsubscribed' };

// loadRuns shows the last runs with each recipient's outcome, and marks who unsubscribed.
async function loadRuns(sc, box) {
  let runs, unsubscribed;
  try {
    ({ runs, unsubscribed } = await get(`/api/schedules/runs?id=${encodeURIComponent(sc.id)}`));
  } catch (err) {
    replace(box, isMissingEndpoint(err) ? h('p', { class: 'small muted' }, 'Run history is not available on this server yet.') : notice('error', err.message));
    return;
  }
  const card = box.closest('.schedule');
  const gone = new Set((unsubscribed || []).map((u) => u.email));
  for (const r of runs || []) for (const rc of r.recipients || []) if (rc.status === 'unsubscribed') gone.add(rc.email);
  for (const email of gone) {
    const slot = card && card.querySelector(`[data-unsub-for="${CSS.escape(email)}"]`);
    if (slot) replace(slot, ' ', h('span', { class: 'badge badge-bad' }, 'Unsubscribed'));
  }
  if (!runs || runs.length === 0) {
    replace(box, h('p', { class: 'small muted' }, 'No runs yet.'));
    return runs;
  }
  replace(box, h('ul', { class: 'run-list' }, runs.slice(0, 5).map((r) => h('li', { dataset: { run: r.id } },
    h('strong', null, dateTime(r.due_at, sc.timezone)), ` — ${r.status}`,
    r.report_id ? [' · ', h('a', { href: `/app/reports/${encodeURIComponent(r.report_id)}` }, 'report')] : null,
    h('ul', null, (r.recipients || []).map((rc) => h('li', { class: 'small' }, `${rc.email}: ${RUN_STATUS[rc.status] || rc.status}`, rc.error ? ` (${rc.error})` : '')))))));
  return runs;
}

// toggleEdit opens (or closes) the edit form under the card; with the plan's recipients
// limit known, its hint counts the addresses typed against it.
function toggleEdit(box, sc, user, reload, status, limit) {
  const opener = box.parentElement.querySelector('[data-edit]');
  if (!box.hidden) {
    box.hidden = true;
    opener.setAttribute('aria-expanded', 'false');
    return;
  }
  const form = editForm(sc);
  replace(box, form);
  box.hidden = false;
  opener.setAttribute('aria-expanded', 'true');
  if (limit) watchRecipients(form, $(`#${CSS.escape(`${sc.id}-recipients-hint`)}`, form), 'You and ', user.email, limit.max, limit.planName);
  onSubmit(form, 'Saving…', async (v) => {
    const body = {
      cadence: v.cadence, hour: Number(v.hour), timezone: v.timezone, compare: v.compare, on_needs_reconnect: v.on_needs_reconnect,
      recipients: v.recipients.split(/[\s,;]+/).filter(Boolean),
      attach_csv: form.elements.attach_csv.checked,
    };
    if (v.cadence === 'weekly') body.weekday = Number(v.weekday);
    else body.day = Number(v.day);
    await patch(`/api/schedules?id=${encodeURIComponent(sc.id)}`, body);
    await reload('Schedule saved.');
  });
  $('textarea', form).focus();
}

function editForm(sc) {
  const sel = (name, label, opts) => h('div', { class: 'field' }, h('label', { for: `${sc.id}-${name}` }, label),
    h('select', { id: `${sc.id}-${name}`, name }, opts));
  const opt = (value, label, cur) => h('option', { value, selected: String(cur) === String(value) }, label);
  const form = h('form', { class: 'form-grid edit-schedule', 'aria-label': `Edit “${describe(sc)}”` },
    h('div', { class: 'field' },
      h('label', { for: `${sc.id}-recipients` }, 'Recipients'),
      h('textarea', { id: `${sc.id}-recipients`, name: 'recipients', rows: 4, 'aria-describedby': `${sc.id}-recipients-hint` }, (sc.recipients || []).join('\n')),
      h('p', { class: 'hint', id: `${sc.id}-recipients-hint` }, 'One address per line: you and as many others as your plan allows. Each new recipient is told who added them and can unsubscribe in one click.')),
    h('div', { class: 'form-row' },
      sel('cadence', 'How often', [opt('weekly', 'Every week', sc.cadence), opt('monthly', 'Every month', sc.cadence)]),
      sel('weekday', 'On (weekly)', WEEKDAYS.map((d, i) => opt(i, d, sc.weekday ?? 1))),
      sel('day', 'On day (monthly)', Array.from({ length: 31 }, (_, i) => opt(i + 1, ordinal(i + 1), sc.day ?? 1))),
      sel('hour', 'At', Array.from({ length: 24 }, (_, i) => opt(i, hourLabel(i), sc.hour))),
      sel('timezone', 'Time zone', zonesWith(sc.timezone).map((z) => opt(z, z.replaceAll('_', ' '), sc.timezone))),
      sel('compare', 'Compared with', [opt('previous_period', 'The period before', sc.compare), opt('previous_year', 'The same days a year earlier', sc.compare)]),
      sel('on_needs_reconnect', 'When a source needs reconnecting', [opt('send', 'Send what is there, labelled', sc.on_needs_reconnect), opt('hold', 'Hold the run until reconnected', sc.on_needs_reconnect)])),
    h('div', { class: 'field' }, h('label', { for: `${sc.id}-attach_csv` },
      h('input', { type: 'checkbox', id: `${sc.id}-attach_csv`, name: 'attach_csv', checked: sc.attach_csv !== false }), ' Attach the CSV to each e-mail')),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Save changes')));
  const sync = () => {
    const weekly = form.elements.cadence.value === 'weekly';
    form.elements.weekday.disabled = !weekly;
    form.elements.day.disabled = weekly;
  };
  form.elements.cadence.addEventListener('change', sync);
  sync();
  return form;
}

function zonesWith(tz) {
  const all = timeZones();
  return all.includes(tz) ? all : [tz, ...all];
}

// describe: "Every Monday at 08:00 (Europe/Paris)".
export function describe(sc) {
  const when = sc.cadence === 'weekly'
    ? `Every ${typeof sc.weekday === 'number' ? WEEKDAYS[sc.weekday] : sc.weekday}`
    : `Monthly on the ${ordinal(sc.day)}`;
  const against = sc.compare === 'previous_year' ? ', against a year earlier' : '';
  return `${when} at ${hourLabel(sc.hour)} (${sc.timezone})${against}`;
}

export function hourLabel(hh) { return `${String(hh).padStart(2, '0')}:00`; }

export function ordinal(n) {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : { 1: 'st', 2: 'nd', 3: 'rd' }[n % 10] || 'th';
  return `${n}${suffix}`;
}
