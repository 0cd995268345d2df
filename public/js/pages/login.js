// /login: e-mail and password, then — when the account has two-factor authentication — a code
// from the authenticator app or a recovery code. Afterwards, back to ?next= (a path on this
// site only) or /app.

import { post } from '../api.js';
import { $, replace, notice } from '../dom.js';
import { onSubmit, clearErrors } from '../forms.js';
import { nextFromQuery } from '../nav.js';
import { keepNext } from '../public.js';

const loginStep = $('#login-step');
const mfaStep = $('#mfa-step');
const mfaForm = $('#mfa-form');
const codeField = $('#code-field');
const recoveryField = $('#recovery-field');
const toggle = $('#toggle-recovery');

keepNext();
showArrivalNotice();

function done() {
  window.location.assign(nextFromQuery());
}

onSubmit($('#login-form'), 'Signing in…', async (v) => {
  const res = await post('/api/auth/login', { email: v.email, password: v.password });
  if (res && res.mfa_required) {
    showMFA();
    return;
  }
  done();
});

onSubmit(mfaForm, 'Verifying…', async (v) => {
  const body = recoveryField.hidden
    ? { code: v.code.replace(/\s+/g, '') }
    : { recovery_code: v.recovery_code.trim() };
  try {
    await post('/api/auth/mfa', body);
  } catch (err) {
    if (err.code === 'mfa_expired') {
      startOver();
      replace($('#login-notice'), notice('warn', err.message));
      return;
    }
    throw err;
  }
  done();
});

toggle.addEventListener('click', () => useRecovery(recoveryField.hidden));
$('#start-over').addEventListener('click', startOver);

function showMFA() {
  loginStep.hidden = true;
  mfaStep.hidden = false;
  useRecovery(false);
  $('#code').focus();
}

function useRecovery(on) {
  clearErrors(mfaForm);
  recoveryField.hidden = !on;
  codeField.hidden = on;
  $('#code').disabled = on;
  $('#recovery_code').disabled = !on;
  toggle.textContent = on ? 'Use a code from your app instead' : 'Use a recovery code instead';
  (on ? $('#recovery_code') : $('#code')).focus();
}

function startOver() {
  mfaForm.reset();
  clearErrors(mfaForm);
  mfaStep.hidden = true;
  loginStep.hidden = false;
  $('#password').value = '';
  $('#password').focus();
}

function showArrivalNotice() {
  const q = new URLSearchParams(window.location.search);
  let msg = null;
  if (q.has('signed_out')) msg = notice('success', 'You have been signed out.');
  else if (q.has('next')) msg = notice('info', 'Please sign in to continue.');
  if (msg) replace($('#login-notice'), msg);
}
