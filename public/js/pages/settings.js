// /app/settings: profile, password, Security (two-factor authentication, recovery codes,
// sessions, security log), data export and account deletion.

import { startApp } from '../app.js';
import { get, post, patch, del, isMissingEndpoint } from '../api.js';
import { $, $$, h, replace, notice, download, copyText } from '../dom.js';
import { onSubmit, clearErrors } from '../forms.js';
import { dateTime, ago, userAgent, setTimeZone } from '../format.js';
import { timeZones, browserTimeZone } from '../timezones.js';
import { emailChange } from './email-change.js';
import { billing } from './settings-billing.js';

let user = await startApp();

// ---------------------------------------------------------------- profile

function profile() {
  const form = $('#profile-form');
  for (const el of $$('[data-user-email-input]')) el.value = user.email;
  $('#profile-name').value = user.name || '';
  const tz = user.timezone || 'UTC';
  const zones = timeZones();
  if (!zones.includes(tz)) zones.unshift(tz);
  const here = browserTimeZone();
  replace($('#profile-timezone'), zones.map((z) => h('option', { value: z, selected: z === tz },
    z.replaceAll('_', ' ') + (z === here && z !== tz ? ' (this device)' : ''))));
  const status = $('#profile-status');
  onSubmit(form, 'Saving…', async (v) => {
    status.textContent = '';
    ({ user } = await patch('/api/me', { name: v.name, timezone: v.timezone }));
    setTimeZone(user.timezone);
    status.textContent = 'Saved.';
  });
}

// ---------------------------------------------------------------- password

function password() {
  const form = $('#password-form');
  onSubmit(form, 'Changing…', async (v) => {
    await post('/api/account/password', { current_password: v.current_password, new_password: v.new_password });
    form.reset();
    for (const el of $$('[data-user-email-input]', form)) el.value = user.email;
    replace($('#password-status'), notice('success', 'Password changed. Every other session has been signed out.'));
    sessions();
    securityLog();
  });
}

// ---------------------------------------------------------------- two-factor

