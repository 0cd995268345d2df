// Settings › Profile › Change e-mail address: POST /api/account/email with the password (and
// a code when two-factor authentication is on). Nothing changes until the link sent to the new
// address is used (/confirm-email).

import { post } from '../api.js';
import { $ } from '../dom.js';
import { onSubmit } from '../forms.js';

export function emailChange(user) {
  const form = $('#email-change-form');
  if (!form) return;
  const code = $('#email-change-code');
  $('#email-change-code-field').hidden = !user.totp_enabled;
  code.disabled = !user.totp_enabled;
  code.required = user.totp_enabled;
  const status = $('#email-change-status');
  onSubmit(form, 'Sending…', async (v) => {
    status.textContent = '';
    const body = { new_email: v.new_email, password: v.password };
    if (user.totp_enabled) body.code = (v.code || '').trim();
    await post('/api/account/email', body);
    form.reset();
    status.textContent = `Check ${v.new_email} for the confirmation link.`;
  });
}
