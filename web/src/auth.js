// Sign in and sign up.
import { useRef, useState } from 'preact/hooks';
import { html, Link, ErrorSummary, Field, fieldErrors, navigate, useTitle, useFocusHeading } from './ui.js';

const USERNAME = /^[a-z0-9_.-]{3,32}$/;

function check(username, password, signingUp) {
  const errs = {};
  if (!username) errs.username = 'Enter your username.';
  else if (signingUp && !USERNAME.test(username.toLowerCase()))
    errs.username = 'Use 3 to 32 letters, digits, dots, dashes or underscores.';
  if (!password) errs.password = 'Enter your password.';
  else if (signingUp && (password.length < 8 || password.length > 256))
    errs.password = 'Use a password of at least 8 characters.';
  return errs;
}

/** AuthPage is the sign-in form, or the sign-up form when signUp is set. */
export function AuthPage({ api, signUp, notice }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const heading = useRef(null);
  const title = signUp ? 'Create your account' : 'Sign in';
  useTitle(title);
  useFocusHeading(heading, signUp);

  const submit = async (e) => {
    e.preventDefault();
    if (busy) return;
    const errs = check(username.trim(), password, signUp);
    setErrors(errs);
    setFormError('');
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      if (signUp) await api.signUp(username.trim(), password);
      await api.signIn(username.trim(), password);
      navigate('/', { replace: true });
    } catch (err) {
      const fe = fieldErrors(err);
      if (Object.keys(fe).length) setErrors(fe);
      else if (err.code === 'conflict') setErrors({ username: 'That username is taken. Choose another.' });
      else if (err.status === 401) setErrors({ password: 'The username or password is wrong.' });
      else setFormError(err.message);
      setBusy(false);
    }
  };

  const summary = Object.entries(errors).map(([field, message]) => ({ field, message }));
  if (formError) summary.push({ message: formError });
  return html`<main id="main" class="narrow">
    <h1 tabindex="-1" ref=${heading}>${title}</h1>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <${ErrorSummary} errors=${summary} />
    <form onSubmit=${submit} novalidate>
      <${Field} id="username" label="Username" value=${username} onInput=${setUsername} error=${errors.username}
        autocomplete="username" autocapitalize="none" spellcheck="false"
        hint=${signUp ? '3 to 32 characters: letters, digits, dots, dashes or underscores.' : undefined} />
      <${Field} id="password" label="Password" type="password" value=${password} onInput=${setPassword}
        error=${errors.password} autocomplete=${signUp ? 'new-password' : 'current-password'}
        hint=${signUp ? 'At least 8 characters.' : undefined} />
      <button type="submit" class="primary" aria-busy=${busy ? 'true' : undefined}>
        ${busy ? (signUp ? 'Creating your account…' : 'Signing in…') : signUp ? 'Create account' : 'Sign in'}
      </button>
    </form>
    <p class="switch">
      ${signUp
        ? html`Already have an account? <${Link} href="/signin">Sign in</${Link}>`
        : html`New to Recall? <${Link} href="/signup">Create an account</${Link}>`}
    </p>
  </main>`;
}