function twoFactor() {
  const box = $('#twofa');
  deleteNeedsCode(user.totp_enabled);
  if (!user.totp_enabled) {
    replace(box,
      h('div', { id: 'twofa-status' }),
      h('p', { class: 'status-line' }, h('span', { class: 'badge' }, 'Off'),
        h('span', null, 'A stolen password is enough to get into your account.')),
      h('p', { class: 'muted' }, 'With two-factor authentication on, signing in also needs a 6-digit code from an app on your phone, such as 1Password, Google Authenticator or Authy.'),
      h('button', { type: 'button', class: 'btn btn-primary', id: 'totp-start', onclick: startEnrol }, 'Set up two-factor authentication'),
    );
    return;
  }
  const regen = h('form', { class: 'form-grid', id: 'recovery-form', 'aria-labelledby': 'recovery-title' },
    h('h4', { id: 'recovery-title' }, 'Recovery codes'),
    h('p', { class: 'muted small' }, 'Lost your codes, or used most of them? Make a new set; the old one stops working.'),
    h('div', { class: 'form-row' },
      field('recovery-password', 'password', 'Password', { type: 'password', autocomplete: 'current-password', required: true }),
      h('div', { class: 'second-factor', id: 'recovery-factor' },
        h('div', { class: 'field', id: 'recovery-code-field' },
          h('label', { for: 'recovery-code' }, 'Code from your app'),
          h('input', { id: 'recovery-code', name: 'code', ...codeAttrs })),
        h('div', { class: 'field', id: 'recovery-recovery-field', hidden: true },
          h('label', { for: 'recovery-recovery-code' }, 'Recovery code'),
          h('input', { id: 'recovery-recovery-code', name: 'recovery_code', 'aria-describedby': 'recovery-recovery-hint', ...recoveryAttrs }),
          h('p', { class: 'hint', id: 'recovery-recovery-hint' }, recoveryHint)),
        h('p', { class: 'hint' }, h('button', { type: 'button', class: 'btn-link', id: 'recovery-toggle-recovery' }, 'Use a recovery code instead')),
      ),
    ),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn' }, 'Make new recovery codes')),
  );
  const regenFactor = factorChoice(regen, $('#recovery-toggle-recovery', regen));
  onSubmit(regen, 'Making codes…', async (v) => {
    const { recovery_codes: codes } = await post('/api/account/recovery-codes', { password: v.password, ...regenFactor.body(v) });
    showCodes(codes, 'Your new recovery codes');
    securityLog();
  });
  const off = h('form', { class: 'form-grid', id: 'totp-disable-form', 'aria-labelledby': 'disable-title' },
    h('h4', { id: 'disable-title' }, 'Turn off two-factor authentication'),
    h('p', { class: 'muted small' }, 'Your password alone will then be enough to sign in, and your recovery codes stop working.'),
    h('div', { class: 'form-row' },
      field('disable-password', 'password', 'Password', { type: 'password', autocomplete: 'current-password', required: true }),
      h('div', { class: 'second-factor', id: 'disable-factor' },
        h('div', { class: 'field', id: 'disable-code-field' },
          h('label', { for: 'disable-code' }, 'Code from your app'),
          h('input', { id: 'disable-code', name: 'code', ...codeAttrs })),
        h('div', { class: 'field', id: 'disable-recovery-field', hidden: true },
          h('label', { for: 'disable-recovery-code' }, 'Recovery code'),
          h('input', { id: 'disable-recovery-code', name: 'recovery_code', 'aria-describedby': 'disable-recovery-hint', ...recoveryAttrs }),
          h('p', { class: 'hint', id: 'disable-recovery-hint' }, recoveryHint)),
        h('p', { class: 'hint' }, h('button', { type: 'button', class: 'btn-link', id: 'disable-toggle-recovery' }, 'Use a recovery code instead')),
      ),
    ),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-danger-quiet' }, 'Turn off')),
  );
  const offFactor = factorChoice(off, $('#disable-toggle-recovery', off));
  onSubmit(off, 'Turning off…', async (v) => {
    await del('/api/account/totp', { password: v.password, ...offFactor.body(v) });
    user = { ...user, totp_enabled: false };
    twoFactor();
    replace($('#twofa-status'), notice('success', 'Two-factor authentication is off.'));
    securityLog();
  });
  replace(box,
    h('div', { id: 'twofa-status' }),
    h('p', { class: 'status-line' }, h('span', { class: 'badge status-connected', id: 'totp-on' }, 'On'),
      h('span', null, 'Signing in needs your password and a code from your authenticator app.')),
    Number.isInteger(user.recovery_codes_left) ? h('p', { id: 'codes-left', class: user.recovery_codes_left < 3 ? 'notice notice-warn' : 'muted' },
      `${user.recovery_codes_left} of 10 recovery codes left.`, user.recovery_codes_left < 3 ? ' Make a new set below before they run out.' : '') : null,
    h('div', { class: 'form-row wide' }, regen, off),
  );
}

// startEnrol asks for the password first: the API needs it to start set-up, so that a
// hijacked session cannot enrol its own authenticator (ASVS 5.0 7.5.1).
function startEnrol() {
  const form = h('form', { class: 'form-grid', id: 'totp-start-form', 'aria-labelledby': 'totp-start-title' },
    h('h4', { id: 'totp-start-title' }, 'Set up two-factor authentication'),
    h('p', { class: 'muted small' }, 'Enter your password to start.'),
    field('totp-start-password', 'password', 'Password', { type: 'password', autocomplete: 'current-password', required: true }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Continue'),
      h('button', { type: 'button', class: 'btn btn-quiet', onclick: twoFactor }, 'Cancel')),
  );
  onSubmit(form, 'Checking…', async (v) => enrol(await post('/api/account/totp', { password: v.password })));
  replace($('#twofa'), form);
  $('#totp-start-password').focus();
}

