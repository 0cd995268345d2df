// A plan limit shown before the user hits it: "2 of 3 schedules", and at the limit a link to
// Settings › Billing and the way to add more disabled (the API would answer 402). Used by the
// schedules page (schedules, and recipients per schedule on its forms), the integrations
// page, the reports page (reports a month, sources in one report) and the Share panel.

import { get } from './api.js';
import { h, replace } from './dom.js';

// readBilling is GET /api/billing, or null when it cannot be read. The API still enforces
// every limit, so a hint is a courtesy and a failed read shows nothing.
export async function readBilling() {
  try {
    return await get('/api/billing');
  } catch {
    return null;
  }
}

// planLimit reads GET /api/billing's usage and limit for key ("schedules", "integrations",
// "share_links"): {used, max, full, planName}, or null when it cannot be known.
export async function planLimit(key) {
  return limitOf(await readBilling(), key);
}

// limitOf is planLimit from a summary already read; usedKey when the count is another
// limit's ("sources_per_report" is counted by "integrations": a report reads every one).
export function limitOf(b, key, usedKey = key) {
  const used = b?.usage?.[usedKey];
  const max = b?.limits?.[key];
  if (used === undefined || max === undefined) return null;
  return { used, max, full: used >= max, planName: b.plan_name };
}

// othersIn counts the addresses in text besides the owner's as the API counts recipients
// per schedule: each address once, whatever its case.
export function othersIn(text, ownerEmail) {
  const all = new Set((text || '').split(/[\s,;]+/).filter(Boolean).map((a) => a.toLowerCase()));
  all.delete((ownerEmail || '').toLowerCase());
  return all.size;
}

// watchRecipients keeps a schedule form's recipients hint in step with what is typed: lead,
// then "2 of 3 other addresses on the Free plan", and over the limit the way out, with the
// form's submit button disabled (the API would answer 402). The hint is a line the form
// already shows, rewritten in place with about as many words, so nothing moves when the plan
// arrives.
export function watchRecipients(form, hint, lead, ownerEmail, max, planName) {
  const input = form.elements.recipients;
  const button = form.querySelector('button[type=submit]');
  const sync = () => {
    const n = othersIn(input.value, ownerEmail);
    hint.dataset.recipients = String(n);
    form.dataset.over = hint.dataset.over = String(n > max);
    replace(hint, `${lead}${n} of ${max} other addresses on the ${planName} plan`, n > max
      ? h('span', null, ` — remove ${n - max}, or upgrade in `, h('a', { href: '/app/settings#billing' }, 'Settings › Billing'), ' for more.')
      : ', one per line; each new one is told who added them and can unsubscribe in one click.');
    button.disabled = n > max || form.dataset.full === 'true';
  };
  input.addEventListener('input', sync);
  sync();
}

// limitNote fills (or makes) the #limit-KEY status line: "2 of 2 integrations on the Free
// plan — upgrade in Settings › Billing to add more."
export function limitNote(key, noun, l) {
  const el = document.getElementById(`limit-${key}`) || h('p', { class: 'hint', id: `limit-${key}`, role: 'status' });
  el.dataset.full = String(l.full);
  replace(el, `${l.used} of ${l.max} ${noun} on the ${l.planName} plan`, l.full
    ? h('span', null, ' — upgrade in ', h('a', { href: '/app/settings#billing' }, 'Settings › Billing'), ' to add more.')
    : '.');
  return el;
}

// showLimit puts the note above form's actions and disables its submit button at the limit
// (or while form.dataset.over says another limit is passed). b is a summary already read.
export async function showLimit(form, key, noun, b) {
  const l = b === undefined ? await planLimit(key) : limitOf(b, key);
  if (!l) return;
  const button = form.querySelector('button[type=submit]');
  const el = limitNote(key, noun, l);
  if (!el.isConnected) (form.querySelector('.form-actions') || button.parentElement).before(el);
  form.dataset.full = String(l.full);
  button.disabled = l.full || form.dataset.over === 'true';
}
