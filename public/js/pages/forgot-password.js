// /forgot-password: asks for a reset link. The answer is the same whether or not an account
// has the address, and so is what this page says.

import { post } from '../api.js';
import { $, replace, notice } from '../dom.js';
import { onSubmit } from '../forms.js';

const form = $('#forgot-form');
onSubmit(form, 'Sending…', async (v) => {
  await post('/api/auth/password-reset', { email: v.email });
  form.hidden = true;
  replace($('#page-notice'), notice('success', 'If an account has this address, a link to choose a new password is on its way. Check your inbox (and spam folder).'));
});