// enrol shows the new secret (QR code and text) and asks for a code from it.
function enrol(e) {
  const box = $('#twofa');
  const grouped = e.secret.replace(/(.{4})/g, '$1 ').trim();
  const form = h('form', { class: 'form-grid', id: 'totp-confirm-form' },
    field('totp-code', 'code', 'Code from your app', { type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9 ]{6,7}', maxlength: '7', required: true, class: 'code-input' }),
    h('div', { class: 'form-actions' },
      h('button', { type: 'submit', class: 'btn btn-primary' }, 'Turn on'),
      h('button', { type: 'button', class: 'btn btn-quiet', onclick: twoFactor }, 'Cancel')),
  );
  onSubmit(form, 'Checking…', async (v) => {
    const { recovery_codes: codes } = await post('/api/account/totp/confirm', { code: v.code.replace(/\s+/g, '') });
    user = { ...user, totp_enabled: true };
    deleteNeedsCode(true);
    showCodes(codes, 'Two-factor authentication is on. Save your recovery codes');
    securityLog();
  });
  replace(box, h('div', { class: 'enrol' },
    h('img', { class: 'qr', src: e.qr_png, width: '200', height: '200', alt: 'QR code for your authenticator app. If you cannot scan it, type the secret key shown beside it.' }),
    h('div', null,
      h('ol', { class: 'form-grid' },
        h('li', null, 'Scan the QR code with your authenticator app.'),
        h('li', null, 'Or add an account by hand with this secret key: ',
          h('code', { class: 'secret', id: 'totp-secret', 'aria-label': `Secret key ${e.secret.split('').join(' ')}` }, grouped), ' ',
          h('button', { type: 'button', class: 'btn btn-small', onclick: (b) => copied(b.currentTarget, e.secret) }, 'Copy')),
        h('li', null, 'Enter the 6-digit code the app shows to confirm.')),
      form,
    ),
  ));
  $('#totp-code').focus();
}

// showCodes shows recovery codes, once, with copy and download.
function showCodes(codes, title) {
  const box = $('#twofa');
  user.recovery_codes_left = codes.length; // a fresh set: the count GET /api/me would now give
  const text = `Metriqs recovery codes for ${user.email}\nEach code works once. Keep them somewhere safe.\n\n${codes.join('\n')}\n`;
  replace(box, h('div', { class: 'card', id: 'recovery-codes', role: 'region', 'aria-labelledby': 'codes-title' },
    h('h4', { id: 'codes-title', tabindex: '-1' }, title),
    h('p', null, 'Each code signs you in once if you lose your phone. ', h('strong', null, 'They are shown only now:'), ' keep them in your password manager, or download or print them.'),
    h('ul', { class: 'codes' }, codes.map((c) => h('li', null, c))),
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'btn', onclick: (ev) => copied(ev.currentTarget, codes.join('\n')) }, 'Copy codes'),
      h('button', { type: 'button', class: 'btn', onclick: () => download('metriqs-recovery-codes.txt', text) }, 'Download'),
      h('button', { type: 'button', class: 'btn', id: 'codes-print', onclick: printCodes }, 'Print'),
      h('button', { type: 'button', class: 'btn btn-primary', id: 'codes-done', onclick: codesSaved }, 'I have saved my codes')),
  ));
  $('#codes-title').focus();
}

// codesSaved puts the 2FA panel back and keeps the keyboard there, on its heading: the button
// that had focus is gone, and focus must not fall back to the top of the page.
function codesSaved() {
  twoFactor();
  $('#twofa-title').focus();
}

// printCodes prints the recovery codes alone: the print stylesheet shows only #recovery-codes
// while <html> has .print-codes.
function printCodes() {
  document.documentElement.classList.add('print-codes');
  window.addEventListener('afterprint', () => document.documentElement.classList.remove('print-codes'), { once: true });
  window.print();
}

async function copied(button, text) {
  const ok = await copyText(text);
  const was = button.textContent;
  button.textContent = ok ? 'Copied' : 'Copy failed — select and copy by hand';
  setTimeout(() => { button.textContent = was; }, 2000);
}

// ---------------------------------------------------------------- sessions

async function sessions() {
  const box = $('#sessions');
  const others = $('#revoke-others');
  let list;
  try {
    ({ sessions: list } = await get('/api/account/sessions'));
  } catch (err) {
    replace(box, notice('error', err.message));
    return;
  }
  others.hidden = list.filter((s) => !s.current).length === 0;
  others.onclick = async () => {
    others.disabled = true;
    try {
      await del('/api/account/sessions?id=others');
      replace($('#sessions-status'), notice('success', 'Every other session has been signed out.'));
    } catch (err) {
      replace($('#sessions-status'), notice('error', err.message));
    } finally {
      others.disabled = false;
    }
    sessions();
    securityLog();
  };
  replace(box, h('div', { class: 'table-wrap' }, h('table', { id: 'sessions-table', class: 'stack-sm' },
    h('caption', { class: 'visually-hidden' }, 'Where your account is signed in'),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Device'), h('th', { scope: 'col' }, 'IP address'),
      h('th', { scope: 'col' }, 'Signed in'), h('th', { scope: 'col' }, 'Last active'),
      h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
    h('tbody', null, list.map((s) => h('tr', { dataset: { session: s.id, current: s.current ? 'true' : 'false' } },
      h('th', { scope: 'row' },
        h('span', { title: s.user_agent || '' }, userAgent(s.user_agent)), ' ',
        s.current ? h('span', { class: 'badge status-connected' }, 'This device') : null,
        s.mfa ? h('span', { class: 'small muted' }, ' · with two-factor') : null),
      h('td', { class: 'mono', 'data-label': 'IP address' }, s.ip || '—'),
      h('td', { 'data-label': 'Signed in' }, dateTime(s.created_at)),
      h('td', { 'data-label': 'Last active' }, ago(s.last_seen_at)),
      h('td', { class: 'actions' }, s.current ? null : h('button', {
        type: 'button', class: 'btn btn-small', 'aria-label': `Sign out ${userAgent(s.user_agent)} from ${s.ip || 'an unknown address'}`,
        onclick: (ev) => revoke(s, ev.currentTarget),
      }, 'Sign out')),
    ))),
  )));
}

