// The pages a mailed link opens (/reset-password, /verify-email, /confirm-email) carry the
// token in ?token=. It is read once and removed from the address bar and history, so it is not
// left in the tab, a bookmark or a screenshot; the page POSTs it, a GET never spends it.

import { $, replace, notice } from '../dom.js';

export function takeToken() {
  const q = new URLSearchParams(window.location.search);
  const token = q.get('token') || '';
  if (token) window.history.replaceState(null, '', window.location.pathname);
  return token;
}

// done replaces the form with a success message and a link onwards.
export function done(form, text, href, label) {
  form.hidden = true;
  const a = document.createElement('a');
  a.href = href;
  a.textContent = label;
  replace($('#page-notice'), notice('success', text, ' ', a));
}

// invalid tells that the link cannot be used, and hides the form.
export function invalid(form) {
  form.hidden = true;
  replace($('#page-notice'), notice('error', 'This link is invalid or has expired, or was already used. Ask for a new one.'));
}
