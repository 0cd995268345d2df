// Settings › Billing: the plan in force, this month's usage against each limit, the next
// invoice date, past invoices, and Upgrade (Stripe Checkout) and Manage (Customer Portal).

import { get, post } from '../api.js';
import { $, h, replace, notice } from '../dom.js';
import { dateTime } from '../format.js';

const labels = {
  integrations: 'Connected integrations',
  schedules: 'Schedules',
  reports_per_month: 'Reports this month',
  sources_per_report: 'Sources in one report',
  recipients_per_schedule: 'Recipients per schedule (besides you)',
  share_links: 'Share links',
};

const money = (minor, currency) =>
  new Intl.NumberFormat(undefined, { style: 'currency', currency: currency.toUpperCase() }).format(minor / 100);

// usageRows shows each counted limit as "N of M", warning at the limit.
function usageRows(b) {
  return h('table', { class: 'table', id: 'billing-usage' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Limit'), h('th', { scope: 'col' }, 'Used'))),
    h('tbody', null, ...Object.keys(labels).map((k) => {
      const used = b.usage[k];
      const max = b.limits[k];
      const full = used !== undefined && used >= max;
      return h('tr', { 'data-limit': k, class: full ? 'at-limit' : '' },
        h('th', { scope: 'row' }, labels[k]),
        h('td', null, used === undefined ? `up to ${max}` : `${used} of ${max}`, full ? h('span', { class: 'badge badge-warn' }, ' limit reached') : ''));
    })));
}

function invoices(list) {
  if (!list.length) return h('p', { class: 'muted', id: 'billing-invoices' }, 'No invoices yet.');
  return h('table', { class: 'table', id: 'billing-invoices' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Number'), h('th', { scope: 'col' }, 'Date'), h('th', { scope: 'col' }, 'Amount'))),
    h('tbody', null, ...list.map((i) => h('tr', null, h('td', null, i.number || '—'), h('td', null, dateTime(i.issued_at)),
      h('td', null, (i.kind === 'credit_note' ? '−' : '') + money(i.amount_minor, i.currency))))));
}

// go asks the API for a Checkout or Portal URL and goes there.
async function go(btn, path, body) {
  btn.disabled = true;
  try {
    const { url } = await post(path, body);
    window.location.assign(url);
  } catch (err) {
    btn.disabled = false;
    replace($('#billing-status'), notice('error', err.message));
  }
}

function actions(b) {
  const pro = b.plans.find((p) => p.id === 'pro');
  const out = [];
  if (b.plan === 'free' && b.subscribed_plan !== 'pro' && pro) {
    const interval = h('select', { id: 'billing-interval', 'aria-label': 'Billing interval' },
      h('option', { value: 'month' }, `Monthly — ${money(pro.prices.month.amount_minor, pro.prices.month.currency)}`),
      h('option', { value: 'year' }, `Yearly — ${money(pro.prices.year.amount_minor, pro.prices.year.currency)}`));
    const btn = h('button', { type: 'button', class: 'btn btn-primary', id: 'billing-upgrade' }, `Upgrade to ${pro.name}`);
    btn.onclick = () => go(btn, '/api/billing/checkout', { plan: 'pro', interval: interval.value });
    out.push(interval, btn);
  }
  if (b.status !== 'none') {
    const btn = h('button', { type: 'button', class: 'btn', id: 'billing-manage' }, 'Manage payment, plan and cancellation');
    btn.onclick = () => go(btn, '/api/billing/portal');
    out.push(btn);
  }
  return h('div', { class: 'form-actions' }, ...out);
}

function statusLine(b) {
  const bits = [h('span', { class: 'badge', id: 'billing-plan' }, b.plan_name)];
  if (b.interval) bits.push(h('span', null, b.interval === 'year' ? 'billed yearly' : 'billed monthly'));
  if (b.status === 'past_due' && b.grace_ends_at && b.plan !== 'free') {
    bits.push(h('span', { class: 'warn' }, `Payment failed — update your payment method by ${dateTime(b.grace_ends_at)} to keep ${b.plan_name}.`));
  } else if (b.subscribed_plan !== b.plan && b.status === 'past_due') {
    bits.push(h('span', { class: 'warn' }, 'Payment failed: you are on the Free plan\'s limits until it is paid.'));
  } else if (b.current_period_end) {
    bits.push(h('span', { id: 'billing-next' }, (b.cancel_at_period_end ? 'Ends on ' : 'Next invoice on ') + dateTime(b.current_period_end)));
  }
  return h('p', { class: 'status-line' }, ...bits);
}

export async function billing() {
  const box = $('#billing-body');
  try {
    const b = await get('/api/billing');
    replace(box, statusLine(b), usageRows(b), h('div', { id: 'billing-status', role: 'status' }), actions(b),
      h('h3', null, 'Invoices'), invoices(b.invoices));
  } catch (err) {
    replace(box, notice('error', `Billing could not be loaded: ${err.message}`));
  }
}