async function revoke(s, button) {
  button.disabled = true;
  try {
    await del(`/api/account/sessions?id=${encodeURIComponent(s.id)}`);
    replace($('#sessions-status'), notice('success', `${userAgent(s.user_agent)} has been signed out.`));
  } catch (err) {
    button.disabled = false;
    replace($('#sessions-status'), notice('error', err.message));
    return;
  }
  sessions();
  securityLog();
}

// ---------------------------------------------------------------- security log

const eventWords = {
  sign_in: 'Signed in',
  sign_in_failed: 'Failed sign-in attempt',
  sign_out: 'Signed out',
  password_changed: 'Password changed',
  session_revoked: 'A session was signed out',
  other_sessions_revoked: 'All other sessions were signed out',
  totp_enabled: 'Two-factor authentication turned on',
  totp_disabled: 'Two-factor authentication turned off',
  totp_failed: 'Wrong two-factor code entered',
  recovery_code_used: 'Recovery code used',
  recovery_codes_regenerated: 'New recovery codes made',
  integration_connected: 'Integration connected',
  integration_disconnected: 'Integration disconnected',
  integration_needs_reauth: 'Integration needs reconnecting',
  integration_revocation_failed: 'Integration access could not be revoked',
  integration_revoked: 'Integration access revoked',
  account_deleted: 'Account deleted',
  password_reset: 'Password reset with an e-mailed link',
  email_verified: 'E-mail address verified',
  email_change_requested: 'E-mail address change requested',
  email_changed: 'E-mail address changed',
  share_link_created: 'Report share link created',
  share_link_revoked: 'Report share link revoked',
};
const LOG_PAGE = 20;

async function securityLog(limit = LOG_PAGE) {
  const box = $('#security-log');
  let events;
  try {
    ({ events } = await get('/api/account/security-log'));
  } catch (err) {
    replace(box, notice('error', err.message));
    return;
  }
  if (!events.length) {
    replace(box, h('p', { class: 'muted' }, 'Nothing yet.'));
    return;
  }
  const shown = events.slice(0, limit);
  replace(box,
    h('div', { class: 'table-wrap' }, h('table', { id: 'security-log-table', class: 'stack-sm' },
      h('caption', { class: 'visually-hidden' }, 'Security events, newest first'),
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, 'What happened'), h('th', { scope: 'col' }, 'When'),
        h('th', { scope: 'col' }, 'IP address'), h('th', { scope: 'col' }, 'Device'))),
      h('tbody', null, shown.map((e) => h('tr', { dataset: { event: e.type } },
        h('td', null, h('span', { class: 'event-type' }, eventWords[e.type] || e.type.replaceAll('_', ' ')),
          e.detail ? h('span', { class: 'small muted' }, ` · ${e.detail}`) : null),
        h('td', { title: e.at, 'data-label': 'When' }, dateTime(e.at)),
        h('td', { class: 'mono', 'data-label': 'IP address' }, e.ip || '—'),
        h('td', { title: e.user_agent || '', 'data-label': 'Device' }, userAgent(e.user_agent)),
      ))),
    )),
    events.length > limit ? h('p', null, h('button', {
      type: 'button', class: 'btn btn-small', onclick: () => securityLog(events.length),
    }, `Show all ${events.length} events`)) : null,
  );
}

// ---------------------------------------------------------------- export

