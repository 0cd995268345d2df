// /reset-password?token=…: the new password (and, when the account has two-factor
// authentication, a code) for POST /api/auth/password-reset/confirm. No session is made:
// afterwards the user signs in with the new password.

import { post } from '../api.js';
import { $ } from '../dom.js';
import { onSubmit } from '../forms.js';
import { takeToken, done, invalid } from './token.js';

const form = $('#reset-form');
const token = takeToken();
if (!token) invalid(form);

function askForCode() {
  $('#code-field').hidden = false;
  $('#code').disabled = false;
  $('#code').required = true;
  $('#code').focus();
}

onSubmit(form, 'Saving…', async (v) => {
  const body = { token, new_password: v.new_password };
  const code = (v.code || '').trim();
  if (code) {
    if (/^[0-9 ]+$/.test(code)) body.code = code.replace(/\s+/g, '');
    else body.recovery_code = code;
  }
  try {
    await post('/api/auth/password-reset/confirm', body);
  } catch (err) {
    if (err.code === 'invalid_token') { invalid(form); return; }
    if (err.code === 'mfa_required') { askForCode(); }
    throw err;
  }
  done(form, 'Your password is changed and every session is signed out.', '/login', 'Sign in with the new password');
});
