// /verify-email?token=…: confirms the address with POST /api/auth/verify-email.

import { post } from '../api.js';
import { $ } from '../dom.js';
import { onSubmit } from '../forms.js';
import { takeToken, done, invalid } from './token.js';

const form = $('#token-form');
const token = takeToken();
if (!token) invalid(form);

onSubmit(form, 'Confirming…', async () => {
  try {
    await post('/api/auth/verify-email', { token });
  } catch (err) {
    if (err.code === 'invalid_token') { invalid(form); return; }
    throw err;
  }
  done(form, 'Your address is confirmed.', '/app', 'Go to your reports');
});