function exportData() {
  const button = $('#export');
  const status = $('#export-status');
  button.addEventListener('click', async () => {
    button.disabled = true;
    status.textContent = 'Preparing your file…';
    try {
      const data = await get('/api/account/export');
      const date = new Date().toISOString().slice(0, 10);
      download(`metriqs-data-${date}.json`, `${JSON.stringify(data, null, 2)}\n`, 'application/json');
      status.textContent = 'Downloaded.';
    } catch (err) {
      status.textContent = isMissingEndpoint(err) ? 'Data export is not available on this server yet.' : err.message;
    } finally {
      button.disabled = false;
    }
  });
}

// ---------------------------------------------------------------- delete

function deleteAccount() {
  const form = $('#delete-form');
  onSubmit(form, 'Deleting…', async (v) => {
    const body = { password: v.password };
    if (user.totp_enabled) Object.assign(body, deleteFactor.body(v));
    const res = await post('/api/account/delete', body);
    const by = res && res.purge_by ? dateTime(res.purge_by) : 'within 30 days';
    replace($('main'), h('div', { class: 'container container-narrow' }, h('section', { class: 'card', id: 'deleted', 'aria-labelledby': 'deleted-title' },
      h('h1', { id: 'deleted-title', tabindex: '-1' }, 'Your account has been deleted'),
      h('p', null, 'You are signed out everywhere, and every integration was disconnected with its access revoked.'),
      h('p', null, 'Your profile, reports, schedules and logs will be permanently removed by ', h('strong', { id: 'purge-by' }, by), '. Billing records are kept for 7 years, as the law requires.'),
      h('p', null, h('a', { class: 'btn', href: '/' }, 'Go to the home page')),
    )));
    for (const el of $$('.main-nav, .account-menu')) el.hidden = true;
    $('#deleted-title').focus();
  });
}

const deleteFactor = factorChoice($('#delete-form'), $('#delete-toggle-recovery'));

// deleteNeedsCode shows the second-factor fields of the delete form (a code from the app, or a
// recovery code instead) when two-factor is on — the API then requires one — and takes them
// out of the form otherwise.
function deleteNeedsCode(on) {
  const box = $('#delete-factor');
  if (on && box.hidden) deleteFactor.use(false);
  if (!on) deleteFactor.off();
  box.hidden = !on;
}

// ---------------------------------------------------------------- helpers

// The second-factor inputs, as on the sign-in page: a 6-digit code from the authenticator
// app, or one of the recovery codes ("k7qd-3m9x-a2bc-f8tz"; the API ignores case, spaces and
// dashes, so a little room is left for how people type them).
const codeAttrs = { class: 'code-input', type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9 ]{6,7}', maxlength: '7', required: true };
const recoveryAttrs = { class: 'code-input recovery-input', type: 'text', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false', maxlength: '32', required: true };
const recoveryHint = 'One of the codes you saved when you turned on two-factor authentication. Each works once.';

// factorChoice wires a form's "Use a recovery code instead" toggle, as on the sign-in page:
// one of its `code` and `recovery_code` inputs is shown, the other hidden and disabled (so it
// is neither validated nor sent). use(on, focus) picks the recovery code (on) or the app's
// code; off() disables both; body(v) is the second factor for the API: {code} or
// {recovery_code}.
function factorChoice(form, toggle) {
  const code = form.elements.namedItem('code');
  const recovery = form.elements.namedItem('recovery_code');
  let recovering = false;
  function use(on, focus = false) {
    recovering = on;
    clearErrors(form);
    code.closest('.field').hidden = on;
    code.disabled = on;
    recovery.closest('.field').hidden = !on;
    recovery.disabled = !on;
    toggle.textContent = on ? 'Use a code from your app instead' : 'Use a recovery code instead';
    if (focus) (on ? recovery : code).focus();
  }
  toggle.addEventListener('click', () => use(!recovering, true));
  use(false);
  return {
    use,
    off() {
      code.disabled = true;
      recovery.disabled = true;
    },
    body: (v) => (recovering ? { recovery_code: v.recovery_code } : { code: v.code.replace(/\s+/g, '') }),
  };
}

// field builds a labelled input inside a .field wrapper.
function field(id, name, label, attrs) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name, ...attrs }));
}

// Everything above is declared; now draw the page.
profile();
emailChange(user);
password();
twoFactor();
sessions();
securityLog();
billing();
exportData();
deleteAccount();
