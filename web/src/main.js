// Recall's web app: the shell (header, navigation, connection banner) and
// the client-side router. The server answers index.html for every path of
// the routes table below; the API (/v1/...) is the only way to the server.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { html, Link, navigate } from './ui.js';
import { Client } from './api.js';
import { AuthPage } from './auth.js';
import { Dashboard } from './dashboard.js';
import { TopicPage } from './topic.js';
import { StudyPage, HistoryPage, TranscriptPage } from './study.js';
import { OpsPage } from './ops.js';
import { AccountPage } from './account.js';
import { TutorPage } from './tutor.js';

// routes maps the app's paths to pages; auth marks the pages that need a
// signed-in learner. Keep it in step with webapp's server-side list.
// /ops is the operator's page: any signed-in user may open it, and the API
// tells a user without the admin role so (403), which the page shows.
const routes = [
  { re: /^\/$/, page: 'dashboard', auth: true },
  { re: /^\/signin$/, page: 'signin' },
  { re: /^\/signup$/, page: 'signup' },
  { re: /^\/topics\/([^/]+)$/, page: 'topic', auth: true },
  { re: /^\/study\/([^/]+)$/, page: 'study', auth: true },
  { re: /^\/history$/, page: 'history', auth: true },
  { re: /^\/history\/([^/]+)$/, page: 'transcript', auth: true },
  { re: /^\/ops$/, page: 'ops', auth: true },
  { re: /^\/account$/, page: 'account', auth: true },
  { re: /^\/tutor\/([^/]+)$/, page: 'tutor', auth: true },
];

function match(path) {
  for (const r of routes) {
    const m = r.re.exec(path);
    if (m) return { ...r, id: m[1] ? decodeURIComponent(m[1]) : '' };
  }
  return { page: 'notfound' };
}

function App() {
  const [path, setPath] = useState(location.pathname);
  const [notice, setNotice] = useState('');
  const [connection, setConnection] = useState('ok');
  const api = useMemo(
    () =>
      new Client({
        onSignedOut: () => {
          setNotice('You have been signed out. Sign in again to go on.');
          navigate('/signin', { replace: true });
        },
        onConnection: setConnection,
      }),
    [],
  );
  useEffect(() => {
    const on = () => setPath(location.pathname);
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);

  const route = match(path);
  const signedIn = api.signedIn();
  // admin shows the Operations link; the page itself asks the API.
  const [admin, setAdmin] = useState(false);
  useEffect(() => {
    if (!signedIn) {
      setAdmin(false);
      return;
    }
    api.me().then(
      (r) => setAdmin(!!r.user.admin),
      () => setAdmin(false),
    );
  }, [signedIn]);
  useEffect(() => {
    if (route.auth && !signedIn) navigate('/signin', { replace: true });
    else if ((route.page === 'signin' || route.page === 'signup') && signedIn) navigate('/', { replace: true });
  }, [path, signedIn]);

  const signOut = async () => {
    try {
      await api.signOut();
    } catch {
      // The token is forgotten here whatever the server said.
    }
    setNotice('You are signed out.');
    navigate('/signin', { replace: true });
  };

  let page;
  if (route.auth && !signedIn) page = null;
  else if (route.page === 'signin') page = html`<${AuthPage} api=${api} notice=${notice} />`;
  else if (route.page === 'signup') page = html`<${AuthPage} api=${api} signUp />`;
  else if (route.page === 'dashboard') page = html`<${Dashboard} api=${api} />`;
  else if (route.page === 'topic') page = html`<${TopicPage} key=${route.id} api=${api} id=${route.id} />`;
  else if (route.page === 'study') page = html`<${StudyPage} key=${route.id} api=${api} id=${route.id} />`;
  else if (route.page === 'history') page = html`<${HistoryPage} api=${api} />`;
  else if (route.page === 'transcript') page = html`<${TranscriptPage} key=${route.id} api=${api} id=${route.id} />`;
  else if (route.page === 'ops') page = html`<${OpsPage} api=${api} />`;
  else if (route.page === 'account') page = html`<${AccountPage} api=${api} />`;
  else if (route.page === 'tutor') page = html`<${TutorPage} key=${route.id} api=${api} id=${route.id} />`;
  else
    page = html`<main id="main"><h1>Page not found</h1><p>There is nothing at this address. <${Link} href="/">Go to your topics</${Link}>.</p></main>`;

  return html`<a class="skip-link" href="#main">Skip to content</a>
    <header class="top">
      <nav aria-label="Main">
        <${Link} class="brand" href="/">Recall</${Link}>
        ${signedIn &&
        html`<${Link} href="/" aria-current=${route.page === 'dashboard' ? 'page' : undefined}>Topics</${Link}>
          <${Link} href="/history" aria-current=${route.page === 'history' || route.page === 'transcript' || route.page === 'tutor' ? 'page' : undefined}>History</${Link}>
          ${admin && html`<${Link} href="/ops" aria-current=${route.page === 'ops' ? 'page' : undefined}>Operations</${Link}>`}
          <${Link} href="/account" aria-current=${route.page === 'account' ? 'page' : undefined}>Account</${Link}>
          <button type="button" class="link-button" onClick=${signOut}>Sign out</button>`}
      </nav>
    </header>
    ${connection === 'retrying' && html`<p class="connection" role="status">Connection lost. Retrying…</p>`}
    ${page}`;
}

render(html`<${App} />`, document.getElementById('app'));
