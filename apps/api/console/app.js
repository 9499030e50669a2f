// The operator console: a login, then four views over the admin APIs, picked by the URL's fragment (#keys, …).
import { api, onLoggedOut } from './api.js';
import { clearError, showError } from './dom.js';
import { createKeysView } from './keys-view.js';
import { createProvidersView } from './providers-view.js';
import { createRequestsView } from './requests-view.js';
import { createSpendView } from './spend-view.js';

const byId = (id) => document.getElementById(id);
const views = {
  keys: createKeysView(byId('view-keys')),
  spend: createSpendView(byId('view-spend')),
  requests: createRequestsView(byId('view-requests')),
  providers: createProvidersView(byId('view-providers')),
};
let current = null;
let inside = false;

function route() {
  if (!inside) return;
  const name = Object.hasOwn(views, window.location.hash.slice(1)) ? window.location.hash.slice(1) : 'keys';
  if (current && current !== name) views[current].hide();
  current = name;
  for (const view of Object.keys(views)) byId(`view-${view}`).hidden = view !== name;
  for (const link of document.querySelectorAll('#tabs a')) link.classList.toggle('active', link.dataset.view === name);
  document.body.dataset.view = name;
  document.body.dataset.loaded = '';
  views[name]
    .show()
    .then(() => {
      clearError();
      if (current === name) document.body.dataset.loaded = name;
    })
    .catch(showError);
}

function enter(session) {
  inside = true;
  byId('login').hidden = true;
  byId('tabs').hidden = false;
  // Without a token configured there is nothing to log out of.
  byId('logout').hidden = session.via === 'open';
  route();
}

function leave(message) {
  inside = false;
  if (current) views[current].hide();
  current = null;
  for (const view of Object.keys(views)) byId(`view-${view}`).hidden = true;
  byId('tabs').hidden = true;
  byId('logout').hidden = true;
  byId('login').hidden = false;
  byId('login-error').textContent = message ?? '';
  byId('login-token').focus();
}

byId('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const field = byId('login-token');
  try {
    await api.login(field.value);
    field.value = '';
    // The cookie must come back: a browser refuses a Secure cookie on plain http anywhere but localhost.
    const session = await api.session().catch(() => undefined);
    if (!session) return leave('The browser did not keep the session cookie: open the console over HTTPS (or on localhost).');
    enter(session);
  } catch (error) {
    field.value = '';
    byId('login-error').textContent = error.status === 401 ? 'Wrong token.' : error.message;
  }
});

byId('logout').addEventListener('click', async () => {
  await api.logout().catch(() => undefined);
  leave('Logged out.');
});

onLoggedOut(() => {
  if (inside) leave('The session ended: log in again.');
});

window.addEventListener('hashchange', route);

api.session().then(enter, (error) => {
  if (error.status === 401) leave();
  else showError(error);
});
