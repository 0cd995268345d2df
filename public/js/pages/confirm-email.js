// /confirm-email?token=…: applies a change of address with POST /api/account/email/confirm.

import { post } from '../api.js';
import { $ } from '../dom.js';
import { onSubmit } from '../forms.js';
import { takeToken, done, invalid } from './token.js';

const form = $('#token-form');
const token = takeToken();
if (!token) invalid(form);

onSubmit(form, 'Confirming…', async () => {
  try {
    await post('/api/account/email/confirm', { token });
  } catch (err) {
    if (err.code === 'invalid_token') { invalid(form); return; }
    throw err;
  }
  done(form, 'Your e-mail address is changed. Sign in with it from now on.', '/app/settings', 'Go to Settings');
});
